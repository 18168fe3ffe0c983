//! `husk exec` (root): a second process joins every namespace and the cgroup of a running
//! container, with exactly the identity and capabilities its Process asks, the container's
//! seccomp filter, signals forwarded and its exit status returned; paused and stopped
//! containers are refused with runc's words.

mod common;
use common::*;
use json::JsonValue;
use std::process::Command;

/// A running container whose probe sleeps; returns its host pid.
fn running(e: &Env, id: &str, edit: impl FnOnce(&mut JsonValue)) -> String {
    e.config(&["/husk-probe", "sleep", "60"], edit);
    let pid = e.create(id);
    assert!(e.husk_detached(&["start", id]).status.success());
    pid
}

fn ns(pid: &str, name: &str) -> String {
    std::fs::read_link(format!("/proc/{pid}/ns/{name}"))
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

#[test]
fn joins_every_namespace_and_the_cgroup_with_the_asked_identity() {
    let e = Env::new("exec-join");
    let init = running(&e, "j", |v| {
        v["linux"]["namespaces"]
            .push(json::object! {"type": "cgroup"})
            .unwrap();
    });
    let o = e.husk(&[
        "exec",
        "--env",
        "EXTRA=1",
        "--user",
        "1000:1001",
        "--additional-gids",
        "7",
        "--cwd",
        "/proc",
        "j",
        "/husk-probe",
        "env=EXTRA,PATH",
        "exit",
        "3",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    let r = report(&o);
    for n in ["pid", "mnt", "net", "ipc", "uts", "cgroup"] {
        assert_eq!(r["ns"][n].as_str(), Some(ns(&init, n).as_str()), "{n}");
    }
    assert!(r["pid"].as_i32().unwrap() > 1, "not the init: {}", r["pid"]);
    assert_eq!(r["uid"], 1000);
    assert_eq!(r["gid"], 1001);
    assert_eq!(r["groups"], json::array![7]);
    assert_eq!(r["cwd"], "/proc");
    assert_eq!(r["env"]["EXTRA"], "1");
    assert!(r["env"]["PATH"].is_string(), "the config's env is kept");
    // The cgroup namespace is rooted at the container's cgroup: the exec is in it too.
    assert!(
        r["cgroup"].as_str().unwrap().ends_with("0::/"),
        "{}",
        r["cgroup"]
    );
    // A non-root user gets no capabilities by default, none inheritable or ambient.
    for set in ["eff", "prm", "inh", "amb"] {
        assert_eq!(r["caps"][set], "0000000000000000", "{set}");
    }
}

#[test]
fn caps_added_never_leak_into_inheritable_or_ambient() {
    let e = Env::new("exec-caps");
    running(&e, "c", |_| {});
    let o = e.husk(&["exec", "--cap", "CAP_NET_ADMIN", "c", "/husk-probe"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let r = report(&o);
    // runc's default set (AUDIT_WRITE, KILL, NET_BIND_SERVICE) plus NET_ADMIN (bit 12).
    assert_eq!(r["caps"]["eff"], "0000000020001420");
    assert_eq!(r["caps"]["bnd"], "0000000020001420");
    assert_eq!(r["caps"]["inh"], "0000000000000000", "CVE-2022-29162");
    assert_eq!(r["caps"]["amb"], "0000000000000000");
}

#[test]
fn process_file_and_detach_with_pid_file() {
    let e = Env::new("exec-file");
    let init = running(&e, "f", |_| {});
    let proc_json = e.dir.join("process.json");
    std::fs::write(
        &proc_json,
        r#"{"args":["/husk-probe","sleep","30"],"cwd":"/","env":["A=b"],"user":{"uid":0,"gid":0},"noNewPrivileges":true,"oomScoreAdj":300}"#,
    )
    .unwrap();
    let pidfile = e.dir.join("exec.pid");
    let o = e.husk_detached(&[
        "exec",
        "--process",
        proc_json.to_str().unwrap(),
        "--detach",
        "--pid-file",
        pidfile.to_str().unwrap(),
        "f",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let pid = std::fs::read_to_string(&pidfile).unwrap();
    assert_eq!(ns(pid.trim(), "pid"), ns(&init, "pid"));
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    assert!(status.contains("NoNewPrivs:\t1"), "{status}");
    let adj = std::fs::read_to_string(format!("/proc/{}/oom_score_adj", pid.trim())).unwrap();
    assert_eq!(adj.trim(), "300", "written through husk's own procfs");
    let ps = e.husk(&["ps", "--format", "json", "f"]);
    let pids = json::parse(&text(&ps.stdout)).unwrap();
    assert!(
        pids.members()
            .any(|p| p.as_i32() == pid.trim().parse().ok()),
        "{pids} has {pid}"
    );
}

#[test]
fn seccomp_of_the_container_applies_to_exec() {
    let e = Env::new("exec-seccomp");
    running(&e, "s", |v| {
        v["linux"]["seccomp"] = json::parse(
            r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["sched_yield"],"action":"SCMP_ACT_ERRNO","errnoRet":30}]}"#,
        )
        .unwrap();
    });
    let o = e.husk(&["exec", "s", "/husk-probe", "syscall", "sched_yield"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let r = report(&o);
    assert_eq!(r["seccomp"], 2);
    assert_eq!(r["actions"][0]["errno"], "EROFS");
}

#[test]
fn signals_are_forwarded_and_the_status_returned() {
    let e = Env::new("exec-signal");
    running(&e, "g", |_| {});
    let root = e.root();
    let mut child = Command::new(HUSK)
        .arg("--root")
        .arg(&root)
        .args(["exec", "g", "/husk-probe", "sleep", "30"])
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let st = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let st = child.wait().unwrap();
    assert_eq!(
        st.code(),
        Some(128 + 15),
        "SIGTERM reached the exec process"
    );
}

#[test]
fn missing_program_paused_and_stopped_containers() {
    let e = Env::new("exec-refuse");
    running(&e, "r", |_| {});
    let o = e.husk(&["exec", "r", "/no-such-program"]);
    assert_eq!(o.status.code(), Some(127));
    assert!(
        text(&o.stderr).contains("no such file or directory"),
        "{}",
        text(&o.stderr)
    );
    let o = e.husk(&["exec", "r", "no-such-program"]);
    assert_eq!(o.status.code(), Some(127));
    assert!(
        text(&o.stderr).contains("executable file not found in $PATH"),
        "{}",
        text(&o.stderr)
    );
    // pause needs a cgroup2 this host cannot give; a stopped container is refused:
    assert!(e.husk(&["kill", "r", "KILL"]).status.success());
    for _ in 0..50 {
        let s = e.husk(&["state", "r"]);
        if json::parse(&text(&s.stdout)).unwrap()["status"] == "stopped" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let o = e.husk(&["exec", "r", "/husk-probe"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        text(&o.stderr),
        "husk: cannot exec in a stopped container\n"
    );
    let o = e.husk(&["exec", "nope", "/husk-probe"]);
    assert!(
        text(&o.stderr).contains("container does not exist"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn user_namespace_container() {
    let e = Env::new("exec-userns");
    // Root inside is host uid 100000: the image carries its mount points (as in lifecycle).
    for d in ["proc", "sys", "dev"] {
        std::fs::create_dir_all(e.bundle().join("rootfs").join(d)).unwrap();
    }
    let init = running(&e, "u", |v| {
        v["linux"]["namespaces"]
            .push(json::object! {"type": "user"})
            .unwrap();
        v["linux"]["uidMappings"] =
            json::array![{"containerID": 0, "hostID": 100000, "size": 65536}];
        v["linux"]["gidMappings"] =
            json::array![{"containerID": 0, "hostID": 100000, "size": 65536}];
    });
    let o = e.husk(&["exec", "u", "/husk-probe"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let r = report(&o);
    assert_eq!(r["ns"]["user"].as_str(), Some(ns(&init, "user").as_str()));
    assert_eq!(r["uid"], 0, "root of the container's user namespace");
    let pid = r["pid"].as_i32().unwrap();
    assert!(pid > 1);
}

/// The session keyring as the probe sees it (`ret` serial or an errno).
fn keyring(r: &JsonValue) -> String {
    let a = &r["actions"][0];
    if a["ret"].is_number() {
        a["ret"].to_string()
    } else {
        a["errno"].to_string()
    }
}

#[test]
fn containers_get_their_own_session_keyring_and_exec_joins_it() {
    let e = Env::new("exec-keyring");
    let host = Command::new(PROBE)
        .args(["syscall", "keyctl"])
        .output()
        .unwrap();
    let host = keyring(&report(&host));
    e.config(
        &["/husk-probe", "syscall", "keyctl", "report", "sleep", "60"],
        |_| {},
    );
    let b = e.bundle();
    let o = e.husk_detached(&["run", "-d", "--bundle", b.to_str().unwrap(), "k"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let x = e.husk(&["exec", "k", "/husk-probe", "syscall", "keyctl"]);
    assert!(x.status.success(), "{}", text(&x.stderr));
    let mine = keyring(&report(&x));
    assert!(mine.parse::<i64>().is_ok(), "a keyring serial: {mine}");
    // Joined by name (`_ses.k`): every exec of the container is in the same keyring.
    let again = e.husk(&["exec", "k", "/husk-probe", "syscall", "keyctl"]);
    assert_eq!(keyring(&report(&again)), mine);
    assert_ne!(mine, host, "not the caller's session keyring");
    // --no-new-keyring keeps the caller's.
    e.config(&["/husk-probe", "syscall", "keyctl"], |_| {});
    let o = e.husk(&[
        "run",
        "--no-new-keyring",
        "--bundle",
        b.to_str().unwrap(),
        "n",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(keyring(&report(&o)), host);
}

#[test]
fn exec_keeps_the_callers_keyring_in_a_container_created_without_its_own() {
    let e = Env::new("exec-nokeyring");
    let host = Command::new(PROBE)
        .args(["syscall", "keyctl"])
        .output()
        .unwrap();
    let host = keyring(&report(&host));
    assert!(host.parse::<i64>().is_ok(), "a keyring serial: {host}");
    e.config(&["/husk-probe", "sleep", "60"], |_| {});
    e.create_with(&["--no-new-keyring"], "nk");
    assert!(e.husk_detached(&["start", "nk"]).status.success());
    // runc keeps the flag with the container: its exec does not join `_ses.nk` either.
    let x = e.husk(&["exec", "nk", "/husk-probe", "syscall", "keyctl"]);
    assert!(x.status.success(), "{}", text(&x.stderr));
    assert_eq!(keyring(&report(&x)), host, "the caller's session keyring");
}
