//! husk's seccomp compiler against real libseccomp driven as runc drives it
//! (targets/seccomp/export-libseccomp.c): for the same profile and native arch, both
//! programs run in husk's BPF interpreter over every syscall number of every ABI of the
//! filter and a set of argument values, and must give the same verdicts, except where
//! runc on libseccomp and husk differ on purpose (listed and asserted exactly below).

#[path = "support/libseccomp.rs"]
mod support;

use husk::linux::seccomp::tables::{Arch, X32_SYSCALL_BIT};
use support::*;

fn tmp() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
}

/// One verdict that differs.
#[derive(Debug, Clone)]
struct Diff {
    abi: Arch,
    nr: u32,
    name: Option<&'static str>,
    args: [u64; 6],
    husk: u32,
    lib: u32,
}

/// Argument vectors for a syscall whose rules compare `conds` (index, op, value,
/// value_two): each value at, around and beside its comparison, alone and on top of
/// values satisfying the comparisons before it.
fn arg_sets(conds: &[(usize, String, u64, u64)]) -> Vec<[u64; 6]> {
    let mut sets = base_sets();
    let mut together = [0u64; 6];
    for (i, op, v, v2) in conds {
        for x in [
            *v,
            v.wrapping_add(1),
            v.wrapping_sub(1),
            v ^ (1 << 32),
            v ^ (1 << 63),
            v & 0xffff_ffff,
            *v2,
            v2 | !v,
            v2 ^ 1,
        ] {
            let mut a = [0u64; 6];
            a[*i] = x;
            sets.push(a);
            let mut b = together;
            b[*i] = x;
            sets.push(b);
        }
        together[*i] = match op.as_str() {
            "SCMP_CMP_MASKED_EQ" => *v2,
            "SCMP_CMP_GT" => v.wrapping_add(1),
            "SCMP_CMP_LT" => v.wrapping_sub(1),
            "SCMP_CMP_NE" => v ^ 1,
            _ => *v,
        };
        sets.push(together);
    }
    sets
}

/// For every syscall: enough to see a rule without arguments.
fn base_sets() -> Vec<[u64; 6]> {
    vec![[0; 6], [u64::MAX; 6], [1 << 32; 6], [7; 6]]
}

/// The comparisons of every rule naming `name` (of every rule: `None`).
fn conds_of(profile: &json::JsonValue, name: Option<&str>) -> Vec<(usize, String, u64, u64)> {
    let mut out = Vec::new();
    for r in profile["syscalls"].members() {
        if name.is_none_or(|name| r["names"].members().any(|n| n == name)) {
            for a in r["args"].members() {
                out.push((
                    a["index"].as_usize().unwrap(),
                    a["op"].to_string(),
                    a["value"].as_u64().unwrap(),
                    a["valueTwo"].as_u64().unwrap_or(0),
                ));
            }
        }
    }
    out
}

/// Every number worth trying on `abi`: the whole table range and a little past it, the
/// ARM private calls, and a few far away.
fn numbers(abi: Arch) -> Vec<u32> {
    let base = if abi == Arch::X32 { X32_SYSCALL_BIT } else { 0 };
    let t = abi.table();
    let top = t
        .nrs
        .iter()
        .copied()
        .filter(|&n| n - base < 0x0f_0000)
        .max()
        .unwrap();
    let mut v: Vec<u32> = (base..=top + 16).collect();
    if abi == Arch::Arm {
        v.extend(0x0f_0000..0x0f_0010);
    }
    v.extend([base + 0xffff, base + 0x3fff_ffff]);
    v
}

/// The ABIs husk's filter holds for `seccomp` on `native`.
fn abis(profile: &json::JsonValue, native: Arch) -> Vec<Arch> {
    let mut v = vec![native];
    for a in profile["architectures"].members() {
        if let Some(a) = Arch::for_native(a.as_str().unwrap(), native) {
            if !v.contains(&a) {
                v.push(a);
            }
        }
    }
    v
}

/// Compile `seccomp` with both and list the verdicts that differ. `Err` when libseccomp
/// (so runc) refuses the profile.
fn compare(seccomp: &str, native: Arch) -> Result<Vec<Diff>, (String, i32)> {
    let (husk, _) = husk_compile(seccomp, native).unwrap_or_else(|e| panic!("husk: {e}"));
    let lib = match libseccomp(&tmp(), seccomp, native, None) {
        Lib::Built { prog, .. } => prog,
        Lib::Refused { what, rc } => return Err((what, rc)),
    };
    let profile = json::parse(seccomp).unwrap();
    let mut diffs = Vec::new();
    for abi in abis(&profile, native) {
        let t = abi.table();
        for nr in numbers(abi) {
            let name = t.nrs.binary_search(&nr).ok().and_then(|p| t.name_at(p));
            let sets = match name {
                // i386 multiplexes socket and SysV IPC calls through these two, arg0
                // naming the call: every comparison of the profile, under every arg0.
                Some("socketcall" | "ipc") if abi == Arch::X86 => {
                    let all = conds_of(&profile, None);
                    let mut v = Vec::new();
                    for a in arg_sets(&all) {
                        for k in 0..=24 {
                            v.push([k, a[1], a[2], a[3], a[4], a[5]]);
                        }
                    }
                    v
                }
                Some(n) => arg_sets(&conds_of(&profile, Some(n))),
                None => base_sets(),
            };
            let stubbed = runc_stub(&profile, abi).is_some_and(|last| nr > last);
            for args in sets {
                let (h, _) = husk.run(nr, abi.audit(), &args);
                let (mut l, _) = lib.run(nr, abi.audit(), &args);
                if stubbed {
                    l = ENOSYS;
                }
                if h != l {
                    diffs.push(Diff {
                        abi,
                        nr,
                        name,
                        args,
                        husk: h,
                        lib: l,
                    });
                }
            }
        }
    }
    Ok(diffs)
}

const ENOSYS: u32 = 0x0005_0026;

/// runc puts a stub in front of libseccomp's program (libcontainer/seccomp/patchbpf):
/// unless the default action is permissive or already ENOSYS, calls of a filter's ABI
/// numbered above the highest one the profile names fail with ENOSYS. That number, when
/// the stub applies to `abi`.
fn runc_stub(profile: &json::JsonValue, abi: Arch) -> Option<u32> {
    let default = profile["defaultAction"].as_str().unwrap_or("");
    if matches!(
        default,
        "SCMP_ACT_ALLOW" | "SCMP_ACT_LOG" | "SCMP_ACT_TRACE"
    ) || profile["defaultErrnoRet"].as_u32() == Some(38)
    {
        return None;
    }
    let t = abi.table();
    let last = profile["syscalls"]
        .members()
        .flat_map(|r| r["names"].members())
        .filter_map(|n| n.as_str().and_then(|n| t.number(n)))
        .max()?;
    Some(last)
}

fn summary(d: &[Diff]) -> String {
    let mut s = String::new();
    let mut last = None;
    for x in d.iter() {
        if last == Some((x.abi, x.nr)) {
            continue;
        }
        last = Some((x.abi, x.nr));
        let n = d.iter().filter(|y| y.abi == x.abi && y.nr == x.nr).count();
        s += &format!(
            "{:?} nr {} ({:?}) args {:x?}: husk {:#x} libseccomp {:#x} ({n} sets)\n",
            x.abi, x.nr, x.name, x.args, x.husk, x.lib
        );
    }
    s + &format!("{} differences\n", d.len())
}

const NATIVES: [Arch; 3] = [Arch::X86_64, Arch::Aarch64, Arch::Arm];
const ALL_ABIS: [Arch; 5] = [Arch::X86_64, Arch::X86, Arch::X32, Arch::Aarch64, Arch::Arm];

/// Every syscall libseccomp knows on an ABI husk's filter can hold has the same number
/// in husk's table (husk's may know newer ones), so no name of a profile is dropped or
/// mapped elsewhere by husk alone.
#[test]
fn tables_hold_every_syscall_libseccomp_knows() {
    let mut missing = Vec::new();
    for abi in ALL_ABIS {
        let lib = libseccomp_table(&tmp(), abi);
        assert!(lib.len() > 300, "{abi:?}: {} syscalls", lib.len());
        for (nr, name) in lib {
            let got = abi.table().number(&name);
            if got != Some(nr) {
                missing.push(format!("{abi:?} {name}: libseccomp {nr}, husk {got:?}"));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

fn oci(default: &str, arches: &str, syscalls: &str) -> String {
    format!(
        r#"{{"defaultAction":"{default}","listenerPath":"/run/l.sock","architectures":[{arches}],"syscalls":[{syscalls}]}}"#
    )
}

const ALL_ARCHES: &str =
    r#""SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32","SCMP_ARCH_AARCH64","SCMP_ARCH_ARM""#;

/// The profiles Podman 4.3 writes, and Docker 20.10's and containers-common's (CRI-O,
/// Podman) as converted for each arch and for a default and a privileged capability set.
#[test]
fn real_profiles_give_libseccomps_verdicts() {
    let podman = seccomp_of(&data("podman-4.3-config.json"));
    let mut profiles = Vec::new();
    for native in NATIVES {
        profiles.push((
            format!("podman config on {native:?}"),
            native,
            podman.clone(),
        ));
        for f in [
            "docker-20.10-default.json",
            "containers-common-seccomp.json",
        ] {
            for (caps, cn) in [(DOCKER_CAPS, "default caps"), (ADMIN_CAPS, "admin caps")] {
                let p = convert(&data(f), native, caps);
                profiles.push((format!("{f} on {native:?} with {cn}"), native, p));
            }
        }
    }
    for (label, native, p) in profiles {
        let d = compare(&p, native).unwrap_or_else(|e| panic!("{label}: libseccomp refused {e:?}"));
        assert!(d.is_empty(), "{label}:\n{}", summary(&d));
    }
}

/// Small profiles on the corners of how rules combine; every one must give
/// libseccomp's verdicts on every native arch.
#[test]
fn edge_cases_give_libseccomps_verdicts() {
    let eq = |i: u32, v: u64| format!(r#"{{"index":{i},"value":{v},"op":"SCMP_CMP_EQ"}}"#);
    let cases: Vec<(&str, String)> = vec![
        ("no rules", oci("SCMP_ACT_ERRNO", ALL_ARCHES, "")),
        ("no rules, no arches", oci("SCMP_ACT_KILL_PROCESS", "", "")),
        (
            "ALLOW by default with a deny list",
            oci(
                "SCMP_ACT_ALLOW",
                ALL_ARCHES,
                r#"{"names":["mount","umount2","ptrace"],"action":"SCMP_ACT_ERRNO","errnoRet":13},
                   {"names":["kexec_load"],"action":"SCMP_ACT_KILL"}"#,
            ),
        ),
        (
            "duplicate names",
            oci(
                "SCMP_ACT_ERRNO",
                ALL_ARCHES,
                r#"{"names":["read","read","write"],"action":"SCMP_ACT_ALLOW"},
                   {"names":["write"],"action":"SCMP_ACT_ALLOW"}"#,
            ),
        ),
        (
            "two unconditional actions for one syscall",
            oci(
                "SCMP_ACT_ERRNO",
                ALL_ARCHES,
                r#"{"names":["write"],"action":"SCMP_ACT_ALLOW"},
                   {"names":["write"],"action":"SCMP_ACT_KILL"}"#,
            ),
        ),
        (
            "a conditional rule, then an unconditional one",
            oci(
                "SCMP_ACT_ERRNO",
                ALL_ARCHES,
                &format!(
                    r#"{{"names":["close"],"action":"SCMP_ACT_LOG","args":[{}]}},
                       {{"names":["close"],"action":"SCMP_ACT_TRAP"}}"#,
                    eq(0, 3)
                ),
            ),
        ),
        (
            "an unconditional rule, then a conditional one",
            oci(
                "SCMP_ACT_ERRNO",
                ALL_ARCHES,
                &format!(
                    r#"{{"names":["close"],"action":"SCMP_ACT_TRAP"}},
                       {{"names":["close"],"action":"SCMP_ACT_LOG","args":[{}]}}"#,
                    eq(0, 3)
                ),
            ),
        ),
        (
            "the same conditional rule twice",
            oci(
                "SCMP_ACT_ERRNO",
                ALL_ARCHES,
                &format!(
                    r#"{{"names":["close"],"action":"SCMP_ACT_LOG","args":[{0}]}},
                       {{"names":["close"],"action":"SCMP_ACT_LOG","args":[{0}]}}"#,
                    eq(0, 3)
                ),
            ),
        ),
        (
            "conditional rules on different values of one argument",
            oci(
                "SCMP_ACT_ALLOW",
                ALL_ARCHES,
                &format!(
                    r#"{{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{}]}},
                       {{"names":["read"],"action":"SCMP_ACT_KILL","args":[{}]}},
                       {{"names":["read"],"action":"SCMP_ACT_TRAP","args":[{}]}}"#,
                    eq(0, 1),
                    eq(0, 2),
                    eq(0, 1 << 32)
                ),
            ),
        ),
        (
            "a rule on one argument, then a longer one with it",
            oci(
                "SCMP_ACT_ALLOW",
                ALL_ARCHES,
                &format!(
                    r#"{{"names":["read"],"action":"SCMP_ACT_KILL","args":[{}]}},
                       {{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{},{}]}}"#,
                    eq(0, 5),
                    eq(0, 5),
                    eq(1, 2)
                ),
            ),
        ),
        (
            "every operator, 64-bit values, arguments on 32-bit ABIs",
            oci(
                "SCMP_ACT_ALLOW",
                ALL_ARCHES,
                r#"{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":4294967297,"op":"SCMP_CMP_GT"},{"index":1,"value":18446744073709551615,"op":"SCMP_CMP_LE"}]},
                   {"names":["write"],"action":"SCMP_ACT_ERRNO","args":[{"index":2,"value":8589934592,"op":"SCMP_CMP_LT"}]},
                   {"names":["close"],"action":"SCMP_ACT_ERRNO","args":[{"index":5,"value":1,"op":"SCMP_CMP_NE"}]},
                   {"names":["openat"],"action":"SCMP_ACT_KILL","args":[{"index":2,"value":4294967295,"valueTwo":65,"op":"SCMP_CMP_MASKED_EQ"}]},
                   {"names":["dup3"],"action":"SCMP_ACT_KILL","args":[{"index":3,"value":5,"op":"SCMP_CMP_GE"}]}"#,
            ),
        ),
        (
            "every operator on values above 32 bits",
            oci(
                "SCMP_ACT_ALLOW",
                ALL_ARCHES,
                r#"{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":12884901890,"op":"SCMP_CMP_GE"}]},
                   {"names":["write"],"action":"SCMP_ACT_ERRNO","args":[{"index":1,"value":12884901890,"op":"SCMP_CMP_LE"}]},
                   {"names":["close"],"action":"SCMP_ACT_ERRNO","args":[{"index":2,"value":12884901890,"op":"SCMP_CMP_NE"}]},
                   {"names":["dup"],"action":"SCMP_ACT_ERRNO","args":[{"index":3,"value":12884901890,"op":"SCMP_CMP_EQ"}]},
                   {"names":["dup3"],"action":"SCMP_ACT_ERRNO","args":[{"index":4,"value":12884901890,"op":"SCMP_CMP_LT"}]},
                   {"names":["openat"],"action":"SCMP_ACT_ERRNO","args":[{"index":5,"value":18446744069414584335,"valueTwo":12884901890,"op":"SCMP_CMP_MASKED_EQ"}]},
                   {"names":["fchmod"],"action":"SCMP_ACT_ERRNO","args":[{"index":1,"value":12884901890,"op":"SCMP_CMP_GT"}]}"#,
            ),
        ),
        (
            "one argument compared twice (runc: one rule per comparison)",
            oci(
                "SCMP_ACT_ALLOW",
                ALL_ARCHES,
                r#"{"names":["getpid","personality"],"action":"SCMP_ACT_TRACE","errnoRet":7,"args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"},{"index":0,"value":2,"op":"SCMP_CMP_EQ"},{"index":1,"value":3,"op":"SCMP_CMP_GT"}]}"#,
            ),
        ),
        (
            "every action, errnoRet on each",
            oci(
                "SCMP_ACT_ERRNO",
                ALL_ARCHES,
                r#"{"names":["read"],"action":"SCMP_ACT_KILL_PROCESS"},
                   {"names":["write"],"action":"SCMP_ACT_TRACE"},
                   {"names":["pread64"],"action":"SCMP_ACT_TRACE","errnoRet":9},
                   {"names":["close"],"action":"SCMP_ACT_LOG","errnoRet":5},
                   {"names":["mkdirat"],"action":"SCMP_ACT_NOTIFY"},
                   {"names":["dup"],"action":"SCMP_ACT_ERRNO","errnoRet":2},
                   {"names":["getpid"],"action":"SCMP_ACT_KILL_THREAD"},
                   {"names":["gettid"],"action":"SCMP_ACT_KILL"},
                   {"names":["getuid"],"action":"SCMP_ACT_TRAP"},
                   {"names":["getgid"],"action":"SCMP_ACT_ALLOW"}"#,
            ),
        ),
        (
            "rules whose action is the default one (runc skips them)",
            format!(
                r#"{{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":38,"architectures":[{ALL_ARCHES}],"syscalls":[
                    {{"names":["read"],"action":"SCMP_ACT_ERRNO","errnoRet":38}},
                    {{"names":["read"],"action":"SCMP_ACT_ALLOW"}},
                    {{"names":["write"],"action":"SCMP_ACT_ERRNO"}},
                    {{"names":["close"],"action":"SCMP_ACT_ERRNO","errnoRet":38,"args":[{}]}}]}}"#,
                eq(0, 1)
            ),
        ),
        (
            "unknown names",
            oci(
                "SCMP_ACT_ERRNO",
                ALL_ARCHES,
                r#"{"names":["read","no_such_call","open"],"action":"SCMP_ACT_ALLOW"}"#,
            ),
        ),
        (
            "socket and SysV IPC calls denied (i386 multiplexes them)",
            oci(
                "SCMP_ACT_ALLOW",
                ALL_ARCHES,
                &format!(
                    r#"{{"names":["socket","connect","accept","recvmmsg","shmget","semop","msgrcv"],"action":"SCMP_ACT_ERRNO"}},
                       {{"names":["bind"],"action":"SCMP_ACT_KILL","args":[{},{}]}},
                       {{"names":["socketpair"],"action":"SCMP_ACT_TRAP","args":[{}]}}"#,
                    eq(0, 16),
                    eq(2, 9),
                    eq(1, 5)
                ),
            ),
        ),
        (
            "socket and SysV IPC calls allowed, socketcall and ipc not",
            oci(
                "SCMP_ACT_ERRNO",
                ALL_ARCHES,
                r#"{"names":["socket","sendto","recvfrom","shmat","shmdt","msgsnd"],"action":"SCMP_ACT_ALLOW"}"#,
            ),
        ),
        (
            "socket denied, socketcall allowed after it",
            oci(
                "SCMP_ACT_ERRNO",
                ALL_ARCHES,
                r#"{"names":["socket"],"action":"SCMP_ACT_KILL"},
                   {"names":["socketcall","ipc"],"action":"SCMP_ACT_ALLOW"},
                   {"names":["shmget"],"action":"SCMP_ACT_KILL"}"#,
            ),
        ),
    ];
    let mut failed = String::new();
    for native in NATIVES {
        for (label, p) in &cases {
            match compare(p, native) {
                Ok(d) if d.is_empty() => {}
                Ok(d) => failed += &format!("{label} on {native:?}:\n{}", summary(&d)),
                Err(e) => failed += &format!("{label} on {native:?}: libseccomp refused {e:?}\n"),
            }
        }
    }
    assert!(failed.is_empty(), "{failed}");
}

/// Both programs' verdicts for one call.
fn both(seccomp: &str, native: Arch, nr: u32, arch: u32, args: [u64; 6]) -> (u32, u32) {
    let (h, _) = husk_compile(seccomp, native).unwrap();
    match libseccomp(&tmp(), seccomp, native, None) {
        Lib::Built { prog, .. } => (h.run(nr, arch, &args).0, prog.run(nr, arch, &args).0),
        Lib::Refused { what, rc } => panic!("libseccomp refused: {what} {rc}"),
    }
}

/// Where runc on libseccomp and husk part, asserted so that a change on either side
/// shows here (docs/BENCHMARKS.md and the seccomp module docs describe each).
#[test]
fn where_runc_and_husk_differ() {
    const EPERM: u32 = 0x0005_0001;
    const KILL_THREAD: u32 = 0;
    let (x86_64, i386, aarch64, arm) = (0xc000_003e, 0x4000_0003, 0xc000_00b7, 0x4000_0028);
    let ppc64le = 0xc000_0015;

    // 1. A call of an ABI the filter does not hold: husk gives the default action (issue
    //    5); libseccomp its bad-arch action, which runc leaves at KILL_THREAD. On x86_64
    //    that includes x32 calls when SCMP_ARCH_X32 is not listed.
    let p = oci(
        "SCMP_ACT_ERRNO",
        "",
        r#"{"names":["read"],"action":"SCMP_ACT_ALLOW"}"#,
    );
    for (native, foreign) in [
        (Arch::X86_64, i386),
        (Arch::X86_64, ppc64le),
        (Arch::Aarch64, arm),
        (Arch::Arm, aarch64),
        (Arch::Arm, x86_64),
    ] {
        assert_eq!(both(&p, native, 3, foreign, [0; 6]), (EPERM, KILL_THREAD));
    }
    assert_eq!(
        both(&p, Arch::X86_64, X32_SYSCALL_BIT, x86_64, [0; 6]),
        (EPERM, KILL_THREAD),
        "x32 read, no SCMP_ARCH_X32"
    );

    // 2. Conditional rules for one syscall that compare the same argument, can both
    //    hold, and have different actions: husk takes the first in profile order;
    //    libseccomp orders them in its decision tree (here: EQ before GT, the larger
    //    value first, the masked compare with the larger mask first).
    let cond = |a: &str, b: &str| {
        oci(
            "SCMP_ACT_ALLOW",
            r#""SCMP_ARCH_X86_64""#,
            &format!(
                r#"{{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{a}]}},
                   {{"names":["read"],"action":"SCMP_ACT_KILL","args":[{b}]}}"#
            ),
        )
    };
    let gt2 = r#"{"index":0,"value":2,"op":"SCMP_CMP_GT"}"#;
    let gt4 = r#"{"index":0,"value":4,"op":"SCMP_CMP_GT"}"#;
    let eq5 = r#"{"index":0,"value":5,"op":"SCMP_CMP_EQ"}"#;
    let ne1 = r#"{"index":0,"value":1,"op":"SCMP_CMP_NE"}"#;
    let m1 = r#"{"index":0,"value":1,"valueTwo":1,"op":"SCMP_CMP_MASKED_EQ"}"#;
    let m2 = r#"{"index":0,"value":2,"valueTwo":2,"op":"SCMP_CMP_MASKED_EQ"}"#;
    // (first rule: ERRNO, second rule: KILL, arg0 satisfying both, libseccomp's
    // verdict); husk's is always the first rule's, EPERM.
    let cases = [
        (gt2, eq5, 5, KILL_THREAD),
        (gt2, gt4, 5, KILL_THREAD),
        (ne1, eq5, 5, KILL_THREAD),
        (m1, m2, 3, KILL_THREAD),
        // The other way round libseccomp also takes the first rule.
        (eq5, gt2, 5, EPERM),
        (gt4, gt2, 5, EPERM),
        (eq5, ne1, 5, EPERM),
        (m2, m1, 3, EPERM),
    ];
    for (a, b, arg0, lib) in cases {
        let p = cond(a, b);
        let got = both(&p, Arch::X86_64, 0, x86_64, [arg0, 0, 0, 0, 0, 0]);
        assert_eq!(got, (EPERM, lib), "{a} then {b}");
    }

    // 3. libseccomp refuses (-EEXIST) a conditional rule whose comparisons repeat an
    //    earlier rule's with a different action, or cover them and add more; runc then
    //    fails the container. husk accepts: the first rule decides.
    let eq3 = r#"{"index":0,"value":3,"op":"SCMP_CMP_EQ"}"#;
    let a1 = r#"{"index":1,"value":2,"op":"SCMP_CMP_EQ"}"#;
    for (a, b) in [
        (eq3.to_string(), eq3.to_string()),
        (format!("{eq3},{a1}"), eq3.to_string()),
    ] {
        let p = cond(&a, &b);
        match libseccomp(&tmp(), &p, Arch::X86_64, None) {
            Lib::Refused { what, rc } => assert_eq!((what.as_str(), rc), ("read", -17)),
            Lib::Built { .. } => panic!("libseccomp took {a} then {b}"),
        }
        let (h, _) = husk_compile(&p, Arch::X86_64).unwrap();
        assert_eq!(h.run(0, x86_64, &[3, 2, 0, 0, 0, 0]).0, EPERM);
    }
}
