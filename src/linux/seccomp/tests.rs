//! The generated programs run in a small classic-BPF interpreter and must give, for every
//! syscall number of every ABI and a set of argument values, the verdict the profile
//! defines ([`Db::verdict`]); plus explicit verdicts a reader can check by eye.

use super::rules::{Db, Slot};
use super::tables::{Arch, X32_SYSCALL_BIT};
use super::*;
use crate::sys::mem::Zeroed;
use crate::sys::seccomp::BPF_MAXINSNS;
use linux_raw_sys::ptrace as k;

const ALLOW: u32 = k::SECCOMP_RET_ALLOW;
const EPERM: u32 = k::SECCOMP_RET_ERRNO | 1;

/// Run `prog` (panics on an invalid program).
pub(crate) fn run(prog: &[Insn], nr: u32, arch: u32, args: &[u64; 6]) -> (u32, usize) {
    super::interp::run(prog, nr, arch, args).unwrap()
}

pub(crate) type Insn = crate::sys::seccomp::Insn;

/// A config.json around a `linux.seccomp` object.
pub(crate) fn config(seccomp: &str) -> Vec<u8> {
    format!(
        r#"{{"ociVersion":"1.2.0","root":{{"path":"rootfs"}},"process":{{"args":["sh"],"cwd":"/"}},"linux":{{"seccomp":{seccomp}}}}}"#
    )
    .into_bytes()
}

pub(crate) struct Out {
    pub prog: Zeroed<Program>,
    pub compiled: Compiled,
    pub unknown: Vec<String>,
}

pub(crate) fn compile_json(seccomp: &str, native: Arch) -> Result<Out> {
    let mut b = config(seccomp);
    let spec = crate::spec::parse(&mut b)?;
    let s = spec.linux.as_ref().unwrap().seccomp.as_ref().unwrap();
    let mut prog: Zeroed<Program> = Zeroed::new().unwrap();
    let mut unknown = Vec::new();
    let compiled = compile(s, native, &mut prog, &mut |n| unknown.push(n.to_string()))?;
    Ok(Out {
        prog,
        compiled,
        unknown,
    })
}

/// The per-ABI views of the profile, as compile builds them.
fn dbs(seccomp: &str, native: Arch) -> Vec<Box<Db>> {
    let mut b = config(seccomp);
    let spec = crate::spec::parse(&mut b).unwrap();
    let s = spec.linux.as_ref().unwrap().seccomp.as_ref().unwrap();
    let default = rules::action(s.default_action.raw(), s.default_errno_ret).unwrap();
    let mut abis = vec![native];
    for a in s.architectures.0.iter() {
        if let Some(a) = Arch::for_native(a.raw(), native) {
            if !abis.contains(&a) {
                abis.push(a);
            }
        }
    }
    abis.into_iter()
        .map(|a| {
            let mut db = Box::new(Db::new(a, default));
            db.stub = rules::enosys_stub(s.default_action.raw(), s.default_errno_ret);
            for (i, r) in s.syscalls.iter().enumerate() {
                db.add(i, &r.unwrap()).unwrap();
            }
            db
        })
        .collect()
}

/// Argument vectors that exercise each comparison of a syscall's rules: every value at,
/// below and above each comparison's, in its own argument and all at once.
fn arg_sets(db: &Db, pos: usize) -> Vec<[u64; 6]> {
    let mut sets = vec![[0u64; 6], [u64::MAX; 6], [1u64 << 32; 6]];
    let mut all = [0u64; 6];
    for (_, conds) in db.rules_of(pos) {
        let mut satisfy = [0u64; 6];
        for c in conds {
            let i = c.index as usize;
            let vals = [
                c.value,
                c.value.wrapping_add(1),
                c.value.wrapping_sub(1),
                c.value ^ (1 << 32),
                c.value ^ 1 << 63,
                c.value & 0xffff_ffff,
                c.value_two,
                c.value_two | !c.value,
                c.value_two ^ 1,
            ];
            for v in vals {
                let mut a = [0u64; 6];
                a[i] = v;
                sets.push(a);
            }
            satisfy[i] = match c.op {
                rules::Op::MaskedEq => c.value_two,
                rules::Op::Gt => c.value.wrapping_add(1),
                rules::Op::Lt => c.value.wrapping_sub(1),
                rules::Op::Ne => c.value ^ 1,
                _ => c.value,
            };
            all[i] = c.value;
        }
        sets.push(satisfy);
        for j in 0..6 {
            let mut p = satisfy;
            p[j] ^= 1;
            sets.push(p);
        }
    }
    sets.push(all);
    sets
}

/// Every number of every ABI (and the gaps around them) gives the profile's verdict.
fn check_all(seccomp: &str, native: Arch) -> usize {
    let out = compile_json(seccomp, native).unwrap_or_else(|e| panic!("{e}"));
    let prog = out.prog.code();
    assert!(!prog.is_empty() && prog.len() <= BPF_MAXINSNS);
    let dbs = dbs(seccomp, native);
    let default = dbs[0].default;
    let mut checked = 0;
    for db in &dbs {
        let arch = db.arch.audit();
        let table = db.arch.table();
        for (pos, &nr) in table.nrs.iter().enumerate() {
            let sets = if db.slots[pos] == Slot::Cond {
                arg_sets(db, pos)
            } else {
                vec![[0; 6], [7; 6]]
            };
            for args in sets {
                for n in [nr, nr + 1] {
                    let want = db.verdict(n, &args);
                    let (got, _) = run(prog, n, arch, &args);
                    assert_eq!(got, want, "{:?} nr {n} args {args:x?}", db.arch);
                    checked += 1;
                }
            }
        }
        let base = if db.arch == Arch::X32 {
            X32_SYSCALL_BIT
        } else {
            0
        };
        for n in [base, base + 5000, base + 0xfffff, base | 0x3fff_ffff] {
            assert_eq!(run(prog, n, arch, &[0; 6]).0, db.verdict(n, &[0; 6]));
        }
    }
    // An ABI the filter does not hold gets the default action.
    for arch in [0u32, 0x4000_0028 ^ 1, k::AUDIT_ARCH_PPC64LE] {
        assert_eq!(run(prog, 0, arch, &[0; 6]).0, default);
    }
    checked
}

fn oci(default: &str, arches: &str, syscalls: &str) -> String {
    format!(r#"{{"defaultAction":"{default}","architectures":[{arches}],"syscalls":[{syscalls}]}}"#)
}

const NATIVES: [Arch; 3] = [Arch::X86_64, Arch::Aarch64, Arch::Arm];
const ALL_ARCHES: &str =
    r#""SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32","SCMP_ARCH_AARCH64","SCMP_ARCH_ARM""#;

/// The `linux.seccomp` object of a config.json, as text.
fn seccomp_of(config: &[u8]) -> String {
    let v = json::parse(core::str::from_utf8(config).unwrap()).unwrap();
    v["linux"]["seccomp"].dump()
}

#[test]
fn podman_profile_every_arch() {
    let p = seccomp_of(include_bytes!("../../../tests/data/podman-4.3-config.json"));
    for native in NATIVES {
        let n = check_all(&p, native);
        assert!(n > 400, "{n}");
    }
    let out = compile_json(&p, Arch::X86_64).unwrap();
    let prog = out.prog.code();
    let x86_64 = k::AUDIT_ARCH_X86_64;
    let enosys = k::SECCOMP_RET_ERRNO | 38;
    assert_eq!(run(prog, 0, x86_64, &[0; 6]).0, ALLOW, "read");
    assert_eq!(run(prog, 246, x86_64, &[0; 6]).0, EPERM, "kexec_load");
    assert_eq!(
        run(prog, 5000, x86_64, &[0; 6]).0,
        enosys,
        "no such call: the default"
    );
    assert_eq!(run(prog, 135, x86_64, &[0; 6]).0, ALLOW, "personality(0)");
    assert_eq!(
        run(prog, 135, x86_64, &[1, 0, 0, 0, 0, 0]).0,
        enosys,
        "personality(1)"
    );
    // x32 read (the bit set) and i386 read (3) are allowed through their own tables.
    assert_eq!(run(prog, X32_SYSCALL_BIT, x86_64, &[0; 6]).0, ALLOW);
    assert_eq!(run(prog, 3, k::AUDIT_ARCH_I386, &[0; 6]).0, ALLOW);
}

#[path = "../../../tests/support/docker_profile.rs"]
mod docker_profile;
use docker_profile::DOCKER_CAPS;

/// Docker's source format converted for one arch and capability set.
fn convert(profile: &[u8], arch: &str, caps: &[&str]) -> String {
    docker_profile::convert(core::str::from_utf8(profile).unwrap(), arch, caps)
}

#[test]
fn docker_and_containers_common_profiles_every_arch() {
    for profile in [
        &include_bytes!("../../../tests/data/docker-20.10-default.json")[..],
        &include_bytes!("../../../tests/data/containers-common-seccomp.json")[..],
    ] {
        for (native, arch) in [
            (Arch::X86_64, "SCMP_ARCH_X86_64"),
            (Arch::Aarch64, "SCMP_ARCH_AARCH64"),
            (Arch::Arm, "SCMP_ARCH_ARM"),
        ] {
            for caps in [DOCKER_CAPS, &["CAP_SYS_ADMIN", "CAP_SYS_PTRACE"][..]] {
                let p = convert(profile, arch, caps);
                check_all(&p, native);
            }
        }
    }
    // By eye: Docker's default on x86_64 without CAP_SYS_ADMIN.
    let p = convert(
        include_bytes!("../../../tests/data/docker-20.10-default.json"),
        "SCMP_ARCH_X86_64",
        DOCKER_CAPS,
    );
    let out = compile_json(&p, Arch::X86_64).unwrap();
    let prog = out.prog.code();
    let a = k::AUDIT_ARCH_X86_64;
    assert_eq!(run(prog, 1, a, &[0; 6]).0, ALLOW, "write");
    assert_eq!(run(prog, 165, a, &[0; 6]).0, EPERM, "mount");
    const CLONE_NEWUSER: u64 = 0x1000_0000;
    assert_eq!(
        run(prog, 56, a, &[0x11, 0, 0, 0, 0, 0]).0,
        ALLOW,
        "clone without namespaces"
    );
    assert_eq!(
        run(prog, 56, a, &[CLONE_NEWUSER, 0, 0, 0, 0, 0]).0,
        EPERM,
        "clone(CLONE_NEWUSER)"
    );
    assert_eq!(
        run(prog, 435, a, &[0; 6]).0,
        k::SECCOMP_RET_ERRNO | 38,
        "clone3: ENOSYS"
    );
}

#[test]
fn edge_cases() {
    for native in NATIVES {
        // Empty rule list, with and without architectures.
        check_all(&oci("SCMP_ACT_ERRNO", "", ""), native);
        check_all(&oci("SCMP_ACT_KILL_PROCESS", ALL_ARCHES, ""), native);
        // ALLOW by default with a deny list.
        let deny = oci(
            "SCMP_ACT_ALLOW",
            ALL_ARCHES,
            r#"{"names":["mount","umount2","ptrace"],"action":"SCMP_ACT_ERRNO","errnoRet":13},
               {"names":["kexec_load"],"action":"SCMP_ACT_KILL"}"#,
        );
        check_all(&deny, native);
        // Duplicate names and conflicting actions: the first unconditional rule wins.
        let dup = oci(
            "SCMP_ACT_ERRNO",
            ALL_ARCHES,
            r#"{"names":["read","read","write"],"action":"SCMP_ACT_ALLOW"},
               {"names":["write"],"action":"SCMP_ACT_KILL"},
               {"names":["close"],"action":"SCMP_ACT_LOG","args":[{"index":0,"value":3,"op":"SCMP_CMP_EQ"}]},
               {"names":["close"],"action":"SCMP_ACT_TRAP"},
               {"names":["close"],"action":"SCMP_ACT_ALLOW"}"#,
        );
        check_all(&dup, native);
        let out = compile_json(&dup, native).unwrap();
        let t = native.table();
        let (a, prog) = (native.audit(), out.prog.code());
        let nr = |n: &str| t.number(n).unwrap();
        assert_eq!(run(prog, nr("write"), a, &[0; 6]).0, ALLOW);
        // An unconditional rule replaces the conditional one before it.
        assert_eq!(
            run(prog, nr("close"), a, &[3, 0, 0, 0, 0, 0]).0,
            k::SECCOMP_RET_TRAP
        );
        // 64-bit values and every operator; on arm only the low words count.
        let ops = oci(
            "SCMP_ACT_ALLOW",
            ALL_ARCHES,
            r#"{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":4294967297,"op":"SCMP_CMP_GT"},{"index":1,"value":18446744073709551615,"op":"SCMP_CMP_LE"}]},
               {"names":["write"],"action":"SCMP_ACT_ERRNO","args":[{"index":2,"value":8589934592,"op":"SCMP_CMP_LT"}]},
               {"names":["close"],"action":"SCMP_ACT_ERRNO","args":[{"index":5,"value":1,"op":"SCMP_CMP_NE"}]},
               {"names":["openat"],"action":"SCMP_ACT_KILL","args":[{"index":2,"value":4294967295,"valueTwo":65,"op":"SCMP_CMP_MASKED_EQ"}]},
               {"names":["dup3"],"action":"SCMP_ACT_KILL","args":[{"index":3,"value":5,"op":"SCMP_CMP_GE"}]},
               {"names":["getpid"],"action":"SCMP_ACT_TRACE","errnoRet":7,"args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"},{"index":0,"value":2,"op":"SCMP_CMP_EQ"}]}"#,
        );
        check_all(&ops, native);
        let out = compile_json(&ops, native).unwrap();
        let prog = out.prog.code();
        let (r, w) = (nr("read"), nr("write"));
        let (wide, narrow) = if native.wide() {
            (EPERM, ALLOW)
        } else {
            (ALLOW, EPERM)
        };
        // read: arg0 > 2^32+1 (on arm: > 1) and arg1 <= u64::MAX.
        assert_eq!(run(prog, r, a, &[(1 << 32) + 2, 0, 0, 0, 0, 0]).0, EPERM);
        assert_eq!(run(prog, r, a, &[2, 0, 0, 0, 0, 0]).0, narrow);
        // write: arg2 < 2^33 (on arm: < 0, never).
        assert_eq!(run(prog, w, a, &[0, 0, 1 << 32, 0, 0, 0]).0, wide);
        // Two comparisons of one argument: runc makes them two rules (OR).
        let g = nr("getpid");
        let trace = k::SECCOMP_RET_TRACE | 7;
        assert_eq!(run(prog, g, a, &[1, 0, 0, 0, 0, 0]).0, trace);
        assert_eq!(run(prog, g, a, &[2, 0, 0, 0, 0, 0]).0, trace);
        assert_eq!(run(prog, g, a, &[3, 0, 0, 0, 0, 0]).0, ALLOW);
    }
}

/// i386 reaches socket and SysV IPC calls through socketcall(2) and ipc(2) as well: a rule
/// for such a call covers its multiplexer with arg0 naming it (libseccomp does the same),
/// else a denied `socket` would stay open to i386 programs through socketcall.
#[test]
fn x86_multiplexers_carry_socket_and_ipc_rules() {
    let p = oci(
        "SCMP_ACT_ALLOW",
        r#""SCMP_ARCH_X86_64","SCMP_ARCH_X86""#,
        r#"{"names":["socket","shmget"],"action":"SCMP_ACT_ERRNO"},
           {"names":["bind"],"action":"SCMP_ACT_KILL","args":[{"index":0,"value":16,"op":"SCMP_CMP_EQ"},{"index":2,"value":9,"op":"SCMP_CMP_EQ"}]}"#,
    );
    check_all(&p, Arch::X86_64);
    let out = compile_json(&p, Arch::X86_64).unwrap();
    let prog = out.prog.code();
    let i386 = k::AUDIT_ARCH_I386;
    let (socketcall, ipc, socket, bind) = (102, 117, 359, 361);
    let kill = k::SECCOMP_RET_KILL_THREAD;
    assert_eq!(
        run(prog, socketcall, i386, &[1, 0, 0, 0, 0, 0]).0,
        EPERM,
        "SYS_SOCKET"
    );
    assert_eq!(
        run(prog, socketcall, i386, &[3, 0, 0, 0, 0, 0]).0,
        ALLOW,
        "SYS_CONNECT"
    );
    assert_eq!(
        run(prog, ipc, i386, &[23, 0, 0, 0, 0, 0]).0,
        EPERM,
        "SHMGET"
    );
    assert_eq!(run(prog, ipc, i386, &[21, 0, 0, 0, 0, 0]).0, ALLOW, "SHMAT");
    assert_eq!(run(prog, socket, i386, &[0; 6]).0, EPERM, "direct socket");
    // bind's arg0 comparison gives way to `call == SYS_BIND`; the others stay.
    assert_eq!(run(prog, socketcall, i386, &[2, 0, 9, 0, 0, 0]).0, kill);
    assert_eq!(run(prog, socketcall, i386, &[2, 0, 8, 0, 0, 0]).0, ALLOW);
    assert_eq!(run(prog, bind, i386, &[16, 0, 9, 0, 0, 0]).0, kill);
    assert_eq!(run(prog, bind, i386, &[2, 0, 9, 0, 0, 0]).0, ALLOW);
    // x86_64 has no multiplexer.
    let x86_64 = k::AUDIT_ARCH_X86_64;
    assert_eq!(run(prog, 41, x86_64, &[0; 6]).0, EPERM, "socket");
    assert_eq!(run(prog, 29, x86_64, &[0; 6]).0, EPERM, "shmget");
}

#[test]
fn unknown_names_are_reported_and_skipped() {
    let p = oci(
        "SCMP_ACT_ERRNO",
        r#""SCMP_ARCH_AARCH64""#,
        r#"{"names":["read","no_such_call","open"],"action":"SCMP_ACT_ALLOW"}"#,
    );
    // aarch64 has no `open`: skipped there, but not reported (other ABIs have it).
    let out = compile_json(&p, Arch::Aarch64).unwrap();
    assert_eq!(out.unknown, ["no_such_call"]);
    let out = compile_json(&p, Arch::X86_64).unwrap();
    assert_eq!(out.unknown, ["no_such_call"]);
    let prog = out.prog.code();
    assert_eq!(
        run(prog, 2, k::AUDIT_ARCH_X86_64, &[0; 6]).0,
        ALLOW,
        "open on x86_64"
    );
}

#[test]
fn flags_and_notify() {
    let p = r#"{"defaultAction":"SCMP_ACT_ALLOW","flags":["SECCOMP_FILTER_FLAG_TSYNC","SECCOMP_FILTER_FLAG_LOG","SECCOMP_FILTER_FLAG_SPEC_ALLOW"],"syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_NOTIFY"}],"listenerPath":"/run/l.sock"}"#;
    let out = compile_json(p, Arch::X86_64).unwrap();
    assert!(out.compiled.notify);
    assert_eq!(
        out.compiled.flags,
        k::SECCOMP_FILTER_FLAG_TSYNC
            | k::SECCOMP_FILTER_FLAG_LOG
            | k::SECCOMP_FILTER_FLAG_SPEC_ALLOW
            | k::SECCOMP_FILTER_FLAG_NEW_LISTENER
            | k::SECCOMP_FILTER_FLAG_TSYNC_ESRCH
    );
    assert_eq!(
        run(out.prog.code(), 83, k::AUDIT_ARCH_X86_64, &[0; 6]).0,
        k::SECCOMP_RET_USER_NOTIF
    );
    let e = compile_json(
        r#"{"defaultAction":"SCMP_ACT_NOTIFY","listenerPath":"/x"}"#,
        Arch::X86_64,
    );
    assert!(e
        .err()
        .unwrap()
        .to_string()
        .contains("cannot be the default action"));
    let e = compile_json(
        r#"{"defaultAction":"SCMP_ACT_ALLOW","flags":["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]}"#,
        Arch::X86_64,
    );
    assert!(e
        .err()
        .unwrap()
        .to_string()
        .contains("needs a SCMP_ACT_NOTIFY rule"));
}

#[test]
fn too_long_is_a_clear_error() {
    // 300 syscalls each with a rule of three 64-bit comparisons overflow BPF_MAXINSNS.
    let t = Arch::X86_64.table();
    let names: Vec<&str> = (0..t.nrs.len())
        .filter_map(|p| t.name_at(p))
        .take(300)
        .collect();
    let args: Vec<String> = (0..3)
        .map(|i| {
            format!(
                r#"{{"index":{i},"value":{},"op":"SCMP_CMP_GT"}}"#,
                1u64 << 40
            )
        })
        .collect();
    let rules: Vec<String> = names
        .iter()
        .map(|n| {
            format!(
                r#"{{"names":["{n}"],"action":"SCMP_ACT_KILL","args":[{}]}}"#,
                args.join(",")
            )
        })
        .collect();
    let p = oci("SCMP_ACT_ALLOW", "", &rules.join(","));
    let e = compile_json(&p, Arch::X86_64).err().unwrap().to_string();
    assert!(
        e.contains("limit 4096") && e.contains("BPF instructions"),
        "{e}"
    );
}

/// Hot syscalls are near the root; the worst case stays logarithmic.
#[test]
fn instruction_counts() {
    let p = seccomp_of(include_bytes!("../../../tests/data/podman-4.3-config.json"));
    let out = compile_json(&p, Arch::X86_64).unwrap();
    let prog = out.prog.code();
    let t = Arch::X86_64.table();
    let steps = |n: &str| run(prog, t.number(n).unwrap(), k::AUDIT_ARCH_X86_64, &[0; 6]).1;
    eprintln!("podman x86_64: {} instructions", prog.len());
    for n in ["read", "write", "futex", "epoll_wait"] {
        eprintln!("{n}: {}", steps(n));
        assert!(steps(n) <= 12, "{n}: {}", steps(n));
    }
    let worst = t
        .nrs
        .iter()
        .map(|&nr| run(prog, nr, k::AUDIT_ARCH_X86_64, &[0; 6]).1)
        .max()
        .unwrap();
    eprintln!("worst: {worst}");
    assert!(worst <= 30, "worst {worst}");
}
