//! The container-process stage applied for real, in a forked child, checked from the parent
//! through /proc/<pid>/{status,limits,oom_score_adj,stat}. Needs root (skipped otherwise).
//!
//! The test harness is multi-threaded: the child makes only raw syscalls (husk's code is
//! no_std and allocation-free) and leaves with exit_group.

use husk::linux::process::{apply_attrs, apply_identity, exec};

/// [`apply_identity`] without a seccomp filter to make room for.
fn identity(p: &husk::spec::Process<'_>) -> husk::Result<()> {
    apply_identity(p, false).map(drop)
}
use husk::out::Buf;
use husk::spec::Process;
use husk::sys::clone::{fork, Forked};
use rustix::pipe::{pipe_with, PipeFlags};
use std::fmt::Write;
use std::fs;

fn is_root() -> bool {
    if rustix::process::geteuid().is_root() {
        true
    } else {
        eprintln!("skipped: needs root");
        false
    }
}

/// What the parent saw of the child.
struct Seen {
    /// The child's report: "ok" or the error text.
    report: String,
    status: String,
    limits: String,
    oom: String,
    stat: String,
    /// Exit code (or 128 + signal).
    code: i32,
}

/// One fork at a time: a child forked by another test thread would inherit this test's pipe
/// ends (CLOEXEC only acts on exec) and keep the parent's read from ever seeing EOF.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Parse `process_json` into a Process, fork, run `f` in the child, report its result, wait
/// until the parent has read /proc, exit.
fn in_child(process_json: &str, f: impl FnOnce(&Process<'_>) -> Result<(), husk::Error>) -> Seen {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut buf = format!(r#"{{"ociVersion":"1.0.2","process":{process_json}}}"#).into_bytes();
    let spec = husk::spec::parse(&mut buf).expect("config");
    let p = spec.process.as_ref().unwrap();
    let (rep_r, rep_w) = pipe_with(PipeFlags::CLOEXEC).unwrap();
    let (go_r, go_w) = pipe_with(PipeFlags::CLOEXEC).unwrap();
    match fork().unwrap() {
        Forked::Child => {
            drop(rep_r);
            drop(go_w);
            let mut b = Buf::<512>::new();
            match f(p) {
                Ok(()) => {
                    let _ = b.write_str("ok");
                }
                Err(e) => {
                    let _ = write!(b, "{e}");
                }
            }
            let _ = husk::out::write_all(&rep_w, b.as_bytes());
            drop(rep_w);
            let mut x = [0u8; 1];
            let _ = rustix::io::read(&go_r, &mut x);
            husk::sys::exit(0)
        }
        Forked::Parent { pid, .. } => {
            drop(rep_w);
            drop(go_r);
            let mut report = Vec::new();
            let mut chunk = [0u8; 512];
            loop {
                match rustix::io::read(&rep_r, &mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => report.extend_from_slice(&chunk[..n]),
                }
            }
            let n = pid.as_raw_nonzero().get();
            let read = |f: &str| fs::read_to_string(format!("/proc/{n}/{f}")).unwrap_or_default();
            let (status, limits, oom, stat) = (
                read("status"),
                read("limits"),
                read("oom_score_adj"),
                read("stat"),
            );
            drop(go_w);
            let (_, st) =
                rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty())
                    .unwrap()
                    .unwrap();
            let code = st
                .exit_status()
                .unwrap_or_else(|| 128 + st.terminating_signal().unwrap_or(0));
            Seen {
                report: String::from_utf8_lossy(&report).into_owned(),
                status,
                limits,
                oom,
                stat,
                code,
            }
        }
    }
}

fn field<'a>(status: &'a str, key: &str) -> &'a str {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix(':')))
        .map(str::trim)
        .unwrap_or_else(|| panic!("{key} not in status"))
}

#[test]
fn identity_and_capabilities_exactly_as_configured() {
    if !is_root() {
        return;
    }
    let seen = in_child(
        r#"{"cwd":"/","args":["sh"],"noNewPrivileges":true,
            "user":{"uid":1000,"gid":1001,"umask":23,"additionalGids":[10,20]},
            "capabilities":{"bounding":["CAP_CHOWN","CAP_KILL","CAP_NET_BIND_SERVICE"],
              "effective":["CAP_KILL"],"permitted":["CAP_KILL","CAP_CHOWN"],
              "inheritable":["CAP_CHOWN","CAP_KILL"],"ambient":["CAP_KILL"]}}"#,
        identity,
    );
    assert_eq!(seen.report, "ok");
    let s = &seen.status;
    assert_eq!(field(s, "Uid"), "1000\t1000\t1000\t1000");
    assert_eq!(field(s, "Gid"), "1001\t1001\t1001\t1001");
    assert_eq!(field(s, "Groups"), "10 20");
    assert_eq!(field(s, "Umask"), "0027");
    assert_eq!(field(s, "CapInh"), "0000000000000021");
    assert_eq!(field(s, "CapPrm"), "0000000000000021");
    assert_eq!(field(s, "CapEff"), "0000000000000020");
    assert_eq!(field(s, "CapBnd"), "0000000000000421");
    assert_eq!(field(s, "CapAmb"), "0000000000000020");
    assert_eq!(field(s, "NoNewPrivs"), "1");
    assert_eq!(seen.code, 0);
}

#[test]
fn no_capabilities_field_drops_everything_and_keeps_root() {
    if !is_root() {
        return;
    }
    let seen = in_child(r#"{"cwd":"/","args":["sh"]}"#, identity);
    assert_eq!(seen.report, "ok");
    let s = &seen.status;
    assert_eq!(field(s, "Uid"), "0\t0\t0\t0");
    assert_eq!(field(s, "Groups"), "");
    for k in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
        assert_eq!(field(s, k), "0000000000000000", "{k}");
    }
    assert_eq!(field(s, "NoNewPrivs"), "0");
}

#[test]
fn ambient_needs_inheritable_and_fails_by_name() {
    if !is_root() {
        return;
    }
    let seen = in_child(
        r#"{"cwd":"/","args":["sh"],"capabilities":{"bounding":["CAP_KILL"],"permitted":["CAP_KILL"],"ambient":["CAP_KILL"]}}"#,
        identity,
    );
    assert_eq!(
        seen.report,
        "prctl PR_CAP_AMBIENT_RAISE CAP_KILL: EPERM (operation not permitted)"
    );
}

#[test]
fn attributes_rlimits_oom_scheduler_affinity() {
    if !is_root() {
        return;
    }
    let seen = in_child(
        r#"{"cwd":"/tmp","args":["sh"],"oomScoreAdj":500,
            "rlimits":[{"type":"RLIMIT_NOFILE","soft":100,"hard":200},{"type":"RLIMIT_CORE","soft":0,"hard":0}],
            "scheduler":{"policy":"SCHED_BATCH","nice":5},
            "ioPriority":{"class":"IOPRIO_CLASS_BE","priority":3},
            "execCPUAffinity":{"initial":"0"}}"#,
        apply_attrs,
    );
    assert_eq!(seen.report, "ok");
    let files = seen
        .limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    assert_eq!(
        files.split_whitespace().collect::<Vec<_>>()[3..6],
        ["100", "200", "files"]
    );
    let core = seen
        .limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap();
    assert_eq!(
        core.split_whitespace().collect::<Vec<_>>()[4..6],
        ["0", "0"]
    );
    assert_eq!(seen.oom.trim(), "500");
    // /proc/<pid>/stat after the ")": field 19 is nice, 41 is policy (3 = SCHED_BATCH).
    let after = &seen.stat[seen.stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = after.split(' ').collect();
    assert_eq!(f[19 - 3], "5", "nice");
    assert_eq!(f[41 - 3], "3", "policy");
    assert_eq!(field(&seen.status, "Cpus_allowed_list"), "0");
}

#[test]
fn exec_runs_the_program_with_env_cwd_and_no_leaked_fd() {
    if !is_root() {
        return;
    }
    // A descriptor without CLOEXEC at 50: close_range must flag it before execve.
    let f = rustix::fs::open(c"/", rustix::fs::OFlags::RDONLY, rustix::fs::Mode::empty()).unwrap();
    let leak = rustix::io::fcntl_dupfd_cloexec(&f, 50).unwrap();
    rustix::io::fcntl_setfd(&leak, rustix::io::FdFlags::empty()).unwrap();
    let n = rustix::fd::AsRawFd::as_raw_fd(&leak);
    let script = format!(
        r#"[ -e /proc/self/fd/{n} ] && exit 1; [ "$HUSK_T" = yes ] || exit 2; [ "$(pwd -P)" = /tmp ] || exit 3; exit 7"#
    );
    let seen = in_child(
        &format!(
            r#"{{"cwd":"/tmp","args":["sh","-c","{}"],"env":["PATH=/usr/bin:/bin","HUSK_T=yes"]}}"#,
            script.replace('"', "\\\"")
        ),
        |p| {
            apply_attrs(p)?;
            Err(exec(p, Default::default(), None))
        },
    );
    drop(leak);
    assert_eq!(seen.report, "", "exec returned");
    assert_eq!(seen.code, 7);
}

#[test]
fn exec_failures_use_runc_wording() {
    if !is_root() {
        return;
    }
    let seen = in_child(
        r#"{"cwd":"/","args":["definitely-not-here-husk"],"env":["PATH=/usr/bin:/bin"]}"#,
        |p| Err(exec(p, Default::default(), None)),
    );
    assert_eq!(
        seen.report,
        "exec: \"definitely-not-here-husk\": executable file not found in $PATH"
    );
    let dir = std::env::temp_dir().join(format!("husk-noexec-{}", std::process::id()));
    fs::write(&dir, "#!/bin/sh\n").unwrap();
    let path = dir.display().to_string();
    let seen = in_child(&format!(r#"{{"cwd":"/","args":["{path}"]}}"#), |p| {
        Err(exec(p, Default::default(), None))
    });
    let _ = fs::remove_file(&dir);
    assert_eq!(
        seen.report,
        format!("exec {path}: EACCES (permission denied)")
    );
    let seen = in_child(r#"{"cwd":"/","args":["/no/such/prog"]}"#, |p| {
        Err(exec(p, Default::default(), None))
    });
    assert!(
        seen.report.contains("no such file or directory"),
        "{}",
        seen.report
    );
}

#[test]
fn cwd_through_a_magic_link_is_refused() {
    if !is_root() {
        return;
    }
    let d = rustix::fs::open(
        c"/tmp",
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::DIRECTORY,
        rustix::fs::Mode::empty(),
    )
    .unwrap();
    let n = rustix::fd::AsRawFd::as_raw_fd(&d);
    let seen = in_child(
        &format!(r#"{{"cwd":"/proc/self/fd/{n}","args":["sh"]}}"#),
        apply_attrs,
    );
    drop(d);
    assert_eq!(
        seen.report,
        format!("chdir /proc/self/fd/{n}: ELOOP (too many levels of symbolic links)")
    );
    let seen = in_child(r#"{"cwd":"/no/such/dir","args":["sh"]}"#, |p| {
        apply_attrs(p)
    });
    assert_eq!(
        seen.report,
        "chdir /no/such/dir: ENOENT (no such file or directory)"
    );
}
