//! Tests of the whole config.json layer: real configs, every error text, every escape.

extern crate std;
use super::*;
use std::string::{String, ToString};
use std::vec::Vec;
use std::{format, vec};

/// runc 1.1 `runc spec` output.
pub(crate) const RUNC_SPEC: &str = r#"{
	"ociVersion": "1.0.2-dev",
	"process": {
		"terminal": true,
		"user": {"uid": 0, "gid": 0},
		"args": ["sh"],
		"env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
		"cwd": "/",
		"capabilities": {
			"bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
			"effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
			"permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
			"ambient": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
		},
		"rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
		"noNewPrivileges": true
	},
	"root": {"path": "rootfs", "readonly": true},
	"hostname": "runc",
	"mounts": [
		{"destination": "/proc", "type": "proc", "source": "proc"},
		{"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
		{"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
		{"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
		{"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
		{"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
		{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}
	],
	"linux": {
		"resources": {"devices": [{"allow": false, "access": "rwm"}]},
		"namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}, {"type": "cgroup"}],
		"maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
			"/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
		"readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
	}
}"#;

/// `runc spec --rootless`.
const RUNC_ROOTLESS: &str = r#"{
	"ociVersion": "1.0.2-dev",
	"process": {"terminal": true, "user": {"uid": 0, "gid": 0}, "args": ["sh"], "env": ["TERM=xterm"], "cwd": "/",
		"capabilities": {"bounding": ["CAP_KILL"]}, "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
		"noNewPrivileges": true},
	"root": {"path": "rootfs", "readonly": true},
	"hostname": "runc",
	"mounts": [
		{"destination": "/proc", "type": "proc", "source": "proc"},
		{"destination": "/sys", "type": "none", "source": "/sys", "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]}
	],
	"linux": {
		"uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
		"gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
		"namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}, {"type": "cgroup"}, {"type": "user"}],
		"maskedPaths": ["/proc/kcore"],
		"readonlyPaths": ["/proc/sys"]
	}
}"#;

pub(crate) fn errs(s: &str) -> Vec<String> {
    let mut b = s.as_bytes().to_vec();
    let r = match parse(&mut b) {
        Err(e) => vec![format!("{e}")],
        Ok(spec) => {
            let mut v = Vec::new();
            let n = validate(&spec, &mut |e| v.push(format!("{e}")));
            assert_eq!(n, v.len());
            v
        }
    };
    r
}

fn err(s: &str) -> String {
    let v = errs(s);
    assert_eq!(v.len(), 1, "{v:?}");
    v[0].clone()
}

/// A minimal valid config with `extra` spliced in at the top level.
fn with(extra: &str) -> String {
    format!(
        r#"{{"ociVersion":"1.2.0","root":{{"path":"rootfs"}},"process":{{"args":["sh"],"cwd":"/"}}{extra}}}"#
    )
}

fn linux(l: &str) -> String {
    with(&format!(r#","linux":{{{l}}}"#))
}

#[test]
fn runc_default_and_rootless() {
    let mut b = RUNC_SPEC.as_bytes().to_vec();
    let s = load(&mut b).unwrap();
    assert!(s.oci_version.eq_str("1.0.2-dev"));
    assert_eq!(s.mounts.len(), 7);
    let m: Vec<_> = s.mounts.iter().map(|m| m.unwrap()).collect();
    assert!(m[2].destination.eq_str("/dev/pts"));
    assert_eq!(m[2].options.len(), 6);
    let p = s.process.as_ref().unwrap();
    assert_eq!(p.env.iter().nth(1).unwrap().unwrap().raw(), "TERM=xterm");
    assert_eq!(p.capabilities.as_ref().unwrap().ambient.len(), 3);
    assert_eq!(s.linux.as_ref().unwrap().masked_paths.len(), 10);
    assert!(s.namespace("uts").is_some());
    assert_eq!(errs(RUNC_ROOTLESS), Vec::<String>::new());
}

#[test]
fn podman_config() {
    let mut b = include_bytes!("../../tests/data/podman-4.3-config.json").to_vec();
    let s = load(&mut b).unwrap();
    let rules: Vec<_> = s.seccomp_rules().map(|r| r.unwrap()).collect();
    assert_eq!(rules.len(), 19);
    assert_eq!(rules.iter().map(|r| r.names.len()).max(), Some(374));
    assert!(s
        .process
        .as_ref()
        .unwrap()
        .rlimits
        .iter()
        .all(|r| r.is_ok()));
    let mut n = 0;
    support(&s, false, &mut |_, _| n += 1);
    assert_eq!(n, 0);
}

/// A Docker-style config whose `linux.seccomp` is a whole source profile's rule list.
fn docker_config(profile: &[u8]) -> Vec<u8> {
    let text = core::str::from_utf8(profile).unwrap();
    let at = text.find("\"syscalls\"").unwrap() + "\"syscalls\"".len();
    let start = at + text[at..].find('[').unwrap();
    let end = json::value_end(profile, start);
    let default = if text.contains("\"defaultErrnoRet\"") {
        r#","defaultErrnoRet":1"#
    } else {
        ""
    };
    with(&format!(
        r#","linux":{{"namespaces":[{{"type":"mount"}},{{"type":"network"}}],"seccomp":{{"defaultAction":"SCMP_ACT_ERRNO"{default},
        "architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"],"syscalls":{}}}}}"#,
        &text[start..end]
    ))
    .into_bytes()
}

#[test]
fn docker_and_containers_common_profiles() {
    for (profile, rules) in [
        (
            &include_bytes!("../../tests/data/docker-20.10-default.json")[..],
            28,
        ),
        (
            &include_bytes!("../../tests/data/containers-common-seccomp.json")[..],
            0,
        ),
    ] {
        let mut b = docker_config(profile);
        let s = load(&mut b).unwrap_or_else(|e| panic!("{e}"));
        let n = s.seccomp_rules().inspect(|r| assert!(r.is_ok())).count();
        assert!(n > 20 && (rules == 0 || n == rules), "{n}");
    }
}

#[test]
fn standalone_documents() {
    let mut b =
        br#"{"args":["ls","-l"],"cwd":"/tmp","env":["A=1"],"user":{"uid":1,"gid":2}}"#.to_vec();
    let p = parse_process(&mut b).unwrap();
    assert_eq!(p.args.len(), 2);
    assert_eq!(validate_process(&p, &mut |_| {}), 0);
    let mut b = br#"{"args":[],"cwd":"tmp","env":[1]}"#.to_vec();
    let e = parse_process(&mut b).unwrap_err();
    assert_eq!(format!("{e}"), "env[0]: must be a string");
    let mut b = br#"{"args":[],"cwd":"tmp"}"#.to_vec();
    let p = parse_process(&mut b).unwrap();
    let mut v = Vec::new();
    validate_process(&p, &mut |e| v.push(format!("{e}")));
    assert_eq!(
        v,
        [
            "args: must not be empty",
            "cwd: must be an absolute path \"tmp\""
        ]
    );
    let mut b =
        br#"{"memory":{"limit":-1,"swap":1024},"pids":{"limit":10},"unified":{"memory.high":"1M"},
        "devices":[{"allow":true,"access":"rwx"}]}"#
            .to_vec();
    let r = parse_resources(&mut b).unwrap();
    assert_eq!(r.memory.as_ref().unwrap().limit, Some(-1));
    assert_eq!(r.unified.get("memory.high").unwrap().unwrap().raw(), "1M");
    let mut v = Vec::new();
    validate_resources(&r, &mut |e| v.push(format!("{e}")));
    assert_eq!(v, ["devices[0].access: must be a subset of rwm \"rwx\""]);
    let mut b = br#"{"memory":{"limit":"1G"}}"#.to_vec();
    assert_eq!(
        format!("{}", parse_resources(&mut b).unwrap_err()),
        "memory.limit: must be a 64-bit signed integer"
    );
}

#[test]
fn validation_messages() {
    let cases: &[(&str, &str)] = &[
        (
            r#"{"ociVersion":"2.0.0","root":{"path":"r"}}"#,
            "ociVersion: must be 1.x.y (major version 1) \"2.0.0\"",
        ),
        (
            r#"{"ociVersion":"1.0","root":{"path":"r"}}"#,
            "ociVersion: must be 1.x.y (major version 1) \"1.0\"",
        ),
        (r#"{"ociVersion":"1.0.0"}"#, "root: is required"),
        (
            r#"{"ociVersion":"1.0.0","root":{"path":""}}"#,
            "root.path: must not be empty",
        ),
        (r#"{"root":{"path":"r"}}"#, "ociVersion: is required"),
        (
            r#"{"ociVersion":"1.0.0","root":{}}"#,
            "root.path: is required",
        ),
        (
            r#"{"ociVersion":"1.0.0","root":{"path":"r"},"process":{"args":["a"]}}"#,
            "process.cwd: is required",
        ),
    ];
    for (json, msg) in cases {
        assert_eq!(err(json), *msg, "{json}");
    }
    let cases: &[(&str, &str)] = &[
        (
            r#","process":{"args":["sh"],"cwd":"/","env":["A"]}"#,
            "process.env[0]: must be NAME=value \"A\"",
        ),
        (
            r#","hostname":"h""#,
            "hostname: needs a private UTS namespace",
        ),
        (
            r#","domainname":"d""#,
            "domainname: needs a private UTS namespace",
        ),
        (
            r#","mounts":[{"destination":"/a","uidMappings":[{"containerID":0,"hostID":1,"size":1}]}]"#,
            "mounts[0]: uidMappings/gidMappings need the idmap or ridmap option",
        ),
        (
            r#","mounts":[{"destination":"/a\u0000b"}]"#,
            r#"mounts[0].destination: must not contain NUL bytes "/a\u0000b""#,
        ),
        (
            r#","hooks":{"poststop":[{"path":"rel"}]}"#,
            "hooks.poststop[0].path: must be an absolute path \"rel\"",
        ),
        (
            r#","hooks":{"prestart":[{"path":"/x","timeout":0}]}"#,
            "hooks.prestart[0].timeout: must be greater than zero",
        ),
        (
            r#","hooks":{"createRuntime":[{"path":"/x","env":["X"]}]}"#,
            "hooks.createRuntime[0].env[0]: must be NAME=value \"X\"",
        ),
    ];
    for (extra, msg) in cases {
        let mut s = with(extra);
        if extra.contains("\"process\"") {
            s = format!(r#"{{"ociVersion":"1.2.0","root":{{"path":"rootfs"}}{extra}}}"#);
        }
        assert_eq!(err(&s), *msg, "{extra}");
    }
    let p = |x: &str| {
        format!(
            r#"{{"ociVersion":"1.0.0","root":{{"path":"r"}},"process":{{"args":["a"],"cwd":"/",{x}}}}}"#
        )
    };
    let cases: &[(&str, &str)] = &[
        (
            r#""capabilities":{"bounding":["CAP_NOPE"]}"#,
            "process.capabilities.bounding[0]: unknown capability \"CAP_NOPE\"",
        ),
        (
            r#""rlimits":[{"type":"RLIMIT_FOO","hard":1,"soft":1}]"#,
            "process.rlimits[0].type: unknown resource limit \"RLIMIT_FOO\"",
        ),
        (
            r#""rlimits":[{"type":"RLIMIT_CORE","hard":1,"soft":1},{"type":"RLIMIT_CORE","hard":1,"soft":1}]"#,
            "process.rlimits[1].type: duplicate resource limit \"RLIMIT_CORE\"",
        ),
        (
            r#""consoleSize":{"height":65536,"width":80}"#,
            "process.consoleSize.height: must be at most 65535",
        ),
        (
            r#""oomScoreAdj":1001"#,
            "process.oomScoreAdj: must be between -1000 and 1000",
        ),
        (
            r#""scheduler":{"policy":"SCHED_FAST"}"#,
            "process.scheduler.policy: unknown scheduling policy \"SCHED_FAST\"",
        ),
        (
            r#""scheduler":{"policy":"SCHED_RR","nice":20}"#,
            "process.scheduler.nice: must be between -20 and 19",
        ),
        (
            r#""scheduler":{"policy":"SCHED_OTHER","priority":5}"#,
            "process.scheduler.priority: only with SCHED_FIFO or SCHED_RR",
        ),
        (
            r#""scheduler":{"policy":"SCHED_RR","runtime":5}"#,
            "process.scheduler: runtime, deadline and period only with SCHED_DEADLINE",
        ),
        (
            r#""scheduler":{"policy":"SCHED_RR","flags":["X"]}"#,
            "process.scheduler.flags[0]: unknown scheduler flag \"X\"",
        ),
        (
            r#""ioPriority":{"class":"IOPRIO_CLASS_X"}"#,
            "process.ioPriority.class: unknown I/O priority class \"IOPRIO_CLASS_X\"",
        ),
        (
            r#""ioPriority":{"class":"IOPRIO_CLASS_BE","priority":8}"#,
            "process.ioPriority.priority: must be between 0 and 7",
        ),
        (r#""args":[]"#, "process.args: duplicate key"),
    ];
    for (x, msg) in cases {
        assert_eq!(err(&p(x)), *msg, "{x}");
    }
    let cases: &[(&str, &str)] = &[
        (
            r#""namespaces":[{"type":"net"}]"#,
            "linux.namespaces[0].type: unknown namespace type \"net\"",
        ),
        (
            r#""namespaces":[{"type":"pid"},{"type":"pid"}]"#,
            "linux.namespaces[1].type: duplicate namespace \"pid\"",
        ),
        (
            r#""namespaces":[{"type":"pid","path":"proc/1/ns/pid"}]"#,
            "linux.namespaces[0].path: must be an absolute path \"proc/1/ns/pid\"",
        ),
        (
            r#""uidMappings":[{"containerID":0,"hostID":1,"size":1}]"#,
            "linux.uidMappings: needs a user namespace",
        ),
        (
            r#""timeOffsets":{"monotonic":{"secs":1}}"#,
            "linux.timeOffsets: needs a time namespace",
        ),
        (
            r#""namespaces":[{"type":"time"}],"timeOffsets":{"realtime":{"secs":1}}"#,
            "linux.timeOffsets: unknown clock (monotonic or boottime) \"realtime\"",
        ),
        (
            r#""devices":[{"type":"x","path":"/dev/x","major":1,"minor":1}]"#,
            "linux.devices[0].type: must be c, b, u or p \"x\"",
        ),
        (
            r#""devices":[{"type":"c","path":"dev/x","major":1,"minor":1}]"#,
            "linux.devices[0].path: must be an absolute path \"dev/x\"",
        ),
        (
            r#""devices":[{"type":"c","path":"/dev/x"}]"#,
            "linux.devices[0]: major and minor are required for c, b and u devices",
        ),
        (
            r#""resources":{"devices":[{"allow":true,"type":"z"}]}"#,
            "linux.resources.devices[0].type: must be a, c or b \"z\"",
        ),
        (
            r#""rootfsPropagation":"bogus""#,
            "linux.rootfsPropagation: unknown propagation \"bogus\"",
        ),
        (
            r#""seccomp":{"defaultAction":"SCMP_ACT_NOPE"}"#,
            "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_NOPE\"",
        ),
        (
            r#""seccomp":{"defaultAction":"SCMP_ACT_ALLOW","defaultErrnoRet":1}"#,
            "linux.seccomp.defaultErrnoRet: only with SCMP_ACT_ERRNO or SCMP_ACT_TRACE",
        ),
        (
            r#""seccomp":{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_Z80"]}"#,
            "linux.seccomp.architectures[0]: unknown architecture \"SCMP_ARCH_Z80\"",
        ),
        (
            r#""seccomp":{"defaultAction":"SCMP_ACT_ALLOW","flags":["X"]}"#,
            "linux.seccomp.flags[0]: unknown seccomp flag \"X\"",
        ),
        (
            r#""seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["a"],"action":"SCMP_ACT_KILL","errnoRet":1}]}"#,
            "linux.seccomp.syscalls[0].errnoRet: only with SCMP_ACT_ERRNO or SCMP_ACT_TRACE",
        ),
        (
            r#""seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["a"],"action":"SCMP_ACT_X"}]}"#,
            "linux.seccomp.syscalls[0].action: unknown action \"SCMP_ACT_X\"",
        ),
        (
            r#""seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":[],"action":"SCMP_ACT_KILL"}]}"#,
            "linux.seccomp.syscalls[0].names: must not be empty",
        ),
        (
            r#""seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["a"],"action":"SCMP_ACT_KILL","args":[{"index":6,"value":0,"op":"SCMP_CMP_EQ"}]}]}"#,
            "linux.seccomp.syscalls[0].args[0].index: must be below 6",
        ),
        (
            r#""seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["a"],"action":"SCMP_ACT_KILL","args":[{"index":1,"value":0,"op":"EQ"}]}]}"#,
            "linux.seccomp.syscalls[0].args[0].op: unknown operator \"EQ\"",
        ),
        (
            r#""seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["a"],"action":"SCMP_ACT_NOTIFY"}]}"#,
            "linux.seccomp.listenerPath: is required with SCMP_ACT_NOTIFY",
        ),
        (
            r#""sysctl":{"net.ipv4.ip_forward":"1"}"#,
            "linux.sysctl: needs the matching private namespace \"net.ipv4.ip_forward\"",
        ),
        (
            r#""sysctl":{"kernel.shmmax":"1"}"#,
            "linux.sysctl: needs the matching private namespace \"kernel.shmmax\"",
        ),
        (
            r#""sysctl":{"vm.swappiness":"1"}"#,
            "linux.sysctl: is not in a separate kernel namespace \"vm.swappiness\"",
        ),
        (
            r#""namespaces":[{"type":"ipc"}],"sysctl":{"fs.mqueue.x":"1","fs.mqueue.x":"2"}"#,
            "linux.sysctl: duplicate key \"fs.mqueue.x\"",
        ),
        (
            r#""namespaces":[{"type":"mount"}],"maskedPaths":["proc/kcore"]"#,
            "linux.maskedPaths[0]: must be an absolute path \"proc/kcore\"",
        ),
        (
            r#""namespaces":[{"type":"mount"}],"readonlyPaths":["/ok","sys"]"#,
            "linux.readonlyPaths[1]: must be an absolute path \"sys\"",
        ),
        (
            r#""personality":{"domain":"LINUX64"}"#,
            "linux.personality.domain: must be LINUX or LINUX32 \"LINUX64\"",
        ),
        (
            r#""memoryPolicy":{"mode":"MPOL_X"}"#,
            "linux.memoryPolicy.mode: unknown memory policy mode \"MPOL_X\"",
        ),
        (
            r#""memoryPolicy":{"mode":"MPOL_BIND","flags":["MPOL_F_X"]}"#,
            "linux.memoryPolicy.flags[0]: unknown memory policy flag \"MPOL_F_X\"",
        ),
        (
            r#""readonlyPaths":["/proc/sys"]"#,
            "linux.maskedPaths: needs a private mount namespace (as does readonlyPaths)",
        ),
        (
            r#""namespaces":[{"type":"uts"}],"sysctl":{"kernel/hostname":"x","kernel.domainname":"y"}"#,
            "linux.sysctl: conflicts with the hostname field \"kernel/hostname\"",
        ),
        (
            r#""sysctl":{"net/ipv4/conf/eth0.100/rp_filter":"1"}"#,
            "linux.sysctl: needs the matching private namespace \"net/ipv4/conf/eth0.100/rp_filter\"",
        ),
    ];
    for (x, msg) in cases {
        assert_eq!(err(&linux(x)), *msg, "{x}");
    }
    assert_eq!(
        errs(&linux(r#""namespaces":[{"type":"user"}]"#)),
        [
            "linux.uidMappings: must not be empty with a new user namespace",
            "linux.gidMappings: must not be empty with a new user namespace"
        ]
    );
    // Every problem is reported, not only the first.
    assert_eq!(
        errs(&linux(
            r#""namespaces":[{"type":"mount"}],"maskedPaths":["a","b"],"rootfsPropagation":"x""#
        ))
        .len(),
        3
    );
    // sysctls allowed with their namespace.
    assert!(errs(&linux(r#""namespaces":[{"type":"network"},{"type":"ipc"}],"sysctl":{"net.ipv4.ip_forward":"1","kernel.msgmax":"1"}"#)).is_empty());
}

#[test]
fn support_levels() {
    let mut b = linux(r#""intelRdt":{"closID":"x"},"mountLabel":"l""#).into_bytes();
    let s = load(&mut b).unwrap();
    let mut v = Vec::new();
    support(&s, false, &mut |l, e| v.push((l, format!("{e}"))));
    assert_eq!(
        v,
        [
            (
                Level::Error,
                "linux.intelRdt: not supported (no resctrl support)".to_string()
            ),
            (
                Level::Warning,
                "linux.mountLabel: SELinux labels are not applied".to_string()
            )
        ]
    );
    let mut b = with(r#","mounts":[{"destination":"tmp"}]"#).into_bytes();
    let s = load(&mut b).unwrap();
    let mut v = Vec::new();
    support(&s, false, &mut |l, e| v.push((l, format!("{e}"))));
    assert_eq!(
        v,
        [(
            Level::Warning,
            "mounts[0].destination: is not absolute: taken relative to / \"tmp\"".to_string()
        )]
    );
}
