//! Option parser and mount plan: pure data, no root needed.

use super::*;
use crate::spec::Spec;
use std::string::String;
use std::vec::Vec;

fn opts(list: &[&'static str]) -> Result<Options> {
    parse_options(list.iter().map(|s| Ok(Str::from_raw(s))), 0)
}

fn data(o: &Options) -> &str {
    core::str::from_utf8(o.data()).unwrap()
}

#[test]
fn every_flag_option() {
    let set = [
        ("ro", g::MS_RDONLY),
        ("nosuid", g::MS_NOSUID),
        ("nodev", g::MS_NODEV),
        ("noexec", g::MS_NOEXEC),
        ("sync", g::MS_SYNCHRONOUS),
        ("dirsync", g::MS_DIRSYNC),
        ("remount", g::MS_REMOUNT),
        ("mand", g::MS_MANDLOCK),
        ("noatime", g::MS_NOATIME),
        ("nodiratime", g::MS_NODIRATIME),
        ("relatime", g::MS_RELATIME),
        ("strictatime", g::MS_STRICTATIME),
        ("lazytime", g::MS_LAZYTIME),
        ("iversion", g::MS_I_VERSION),
        ("silent", g::MS_SILENT),
        ("nosymfollow", g::MS_NOSYMFOLLOW),
        ("bind", g::MS_BIND),
        ("rbind", g::MS_BIND | g::MS_REC),
    ];
    for (name, f) in set {
        let o = opts(&[name]).unwrap();
        assert_eq!(o.set, f, "{name}");
        assert_eq!(o.data(), b"", "{name}");
    }
    let clear = [
        ("rw", "ro", g::MS_RDONLY),
        ("suid", "nosuid", g::MS_NOSUID),
        ("dev", "nodev", g::MS_NODEV),
        ("exec", "noexec", g::MS_NOEXEC),
        ("async", "sync", g::MS_SYNCHRONOUS),
        ("nomand", "mand", g::MS_MANDLOCK),
        ("atime", "noatime", g::MS_NOATIME),
        ("diratime", "nodiratime", g::MS_NODIRATIME),
        ("norelatime", "relatime", g::MS_RELATIME),
        ("nostrictatime", "strictatime", g::MS_STRICTATIME),
        ("nolazytime", "lazytime", g::MS_LAZYTIME),
    ];
    for (neg, pos, f) in clear {
        let o = opts(&[pos, neg]).unwrap();
        assert_eq!((o.set, o.clr), (0, f), "{pos},{neg}");
        // The last one wins, as with mount(8).
        let o = opts(&[neg, pos]).unwrap();
        assert_eq!((o.set, o.clr), (f, 0), "{neg},{pos}");
    }
    assert_eq!(opts(&["defaults"]).unwrap().set, 0);
}

#[test]
fn propagation_in_order() {
    let o = opts(&[
        "rprivate",
        "shared",
        "rslave",
        "unbindable",
        "runbindable",
        "private",
        "rshared",
        "slave",
    ])
    .unwrap();
    assert_eq!(
        o.propagation.as_slice(),
        &[
            g::MS_PRIVATE | g::MS_REC,
            g::MS_SHARED,
            g::MS_SLAVE | g::MS_REC,
            g::MS_UNBINDABLE,
            g::MS_UNBINDABLE | g::MS_REC,
            g::MS_PRIVATE,
            g::MS_SHARED | g::MS_REC,
            g::MS_SLAVE,
        ]
    );
    assert_eq!(o.set, 0);
    let nine = ["private"; 9];
    let e = opts(&nine).unwrap_err();
    assert!(std::format!("{e}").contains("propagation"), "{e}");
}

#[test]
fn recursive_attrs() {
    let ro = g::MOUNT_ATTR_RDONLY as u64;
    let o = opts(&["rro"]).unwrap();
    assert_eq!(
        o.rattr,
        Attr {
            set: ro,
            clr: 0,
            propagation: 0
        }
    );
    assert_eq!(o.rname, "rro");
    assert_eq!(o.set, 0);
    let o = opts(&["rro", "rrw"]).unwrap();
    assert_eq!(
        o.rattr,
        Attr {
            set: 0,
            clr: ro,
            propagation: 0
        }
    );
    let pairs = [
        ("rnosuid", "rsuid", g::MOUNT_ATTR_NOSUID),
        ("rnodev", "rdev", g::MOUNT_ATTR_NODEV),
        ("rnoexec", "rexec", g::MOUNT_ATTR_NOEXEC),
        ("rnodiratime", "rdiratime", g::MOUNT_ATTR_NODIRATIME),
        ("rnosymfollow", "rsymfollow", g::MOUNT_ATTR_NOSYMFOLLOW),
    ];
    for (on, off, a) in pairs {
        assert_eq!(opts(&[on]).unwrap().rattr.set, a as u64, "{on}");
        assert_eq!(opts(&[off]).unwrap().rattr.clr, a as u64, "{off}");
    }
    let atime = [
        ("rnoatime", g::MOUNT_ATTR_NOATIME),
        ("rstrictatime", g::MOUNT_ATTR_STRICTATIME),
        ("rrelatime", g::MOUNT_ATTR_RELATIME),
        ("ratime", g::MOUNT_ATTR_RELATIME),
        ("rnostrictatime", g::MOUNT_ATTR_RELATIME),
        ("rnorelatime", g::MOUNT_ATTR_RELATIME),
    ];
    for (n, a) in atime {
        let o = opts(&["rnoatime", n]).unwrap();
        assert_eq!(o.rattr.set & A, a as u64, "{n}");
        assert_eq!(
            o.rattr.clr, A,
            "{n}: the kernel wants all of _ATIME cleared"
        );
    }
}

#[test]
fn idmap_is_unsupported() {
    for o in ["idmap", "ridmap"] {
        let e = opts(&["rbind", o]).unwrap_err();
        let t = std::format!("{e}");
        assert!(t.starts_with("mounts[0].options[1]: id-mapped"), "{t}");
    }
}

#[test]
fn unknown_options_are_data() {
    let o = opts(&["nosuid", "mode=755", "size=65536k", "ro", "uid=5"]).unwrap();
    assert_eq!(data(&o), "mode=755,size=65536k,uid=5");
    assert_eq!(
        o.data_cstr().unwrap().to_bytes(),
        b"mode=755,size=65536k,uid=5"
    );
    assert_eq!(o.set, g::MS_NOSUID | g::MS_RDONLY);
    assert!(opts(&["ro"]).unwrap().data_cstr().is_none());
    let o = opts(&["lowerdir=/a:/b", "upperdir=/u", "workdir=/w", "xino=off"]).unwrap();
    assert_eq!(data(&o), "lowerdir=/a:/b,upperdir=/u,workdir=/w,xino=off");
    // One page at most, NUL included.
    let big: &'static str = String::leak("x".repeat(DATA_MAX));
    assert!(opts(&[big]).is_err());
    let page: &'static str = String::leak("x".repeat(DATA_MAX - 1));
    assert_eq!(opts(&[page]).unwrap().data().len(), DATA_MAX - 1);
    let fits: &'static str = String::leak("x".repeat(DATA_MAX - 1 - 1 - 2));
    assert_eq!(opts(&["ab", fits]).unwrap().data().len(), DATA_MAX - 1);
    assert!(opts(&["abc", fits]).is_err());
}

#[test]
fn escaped_option_decodes() {
    let o = parse_options([Ok(Str::from_raw(r#"context=\"a\""#))], 0).unwrap();
    assert_eq!(data(&o), "context=\"a\"");
}

#[test]
fn bind_attr_second_step() {
    let o = opts(&["rbind", "ro", "nosuid", "noexec", "nodev"]).unwrap();
    let want =
        (g::MOUNT_ATTR_RDONLY | g::MOUNT_ATTR_NOSUID | g::MOUNT_ATTR_NOEXEC | g::MOUNT_ATTR_NODEV)
            as u64;
    assert_eq!(
        o.bind_attr(),
        Attr {
            set: want,
            clr: 0,
            propagation: 0
        }
    );
    let o = opts(&["bind", "rw", "suid"]).unwrap();
    assert_eq!(
        o.bind_attr().clr,
        (g::MOUNT_ATTR_RDONLY | g::MOUNT_ATTR_NOSUID) as u64
    );
    let o = opts(&["bind", "noatime"]).unwrap();
    assert_eq!(
        o.bind_attr(),
        Attr {
            set: g::MOUNT_ATTR_NOATIME as u64,
            clr: A,
            propagation: 0
        }
    );
    let o = opts(&["bind", "noatime", "atime"]).unwrap();
    assert_eq!(
        o.bind_attr(),
        Attr {
            set: 0,
            clr: A,
            propagation: 0
        }
    );
    // Superblock flags have no per-mount attribute: nothing to remount.
    assert_eq!(
        opts(&["bind", "sync", "dirsync"]).unwrap().bind_attr(),
        Attr::default()
    );
    assert_eq!(opts(&["rbind"]).unwrap().bind_attr(), Attr::default());
}

#[test]
fn attr_round_trip() {
    let ms =
        g::MS_RDONLY | g::MS_NOSUID | g::MS_NODEV | g::MS_NOEXEC | g::MS_NODIRATIME | g::MS_NOATIME;
    let (set, clr) = ms_to_attr(ms);
    assert_eq!(clr, A);
    assert_eq!(attr_to_ms(set), ms);
    assert_eq!(
        attr_to_ms(ms_to_attr(g::MS_STRICTATIME).0),
        g::MS_STRICTATIME
    );
}

const RUNC_SPEC: &str = r#"{"ociVersion":"1.0.2-dev","root":{"path":"rootfs","readonly":true},
"mounts":[
 {"destination":"/proc","type":"proc","source":"proc"},
 {"destination":"/dev","type":"tmpfs","source":"tmpfs","options":["nosuid","strictatime","mode=755","size=65536k"]},
 {"destination":"/dev/pts","type":"devpts","source":"devpts","options":["nosuid","noexec","newinstance","ptmxmode=0666","mode=0620","gid=5"]},
 {"destination":"/dev/shm","type":"tmpfs","source":"shm","options":["nosuid","noexec","nodev","mode=1777","size=65536k"]},
 {"destination":"/dev/mqueue","type":"mqueue","source":"mqueue","options":["nosuid","noexec","nodev"]},
 {"destination":"/sys","type":"sysfs","source":"sysfs","options":["nosuid","noexec","nodev","ro"]},
 {"destination":"/sys/fs/cgroup","type":"cgroup","source":"cgroup","options":["nosuid","noexec","nodev","relatime","ro"]}
],
"linux":{"namespaces":[{"type":"mount"}],"maskedPaths":["/proc/kcore"],"readonlyPaths":["/proc/sys"]}}"#;

fn plans(json: &str, ctx: &Ctx) -> Vec<(Fs, String, String, u32, String, bool)> {
    let mut b = json.as_bytes().to_vec();
    let spec: Spec = crate::spec::parse(&mut b).unwrap();
    spec.mounts
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let p = plan_mount(&m.unwrap(), i, ctx).unwrap();
            (
                p.fs,
                std::format!("{}", p.fstype),
                String::from_utf8(p.dest.as_bytes().to_vec()).unwrap(),
                p.opts.set,
                String::from_utf8(p.opts.data().to_vec()).unwrap(),
                p.no_symlinks,
            )
        })
        .collect()
}

#[test]
fn runc_default_spec_plan() {
    let p = plans(RUNC_SPEC, &Ctx::default());
    let nse = g::MS_NOSUID | g::MS_NOEXEC | g::MS_NODEV;
    assert_eq!(
        p[0],
        (Fs::Proc, "proc".into(), "/proc".into(), 0, "".into(), true)
    );
    assert_eq!(
        p[1],
        (
            Fs::Tmpfs,
            "tmpfs".into(),
            "/dev".into(),
            g::MS_NOSUID | g::MS_STRICTATIME,
            "mode=755,size=65536k".into(),
            false
        )
    );
    assert_eq!(
        p[2],
        (
            Fs::Devpts,
            "devpts".into(),
            "/dev/pts".into(),
            g::MS_NOSUID | g::MS_NOEXEC,
            "newinstance,ptmxmode=0666,mode=0620,gid=5".into(),
            false
        )
    );
    assert_eq!(
        p[3],
        (
            Fs::Tmpfs,
            "tmpfs".into(),
            "/dev/shm".into(),
            nse,
            "mode=1777,size=65536k".into(),
            false
        )
    );
    assert_eq!(
        p[4],
        (
            Fs::Mqueue,
            "mqueue".into(),
            "/dev/mqueue".into(),
            nse,
            "".into(),
            false
        )
    );
    assert_eq!(
        p[5],
        (
            Fs::Sysfs,
            "sysfs".into(),
            "/sys".into(),
            nse | g::MS_RDONLY,
            "".into(),
            true
        )
    );
    // `cgroup` means cgroup2, read-only without a cgroup namespace.
    assert_eq!(
        p[6],
        (
            Fs::Cgroup2,
            "cgroup2".into(),
            "/sys/fs/cgroup".into(),
            nse | g::MS_RELATIME | g::MS_RDONLY,
            "".into(),
            false
        )
    );
    let rw = plans(
        r#"{"ociVersion":"1.0.0","root":{"path":"r"},"mounts":[{"destination":"/sys/fs/cgroup","type":"cgroup","source":"cgroup"}]}"#,
        &Ctx {
            new_cgroupns: true,
            new_userns: false,
        },
    );
    assert_eq!(rw[0].3, 0);
}

#[test]
fn plan_rules() {
    let one = |m: &str| {
        let j = std::format!(r#"{{"ociVersion":"1.0.0","root":{{"path":"r"}},"mounts":[{m}]}}"#);
        let mut b = j.into_bytes();
        let spec = crate::spec::parse(&mut b).unwrap();
        let m = spec.mounts.iter().next().unwrap().unwrap();
        plan_mount(&m, 0, &Ctx::default()).map(|p| {
            (
                p.fs,
                p.opts.set,
                p.opts.rattr,
                std::format!("{}", p.source),
                p.no_symlinks,
            )
        })
    };
    // bind by type or by option; the source is required.
    let (fs, set, ..) = one(r#"{"destination":"/a","type":"bind","source":"/x"}"#).unwrap();
    assert_eq!((fs, set), (Fs::Bind, g::MS_BIND));
    let (fs, set, ..) =
        one(r#"{"destination":"/a","type":"none","source":"/x","options":["rbind","ro"]}"#)
            .unwrap();
    assert_eq!((fs, set), (Fs::Bind, g::MS_BIND | g::MS_REC | g::MS_RDONLY));
    assert!(one(r#"{"destination":"/a","type":"bind"}"#).is_err());
    // No type and no bind option: an error naming the field.
    let e = one(r#"{"destination":"/a","source":"/x"}"#).unwrap_err();
    assert_eq!(
        std::format!("{e}"),
        "mounts[0].type: is required unless the mount is a bind"
    );
    // Only proc on /proc (CVE-2019-16884).
    let e = one(r#"{"destination":"/proc/","type":"tmpfs","source":"tmpfs"}"#).unwrap_err();
    assert!(std::format!("{e}").contains("only proc"), "{e}");
    // A new filesystem's r* options fold into its flags.
    let (_, set, rattr, ..) =
        one(r#"{"destination":"/t","type":"tmpfs","options":["rro","rnosuid"]}"#).unwrap();
    assert_eq!((set, rattr), (g::MS_RDONLY | g::MS_NOSUID, Attr::default()));
    // A bind keeps them for mount_setattr(AT_RECURSIVE).
    let (_, _, rattr, ..) =
        one(r#"{"destination":"/t","type":"bind","source":"/x","options":["rro"]}"#).unwrap();
    assert_eq!(rattr.set, g::MOUNT_ATTR_RDONLY as u64);
    // A missing source is the type; other types pass through.
    let (fs, _, _, src, nosym) =
        one(r#"{"destination":"/t","type":"overlay","options":["lowerdir=/l"]}"#).unwrap();
    assert_eq!((fs, src.as_str(), nosym), (Fs::Other, "overlay", false));
    let (.., nosym) = one(r#"{"destination":"sys","type":"bind","source":"/sys"}"#).unwrap();
    assert!(
        nosym,
        "a /sys destination is never reached through a symlink"
    );
}

#[test]
fn mountinfo_escapes_are_decoded() {
    let mut b = [0u8; 32];
    assert_eq!(
        unescape_octal(br"/a\040b\011c\134d", &mut b),
        Some(&b"/a b\tc\\d"[..])
    );
    assert_eq!(
        unescape_octal(br"/plain\9", &mut b),
        Some(&br"/plain\9"[..])
    );
    let mut small = [0u8; 3];
    assert_eq!(unescape_octal(b"/long", &mut small), None);
}
