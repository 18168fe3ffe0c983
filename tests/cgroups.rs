//! cgroup v2 on the host (root): each case runs husk inside `unshare -m` with a cgroup2
//! file system mounted in that private mount namespace (the host's hybrid mount hidden), so
//! the tests do not depend on where, or whether, the host mounts cgroup2. This host's
//! cgroup2 has no controllers: placement, CLONE_INTO_CGROUP, cgroup namespaces and cleanup
//! are tested here; limits are tested under QEMU (qemu-tests/scenarios/cg-*).

use json::JsonValue;
use std::path::PathBuf;
use std::process::Command;

const HUSK: &str = env!("CARGO_BIN_EXE_husk");
const PROBE: &str = env!("CARGO_BIN_EXE_husk-probe");

struct Env {
    dir: PathBuf,
    name: String,
}

impl Env {
    fn new(name: &str) -> Env {
        let name = format!("husk-cgt-{}-{}", name, std::process::id());
        let dir = std::env::temp_dir().join(&name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("bundle/rootfs")).unwrap();
        std::fs::create_dir_all(dir.join("cg")).unwrap();
        std::fs::copy(PROBE, dir.join("bundle/rootfs/husk-probe")).unwrap();
        Env { dir, name }
    }

    fn config(&self, args: &[&str], edit: impl FnOnce(&mut JsonValue)) {
        let cfg = self.dir.join("bundle/config.json");
        let _ = std::fs::remove_file(&cfg);
        let o = Command::new(HUSK)
            .args(["spec", "--bundle"])
            .arg(self.dir.join("bundle"))
            .output()
            .unwrap();
        assert!(o.status.success());
        let mut v = json::parse(&std::fs::read_to_string(&cfg).unwrap()).unwrap();
        v["process"]["terminal"] = false.into();
        v["process"]["args"] =
            JsonValue::from(args.iter().map(|s| JsonValue::from(*s)).collect::<Vec<_>>());
        v["linux"].remove("resources");
        // Keep the namespaces list explicit: tests add cgroup where they want it.
        v["linux"]["namespaces"] =
            json::array![{"type":"pid"},{"type":"mount"},{"type":"ipc"},{"type":"uts"}];
        let mounts: Vec<JsonValue> = v["mounts"]
            .members()
            .filter(|m| m["type"] != "cgroup")
            .cloned()
            .collect();
        v["mounts"] = JsonValue::from(mounts);
        edit(&mut v);
        std::fs::write(&cfg, v.dump()).unwrap();
    }

    /// Run `script` in a private mount namespace where $CG is a fresh cgroup2 mount, $H
    /// husk with its state root, $B the bundle. Returns (status, stdout, stderr).
    fn sh(&self, script: &str) -> (i32, String, String) {
        let full = format!(
            "set -e; umount -l /sys/fs/cgroup/unified 2>/dev/null || true; \
             umount -l /sys/fs/cgroup 2>/dev/null || true; \
             mount -t cgroup2 none \"$CG\"; {script}"
        );
        let o = Command::new("unshare")
            .args(["-m", "--propagation", "private", "sh", "-c", &full])
            .env("CG", self.dir.join("cg"))
            .env(
                "H",
                format!("{HUSK} --root {}", self.dir.join("state").display()),
            )
            .env("B", self.dir.join("bundle"))
            .env("N", &self.name)
            .output()
            .unwrap();
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The `0::` line of the probe's /proc/self/cgroup.
fn cg_line(out: &str) -> String {
    let r = report(out);
    let t = r["cgroup"].as_str().unwrap_or("?");
    t.lines()
        .find(|l| l.starts_with("0::"))
        .unwrap_or(t)
        .to_string()
}

fn report(out: &str) -> JsonValue {
    let line = out.lines().find(|l| l.starts_with('{')).unwrap_or("{}");
    json::parse(line).unwrap_or(JsonValue::Null)
}

#[test]
fn absolute_path_clone_into_cgroup_and_delete() {
    let e = Env::new("abs");
    let n = e.name.clone();
    e.config(&["/husk-probe"], |v| {
        v["linux"]["cgroupsPath"] = format!("/{n}/c1").into();
    });
    // While the container runs: its cgroup exists and holds it; after run (which deletes),
    // the directory is gone.
    let (code, out, err) =
        e.sh("$H run --bundle $B c1; test ! -e \"$CG/$N/c1\" && echo GONE; rmdir \"$CG/$N\"");
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(cg_line(&out), format!("0::/{n}/c1"), "{out}");
    assert!(out.contains("GONE"), "{out}");
}

#[test]
fn cgroup_namespace_root_is_the_container_cgroup() {
    let e = Env::new("ns");
    let n = e.name.clone();
    e.config(&["/husk-probe"], |v| {
        v["linux"]["cgroupsPath"] = format!("/{n}/c2").into();
        v["linux"]["namespaces"]
            .push(json::object! {"type":"cgroup"})
            .unwrap();
    });
    let (code, out, err) = e.sh("$H run --bundle $B c2; rmdir \"$CG/$N\"");
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(cg_line(&out), "0::/", "{out}");
}

#[test]
fn relative_and_systemd_paths() {
    let e = Env::new("rel");
    let n = e.name.clone();
    e.config(&["/husk-probe"], |v| {
        v["linux"]["cgroupsPath"] = format!("{n}/c3").into();
    });
    // husk runs in a cgroup of its own here, so "relative" is visible.
    let (code, out, err) = e.sh(
        "mkdir \"$CG/$N-own\"; echo $$ > \"$CG/$N-own/cgroup.procs\"; \
         $H run --bundle $B c3; echo $$ > \"$CG/cgroup.procs\"; \
         rmdir \"$CG/$N-own/$N\" \"$CG/$N-own\"",
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(cg_line(&out), format!("0::/{n}-own/{n}/c3"));
    let e2 = Env::new("sd");
    e2.config(&["/husk-probe"], |v| {
        v["linux"]["cgroupsPath"] = "husktest-a.slice:pfx:c4".into();
    });
    let (code, out, err) = e2.sh("$H --systemd-cgroup run --bundle $B c4; \
         rmdir \"$CG/husktest.slice/husktest-a.slice\" \"$CG/husktest.slice\"");
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(
        cg_line(&out),
        "0::/husktest.slice/husktest-a.slice/pfx-c4.scope"
    );
}

#[test]
fn delete_kills_leftovers_and_removes_the_cgroup() {
    let e = Env::new("del");
    let n = e.name.clone();
    e.config(&["/husk-probe", "sleep", "60"], |v| {
        v["linux"]["cgroupsPath"] = format!("/{n}/c5").into();
    });
    let (code, out, err) = e.sh("$H create --bundle $B c5 >/dev/null 2>&1; $H start c5; \
         grep -q . \"$CG/$N/c5/cgroup.procs\" && echo POPULATED; \
         $H ps --format json c5; \
         $H delete --force c5; test ! -e \"$CG/$N/c5\" && echo GONE; rmdir \"$CG/$N\"");
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("POPULATED") && out.contains("GONE"),
        "{out}\n{err}"
    );
}

#[test]
fn resources_without_controller_fail_clearly_and_leave_nothing() {
    let e = Env::new("noctl");
    let n = e.name.clone();
    e.config(&["/husk-probe"], |v| {
        v["linux"]["cgroupsPath"] = format!("/{n}/c6").into();
        v["linux"]["resources"] = json::object! {"memory": {"limit": 16777216}};
    });
    // The fresh mount's root enables no controller for its children (this host's cgroup2
    // has none at all): memory.max does not exist.
    let (code, out, err) = e.sh(
        "echo -memory > \"$CG/cgroup.subtree_control\" 2>/dev/null || true; \
         if $H run --bundle $B c6; then echo RAN; fi; \
         test ! -e \"$CG/$N/c6\" && echo GONE; rmdir \"$CG/$N\"; $H state c6 || echo NOSTATE",
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(!out.contains("RAN"), "{out}\n{err}");
    assert!(
        out.contains("GONE") && out.contains("NOSTATE"),
        "{out}\n{err}"
    );
    assert!(
        err.contains("linux.resources.memory.limit")
            && err.contains(&format!("/{n}"))
            && err.contains("controller memory not available"),
        "{err}"
    );
}

#[test]
fn no_resources_still_runs_without_cgroup2() {
    let e = Env::new("nocg");
    e.config(&["/husk-probe"], |_| {});
    // No cgroup2 anywhere in this namespace: the container runs in husk's cgroup.
    let (code, out, err) = e.sh("umount \"$CG\"; $H run --bundle $B c7");
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(report(&out)["pid"].as_i32() == Some(1), "{out}");
}

#[test]
fn pause_resume_events_update() {
    let e = Env::new("pause");
    let n = e.name.clone();
    e.config(&["/husk-probe", "sleep", "60"], |v| {
        v["linux"]["cgroupsPath"] = format!("/{n}/c8").into();
    });
    let (code, out, err) = e.sh("$H create --bundle $B c8 >/dev/null 2>&1; $H start c8; \
         $H pause c8; echo \"STATE $($H state c8 | tr -d ' \\n')\"; \
         grep '^frozen' \"$CG/$N/c8/cgroup.events\"; \
         if $H pause c8 2>/dev/null; then echo PAUSED-TWICE; fi; \
         echo \"EXEC $($H exec c8 /husk-probe 2>&1)\"; \
         $H resume c8; echo \"STATE $($H state c8 | tr -d ' \\n')\"; \
         grep '^frozen' \"$CG/$N/c8/cgroup.events\"; \
         echo \"EVENTS $($H events --stats c8)\"; \
         if $H update --pids-limit 10 c8 2>&1; then echo UPDATED; fi; \
         $H delete --force c8; rmdir \"$CG/$N\"");
    assert_eq!(code, 0, "{out}\n{err}");
    let lines: Vec<&str> = out.lines().collect();
    let states: Vec<&&str> = lines.iter().filter(|l| l.starts_with("STATE ")).collect();
    assert!(states[0].contains("\"status\":\"paused\""), "{out}");
    assert!(states[1].contains("\"status\":\"running\""), "{out}");
    assert!(
        out.contains("frozen 1") && out.contains("frozen 0"),
        "{out}"
    );
    assert!(
        !out.contains("PAUSED-TWICE") && !out.contains("UPDATED"),
        "{out}"
    );
    assert!(
        out.contains(
            "EXEC husk: cannot exec in a paused container (use --ignore-paused to override)"
        ),
        "{out}"
    );
    let ev = lines.iter().find(|l| l.starts_with("EVENTS ")).unwrap();
    let v = json::parse(&ev[7..]).unwrap();
    assert_eq!(v["type"], "stats");
    assert_eq!(v["id"], "c8");
    // runc's shape: kernel/user always there; no pids controller on this host, so the
    // count comes from cgroup.procs (the probe alone) and there is no limit.
    assert!(
        v["data"]["cpu"]["usage"]["kernel"].as_u64().is_some(),
        "{ev}"
    );
    assert_eq!(v["data"]["pids"]["current"], 1, "{ev}");
    assert!(v["data"]["pids"]["limit"].is_null(), "{ev}");
    assert!(v["data"]["network_interfaces"].is_null(), "{ev}");
    assert!(
        out.contains("linux.resources.pids.limit") && out.contains("controller pids not available"),
        "{out}"
    );
}

#[test]
fn delete_cleans_up_after_a_create_killed_half_way() {
    let e = Env::new("crash");
    let n = e.name.clone();
    let cg = e.dir.join("cg").display().to_string();
    let pidf = e.dir.join("sleep.pid").display().to_string();
    // A createRuntime hook (run by the runtime while the container process waits in its
    // cgroup) leaves a process of its own in the cgroup, then SIGKILLs the runtime: the
    // create dies between the clone and Ready, with nothing cleaned up.
    let hook = format!(
        "sleep 60 </dev/null >/dev/null 2>&1 & echo $! > {cg}/{n}/c9/cgroup.procs; \
         echo $! > {pidf}; kill -9 $PPID"
    );
    e.config(&["/husk-probe"], |v| {
        v["linux"]["cgroupsPath"] = format!("/{n}/c9").into();
        v["hooks"] =
            json::object! {"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", hook.as_str()]}]};
    });
    let (code, out, err) = e.sh(
        "if $H create --bundle $B c9; then echo CREATED; fi; \
         echo \"STATE $($H state c9 | tr -d ' \\n')\"; \
         grep -q \"cgroupPath.*/$N/c9\" \"$(dirname $B)/state/c9/state.json\" && echo RECORDED; \
         grep -q . \"$CG/$N/c9/cgroup.procs\" && echo POPULATED; \
         $H delete c9; test ! -e \"$CG/$N/c9\" && echo GONE; \
         P=$(cat \"$(dirname $B)/sleep.pid\"); S=$(awk '{print $3}' /proc/$P/stat 2>/dev/null || true); \
         if [ -z \"$S\" ] || [ \"$S\" = Z ]; then echo SLEEP-DEAD; fi; \
         $H state c9 2>/dev/null || echo NOSTATE; rmdir \"$CG/$N\"",
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(!out.contains("CREATED"), "{out}\n{err}");
    let state = out.lines().find(|l| l.starts_with("STATE ")).unwrap_or("");
    assert!(state.contains("\"status\":\"creating\""), "{out}");
    for want in ["RECORDED", "POPULATED", "GONE", "SLEEP-DEAD", "NOSTATE"] {
        assert!(out.contains(want), "{want}:\n{out}\n{err}");
    }
}

#[test]
fn delete_cleans_up_after_a_create_killed_right_after_making_its_cgroup() {
    let e = Env::new("crash-mkdir");
    let n = e.name.clone();
    e.config(&["/husk-probe"], |v| {
        v["linux"]["cgroupsPath"] = format!("/{n}/c11").into();
    });
    // strace SIGKILLs the runtime at its first open of the cgroup's own path: the open
    // right after its mkdir, before anything else is done (the runtime only: no -f).
    // Then an existing cgroup holding another process: the create is killed before it
    // looks inside, and delete must leave both alone.
    let kill_at = "strace -qq -o /dev/null -P \"$CG/$N/c11\" -e trace=open,openat \
                   -e inject=open,openat:signal=KILL";
    let (code, out, err) = e.sh(&format!(
        "if {kill_at} $H create --bundle $B c11; then echo CREATED; fi; \
         test -d \"$CG/$N/c11\" && echo MADE; \
         echo \"STATE $($H state c11 | tr -d ' \\n')\"; \
         $H delete c11 && echo DELETED; test ! -e \"$CG/$N/c11\" && echo GONE; \
         $H state c11 2>/dev/null || echo NOSTATE; \
         mkdir \"$CG/$N/c11\"; sleep 60 </dev/null >/dev/null 2>&1 & S=$!; \
         echo $S > \"$CG/$N/c11/cgroup.procs\"; \
         if {kill_at} $H create --bundle $B c11; then echo CREATED; fi; \
         $H delete c11 && echo DELETED2; \
         kill -0 $S && grep -qx $S \"$CG/$N/c11/cgroup.procs\" && echo UNTOUCHED; \
         $H state c11 2>/dev/null || echo NOSTATE2; \
         kill -9 $S; wait $S 2>/dev/null || true; rmdir \"$CG/$N/c11\" \"$CG/$N\""
    ));
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(!out.contains("CREATED"), "{out}\n{err}");
    let state = out.lines().find(|l| l.starts_with("STATE ")).unwrap_or("");
    assert!(state.contains("\"status\":\"creating\""), "{out}\n{err}");
    for want in [
        "MADE",
        "DELETED",
        "GONE",
        "NOSTATE",
        "DELETED2",
        "UNTOUCHED",
        "NOSTATE2",
    ] {
        assert!(out.contains(want), "{want}:\n{out}\n{err}");
    }
}

#[test]
fn existing_cgroup_must_be_empty_and_not_frozen() {
    let e = Env::new("busy");
    let n = e.name.clone();
    e.config(&["/husk-probe"], |v| {
        v["linux"]["cgroupsPath"] = format!("/{n}/c10").into();
    });
    // Another process already in the cgroup: refused (runc 1.2+), and neither the
    // cgroup nor that process is touched. Then a frozen empty cgroup: refused too. Then
    // the same cgroup thawed and empty: used (and removed with the container, as runc).
    let (code, out, err) = e.sh(
        "mkdir -p \"$CG/$N/c10\"; sleep 60 </dev/null >/dev/null 2>&1 & S=$!; \
         echo $S > \"$CG/$N/c10/cgroup.procs\"; \
         if $H run --bundle $B c10; then echo RAN-BUSY; fi; \
         kill -0 $S && grep -qx $S \"$CG/$N/c10/cgroup.procs\" && echo UNTOUCHED; \
         $H state c10 2>/dev/null || echo NOSTATE; \
         kill -9 $S; wait $S 2>/dev/null || true; \
         echo 1 > \"$CG/$N/c10/cgroup.freeze\"; \
         if $H run --bundle $B c10; then echo RAN-FROZEN; fi; \
         test -d \"$CG/$N/c10\" && echo KEPT; \
         echo 0 > \"$CG/$N/c10/cgroup.freeze\"; \
         $H run --bundle $B c10 >/dev/null && echo RAN-EMPTY; \
         test ! -e \"$CG/$N/c10\" && echo GONE; rmdir \"$CG/$N\"",
    );
    assert_eq!(code, 0, "{out}\n{err}");
    for want in ["UNTOUCHED", "NOSTATE", "KEPT", "RAN-EMPTY", "GONE"] {
        assert!(out.contains(want), "{want}:\n{out}\n{err}");
    }
    assert!(
        !out.contains("RAN-BUSY") && !out.contains("RAN-FROZEN"),
        "{out}\n{err}"
    );
    assert!(
        err.contains("container's cgroup is not empty: 1 process(es) found \"/"),
        "{err}"
    );
    assert!(
        err.contains("container's cgroup unexpectedly frozen"),
        "{err}"
    );
}
