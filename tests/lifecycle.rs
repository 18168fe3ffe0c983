//! Containers end to end (root): bundles whose rootfs holds only the static husk-probe,
//! driven through the husk binary as containerd and Podman drive runc; assertions on what
//! the probe reports from inside, exit codes, state, and what is left behind.

mod common;
use common::*;
use json::JsonValue;
use std::process::{Command, Stdio};

fn ns_of(pid: &str, ns: &str) -> String {
    std::fs::read_link(format!("/proc/{pid}/ns/{ns}"))
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

#[test]
fn run_reports_the_containers_view() {
    let e = Env::new("view");
    e.config(
        &["/husk-probe", "env=PATH,TERM", "syscall", "personality"],
        |v| {
            v["hostname"] = "box".into();
            v["domainname"] = "example.org".into();
            v["linux"]["personality"] = json::object! {"domain": "LINUX32"};
            v["process"]["user"] =
                json::object! {"uid": 1000, "gid": 1000, "additionalGids": [5, 7], "umask": 23};
            v["process"]["cwd"] = "/tmp".into();
        },
    );
    let o = e.run("view");
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(o.stderr.is_empty(), "{}", text(&o.stderr));
    let r = report(&o);
    assert_eq!(r["pid"], 1, "new pid namespace: the probe is its init");
    assert_eq!(r["hostname"], "box");
    assert_eq!(r["domainname"], "example.org");
    // personality(0xffffffff) queries: PER_LINUX32 is 0x0008.
    let pers = r["actions"]
        .members()
        .find(|a| a["syscall"] == "personality")
        .unwrap();
    assert_eq!(pers["ret"], 8, "{pers}");
    assert_eq!(r["uid"], 1000);
    assert_eq!(r["gid"], 1000);
    assert_eq!(r["groups"], json::array![5, 7]);
    assert_eq!(r["umask"], "0027");
    assert_eq!(r["cwd"], "/tmp");
    // runc's default caps: AUDIT_WRITE, KILL, NET_BIND_SERVICE. A non-root user keeps
    // them only in the bounding set across execve (no ambient caps configured), as with runc.
    assert_eq!(r["caps"]["eff"], "0000000000000000");
    assert_eq!(r["caps"]["prm"], "0000000000000000");
    assert_eq!(r["caps"]["bnd"], "0000000020000420");
    assert_eq!(r["caps"]["inh"], "0000000000000000");
    assert_eq!(r["caps"]["amb"], "0000000000000000");
    assert_eq!(r["no_new_privs"], 1);
    assert_eq!(r["rlimits"]["nofile"], json::array![1024, 1024]);
    assert_eq!(r["env"]["TERM"], "xterm");
    // Every namespace of the config is new.
    for ns in ["pid", "net", "ipc", "uts", "mnt"] {
        assert_ne!(r["ns"][ns].as_str().unwrap(), ns_of("self", ns), "{ns}");
    }
    let mounts: Vec<(String, String)> = r["mounts"]
        .members()
        .map(|m| (m["dst"].to_string(), m["type"].to_string()))
        .collect();
    for (dst, ty) in [
        ("/", ""),
        ("/proc", "proc"),
        ("/dev", "tmpfs"),
        ("/dev/pts", "devpts"),
        ("/dev/shm", "tmpfs"),
        ("/sys", "sysfs"),
    ] {
        assert!(
            mounts
                .iter()
                .any(|(d, t)| d == dst && (ty.is_empty() || t == ty)),
            "{dst} {ty} in {mounts:?}"
        );
    }
    let ro_sys = r["mounts"].members().find(|m| m["dst"] == "/sys").unwrap();
    assert!(
        ro_sys["opts"].as_str().unwrap().starts_with("ro"),
        "{ro_sys}"
    );
    // Nothing left behind.
    assert_eq!(std::fs::read_dir(e.root()).unwrap().count(), 0);

    // As root, the configured sets are exactly what the process holds.
    e.config(&["/husk-probe"], |v| {
        v["process"]["capabilities"]["ambient"] = json::array!["CAP_KILL"];
        v["process"]["capabilities"]["inheritable"] = json::array!["CAP_KILL"];
    });
    let r = report(&e.run("root"));
    assert_eq!(r["uid"], 0);
    assert_eq!(r["caps"]["eff"], "0000000020000420");
    assert_eq!(r["caps"]["prm"], "0000000020000420");
    assert_eq!(r["caps"]["inh"], "0000000000000020");
    assert_eq!(r["caps"]["amb"], "0000000000000020");
}

#[test]
fn exit_status_and_signals() {
    let e = Env::new("exit");
    e.config(&["/husk-probe", "exit", "7"], |_| {});
    let o = e.run("exit");
    assert_eq!(o.status.code(), Some(7), "{}", text(&o.stderr));
    // Killed by a signal: 128+N. SIGTERM sent to `husk run` is forwarded to the container.
    // (Not in a new pid namespace: there the probe is an init, which ignores SIGTERM.)
    e.config(&["/husk-probe", "sleep", "30"], |v| {
        let kept: Vec<JsonValue> = v["linux"]["namespaces"]
            .members()
            .filter(|n| n["type"] != "pid")
            .cloned()
            .collect();
        v["linux"]["namespaces"] = JsonValue::from(kept);
    });
    let b = e.bundle();
    let mut child = Command::new(HUSK)
        .arg("--root")
        .arg(e.root())
        .args(["run", "--bundle", b.to_str().unwrap(), "sig"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the container runs.
    for _ in 0..200 {
        let s = e.husk(&["state", "sig"]);
        if text(&s.stdout).contains("\"running\"") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let st = child.wait().unwrap();
    assert_eq!(st.code(), Some(128 + 15));
}

#[test]
fn create_start_state_kill_delete() {
    let e = Env::new("cycle");
    e.config(&["/husk-probe", "sleep", "60"], |v| {
        v["annotations"] = json::object! {"org.example/k": "v"};
    });
    let b = e.bundle();
    let pidfile = e.dir.join("init.pid");
    let o = e.husk_detached(&[
        "create",
        "--bundle",
        b.to_str().unwrap(),
        "--pid-file",
        pidfile.to_str().unwrap(),
        "c1",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        o.stderr.is_empty(),
        "create must print nothing on stderr: {}",
        text(&o.stderr)
    );
    let pid = std::fs::read_to_string(&pidfile).unwrap();
    let st = json::parse(&text(&e.husk(&["state", "c1"]).stdout)).unwrap();
    assert_eq!(st["status"], "created");
    assert_eq!(st["pid"].to_string(), pid);
    assert_eq!(st["bundle"], b.to_str().unwrap());
    assert_eq!(st["annotations"]["org.example/k"], "v");
    // Created: waiting in husk's code, not yet the probe.
    assert_eq!(
        std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .unwrap()
            .trim(),
        "husk"
    );
    // A second create with the same id fails and leaves the first alone.
    let o = e.husk_detached(&["create", "--bundle", b.to_str().unwrap(), "c1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("already exists"),
        "{}",
        text(&o.stderr)
    );

    let o = e.husk(&["start", "c1"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert_eq!(
        std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .unwrap()
            .trim(),
        "husk-probe"
    );
    let st = json::parse(&text(&e.husk(&["state", "c1"]).stdout)).unwrap();
    assert_eq!(st["status"], "running");
    let o = e.husk(&["start", "c1"]);
    assert!(text(&o.stderr).contains("cannot start an already running container"));
    let ps = json::parse(&text(&e.husk(&["ps", "--format", "json", "c1"]).stdout)).unwrap();
    assert_eq!(ps, json::array![pid.parse::<u32>().unwrap()]);

    let o = e.husk(&["delete", "c1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("not stopped"),
        "{}",
        text(&o.stderr)
    );
    let o = e.husk(&["kill", "c1", "SIGKILL"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    for _ in 0..200 {
        if text(&e.husk(&["state", "c1"]).stdout).contains("stopped") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let o = e.husk(&["kill", "c1", "TERM"]);
    assert!(
        text(&o.stderr).contains("container not running"),
        "{}",
        text(&o.stderr)
    );
    let o = e.husk(&["delete", "c1"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(!e.root().join("c1").exists());
    let o = e.husk(&["delete", "--force", "c1"]);
    assert!(o.status.success());
}

#[test]
fn state_lays_out_pretty_printed_annotations_as_runc_does() {
    let e = Env::new("state-layout");
    e.config(&["/husk-probe", "sleep", "60"], |v| {
        v.remove("annotations");
    });
    // The annotations as an editor might leave them: tabs, odd indentation, a value on a
    // line of its own, CRLF.
    let cfg = e.bundle().join("config.json");
    let text_cfg = std::fs::read_to_string(&cfg).unwrap();
    let body = text_cfg.trim_end().strip_suffix('}').unwrap();
    std::fs::write(
        &cfg,
        format!(
            "{body},\n\"annotations\":   {{\n\t\t\"org.example/b\" :  \"2\",\r\n       \"org.example/a\":\n\"x y\"  }}\n}}\n"
        ),
    )
    .unwrap();
    e.create("sl");
    let out = text(&e.husk(&["state", "sl"]).stdout);
    // runc: json.MarshalIndent(state, "", "  "), one member a line at every level.
    assert!(
        out.contains(
            "\n  \"annotations\": {\n    \"org.example/b\": \"2\",\n    \"org.example/a\": \"x y\"\n  },\n  \"owner\": \"\"\n}\n"
        ),
        "{out}"
    );
    let v = json::parse(&out).unwrap();
    assert_eq!(out, format!("{}\n", json::stringify_pretty(v, 2)));
    // `list --format json` is compact: no white space at all, annotations included.
    let list = text(&e.husk(&["list", "--format", "json"]).stdout);
    assert!(
        list.contains("\"annotations\":{\"org.example/b\":\"2\",\"org.example/a\":\"x y\"},"),
        "{list}"
    );
    assert!(!list.trim_end().contains(['\n', '\t', '\r']), "{list}");
}

#[test]
fn state_of_a_near_full_state_file_is_whole_json() {
    // 1000 annotations making state.json about 62 KB of its 64 KiB: laid out with runc's
    // indentation the output grows by 6 bytes each, past any buffer of the file's size.
    let e = Env::new("state-big");
    e.config(&["/husk-probe", "sleep", "60"], |v| {
        let mut a = json::JsonValue::new_object();
        for k in 0..1000 {
            a[format!("org.example/k{k:04}")] = format!("{k:039}").into();
        }
        v["annotations"] = a;
    });
    e.create("big");
    let raw = std::fs::read(e.root().join("big").join("state.json")).unwrap();
    assert!(raw.len() > 60_000, "state.json is {} bytes", raw.len());
    let o = e.husk(&["state", "big"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.len() > 66_560, "{} bytes", out.len());
    let v = json::parse(&out).unwrap_or_else(|err| panic!("{err}: ...{}", &out[out.len() - 200..]));
    assert_eq!(v["annotations"].len(), 1000);
    assert_eq!(
        v["annotations"]["org.example/k0999"],
        format!("{:039}", 999).as_str()
    );
    assert_eq!(out, format!("{}\n", json::stringify_pretty(v, 2)));
}

#[test]
fn delete_force_kills_a_created_or_running_container() {
    let e = Env::new("force");
    e.config(&["/husk-probe", "sleep", "60"], |_| {});
    let b = e.bundle();
    for (id, start) in [("f1", false), ("f2", true)] {
        let pidfile = e.dir.join(format!("{id}.pid"));
        assert!(e
            .husk_detached(&[
                "create",
                "--bundle",
                b.to_str().unwrap(),
                "--pid-file",
                pidfile.to_str().unwrap(),
                id
            ])
            .status
            .success());
        if start {
            assert!(e.husk(&["start", id]).status.success());
        }
        let pid = std::fs::read_to_string(&pidfile).unwrap();
        let o = e.husk(&["delete", "--force", id]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        std::thread::sleep(std::time::Duration::from_millis(50));
        let alive = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| !s.contains(") Z"))
            .unwrap_or(false);
        assert!(!alive, "{id}: container process survived delete --force");
        assert!(!e.root().join(id).exists());
    }
}

#[test]
fn failed_create_leaves_nothing() {
    let e = Env::new("fail");
    e.config(&["nothere"], |_| {});
    let o = e.run("bad");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        text(&o.stderr),
        "husk: create: exec: \"nothere\": executable file not found in $PATH\n"
    );
    assert_eq!(std::fs::read_dir(e.root()).unwrap().count(), 0);
    // A mount that cannot be made: the message names the mount and the errno.
    e.config(&["/husk-probe"], |v| {
        v["mounts"]
            .push(json::object! {"destination": "/x", "type": "nosuchfs", "source": "none"})
            .unwrap();
    });
    let o = e.run("bad2");
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        err.starts_with("husk: create: mounts[7]") && err.contains("ENODEV"),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(e.root()).unwrap().count(), 0);
    // No mount namespace: refused before anything is made (the rootfs setup would pivot
    // the caller's own root).
    e.config(&["/husk-probe"], |v| {
        let kept: Vec<JsonValue> = v["linux"]["namespaces"]
            .members()
            .filter(|n| n["type"] != "mount")
            .cloned()
            .collect();
        v["linux"]["namespaces"] = JsonValue::from(kept);
        v["linux"].remove("maskedPaths");
        v["linux"].remove("readonlyPaths");
    });
    let o = e.run("nomnt");
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        err.starts_with("husk: linux.namespaces: a mount namespace is required"),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(e.root()).unwrap().count(), 0);
    // No stray process: nothing runs from this bundle's rootfs.
    let ours = e.bundle().join("rootfs");
    for p in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(root) = std::fs::read_link(p.path().join("root")) {
            assert!(
                !root.starts_with(&ours),
                "process {:?} still in the rootfs",
                p.path()
            );
        }
    }
}

#[test]
fn hostile_symlinks_stay_inside_the_rootfs() {
    let e = Env::new("hostile");
    let host_target = e.dir.join("host-target");
    std::fs::create_dir_all(&host_target).unwrap();
    let target = host_target.to_str().unwrap().to_string();
    let rootfs = e.bundle().join("rootfs");
    let host_untouched = || {
        assert_eq!(
            std::fs::read_dir(&host_target).unwrap().count(),
            0,
            "husk wrote into the host target"
        );
        let host_mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
        assert!(
            !host_mounts.contains(&target),
            "a mount landed on the host target"
        );
    };

    // A mount destination that is an absolute symlink to a host directory: resolved with
    // the rootfs as `/`, so the tmpfs lands at that path *inside* the container.
    std::os::unix::fs::symlink(&host_target, rootfs.join("data")).unwrap();
    e.config(&["/husk-probe"], |v| {
        v["mounts"]
            .push(json::object! {"destination": "/data", "type": "tmpfs", "source": "tmpfs"})
            .unwrap();
    });
    let o = e.run("hostile1");
    assert!(o.status.success(), "{}", text(&o.stderr));
    let r = report(&o);
    assert!(
        r["mounts"]
            .members()
            .any(|m| m["dst"] == target.as_str() && m["type"] == "tmpfs"),
        "{}",
        r["mounts"]
    );
    host_untouched();

    // /dev as a symlink to a host directory, with no /dev mount: the device nodes are made
    // inside the rootfs; the masked paths then refuse the symlinked /dev/null (ELOOP), so
    // create fails cleanly.
    std::fs::remove_file(rootfs.join("data")).unwrap();
    std::fs::remove_dir_all(rootfs.join("dev")).unwrap();
    std::os::unix::fs::symlink(&host_target, rootfs.join("dev")).unwrap();
    e.config(&["/husk-probe"], |v| {
        let kept: Vec<JsonValue> = v["mounts"]
            .members()
            .filter(|m| !m["destination"].to_string().starts_with("/dev"))
            .cloned()
            .collect();
        v["mounts"] = JsonValue::from(kept);
    });
    let o = e.run("hostile2");
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("ELOOP"), "{}", text(&o.stderr));
    assert!(rootfs
        .join(host_target.strip_prefix("/").unwrap())
        .join("null")
        .exists());
    host_untouched();
    assert_eq!(std::fs::read_dir(e.root()).unwrap().count(), 0);
}

#[test]
fn hooks_run_in_order_with_the_state_on_stdin() {
    let e = Env::new("hooks");
    let busybox = "/bin/busybox";
    assert!(
        std::path::Path::new(busybox).exists(),
        "busybox-static is needed (targets/setup.sh installs it)"
    );
    let rootfs = e.bundle().join("rootfs");
    std::fs::create_dir_all(rootfs.join("bin")).unwrap();
    std::fs::copy(busybox, rootfs.join("bin/busybox")).unwrap();
    let log = e.dir.join("hooks.log");
    let host_hook = |kind: &str| {
        json::object! {
            "path": "/bin/sh",
            "args": ["sh", "-c", format!("echo {kind} $HOOK_ENV >> {0}; cat > {0}.{kind}.json", log.display())],
            "env": ["HOOK_ENV=seen"],
            "timeout": 10
        }
    };
    e.config(&["/husk-probe", "exit", "0"], |v| {
        v["root"]["readonly"] = false.into();
        v["hooks"] = json::object! {
            "prestart": [host_hook("prestart")],
            "createRuntime": [host_hook("createRuntime")],
            // Path resolved in the runtime namespace, run in the container's (before pivot).
            "createContainer": [host_hook("createContainer")],
            // Path resolved inside the container.
            "startContainer": [{"path": "/bin/busybox", "args": ["sh", "-c", "cat > /start.json"]}],
            "poststart": [host_hook("poststart")],
            "poststop": [host_hook("poststop")]
        };
    });
    let o = e.run("hooks");
    assert!(o.status.success(), "{}", text(&o.stderr));
    let order: Vec<String> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(
        order,
        [
            "prestart seen",
            "createRuntime seen",
            "createContainer seen",
            "poststart seen",
            "poststop seen"
        ]
    );
    let state = |kind: &str| {
        json::parse(&std::fs::read_to_string(format!("{}.{kind}.json", log.display())).unwrap())
            .unwrap()
    };
    let b = e.bundle();
    for (kind, status) in [
        ("createRuntime", "creating"),
        ("createContainer", "creating"),
        ("poststart", "running"),
        ("poststop", "stopped"),
    ] {
        let s = state(kind);
        assert_eq!(s["id"], "hooks", "{kind}");
        assert_eq!(s["status"], status, "{kind}");
        assert_eq!(s["bundle"], b.to_str().unwrap(), "{kind}");
        assert_eq!(s["ociVersion"], "1.3.0");
    }
    // Every hook saw the same, host-side pid of the container.
    let pid = state("createRuntime")["pid"].as_u32().unwrap();
    assert!(pid > 1);
    assert_eq!(state("createContainer")["pid"].as_u32(), Some(pid));
    let start = json::parse(&std::fs::read_to_string(rootfs.join("start.json")).unwrap()).unwrap();
    assert_eq!(start["status"], "created");
    assert_eq!(start["pid"].as_u32(), Some(pid));

    // A failing createRuntime hook aborts the create and leaves nothing.
    e.config(&["/husk-probe"], |v| {
        v["hooks"] =
            json::object! {"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", "exit 3"]}]};
    });
    let o = e.run("hooks2");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("hook createRuntime[0] /bin/sh: exit status 3"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(std::fs::read_dir(e.root()).unwrap().count(), 0);
}

#[test]
fn created_container_holds_only_stdio_and_the_fifo() {
    let e = Env::new("fds");
    e.config(&["/husk-probe"], |_| {});
    let pid = e.create("fds");
    let mut fds: Vec<u32> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .map(|d| d.unwrap().file_name().to_str().unwrap().parse().unwrap())
        .collect();
    fds.sort();
    assert_eq!(fds.len(), 4, "{fds:?}");
    assert_eq!(&fds[..3], &[0, 1, 2]);
    let fifo = std::fs::read_link(format!("/proc/{pid}/fd/{}", fds[3])).unwrap();
    assert!(fifo.to_string_lossy().ends_with("exec.fifo"), "{fifo:?}");
    // Identity and no_new_privs are applied before Ready, so errors reach `create`.
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    assert!(status.contains("NoNewPrivs:\t1"), "{status}");
    assert!(e.husk(&["delete", "--force", "fds"]).status.success());
}

fn with_userns(v: &mut JsonValue) {
    v["linux"]["namespaces"]
        .push(json::object! {"type": "user"})
        .unwrap();
    v["linux"]["uidMappings"] = json::array![{"containerID": 0, "hostID": 100000, "size": 65536}];
    v["linux"]["gidMappings"] = json::array![{"containerID": 0, "hostID": 100000, "size": 65536}];
}

#[test]
fn user_namespace_with_mappings() {
    let e = Env::new("userns");
    // Root in the container is host uid 100000: it cannot create directories in a rootfs
    // owned by host root (neither can runc), so the image has its mount points.
    for d in ["proc", "sys", "dev"] {
        std::fs::create_dir_all(e.bundle().join("rootfs").join(d)).unwrap();
    }
    e.config(&["/husk-probe"], with_userns);
    let o = e.run("u1");
    assert!(o.status.success(), "{}", text(&o.stderr));
    let r = report(&o);
    assert_eq!(r["uid"], 0, "root inside the user namespace");
    assert_ne!(r["ns"]["user"].as_str().unwrap(), ns_of("self", "user"));
    assert_eq!(r["caps"]["eff"], "0000000020000420");
    // Devices are bound from the host in a user namespace (mknod is not allowed there).
    assert!(
        r["mounts"].members().any(|m| m["dst"] == "/dev/null"),
        "{}",
        r["mounts"]
    );

    // The maps the runtime wrote, seen from the host.
    let pid = e.create("u2");
    let map = std::fs::read_to_string(format!("/proc/{pid}/uid_map")).unwrap();
    assert_eq!(
        map.split_whitespace().collect::<Vec<_>>(),
        ["0", "100000", "65536"]
    );
    let map = std::fs::read_to_string(format!("/proc/{pid}/gid_map")).unwrap();
    assert_eq!(
        map.split_whitespace().collect::<Vec<_>>(),
        ["0", "100000", "65536"]
    );
    // Its host uid is the mapped one.
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    assert!(
        status.lines().any(|l| l.starts_with("Uid:\t100000\t")),
        "{status}"
    );
    assert!(e.husk(&["delete", "--force", "u2"]).status.success());
}

#[test]
fn namespaces_joined_by_path() {
    let e = Env::new("join");
    e.config(&["/husk-probe", "sleep", "60"], |v| {
        v["hostname"] = "first".into()
    });
    let pid = e.create("first");
    // A second container joins the first one's uts, net and ipc namespaces.
    e.config(&["/husk-probe"], |v| {
        let mut ns = json::array![];
        for t in ["pid", "mount"] {
            ns.push(json::object! {"type": t}).unwrap();
        }
        for (t, p) in [("uts", "uts"), ("network", "net"), ("ipc", "ipc")] {
            ns.push(json::object! {"type": t, "path": format!("/proc/{pid}/ns/{p}")})
                .unwrap();
        }
        v["linux"]["namespaces"] = ns;
        v.remove("hostname");
    });
    let o = e.run("second");
    assert!(o.status.success(), "{}", text(&o.stderr));
    let r = report(&o);
    assert_eq!(
        r["hostname"], "first",
        "joined the first container's uts namespace"
    );
    for ns in ["uts", "net", "ipc"] {
        assert_eq!(r["ns"][ns].as_str().unwrap(), ns_of(&pid, ns), "{ns}");
    }
    assert_ne!(r["ns"]["pid"].as_str().unwrap(), ns_of(&pid, "pid"));
    assert!(e.husk(&["delete", "--force", "first"]).status.success());
}

#[test]
fn time_namespace_with_offsets() {
    let e = Env::new("timens");
    e.config(&["/husk-probe", "sleep", "60"], |v| {
        v["linux"]["namespaces"]
            .push(json::object! {"type": "time"})
            .unwrap();
        v["linux"]["timeOffsets"] =
            json::object! {"boottime": {"secs": 86400, "nanosecs": 0}, "monotonic": {"secs": 3600}};
    });
    let pid = e.create("t1");
    assert!(e.husk_detached(&["start", "t1"]).status.success());
    std::thread::sleep(std::time::Duration::from_millis(100));
    // After execve the probe is in the new time namespace, with the configured offsets.
    assert_ne!(ns_of(&pid, "time"), ns_of("self", "time"));
    let offs = std::fs::read_to_string(format!("/proc/{pid}/timens_offsets")).unwrap();
    assert!(
        offs.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["monotonic", "3600", "0"]),
        "{offs}"
    );
    assert!(
        offs.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["boottime", "86400", "0"]),
        "{offs}"
    );
    assert!(e.husk(&["delete", "--force", "t1"]).status.success());
}

#[test]
fn preserve_fds_reach_the_process_and_nothing_else_does() {
    let e = Env::new("fds2");
    e.config(&["/husk-probe", "sleep", "60"], |_| {});
    let b = e.bundle();
    let pidfile = e.dir.join("pid");
    let marker = e.dir.join("marker");
    std::fs::write(&marker, b"x").unwrap();
    // fd 3 is passed on (--preserve-fds 1); fd 4 is another inherited host fd: not passed.
    let script = format!(
        "exec 3<{m} 4<{m}; exec {h} --root {r} create --bundle {b} --pid-file {p} --preserve-fds 1 pf >/dev/null 2>{p}.err",
        m = marker.display(),
        h = HUSK,
        r = e.root().display(),
        b = b.display(),
        p = pidfile.display()
    );
    let st = Command::new("/bin/sh")
        .args(["-c", &script])
        .status()
        .unwrap();
    assert!(
        st.success(),
        "{}",
        std::fs::read_to_string(e.dir.join("pid.err")).unwrap_or_default()
    );
    let pid = std::fs::read_to_string(&pidfile).unwrap();
    assert!(e.husk_detached(&["start", "pf"]).status.success());
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert_eq!(
        std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .unwrap()
            .trim(),
        "husk-probe"
    );
    let fds: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .map(|d| d.unwrap().file_name().into_string().unwrap())
        .collect();
    let mut fds: Vec<u32> = fds.iter().map(|f| f.parse().unwrap()).collect();
    fds.sort();
    assert_eq!(
        fds,
        [0, 1, 2, 3],
        "only stdio and the preserved fd survive exec"
    );
    assert_eq!(
        std::fs::read_link(format!("/proc/{pid}/fd/3")).unwrap(),
        marker
    );
    assert!(e.husk(&["delete", "--force", "pf"]).status.success());
}

#[test]
fn readonly_masked_devices_sysctl_and_loopback() {
    let e = Env::new("protect");
    // The probe tries writes that the config forbids, then sleeps so the host can look in.
    e.config(
        &["/husk-probe", "write", "/newfile", "x", "write", "/proc/sys/kernel/domainname", "x", "write", "/tmp/ok", "x", "report", "sleep", "60"],
        |v| {
            v["root"]["readonly"] = true.into();
            v["mounts"].push(json::object! {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "size=1m", "mode=1777"]}).unwrap();
            v["linux"]["devices"] = json::array![{"path": "/dev/fuse-like", "type": "c", "major": 10, "minor": 229, "fileMode": 438, "uid": 0, "gid": 0}];
            v["linux"]["sysctl"] = json::object! {"net.ipv4.ip_forward": "1"};
        },
    );
    let b = e.bundle();
    let pidfile = e.dir.join("pid");
    let outf = e.dir.join("out");
    let out = std::fs::File::create(&outf).unwrap();
    let errf = std::fs::File::create(e.dir.join("err")).unwrap();
    let st = Command::new(HUSK)
        .arg("--root")
        .arg(e.root())
        .args([
            "run",
            "-d",
            "--bundle",
            b.to_str().unwrap(),
            "--pid-file",
            pidfile.to_str().unwrap(),
            "p1",
        ])
        .stdout(out)
        .stderr(errf)
        .status()
        .unwrap();
    assert!(
        st.success(),
        "{}",
        std::fs::read_to_string(e.dir.join("err")).unwrap()
    );
    let pid = std::fs::read_to_string(&pidfile).unwrap();
    let mut r = JsonValue::Null;
    for _ in 0..200 {
        if let Ok(t) = std::fs::read_to_string(&outf) {
            if let Some(l) = t.lines().find(|l| l.starts_with('{')) {
                r = json::parse(l).unwrap();
                break;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let errno_of = |path: &str| {
        r["actions"]
            .members()
            .find(|a| a["write"] == path)
            .map(|a| a["errno"].to_string())
            .unwrap()
    };
    assert_eq!(errno_of("/newfile"), "EROFS", "root.readonly");
    assert_eq!(
        errno_of("/proc/sys/kernel/domainname"),
        "EROFS",
        "readonlyPaths /proc/sys"
    );
    assert_eq!(
        r["actions"]
            .members()
            .find(|a| a["write"] == "/tmp/ok")
            .unwrap()["ret"],
        1,
        "tmpfs /tmp is writable"
    );
    let tmp = r["mounts"].members().find(|m| m["dst"] == "/tmp").unwrap();
    assert!(tmp["opts"].as_str().unwrap().contains("nosuid"), "{tmp}");

    // From the host, through the container's root: masked paths read empty.
    let root = format!("/proc/{pid}/root");
    let mut checked = 0;
    for masked in [
        "proc/kcore",
        "proc/timer_list",
        "proc/keys",
        "proc/sched_debug",
    ] {
        // Masked paths the kernel does not have are skipped, as runc does.
        if !std::path::Path::new("/").join(masked).exists() {
            continue;
        }
        checked += 1;
        let data = std::fs::read(format!("{root}/{masked}")).unwrap();
        assert!(data.is_empty(), "{masked} is masked");
    }
    assert!(
        checked >= 2,
        "this kernel has too few of the masked files to test"
    );
    assert_eq!(
        std::fs::read_dir(format!("{root}/proc/acpi"))
            .map(|d| d.count())
            .unwrap_or(0),
        0
    );
    // linux.devices: the node with its numbers and mode; and the defaults.
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let md = std::fs::metadata(format!("{root}/dev/fuse-like")).unwrap();
    assert!(md.file_type().is_char_device());
    assert_eq!((md.rdev() >> 8, md.rdev() & 0xff), (10, 229));
    assert_eq!(md.mode() & 0o777, 0o666);
    let null = std::fs::metadata(format!("{root}/dev/null")).unwrap();
    assert_eq!((null.rdev() >> 8, null.rdev() & 0xff), (1, 3));
    assert_eq!(
        std::fs::read_link(format!("{root}/dev/fd"))
            .unwrap()
            .to_str(),
        Some("/proc/self/fd")
    );
    // sysctl and loopback, seen from inside the container's network namespace.
    let inside = |cmd: &[&str]| {
        let o = Command::new("nsenter")
            .args(["-t", &pid, "-n"])
            .args(cmd)
            .output()
            .unwrap();
        text(&o.stdout)
    };
    assert_eq!(
        inside(&["cat", "/proc/sys/net/ipv4/ip_forward"]).trim(),
        "1"
    );
    assert!(
        inside(&["ip", "-o", "link", "show", "lo"]).contains("UP"),
        "loopback is up"
    );
    assert!(e.husk(&["delete", "--force", "p1"]).status.success());
}

#[test]
fn ps_and_kill_all_cover_every_process_of_the_container() {
    let e = Env::new("psall");
    let rootfs = e.bundle().join("rootfs");
    std::fs::create_dir_all(rootfs.join("bin")).unwrap();
    std::fs::copy("/bin/busybox", rootfs.join("bin/busybox"))
        .expect("busybox-static (targets/setup.sh)");
    e.config(
        &[
            "/bin/busybox",
            "sh",
            "-c",
            "/bin/busybox sleep 60 & /bin/busybox sleep 61 & wait",
        ],
        |v| {
            v["process"]["oomScoreAdj"] = 100.into();
        },
    );
    let b = e.bundle();
    let pidfile = e.dir.join("pid");
    let o = e.husk_detached(&[
        "run",
        "-d",
        "--bundle",
        b.to_str().unwrap(),
        "--pid-file",
        pidfile.to_str().unwrap(),
        "ps1",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let pid = std::fs::read_to_string(&pidfile).unwrap();
    let mut pids = JsonValue::Null;
    for _ in 0..200 {
        pids = json::parse(&text(&e.husk(&["ps", "--format", "json", "ps1"]).stdout)).unwrap();
        if pids.len() == 3 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(pids.len(), 3, "{pids}");
    assert!(pids
        .members()
        .any(|p| p.as_u32().map(|n| n.to_string()).as_deref() == Some(pid.as_str())));
    assert_eq!(
        std::fs::read_to_string(format!("/proc/{pid}/oom_score_adj"))
            .unwrap()
            .trim(),
        "100"
    );
    let table = text(&e.husk(&["ps", "ps1"]).stdout);
    assert!(
        table.starts_with("PID") && table.lines().count() == 4,
        "{table}"
    );
    let o = e.husk(&["kill", "--all", "ps1", "KILL"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    for _ in 0..200 {
        if text(&e.husk(&["state", "ps1"]).stdout).contains("stopped") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    for p in pids.members() {
        let alive = std::fs::read_to_string(format!("/proc/{p}/stat"))
            .map(|s| !s.contains(") Z"))
            .unwrap_or(false);
        assert!(!alive, "{p} survived kill --all");
    }
    assert_eq!(
        json::parse(&text(&e.husk(&["ps", "--format", "json", "ps1"]).stdout)).unwrap(),
        json::array![]
    );
    assert!(e.husk(&["delete", "ps1"]).status.success());
}

#[test]
fn no_pivot_runs_the_container_in_its_rootfs() {
    let e = Env::new("nopivot");
    e.config(&["/husk-probe"], |_| {});
    let b = e.bundle();
    let o = e.husk(&["run", "--no-pivot", "--bundle", b.to_str().unwrap(), "np"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let r = report(&o);
    assert_eq!(r["cwd"], "/");
    assert!(r["mounts"]
        .members()
        .any(|m| m["dst"] == "/proc" && m["type"] == "proc"));
}

#[test]
fn socket_activation_fds_come_first_with_listen_env() {
    let e = Env::new("listen");
    e.config(
        &[
            "/husk-probe",
            "env=LISTEN_FDS,LISTEN_PID",
            "stat",
            "/proc/self/fd/3",
            "stat",
            "/proc/self/fd/4",
            "stat",
            "/proc/self/fd/5",
        ],
        |_| {},
    );
    let marker = e.dir.join("marker");
    std::fs::write(&marker, "x").unwrap();
    // LISTEN_PID must name husk itself: `exec` keeps the shell's pid.
    let script = format!(
        "exec 3<{m} 4<{m}; LISTEN_FDS=2 LISTEN_PID=$$ exec {h} --root {r} run --bundle {b} --preserve-fds 0 act",
        m = marker.display(),
        h = HUSK,
        r = e.root().display(),
        b = e.bundle().display(),
    );
    let o = Command::new("/bin/sh")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let r = report(&o);
    assert_eq!(r["env"]["LISTEN_FDS"], "2");
    assert_eq!(r["env"]["LISTEN_PID"], "1");
    assert_eq!(r["actions"][0]["type"], "lnk", "fd 3 is open: {r}");
    assert_eq!(r["actions"][1]["type"], "lnk", "fd 4 is open");
    assert_eq!(
        r["actions"][2]["errno"], "ENOENT",
        "nothing past the passed fds"
    );
}
