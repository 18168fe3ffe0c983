//! seccomp on this host's kernel (root): the probe calls what the profile denies and
//! reports the errno; KILL kills it with SIGSYS; an i386 call is judged by the i386 part of
//! the filter; a NOTIFY filter's fd reaches a listener, which answers; the filter goes in
//! even when no_new_privs is off and the user keeps no capabilities.

mod common;
use common::*;
use json::JsonValue;

fn seccomp(v: &mut JsonValue, s: &str) {
    v["linux"]["seccomp"] = json::parse(s).unwrap();
}

/// The action object the probe recorded for its `n`th step.
fn action(r: &JsonValue, n: usize) -> &JsonValue {
    &r["actions"][n]
}

#[test]
fn denied_call_sees_its_errno_and_kill_kills() {
    let e = Env::new("sc-errno");
    let profile = r#"{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],
        "flags":["SECCOMP_FILTER_FLAG_TSYNC","SECCOMP_FILTER_FLAG_LOG","SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
        "syscalls":[{"names":["sched_yield"],"action":"SCMP_ACT_ERRNO","errnoRet":30},
                    {"names":["getpgid"],"action":"SCMP_ACT_KILL_PROCESS"}]}"#;
    e.config(
        &["/husk-probe", "syscall", "sched_yield", "syscall", "getpid"],
        |v| seccomp(v, profile),
    );
    let o = e.run("errno");
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(o.stderr.is_empty(), "{}", text(&o.stderr));
    let r = report(&o);
    assert_eq!(r["seccomp"], 2, "filter mode");
    assert_eq!(action(&r, 0)["errno"], "EROFS", "{r}");
    assert_eq!(action(&r, 1)["ret"], 1, "getpid: {r}");
    // KILL_PROCESS: SIGSYS (31), which `run` reports as 128 + 31.
    e.config(&["/husk-probe", "syscall", "getpgid"], |v| {
        seccomp(v, profile)
    });
    let o = e.run("kill");
    assert_eq!(o.status.code(), Some(159), "{}", text(&o.stderr));
    assert!(!text(&o.stdout).contains('{'), "no report after the kill");
}

#[test]
fn filter_goes_in_without_no_new_privs_and_drops_the_kept_capability() {
    let e = Env::new("sc-caps");
    let profile = r#"{"defaultAction":"SCMP_ACT_ALLOW",
        "syscalls":[{"names":["sched_yield"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}"#;
    for (uid, caps) in [(0, "[]"), (1000, "[]"), (0, r#"["CAP_KILL"]"#)] {
        e.config(&["/husk-probe", "syscall", "sched_yield"], |v| {
            seccomp(v, profile);
            v["process"]["noNewPrivileges"] = false.into();
            v["process"]["user"]["uid"] = uid.into();
            for set in [
                "bounding",
                "effective",
                "permitted",
                "inheritable",
                "ambient",
            ] {
                v["process"]["capabilities"][set] = json::parse(caps).unwrap();
            }
        });
        let o = e.run(&format!("caps{uid}{}", caps.len()));
        assert!(o.status.success(), "{}", text(&o.stderr));
        let r = report(&o);
        assert_eq!(r["seccomp"], 2);
        assert_eq!(r["no_new_privs"], 0);
        assert_eq!(action(&r, 0)["errno"], "EPERM");
        // Exactly the listed sets: CAP_SYS_ADMIN (bit 21) kept for seccomp(2) is gone.
        let want = if caps.len() > 2 {
            "0000000000000020"
        } else {
            "0000000000000000"
        };
        for set in ["eff", "prm", "inh", "bnd"] {
            assert_eq!(r["caps"][set], want, "{set} uid {uid} {caps}: {r}");
        }
    }
}

#[test]
fn podmans_default_profile() {
    let e = Env::new("sc-podman");
    let cfg = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/podman-4.3-config.json"
    ))
    .unwrap();
    let podman = json::parse(&cfg).unwrap();
    // kcmp (312) is denied with EPERM by the profile; without it pid 0 gives ESRCH.
    e.config(
        &["/husk-probe", "syscall", "312", "syscall", "sched_yield"],
        |v| {
            v["linux"]["seccomp"] = podman["linux"]["seccomp"].clone();
        },
    );
    let o = e.run("podman");
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(o.stderr.is_empty(), "{}", text(&o.stderr));
    let r = report(&o);
    assert_eq!(r["seccomp"], 2);
    assert_eq!(action(&r, 0)["errno"], "EPERM", "{r}");
    assert_eq!(action(&r, 1)["ret"], 0, "sched_yield is allowed");
}

#[test]
fn i386_calls_are_judged_by_the_i386_table() {
    let e = Env::new("sc-compat");
    for (arches, want) in [
        (r#"["SCMP_ARCH_X86_64","SCMP_ARCH_X86"]"#, Some("EXDEV")),
        // Not in the filter: the default action (allow) for every i386 call.
        (r#"["SCMP_ARCH_X86_64"]"#, None),
    ] {
        let profile = format!(
            r#"{{"defaultAction":"SCMP_ACT_ALLOW","architectures":{arches},
            "syscalls":[{{"names":["sched_yield"],"action":"SCMP_ACT_ERRNO","errnoRet":18}}]}}"#
        );
        e.config(
            &[
                "/husk-probe",
                "syscall",
                "sched_yield",
                "syscall32",
                "sched_yield",
                "syscall32",
                "getpid",
            ],
            |v| seccomp(v, &profile),
        );
        let o = e.run("compat");
        assert!(o.status.success(), "{}", text(&o.stderr));
        let r = report(&o);
        assert_eq!(action(&r, 0)["errno"], "EXDEV", "{r}");
        match want {
            Some(errno) => assert_eq!(action(&r, 1)["errno"], errno, "{r}"),
            None => assert_eq!(action(&r, 1)["ret"], 0, "{r}"),
        }
        // i386 getpid is not in the profile: allowed, and it is pid 1 in the container.
        assert_eq!(action(&r, 2)["ret"], 1, "{r}");
    }
}

#[test]
fn notify_hands_the_listener_fd_over_and_the_listener_answers() {
    let e = Env::new("sc-notify");
    let sock = e.dir.join("listener.sock");
    let state = e.dir.join("listener.state");
    let profile = format!(
        r#"{{"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"{}","listenerMetadata":"probe-42",
        "flags":["SECCOMP_FILTER_FLAG_TSYNC","SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"],
        "syscalls":[{{"names":["sched_yield"],"action":"SCMP_ACT_NOTIFY"}}]}}"#,
        sock.display()
    );
    e.config(&["/husk-probe", "syscall", "sched_yield", "syscall", "getpgid"], |v| {
        seccomp(v, &profile);
        // The listener starts as a createRuntime hook: bound before the filter exists.
        v["hooks"]["createRuntime"] = json::array![json::object! {
            path: PROBE,
            args: [ "husk-probe", "notify-listen", sock.to_str().unwrap(), state.to_str().unwrap(), "4242" ],
        }];
    });
    let o = e.run("notify");
    assert!(o.status.success(), "{}", text(&o.stderr));
    let r = report(&o);
    assert_eq!(action(&r, 0)["ret"], 4242, "the listener's answer: {r}");
    assert!(
        action(&r, 1)["ret"].is_number(),
        "getpgid is not notified: {r}"
    );
    let s = json::parse(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(s["fds"], json::array!["seccompFd"], "{s}");
    assert_eq!(s["metadata"], "probe-42");
    assert_eq!(s["state"]["id"], "notify");
    assert_eq!(s["state"]["status"], "creating");
    assert_eq!(s["pid"], s["state"]["pid"]);
    assert!(s["pid"].as_i32().unwrap() > 1);
}

#[test]
fn unknown_names_are_warned_about_and_skipped() {
    let e = Env::new("sc-unknown");
    let profile = r#"{"defaultAction":"SCMP_ACT_ALLOW",
        "syscalls":[{"names":["no_such_call","sched_yield"],"action":"SCMP_ACT_ERRNO","errnoRet":30}]}"#;
    e.config(&["/husk-probe", "syscall", "sched_yield"], |v| {
        seccomp(v, profile)
    });
    let o = e.run("unknown");
    assert!(o.status.success(), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.contains(
            "seccomp: 1 syscall name(s) unknown on every architecture, skipped: no_such_call"
        ),
        "{err}"
    );
    assert_eq!(action(&report(&o), 0)["errno"], "EROFS");
}

#[test]
fn a_bad_profile_fails_create_with_the_field() {
    let e = Env::new("sc-bad");
    e.config(&["/husk-probe"], |v| {
        seccomp(
            v,
            r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["sched_yield"],"action":"SCMP_ACT_NOTIFY"}]}"#,
        )
    });
    let o = e.run("bad");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("linux.seccomp.listenerPath: is required with SCMP_ACT_NOTIFY"),
        "{}",
        text(&o.stderr)
    );
    assert!(
        !e.root().join("bad").exists(),
        "nothing left in the state dir"
    );
}
