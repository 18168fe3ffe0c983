//! The step plan (pure data), then the real `setup` in forked children (root only).

use super::*;
use std::vec::Vec;

fn steps(json: &str, opts: RootfsOpts) -> Vec<Step> {
    let mut b = json.as_bytes().to_vec();
    let spec = crate::spec::parse(&mut b).unwrap();
    plan(&spec, &opts).unwrap().into_iter().collect()
}

const MIN: &str = r#"{"ociVersion":"1.0.0","root":{"path":"r"}}"#;

#[test]
fn plan_minimal() {
    let rp = g::MS_PRIVATE | g::MS_REC;
    assert_eq!(
        steps(MIN, RootfsOpts::default()),
        [
            Step::RootSlave,
            Step::RootPropagation(rp),
            Step::ParentPrivate,
            Step::BindRootfs,
            Step::Mounts,
            Step::Devices,
            Step::PivotRoot,
            Step::NewRootPropagation(rp),
        ]
    );
}

#[test]
fn plan_full() {
    let j = r#"{"ociVersion":"1.0.0","root":{"path":"r","readonly":true},
      "mounts":[{"destination":"/dev","type":"bind","source":"/dev","options":["rbind"]}],
      "linux":{"rootfsPropagation":"rshared","sysctl":{"net.ipv4.ip_forward":"1"},
        "maskedPaths":["/proc/kcore"],"readonlyPaths":["/proc/sys"]}}"#;
    let o = RootfsOpts {
        no_pivot: true,
        ..Default::default()
    };
    let rs = g::MS_SHARED | g::MS_REC;
    assert_eq!(
        steps(j, o),
        [
            Step::RootSlave,
            Step::RootPropagation(rs),
            Step::ParentPrivate,
            Step::BindRootfs,
            Step::Mounts,
            Step::MoveRoot,
            Step::NewRootPropagation(rs),
            Step::Sysctl,
            Step::ReadonlyPaths,
            Step::MaskedPaths,
            Step::RootReadonly,
        ]
    );
}

#[test]
fn propagation_names() {
    for (n, f) in [
        ("private", g::MS_PRIVATE),
        ("rslave", g::MS_SLAVE | g::MS_REC),
        ("unbindable", g::MS_UNBINDABLE),
        ("runbindable", g::MS_UNBINDABLE | g::MS_REC),
        ("", g::MS_PRIVATE | g::MS_REC),
    ] {
        let j = std::format!(
            r#"{{"ociVersion":"1.0.0","root":{{"path":"r"}},"linux":{{"rootfsPropagation":"{n}"}}}}"#
        );
        assert_eq!(
            steps(&j, RootfsOpts::default())[1],
            Step::RootPropagation(f),
            "{n}"
        );
    }
    let mut b =
        br#"{"ociVersion":"1.0.0","root":{"path":"r"},"linux":{"rootfsPropagation":"bogus"}}"#
            .to_vec();
    let spec = crate::spec::parse(&mut b).unwrap();
    assert!(plan(&spec, &RootfsOpts::default()).is_err());
}
