//! The husk binary driven from outside, as containerd, Podman and CRI-O drive runc:
//! exit codes, stdout/stderr, the files it writes. Uses the host build of the binary.

use json::JsonValue as Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn husk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_husk"))
        .args(args)
        .output()
        .expect("run husk")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn tmpdir(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("husk-cli-{}-{}", name, std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

/// One line on stderr, exit status 2: the contract for bad usage.
fn assert_usage(o: &Output, want: &str) {
    assert_eq!(o.status.code(), Some(2), "stderr: {}", text(&o.stderr));
    let e = text(&o.stderr);
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(e.contains(want), "{e}");
    assert!(o.stdout.is_empty());
}

#[test]
fn version_names_husk_commit_and_spec() {
    for flag in ["--version", "-v"] {
        let o = husk(&[flag]);
        assert!(o.status.success());
        let out = text(&o.stdout);
        let lines: Vec<_> = out.lines().collect();
        assert_eq!(
            lines[0],
            format!("husk version {}", env!("CARGO_PKG_VERSION"))
        );
        assert!(lines[1].starts_with("commit: "));
        assert_eq!(lines[2], "spec: 1.3.0");
    }
}

#[test]
fn bad_usage_exits_2_with_one_line() {
    assert_usage(&husk(&[]), "no command given");
    assert_usage(&husk(&["frobnicate"]), "unknown command");
    assert_usage(&husk(&["state"]), "state: requires exactly one argument");
    assert_usage(&husk(&["state", "a", "b"]), "requires exactly one argument");
    assert_usage(&husk(&["--bogus", "list"]), "unknown option \"--bogus\"");
    assert_usage(&husk(&["list", "--format"]), "option needs a value");
    assert_usage(
        &husk(&["--log-format", "xml", "list"]),
        "--log-format must be text or json",
    );
    assert_usage(&husk(&["state", "../etc"]), "invalid container id");
    assert_usage(&husk(&["state", "a/b"]), "invalid container id");
}

#[test]
fn every_runc_command_has_help() {
    for cmd in [
        "create", "start", "run", "state", "kill", "delete", "list", "ps", "exec", "pause",
        "resume", "update", "events", "spec", "features", "validate", "init",
    ] {
        let o = husk(&[cmd, "--help"]);
        assert!(o.status.success(), "{cmd}");
        assert!(
            text(&o.stdout).starts_with(&format!("Usage: husk {cmd}")),
            "{cmd}"
        );
        let o = husk(&["help", cmd]);
        assert!(
            text(&o.stdout).starts_with(&format!("Usage: husk {cmd}")),
            "{cmd}"
        );
    }
    let o = husk(&["--help"]);
    assert!(o.status.success());
    assert!(text(&o.stdout).contains("checkpoint"));
}

#[test]
fn callers_argv_forms_parse() {
    // The exact argv containerd's shim and conmon use must parse (no usage error, exit 2):
    // here they fail for a missing bundle or container (exit 1) with a husk message.
    let root = tmpdir("argv");
    let r = root.to_str().unwrap();
    let cases: &[&[&str]] = &[
        &[
            "--root",
            r,
            "--log",
            "/dev/null",
            "--log-format",
            "json",
            "create",
            "--bundle",
            "/nonexistent",
            "--pid-file",
            "/tmp/init.pid",
            "id1",
        ],
        &[
            "--root",
            r,
            "--log-format=json",
            "create",
            "--bundle=/nonexistent",
            "--pid-file=/p",
            "--no-pivot",
            "--no-new-keyring",
            "--preserve-fds",
            "2",
            "id1",
        ],
        &["--root", r, "create", "id1", "--bundle", "/nonexistent"],
        &["--root", r, "start", "id1"],
        &["--root", r, "kill", "--all", "id1", "KILL"],
        &["--root", r, "kill", "-a", "id1", "9"],
        &["--root", r, "ps", "--format", "json", "id1"],
        &["--root", r, "run", "-d", "--bundle", "/nonexistent", "id1"],
        &[
            "--root",
            r,
            "--systemd-cgroup",
            "--cgroup-manager",
            "cgroupfs",
            "start",
            "id1",
        ],
    ];
    for c in cases {
        let o = husk(c);
        assert_eq!(o.status.code(), Some(1), "{c:?}: {}", text(&o.stderr));
        let e = text(&o.stderr);
        assert!(
            e.contains("container does not exist")
                || e.contains("/nonexistent/config.json: ENOENT"),
            "{c:?}: {e}"
        );
    }
    // delete --force of an id that does not exist succeeds (callers' cleanup paths).
    let o = husk(&["--root", r, "delete", "--force", "id1"]);
    assert!(
        o.status.success() && o.stderr.is_empty(),
        "{}",
        text(&o.stderr)
    );
    let o = husk(&["--root", r, "delete", "id1"]);
    assert_eq!(text(&o.stderr), "husk: container does not exist\n");
}

#[test]
fn cgroup_commands_accept_runc_flags() {
    let dir = std::env::temp_dir().join(format!("husk-cli-cg-{}", std::process::id()));
    let r = dir.to_str().unwrap();
    let cases: &[&[&str]] = &[
        &["pause", "id1"],
        &["resume", "id1"],
        &["update", "--resources", "-", "id1"],
        &[
            "update",
            "--memory",
            "16m",
            "--memory-swap",
            "-1",
            "--memory-reservation",
            "1m",
            "--cpu-share",
            "512",
            "--cpu-quota",
            "-1",
            "--cpu-period",
            "100000",
            "--cpu-burst",
            "0",
            "--cpuset-cpus",
            "0-1",
            "--cpuset-mems",
            "0",
            "--pids-limit",
            "10",
            "--blkio-weight",
            "500",
            "id1",
        ],
        &["events", "--stats", "id1"],
        &["events", "--interval", "100ms", "id1"],
    ];
    for c in cases {
        let mut a = vec!["--root", r];
        a.extend_from_slice(c);
        let o = husk(&a);
        assert_eq!(o.status.code(), Some(1), "{c:?}: {}", text(&o.stderr));
        assert!(
            text(&o.stderr).contains("container does not exist"),
            "{c:?}: {}",
            text(&o.stderr)
        );
    }
    let o = husk(&["--root", r, "events", "--interval", "soon", "id1"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn exec_accepts_runc_flags_and_checkpoint_is_refused() {
    let cases: &[&[&str]] = &[
        &[
            "exec",
            "--process",
            "/tmp/p.json",
            "--detach",
            "--pid-file",
            "/x.pid",
            "id1",
        ],
        &["exec", "-t", "id1", "sh", "-c", "echo --not-a-flag"],
    ];
    for c in cases {
        let o = husk(c);
        assert_eq!(o.status.code(), Some(1), "{c:?}: {}", text(&o.stderr));
        assert!(
            text(&o.stderr).contains("container does not exist"),
            "{c:?}: {}",
            text(&o.stderr)
        );
    }
    let o = husk(&["checkpoint", "--image-path", "/x", "id1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("no CRIU"));
}

#[test]
fn state_of_unknown_container() {
    let root = tmpdir("state-unknown");
    let o = husk(&["--root", root.to_str().unwrap(), "state", "nosuch"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(text(&o.stderr), "husk: container does not exist\n");
    // Also when the root itself does not exist.
    let o = husk(&["--root", "/nonexistent/husk", "state", "nosuch"]);
    assert_eq!(text(&o.stderr), "husk: container does not exist\n");
}

/// A state directory as `create` leaves it (written here by hand until create exists).
fn fake_container(root: &Path, id: &str, status: &str, pid: u32, pid_start: u64) {
    let d = root.join(id);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(
        d.join("state.json"),
        format!(
            "{{\"ociVersion\":\"1.3.0\",\"id\":\"{id}\",\"status\":\"{status}\",\"pid\":{pid},\"pidStart\":{pid_start},\"bundle\":\"/b/{id}\",\"rootfs\":\"/b/{id}/rootfs\",\"created\":\"2026-11-29T17:00:00Z\",\"owner\":\"\",\"annotations\":{{\"k\":\"v\"}}}}\n"
        ),
    )
    .unwrap();
}

#[test]
fn state_lays_out_nested_annotations_at_every_level() {
    // Nested values never come from a valid config (annotations are strings), but
    // state.json is read as it is: every level is laid out as runc's MarshalIndent would.
    let root = tmpdir("state-nested");
    let d = root.join("n");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(
        d.join("state.json"),
        "{\"ociVersion\":\"1.3.0\",\"id\":\"n\",\"status\":\"stopped\",\"pid\":0,\"bundle\":\"/b\",\"rootfs\":\"/b/r\",\"created\":\"2026-11-29T17:00:00Z\",\"owner\":\"\",\"annotations\":{\n \"a\": {\"x\" :[1,\n\t{\"y\":\"z\"} , [ ]],\n   \"e\":{ }},\"b\":\"c\"}}\n",
    )
    .unwrap();
    let o = husk(&["--root", root.to_str().unwrap(), "state", "n"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains(
            "  \"annotations\": {\n    \"a\": {\n      \"x\": [\n        1,\n        {\n          \"y\": \"z\"\n        },\n        []\n      ],\n      \"e\": {}\n    },\n    \"b\": \"c\"\n  },\n"
        ),
        "{out}"
    );
    let v: Value = json::parse(&out).unwrap();
    assert_eq!(out, format!("{}\n", json::stringify_pretty(v, 2)));
}

fn start_time(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = &s[s.rfind(')').unwrap() + 2..];
    after.split(' ').nth(19).unwrap().parse().unwrap()
}

#[test]
fn state_and_list_report_live_and_stopped_containers() {
    let root = tmpdir("state");
    let r = root.to_str().unwrap();
    let mut child = Command::new("sleep").arg("30").spawn().unwrap();
    let pid = child.id();
    fake_container(&root, "alive", "running", pid, start_time(pid));
    // A pid that exists but started at another time is another process: stopped.
    fake_container(&root, "reused", "running", pid, start_time(pid) + 1);

    let o = husk(&["--root", r, "state", "alive"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(o.stderr.is_empty());
    let v: Value = json::parse(&text(&o.stdout)).unwrap();
    assert_eq!(v["id"], "alive");
    assert_eq!(v["status"], "running");
    assert_eq!(v["pid"], pid);
    assert_eq!(v["bundle"], "/b/alive");
    assert_eq!(v["rootfs"], "/b/alive/rootfs");
    assert_eq!(v["created"], "2026-11-29T17:00:00Z");
    assert_eq!(v["owner"], "");
    assert_eq!(v["ociVersion"], "1.3.0");
    assert_eq!(v["annotations"]["k"], "v");

    let v: Value = json::parse(&text(&husk(&["--root", r, "state", "reused"]).stdout)).unwrap();
    assert_eq!(v["status"], "stopped");
    assert_eq!(v["pid"], 0);

    let o = husk(&["--root", r, "list", "--format", "json"]);
    let v: Value = json::parse(&text(&o.stdout)).unwrap();
    let mut got: Vec<(String, String)> = v
        .members()
        .map(|c| {
            (
                c["id"].as_str().unwrap().into(),
                c["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("alive".into(), "running".into()),
            ("reused".into(), "stopped".into())
        ]
    );

    let o = husk(&["--root", r, "list"]);
    let t = text(&o.stdout);
    assert!(t.lines().next().unwrap().starts_with("ID"));
    assert!(t
        .lines()
        .any(|l| l.starts_with("alive") && l.contains("running") && l.contains(&pid.to_string())));
    let o = husk(&["--root", r, "list", "-q"]);
    let mut ids: Vec<_> = text(&o.stdout).lines().map(String::from).collect();
    ids.sort();
    assert_eq!(ids, ["alive", "reused"]);

    child.kill().unwrap();
    child.wait().unwrap();
    let v: Value = json::parse(&text(&husk(&["--root", r, "state", "alive"]).stdout)).unwrap();
    assert_eq!(v["status"], "stopped");
}

#[test]
fn list_of_missing_root_is_empty() {
    let o = husk(&["--root", "/nonexistent/husk", "list", "--format", "json"]);
    assert!(o.status.success());
    assert_eq!(text(&o.stdout), "[]\n");
}

#[test]
fn corrupt_state_is_an_error() {
    let root = tmpdir("corrupt");
    std::fs::create_dir_all(root.join("bad")).unwrap();
    std::fs::write(root.join("bad/state.json"), b"{\"id\":").unwrap();
    let o = husk(&["--root", root.to_str().unwrap(), "state", "bad"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(text(&o.stderr), "husk: state.json: is corrupt\n");
}

#[test]
fn json_log_lines_for_callers() {
    let dir = tmpdir("log");
    let log = dir.join("log.json");
    let o = husk(&[
        "--log",
        log.to_str().unwrap(),
        "--log-format",
        "json",
        "--root",
        dir.to_str().unwrap(),
        "state",
        "x",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(text(&o.stderr), "husk: container does not exist\n");
    let l = std::fs::read_to_string(&log).unwrap();
    assert_eq!(l.lines().count(), 1);
    let v: Value = json::parse(l.lines().next().unwrap()).unwrap();
    assert_eq!(v["level"], "error");
    assert_eq!(v["msg"], "container does not exist");
    let t = v["time"].as_str().unwrap();
    assert!(
        t.ends_with('Z') && t.len() >= 20 && &t[4..5] == "-" && &t[10..11] == "T",
        "{t}"
    );
    // text format: logrus-style key=value
    let tl = dir.join("log.txt");
    husk(&["--log", tl.to_str().unwrap(), "state", "y"]);
    let l = std::fs::read_to_string(&tl).unwrap();
    assert!(
        l.starts_with("time=\"") && l.contains("level=error msg=\"container does not exist\""),
        "{l}"
    );
    // A successful command writes nothing on stderr.
    let o = husk(&[
        "--log",
        log.to_str().unwrap(),
        "--log-format=json",
        "features",
    ]);
    assert!(o.status.success() && o.stderr.is_empty());
}

#[test]
fn features_claims_only_what_is_implemented() {
    let o = husk(&["features"]);
    assert!(o.status.success());
    let v: Value = json::parse(&text(&o.stdout)).unwrap();
    assert_eq!(v["ociVersionMin"], "1.0.0");
    assert_eq!(v["ociVersionMax"], "1.3.0");
    assert_eq!(
        v["hooks"],
        json::array![
            "prestart",
            "createRuntime",
            "createContainer",
            "startContainer",
            "poststart",
            "poststop"
        ]
    );
    assert_eq!(
        v["linux"]["namespaces"],
        json::array!["user", "pid", "network", "ipc", "uts", "mount", "cgroup", "time"]
    );
    assert_eq!(v["linux"]["capabilities"].len(), 41);
    assert!(v["linux"]["capabilities"].contains("CAP_SYS_ADMIN"));
    let opts: Vec<&str> = v["mountOptions"]
        .members()
        .map(|o| o.as_str().unwrap())
        .collect();
    for o in ["ro", "nosuid", "rbind", "rro", "rprivate", "strictatime"] {
        assert!(opts.contains(&o), "{o}");
    }
    // Not implemented yet: not claimed.
    assert!(!opts.contains(&"idmap"));
    assert_eq!(v["linux"]["mountExtensions"]["idmap"]["enabled"], false);
    assert_eq!(v["linux"]["seccomp"]["enabled"], true);
    assert_eq!(v["linux"]["cgroup"]["v2"], true);
    assert_eq!(v["linux"]["cgroup"]["v1"], false);
    assert_eq!(
        v["annotations"]["io.github.husk.version"],
        env!("CARGO_PKG_VERSION")
    );
}

fn runc_spec(rootless: bool) -> Value {
    let mut ns = vec!["pid", "network", "ipc", "uts", "mount"];
    if rootless {
        ns.retain(|n| *n != "network");
    }
    if nix_statfs_cgroup2() {
        ns.push("cgroup");
    }
    if rootless {
        ns.push("user");
    }
    let ns: Vec<String> = ns.iter().map(|n| format!("{{\"type\":\"{n}\"}}")).collect();
    let caps = r#"["CAP_AUDIT_WRITE","CAP_KILL","CAP_NET_BIND_SERVICE"]"#;
    let (sys, pts, extra) = if rootless {
        let (u, g) = ids();
        (
            r#"{"destination":"/sys","type":"none","source":"/sys","options":["rbind","nosuid","noexec","nodev","ro"]}"#,
            r#"["nosuid","noexec","newinstance","ptmxmode=0666","mode=0620"]"#,
            format!(
                r#""uidMappings":[{{"containerID":0,"hostID":{u},"size":1}}],"gidMappings":[{{"containerID":0,"hostID":{g},"size":1}}],"#
            ),
        )
    } else {
        (
            r#"{"destination":"/sys","type":"sysfs","source":"sysfs","options":["nosuid","noexec","nodev","ro"]}"#,
            r#"["nosuid","noexec","newinstance","ptmxmode=0666","mode=0620","gid=5"]"#,
            r#""resources":{"devices":[{"allow":false,"access":"rwm"}]},"#.to_string(),
        )
    };
    let doc = format!(
        r#"{{"ociVersion":"1.3.0",
        "process":{{"terminal":true,"user":{{"uid":0,"gid":0}},"args":["sh"],
            "env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","TERM=xterm"],
            "cwd":"/","capabilities":{{"bounding":{caps},"effective":{caps},"permitted":{caps}}},
            "rlimits":[{{"type":"RLIMIT_NOFILE","hard":1024,"soft":1024}}],"noNewPrivileges":true}},
        "root":{{"path":"rootfs","readonly":true}},
        "hostname":"husk",
        "mounts":[
            {{"destination":"/proc","type":"proc","source":"proc"}},
            {{"destination":"/dev","type":"tmpfs","source":"tmpfs","options":["nosuid","strictatime","mode=755","size=65536k"]}},
            {{"destination":"/dev/pts","type":"devpts","source":"devpts","options":{pts}}},
            {{"destination":"/dev/shm","type":"tmpfs","source":"shm","options":["nosuid","noexec","nodev","mode=1777","size=65536k"]}},
            {{"destination":"/dev/mqueue","type":"mqueue","source":"mqueue","options":["nosuid","noexec","nodev"]}},
            {sys},
            {{"destination":"/sys/fs/cgroup","type":"cgroup","source":"cgroup","options":["nosuid","noexec","nodev","relatime","ro"]}}],
        "linux":{{{extra}"namespaces":[{}],
            "maskedPaths":["/proc/acpi","/proc/asound","/proc/kcore","/proc/keys","/proc/latency_stats","/proc/timer_list","/proc/timer_stats","/proc/sched_debug","/sys/firmware","/proc/scsi","/sys/devices/virtual/tpm"],
            "readonlyPaths":["/proc/bus","/proc/fs","/proc/irq","/proc/sys","/proc/sysrq-trigger"]}}}}"#,
        ns.join(",")
    );
    json::parse(&doc).unwrap()
}

fn nix_statfs_cgroup2() -> bool {
    // cgroup2 on /sys/fs/cgroup shows in mountinfo with that mount point.
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .any(|l| l.split(' ').nth(4) == Some("/sys/fs/cgroup") && l.contains(" - cgroup2 "))
}

fn ids() -> (u64, u64) {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    let field = |k: &str| -> u64 {
        s.lines()
            .find(|l| l.starts_with(k))
            .unwrap()
            .split_whitespace()
            .nth(2)
            .unwrap()
            .parse()
            .unwrap()
    };
    (field("Uid:"), field("Gid:"))
}

#[test]
fn spec_writes_runcs_default_config() {
    for rootless in [false, true] {
        let dir = tmpdir(if rootless { "spec-rootless" } else { "spec" });
        let mut args = vec!["spec", "--bundle", dir.to_str().unwrap()];
        if rootless {
            args.push("--rootless");
        }
        let o = husk(&args);
        assert!(o.status.success(), "{}", text(&o.stderr));
        let raw = std::fs::read_to_string(dir.join("config.json")).unwrap();
        assert!(raw.starts_with(
            "{\n\t\"ociVersion\": \"1.3.0\",\n\t\"process\": {\n\t\t\"terminal\": true,"
        ));
        let v: Value = json::parse(&raw).unwrap();
        assert_eq!(v, runc_spec(rootless), "rootless={rootless}");
        // Never overwrites.
        let o = husk(&args);
        assert_eq!(o.status.code(), Some(1));
        assert!(text(&o.stderr).contains("config.json exists"));
    }
}

fn bundle_with(name: &str, config: &str, with_sh: bool) -> PathBuf {
    let dir = tmpdir(name);
    std::fs::create_dir_all(dir.join("rootfs/bin")).unwrap();
    if with_sh {
        std::fs::write(dir.join("rootfs/bin/sh"), b"").unwrap();
    }
    std::fs::write(dir.join("config.json"), config).unwrap();
    dir
}

#[test]
fn validate_accepts_spec_output_and_prints_what_it_parsed() {
    let dir = bundle_with("validate-ok", "", true);
    std::fs::remove_file(dir.join("config.json")).unwrap();
    assert!(husk(&["spec", "--bundle", dir.to_str().unwrap()])
        .status
        .success());
    let o = husk(&["validate", "--bundle", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("config.json: valid"), "{out}");
    assert!(out.contains("root       rootfs (read-only)"), "{out}");
    assert!(out.contains("process    sh"), "{out}");
    assert!(
        out.contains("namespaces pid network ipc uts mount"),
        "{out}"
    );
}

#[test]
fn validate_prints_every_problem() {
    let cfg = r#"{"ociVersion":"1.3.0","root":{"path":"rootfs"},
        "process":{"cwd":"relative","args":["nothere"],"env":["NOEQUALS"],
            "capabilities":{"bounding":["CAP_FLY"]},
            "rlimits":[{"type":"RLIMIT_NOFILE","hard":1,"soft":1},{"type":"RLIMIT_NOFILE","hard":1,"soft":1}]},
        "hostname":"h",
        "linux":{"namespaces":[{"type":"pid"},{"type":"pid"},{"type":"warp"}],
            "uidMappings":[{"containerID":0,"hostID":1000,"size":1}]}}"#;
    let dir = bundle_with("validate-bad", cfg, false);
    let o = husk(&["validate", "--bundle", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let e = text(&o.stderr);
    for want in [
        "process.cwd: must be an absolute path",
        "process.env[0]",
        "process.capabilities.bounding[0]",
        "process.rlimits[1]",
        "linux.namespaces[1]",
        "linux.namespaces[2]",
        "linux.uidMappings",
        "hostname",
        "process.args[0]: executable file not found in $PATH of the rootfs \"nothere\"",
    ] {
        assert!(e.contains(want), "missing {want:?} in:\n{e}");
    }
    let problems = e
        .lines()
        .filter(|l| l.starts_with("husk: ") && !l.contains("validate:"))
        .count();
    assert!(
        e.trim_end()
            .ends_with(&format!("husk: validate: {problems} problems found")),
        "{e}"
    );
    assert!(problems >= 9, "{e}");
}

#[test]
fn validate_names_json_and_capacity_errors() {
    let dir = bundle_with(
        "validate-json",
        r#"{"ociVersion":"1.3.0","process":{"args":["a"],"cwd":"/","env":["A=\q"]}}"#,
        true,
    );
    let o = husk(&["validate", "--bundle", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let e = text(&o.stderr);
    assert!(
        e.starts_with("husk: process.env[0]: ") && e.contains(" at byte "),
        "{e}"
    );

    let env: Vec<String> = (0..5000).map(|i| format!("\"K{i}=v\"")).collect();
    let cfg = format!(
        r#"{{"ociVersion":"1.3.0","process":{{"args":["a"],"cwd":"/","env":[{}]}}}}"#,
        env.join(",")
    );
    let dir = bundle_with("validate-cap", &cfg, true);
    let o = husk(&["validate", "--bundle", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("process.env: 5000 entries, limit 4096"),
        "{}",
        text(&o.stderr)
    );

    let o = husk(&["validate", "--bundle", "/nonexistent"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr)
            .contains("open /nonexistent/config.json: ENOENT (no such file or directory)"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn validate_rejects_oversized_config() {
    let big = format!(
        "{{\"ociVersion\":\"1.3.0\",\"x\":\"{}\"}}",
        "a".repeat(2 << 20)
    );
    let dir = bundle_with("validate-big", &big, true);
    let o = husk(&["validate", "--bundle", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("config.json: "),
        "{}",
        text(&o.stderr)
    );
    assert!(
        text(&o.stderr).contains("bytes, limit 1048576"),
        "{}",
        text(&o.stderr)
    );
}

/// The README's capacity tables are generated from `spec::limits::CAPACITIES` and
/// `init::limits::CAPACITIES`; this keeps them true when a limit changes.
#[test]
fn readme_lists_every_capacity() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let all = husk::spec::limits::CAPACITIES
        .iter()
        .chain(husk::init::limits::CAPACITIES);
    for (path, limit, unit) in all {
        let row = format!("| `{path}` | {limit} | {unit} |");
        assert!(readme.contains(&row), "README.md lacks the row {row}");
    }
}
