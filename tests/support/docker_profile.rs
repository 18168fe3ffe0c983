//! Docker's seccomp source format to OCI `linux.seccomp`, as dockerd and containers-common
//! convert it per arch and capability set. Shared by husk's unit tests
//! (src/linux/seccomp/tests.rs), the libseccomp comparison and the benchmark; std and the
//! `json` crate only, so it compiles inside and outside the crate.

#![allow(dead_code)]

use json::JsonValue;

/// Docker's source profile format (`archMap`, `includes`/`excludes`) as dockerd and
/// containers-common turn it into `linux.seccomp` for one arch and capability set.
pub fn convert(profile: &str, arch: &str, caps: &[&str]) -> String {
    let v = json::parse(profile).unwrap();
    let mut arches = JsonValue::new_array();
    for m in v["archMap"].members() {
        if m["architecture"] == arch {
            arches.push(arch).unwrap();
            for s in m["subArchitectures"].members() {
                arches.push(s.clone()).unwrap();
            }
        }
    }
    // `includes.arches` and `excludes.arches` use Go's GOARCH names.
    let goarch = match arch {
        "SCMP_ARCH_X86_64" => "amd64",
        "SCMP_ARCH_AARCH64" => "arm64",
        _ => "arm",
    };
    let listed = |list: &JsonValue, x: &str| list.members().any(|m| m == x);
    let mut syscalls = JsonValue::new_array();
    for r in v["syscalls"].members() {
        let (inc, exc) = (&r["includes"], &r["excludes"]);
        let arch_ok = inc["arches"].is_empty() || listed(&inc["arches"], goarch);
        let caps_ok = inc["caps"].members().all(|c| caps.iter().any(|x| c == *x));
        let excluded = listed(&exc["arches"], goarch)
            || exc["caps"].members().any(|c| caps.iter().any(|x| c == *x));
        if !arch_ok || !caps_ok || excluded {
            continue;
        }
        let mut o = json::object! { names: r["names"].clone(), action: r["action"].clone() };
        for k in ["args", "errnoRet"] {
            if !r[k].is_null() {
                o[k] = r[k].clone();
            }
        }
        syscalls.push(o).unwrap();
    }
    let mut out = json::object! {
        defaultAction: v["defaultAction"].clone(),
        architectures: arches,
        syscalls: syscalls,
    };
    if !v["defaultErrnoRet"].is_null() {
        out["defaultErrnoRet"] = v["defaultErrnoRet"].clone();
    }
    out.dump()
}

/// Docker's default capability set (no CAP_SYS_ADMIN).
pub const DOCKER_CAPS: &[&str] = &[
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
];
/// A privileged set that turns on the profiles' capability-gated rules.
pub const ADMIN_CAPS: &[&str] = &[
    "CAP_SYS_ADMIN",
    "CAP_SYS_PTRACE",
    "CAP_SYS_BOOT",
    "CAP_SYS_MODULE",
    "CAP_SYS_TIME",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_PACCT",
    "CAP_SYS_RAWIO",
    "CAP_SYS_TTY_CONFIG",
    "CAP_SYSLOG",
    "CAP_BPF",
    "CAP_PERFMON",
    "CAP_DAC_READ_SEARCH",
];
