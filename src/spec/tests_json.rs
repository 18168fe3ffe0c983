//! Tests of the pre-pass: JSON grammar, escapes, depth, truncation, capacities, stack.

extern crate std;
use super::limits::*;
use super::tests::RUNC_SPEC;
use super::*;
use std::string::String;
use std::vec::Vec;
use std::{format, vec};

fn parse_err(s: &[u8]) -> String {
    let mut b = s.to_vec();
    let r = match parse(&mut b) {
        Ok(_) => String::from("ok"),
        Err(e) => format!("{e}"),
    };
    r
}

const HEAD: &str = r#"{"ociVersion":"1.0.0","root":{"path":"r"}"#;

fn doc(extra: &str) -> String {
    format!("{HEAD}{extra}}}")
}

#[test]
fn escapes_are_normalised_in_place() {
    let mut b = doc(r#","hostname":"h\u00e9\ud83d\ude00\/x","domainname":"a\"b\tc""#).into_bytes();
    let s = parse(&mut b).unwrap();
    assert_eq!(s.hostname.unwrap().as_plain(), Some("hé😀/x"));
    let d = s.domainname.unwrap();
    assert_eq!(d.raw(), r#"a\"b\tc"#);
    assert!(d.eq_str("a\"b\tc"));
    assert_eq!(format!("{d}"), "a\"b\tc");
    // The buffer stays valid JSON of the same length.
    let mut b = doc(r#","hostname":"\u0041BC""#).into_bytes();
    let n = b.len();
    parse(&mut b).unwrap();
    assert_eq!(b.len(), n);
    assert!(core::str::from_utf8(&b)
        .unwrap()
        .contains(r#""hostname":"ABC"     "#));
}

#[test]
fn keys_with_escapes_match_fields() {
    let mut b = br#"{"oci\u0056ersion":"1.0.0","r\u006f\u006ft":{"path":"r"},"proc\u0065ss":{"args":["x"],"cwd":"/"}}"#.to_vec();
    let s = load(&mut b).unwrap();
    assert_eq!(s.process.unwrap().args.len(), 1);
    // A key that must keep its escapes is simply unknown.
    assert_eq!(parse_err(doc(r#","a\"b":1"#).as_bytes()), "ok");
    // Map keys keep theirs and decode on use.
    let mut b = doc(r#","annotations":{"k\"1":"v","k\u0032":"w"}"#).into_bytes();
    let s = parse(&mut b).unwrap();
    let keys: Vec<String> = s
        .annotations
        .iter()
        .map(|r| format!("{}", r.unwrap().0))
        .collect();
    assert_eq!(keys, ["k\"1", "k2"]);
    assert_eq!(s.annotations.get("k\"1").unwrap().unwrap().raw(), "v");
}

#[test]
fn bad_strings() {
    let cases: &[(&str, &str)] = &[
        (
            r#","hostname":"\ud83d""#,
            "hostname: unpaired surrogate in string at byte",
        ),
        (
            r#","hostname":"\ude00""#,
            "hostname: unpaired surrogate in string at byte",
        ),
        (
            r#","hostname":"\ud83dx""#,
            "hostname: unpaired surrogate in string at byte",
        ),
        (
            r#","hostname":"\ud83d\u0041""#,
            "hostname: unpaired surrogate in string at byte",
        ),
        (
            r#","hostname":"\x""#,
            "hostname: invalid escape in string at byte",
        ),
        (
            r#","hostname":"\u12""#,
            "hostname: invalid \\u escape at byte",
        ),
        (
            ",\"hostname\":\"a\tb\"",
            "hostname: control character in string at byte",
        ),
        (
            r#","hostname":"abc"#,
            "hostname: unterminated string at byte",
        ),
    ];
    for (x, msg) in cases {
        let e = parse_err(doc(x).as_bytes());
        assert!(e.starts_with(msg), "{x}: {e}");
    }
    let mut b = doc(r#","hostname":"a"#).into_bytes();
    b[42] = 0xff;
    assert_eq!(parse_err(&b), "invalid UTF-8 at byte 42");
    assert_eq!(
        parse_err(b"{\"a\":\"\xc3\x28\"}"),
        "invalid UTF-8 at byte 6"
    );
}

#[test]
fn grammar() {
    for x in [
        ",\"x\":01",
        ",\"x\":1.",
        ",\"x\":.5",
        ",\"x\":-",
        ",\"x\":1e",
        ",\"x\":+1",
        ",\"x\":tru",
        ",\"x\":nul",
        ",\"x\":[1,]",
        ",\"x\":{\"a\":1,}",
        ",\"x\":[1 2]",
        ",\"x\":{\"a\" 1}",
        ",\"x\":{1:2}",
        ",\"x\":'a'",
        ",",
        ",\"x\":1x",
        ",\"x\":[1,2,tru]",
        ",\"x\":{\"y\":[{\"z\":nulL}]}",
    ] {
        assert_ne!(parse_err(doc(x).as_bytes()), "ok", "{x}");
    }
    for x in [
        ",\"x\":-0.5e+10",
        ",\"x\":[1,{\"a\":[null,true,false]},\"s\"]",
        ",\"x\":{}",
        ",\"x\":[]",
        ",\"x\":1E-2",
    ] {
        assert_eq!(parse_err(doc(x).as_bytes()), "ok", "{x}");
    }
    assert!(parse_err(format!("{} x", doc("")).as_bytes())
        .starts_with("trailing characters after the document at byte"));
    assert_eq!(parse_err(format!(" \n{}\t\r\n", doc("")).as_bytes()), "ok");
    assert_eq!(parse_err(b""), "unexpected end of input at byte 0");
    assert_eq!(parse_err(b"[]"), "must be an object");
}

#[test]
fn types_and_duplicates() {
    let cases: &[(&str, &str)] = &[
        (r#","hostname":1"#, "hostname: must be a string"),
        (
            r#","process":{"args":["a",2],"cwd":"/"}"#,
            "process.args[1]: must be a string",
        ),
        (
            r#","process":{"args":["a"],"cwd":"/","user":{"uid":-1,"gid":0}}"#,
            "process.user.uid: must be an integer from 0 to 4294967295",
        ),
        (
            r#","process":{"args":["a"],"cwd":"/","user":{"uid":4294967296,"gid":0}}"#,
            "process.user.uid: must be an integer from 0 to 4294967295",
        ),
        (
            r#","process":{"args":["a"],"cwd":"/","user":{"uid":1.0,"gid":0}}"#,
            "process.user.uid: must be an integer from 0 to 4294967295",
        ),
        (
            r#","process":{"args":["a"],"cwd":"/","oomScoreAdj":2147483648}"#,
            "process.oomScoreAdj: must be a 32-bit signed integer",
        ),
        (
            r#","mounts":[{"destination":"/a"},{"destination":"/b","options":"ro"}]"#,
            "mounts[1].options: must be an array",
        ),
        (
            r#","mounts":[{"destination":"/a"},{"source":"x"}]"#,
            "mounts[1].destination: is required",
        ),
        (
            r#","mounts":[{"destination":null}]"#,
            "mounts[0].destination: must not be null",
        ),
        (
            r#","linux":{"seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["a"],"action":"SCMP_ACT_KILL","args":[{"index":"0","value":0,"op":"SCMP_CMP_EQ"}]}]}}"#,
            "linux.seccomp.syscalls[0].args[0].index: must be an integer from 0 to 4294967295",
        ),
        (
            r#","hostname":"a","hostname":"b""#,
            "hostname: duplicate key",
        ),
        (
            r#","linux":{"resources":{"memory":{"limit":1,"limit":2}}}"#,
            "linux.resources.memory.limit: duplicate key",
        ),
        (r#","annotations":{"a":1}"#, "annotations: must be a string"),
    ];
    for (x, msg) in cases {
        assert_eq!(parse_err(doc(x).as_bytes()), *msg, "{x}");
    }
    // Unknown fields: ignored, may repeat, but must be valid JSON.
    assert_eq!(
        parse_err(doc(r#","x":1,"x":{"y":[1,{"z":null}]},"linux":{"future":true}"#).as_bytes()),
        "ok"
    );
    // null for optional fields is absence.
    let mut b =
        doc(r#","hostname":null,"mounts":null,"linux":{"resources":{"memory":{"limit":null}}}"#)
            .into_bytes();
    let s = parse(&mut b).unwrap();
    assert!(s.hostname.is_none() && s.mounts.is_empty());
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let mut b = doc(",\"x\":").into_bytes();
    b.pop();
    b.extend(core::iter::repeat_n(b'[', 100_000));
    let e = parse_err(&b);
    assert_eq!(
        e,
        format!(
            "nesting too deep at byte {}",
            HEAD.len() + 5 + JSON_MAX_DEPTH - 1
        )
    );
    let mut b = vec![b'['; 100_000];
    b.extend(vec![b']'; 100_000]);
    assert_eq!(parse_err(&b), "must be an object");
}

#[test]
fn every_truncation_fails_cleanly() {
    let podman = include_bytes!("../../tests/data/podman-4.3-config.json");
    for src in [RUNC_SPEC.as_bytes(), &podman[..]] {
        for n in 0..src.len() {
            let mut b = src[..n].to_vec();
            let parsed = parse(&mut b).map(|s| validate(&s, &mut |_| {})).is_ok();
            // Only possible if the cut falls in trailing whitespace.
            assert!(!parsed || src[n..].iter().all(|c| c.is_ascii_whitespace()));
        }
    }
}

/// (path, limit, builder of a config with `n` entries).
type CapacityCase = (&'static str, usize, fn(usize) -> String);

fn capacity_cases() -> Vec<CapacityCase> {
    fn strs(n: usize, f: impl Fn(usize) -> String) -> String {
        (0..n).map(f).collect::<Vec<_>>().join(",")
    }
    vec![
        ("process.args", ARGS_MAX, |n| {
            doc(&format!(
                r#","process":{{"cwd":"/","args":[{}]}}"#,
                strs(n, |_| "\"a\"".into())
            ))
        }),
        ("process.env", ENV_MAX, |n| {
            doc(&format!(
                r#","process":{{"cwd":"/","args":["a"],"env":[{}]}}"#,
                strs(n, |i| format!("\"A{i}=1\""))
            ))
        }),
        ("process.capabilities.ambient", CAPS_MAX, |n| {
            doc(&format!(
                r#","process":{{"cwd":"/","args":["a"],"capabilities":{{"ambient":[{}]}}}}"#,
                strs(n, |_| "\"CAP_KILL\"".into())
            ))
        }),
        ("process.rlimits", RLIMITS_MAX, |n| {
            doc(&format!(
                r#","process":{{"cwd":"/","args":["a"],"rlimits":[{}]}}"#,
                strs(n, |_| r#"{"type":"RLIMIT_CORE","hard":1,"soft":1}"#.into())
            ))
        }),
        ("mounts", MOUNTS_MAX, |n| {
            doc(&format!(
                r#","mounts":[{}]"#,
                strs(n, |i| format!(r#"{{"destination":"/m{i}"}}"#))
            ))
        }),
        ("mounts[1].options", MOUNT_OPTIONS_MAX, |n| {
            doc(&format!(
                r#","mounts":[{{"destination":"/a"}},{{"destination":"/b","options":[{}]}}]"#,
                strs(n, |_| "\"ro\"".into())
            ))
        }),
        ("hooks.poststop", HOOKS_MAX, |n| {
            doc(&format!(
                r#","hooks":{{"poststop":[{}]}}"#,
                strs(n, |_| r#"{"path":"/h"}"#.into())
            ))
        }),
        ("annotations", ANNOTATIONS_MAX, |n| {
            doc(&format!(
                r#","annotations":{{{}}}"#,
                strs(n, |i| format!(r#""k{i}":"v""#))
            ))
        }),
        ("linux.namespaces", NAMESPACES_MAX, |n| {
            doc(&format!(
                r#","linux":{{"namespaces":[{}]}}"#,
                strs(n, |_| r#"{"type":"pid"}"#.into())
            ))
        }),
        ("linux.sysctl", SYSCTL_MAX, |n| {
            doc(&format!(
                r#","linux":{{"sysctl":{{{}}}}}"#,
                strs(n, |i| format!(r#""net.k{i}":"1""#))
            ))
        }),
        ("linux.maskedPaths", PATHS_MAX, |n| {
            doc(&format!(
                r#","linux":{{"maskedPaths":[{}]}}"#,
                strs(n, |_| "\"/p\"".into())
            ))
        }),
        ("linux.seccomp.syscalls", SECCOMP_RULES_MAX, |n| {
            doc(&format!(
                r#","linux":{{"seccomp":{{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{}]}}}}"#,
                strs(n, |_| r#"{"names":["read"],"action":"SCMP_ACT_KILL"}"#
                    .into())
            ))
        }),
        ("linux.seccomp.syscalls[0].names", SECCOMP_NAMES_MAX, |n| {
            doc(&format!(
                r#","linux":{{"seccomp":{{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{{"names":[{}],"action":"SCMP_ACT_KILL"}}]}}}}"#,
                strs(n, |_| "\"read\"".into())
            ))
        }),
        ("linux.resources.unified", UNIFIED_MAX, |n| {
            doc(&format!(
                r#","linux":{{"resources":{{"unified":{{{}}}}}}}"#,
                strs(n, |i| format!(r#""f{i}":"1""#))
            ))
        }),
    ]
}

#[test]
fn every_capacity_at_and_over_its_limit() {
    for (path, limit, build) in capacity_cases() {
        let ok = build(limit);
        assert_eq!(parse_err(ok.as_bytes()), "ok", "{path}");
        let over = build(limit + 1);
        assert_eq!(
            parse_err(over.as_bytes()),
            format!("{path}: {} entries, limit {limit}", limit + 1)
        );
    }
    let mut big = vec![b' '; CONFIG_MAX_BYTES + 1];
    assert_eq!(
        parse_err(&big),
        format!(
            "config.json: {} bytes, limit {CONFIG_MAX_BYTES}",
            CONFIG_MAX_BYTES + 1
        )
    );
    big.truncate(CONFIG_MAX_BYTES);
    assert_eq!(
        parse_err(&big),
        format!("unexpected end of input at byte {CONFIG_MAX_BYTES}")
    );
}

#[test]
fn schema_objects_fit_the_seen_mask() {
    fn walk(n: &schema::Node) {
        assert!(n.kids.len() <= 64, "{}", n.path);
        n.kids.iter().for_each(walk);
    }
    walk(&schema::CONFIG);
}

/// The biggest config the limits allow where it matters for stack: every inline list of
/// one lazy element full (seccomp rule names and args, mount options and id mappings,
/// hook args and env), padded with lazy entries up to `CONFIG_MAX_BYTES`.
pub(crate) fn largest_config() -> Vec<u8> {
    let names = (0..SECCOMP_NAMES_MAX)
        .map(|i| format!("\"sys{i}\""))
        .collect::<Vec<_>>()
        .join(",");
    let args = (0..SECCOMP_ARGS_MAX)
        .map(|i| {
            format!(
                r#"{{"index":{},"value":1,"valueTwo":2,"op":"SCMP_CMP_MASKED_EQ"}}"#,
                i % 6
            )
        })
        .collect::<Vec<_>>()
        .join(",");
    let rule =
        format!(r#"{{"names":[{names}],"action":"SCMP_ACT_ERRNO","errnoRet":1,"args":[{args}]}}"#);
    let opts = (0..MOUNT_OPTIONS_MAX)
        .map(|_| "\"nosuid\"")
        .collect::<Vec<_>>()
        .join(",");
    let maps = (0..ID_MAPPINGS_MAX)
        .map(|i| format!(r#"{{"containerID":{i},"hostID":{i},"size":1}}"#))
        .collect::<Vec<_>>()
        .join(",");
    let mount = format!(
        r#"{{"destination":"/m","type":"bind","source":"/s","options":[{opts},"idmap"],"uidMappings":[{maps}],"gidMappings":[{maps}]}}"#
    );
    let mount = mount.replacen(",\"nosuid\"", "", 1);
    let hargs = (0..HOOK_ARGS_MAX)
        .map(|i| format!("\"A{i}=x\""))
        .collect::<Vec<_>>()
        .join(",");
    let hook = format!(r#"{{"path":"/bin/h","args":[{hargs}],"env":[{hargs}],"timeout":5}}"#);
    let ns = r#"{"type":"user"},{"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"cgroup"},{"type":"time"}"#;
    let mut s = format!(
        r#"{{"ociVersion":"1.3.0","root":{{"path":"rootfs"}},"hostname":"h",
        "process":{{"args":["a"],"cwd":"/","env":["A=1"],"user":{{"uid":0,"gid":0,"additionalGids":[1,2]}},
          "scheduler":{{"policy":"SCHED_OTHER","flags":[]}},"capabilities":{{"bounding":["CAP_KILL"]}}}},
        "hooks":{{"prestart":[{hook}],"poststop":[{hook}]}},
        "linux":{{"namespaces":[{ns}],"uidMappings":[{maps}],"gidMappings":[{maps}],
          "timeOffsets":{{"monotonic":{{"secs":1,"nanosecs":2}}}},
          "resources":{{"memory":{{"limit":-1}},"blockIO":{{"weightDevice":[{{"major":8,"minor":0,"weight":10}}]}}}},
          "seccomp":{{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],"syscalls":[{rule},{rule}]}},
          "maskedPaths":["/proc/kcore"]}},
        "mounts":[{mount}"#
    );
    while s.len() + mount.len() + 4 < CONFIG_MAX_BYTES {
        s.push(',');
        s.push_str(&mount);
    }
    s.push_str("]}");
    assert!(s.len() <= CONFIG_MAX_BYTES);
    s.into_bytes()
}

/// Everything husk does with a config on the way to `create`: parse, validate, walk
/// every lazy list.
fn exercise(buf: &mut [u8]) -> usize {
    let s = load(buf).unwrap_or_else(|e| panic!("{e}"));
    let mut n = s.seccomp_rules().filter(|r| r.is_ok()).count();
    n += s
        .mounts
        .iter()
        .filter(|m| {
            m.as_ref()
                .is_ok_and(|m| m.uid_mappings.len() == ID_MAPPINGS_MAX)
        })
        .count();
    n
}

#[test]
fn largest_config_parses_in_512k_of_stack() {
    let mut b = largest_config();
    let n = std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(move || exercise(&mut b))
        .unwrap()
        .join()
        .unwrap();
    assert!(n > 10, "{n}");
}

#[test]
fn spec_stays_small() {
    // Pinned: growing the inline part of `Spec` grows parse stack ~16x as much.
    assert_eq!(core::mem::size_of::<Spec>(), 4624);
    assert!(
        core::mem::size_of::<Syscall>() < 1024,
        "{}",
        core::mem::size_of::<Syscall>()
    );
}

/// Smallest thread stack that parses [`largest_config`]: bisected by re-running this
/// test binary as a child per probe, since an overflow kills the whole process.
/// `cargo test --lib stack_figure -- --nocapture` prints it (add `--release` for the
/// figure of an optimised build).
#[test]
fn stack_figure() {
    if let Ok(size) = std::env::var("HUSK_STACK_PROBE") {
        let size: usize = size.parse().unwrap();
        let mut b = largest_config();
        std::thread::Builder::new()
            .stack_size(size)
            .spawn(move || exercise(&mut b))
            .unwrap()
            .join()
            .unwrap();
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let works = |size: usize| {
        std::process::Command::new(&exe)
            .args([
                "--exact",
                "spec::tests_json::stack_figure",
                "--test-threads=1",
                "-q",
            ])
            .env("HUSK_STACK_PROBE", size.to_string())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let (mut lo, mut hi) = (4 * 1024, 512 * 1024);
    assert!(works(hi), "largest config needs more than 512 KiB of stack");
    while hi - lo > 4096 {
        let mid = (lo + hi) / 2;
        if works(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    std::println!(
        "stack needed to parse+validate the largest config: {} KiB",
        hi / 1024
    );
}
