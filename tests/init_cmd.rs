//! `husk init -- CMD` (a container's own init, as tini): the built binary run with /bin/sh
//! scripts as its child. Assertions on exit codes, what the child saw (files it wrote, its
//! /proc entries) and what /proc shows of husk init and its children. Waiting is polling
//! with a generous deadline, never a timing assertion.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const HUSK: &str = env!("CARGO_BIN_EXE_husk");
const BUSYBOX: &str = "/bin/busybox";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("husk-init-{}-{}", name, std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `husk init ARGS...` to completion.
fn init(args: &[&str]) -> Output {
    Command::new(HUSK).arg("init").args(args).output().unwrap()
}

/// A husk init running in the background: whatever is left of it and of its children's
/// process groups is SIGKILLed when the test ends, passed or failed (a leftover would keep
/// the test harness's output pipe open).
struct Running(Child);

impl Running {
    fn spawn(c: &mut Command) -> Running {
        Running(c.spawn().unwrap())
    }

    fn id(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let mut targets = vec![self.id().to_string()];
        for pid in [self.id()].into_iter().chain(children(self.id())) {
            for k in children(pid) {
                targets.push(format!("-{k}"));
                targets.push(k.to_string());
            }
        }
        for t in targets {
            let _ = Command::new(BUSYBOX)
                .args(["kill", "-s", "KILL", &t])
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.0.wait();
    }
}

/// Poll until `f` gives Some, or panic naming `what` after 20 s.
fn eventually<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let end = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

/// Wait until `p` holds a line equal to `want`.
fn wait_line(p: &Path, want: &str) {
    eventually(&format!("{want:?} in {}", p.display()), || {
        read(p).lines().any(|l| l == want).then_some(())
    });
}

fn signal(pid: u32, sig: &str) {
    let st = Command::new(BUSYBOX)
        .args(["kill", "-s", sig, &pid.to_string()])
        .status()
        .unwrap();
    assert!(st.success(), "kill -s {sig} {pid}");
}

/// (state, ppid, pgrp) from /proc/PID/stat; None once the pid is gone.
fn stat(pid: u32) -> Option<(char, u32, u32)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    Some((f[0].chars().next()?, f[1].parse().ok()?, f[2].parse().ok()?))
}

/// The pids whose parent is `pid`.
fn children(pid: u32) -> Vec<u32> {
    read(Path::new(&format!("/proc/{pid}/task/{pid}/children")))
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// The exit code of `c`, waiting at most 20 s (then the test fails).
fn wait_code(c: &mut Running) -> Option<i32> {
    eventually(&format!("pid {} to exit", c.id()), || {
        c.0.try_wait().unwrap().map(|st| st.code())
    })
}

#[test]
fn exit_codes_are_the_childs() {
    assert_eq!(init(&["--", "sh", "-c", "exit 0"]).status.code(), Some(0));
    assert_eq!(init(&["--", "sh", "-c", "exit 3"]).status.code(), Some(3));
    // Killed by SIGKILL: 128+9, as a shell reports it.
    assert_eq!(
        init(&["--", "sh", "-c", "kill -9 $$"]).status.code(),
        Some(137)
    );
    // -e remaps a listed code to 0, and only that one.
    assert_eq!(
        init(&["-e", "3", "--", "sh", "-c", "exit 3"]).status.code(),
        Some(0)
    );
    assert_eq!(
        init(&["-e143", "--", "sh", "-c", "exit 4"]).status.code(),
        Some(4)
    );
    // Options stop at the command: `-c` and `-e` belong to sh.
    let o = init(&["sh", "-c", "echo \"$0 $1\"; exit 5", "-e", "x"]);
    assert_eq!(o.status.code(), Some(5));
    assert_eq!(text(&o.stdout), "-e x\n");
    // stdout and stderr are the child's, inherited.
    let o = init(&["--", "sh", "-c", "echo out; echo err >&2"]);
    assert_eq!(
        (text(&o.stdout), text(&o.stderr)),
        ("out\n".into(), "err\n".into())
    );
}

#[test]
fn a_program_that_cannot_run_exits_127_or_126() {
    let o = init(&["--", "definitely-not-here-husk"]);
    assert_eq!(o.status.code(), Some(127));
    assert_eq!(
        text(&o.stderr),
        "husk: init: exec: \"definitely-not-here-husk\": executable file not found in $PATH\n"
    );
    let d = tmpdir("noexec");
    let f = d.join("plain");
    std::fs::write(&f, "not a program").unwrap();
    let o = init(&["--", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(126), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("EACCES"), "{}", text(&o.stderr));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn usage_errors_exit_2_with_the_usage_line() {
    let usage = "(usage: husk init [OPTIONS] [--] COMMAND [ARGS...])";
    for (args, msg) in [
        (
            &["-x", "--", "true"][..],
            "husk: init: unknown option \"-x\"",
        ),
        (
            &["--nope", "true"][..],
            "husk: init: unknown option \"--nope\"",
        ),
        (&[][..], "husk: init: requires a command to run"),
        (&["-g", "--"][..], "husk: init: requires a command to run"),
        (
            &["-e", "256", "true"][..],
            "husk: init: -e needs an exit code",
        ),
        (
            &["-p", "SIGNOPE", "true"][..],
            "husk: init: invalid signal \"SIGNOPE\"",
        ),
        (&["-e"][..], "husk: init: option needs a value \"-e\""),
    ] {
        let o = init(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let e = text(&o.stderr);
        assert!(
            e.starts_with(msg) && e.ends_with(&format!("{usage}\n")),
            "{args:?}: {e}"
        );
        assert_eq!(e.lines().count(), 1, "{e}");
    }
    // Help and tini's version line (Docker's `docker info` parses `tini version X`).
    let o = init(&["-h"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o.stdout).starts_with("Usage: husk init [OPTIONS] [--] COMMAND"));
    assert!(text(&o.stdout).contains("--keep-fds, -k"));
    let o = init(&["--version"]);
    assert_eq!(
        text(&o.stdout),
        format!("tini version {}_husk\n", env!("CARGO_PKG_VERSION"))
    );
    // Global options before `init` still work.
    let o = Command::new(HUSK)
        .args(["--debug", "init", "--", "sh", "-c", "exit 6"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(6));
    assert!(
        text(&o.stderr).contains("husk: debug: init: started"),
        "{}",
        text(&o.stderr)
    );
}

/// Podman runs `/run/podman-init -- CMD`, Docker `/sbin/docker-init -- CMD` (older Docker
/// `/dev/init -- CMD`) and `docker-init --version`; images call `tini -s -g -- CMD`.
#[test]
fn init_names_used_by_podman_docker_and_images() {
    let d = tmpdir("names");
    for name in ["podman-init", "docker-init", "tini", "catatonit", "init"] {
        let link = d.join(name);
        std::os::unix::fs::symlink(HUSK, &link).unwrap();
        let o = Command::new(&link)
            .args(["--", "sh", "-c", "echo \"$0\"; exit 4", "arg0"])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(4), "{name}: {}", text(&o.stderr));
        assert_eq!(text(&o.stdout), "arg0\n", "{name}");
    }
    let o = Command::new(d.join("tini"))
        .args([
            "-s", "-g", "-v", "-w", "-p", "SIGKILL", "-e", "9", "--", "true",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let o = Command::new(d.join("docker-init"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(
        text(&o.stdout).starts_with("tini version "),
        "{}",
        text(&o.stdout)
    );
    // Unknown options under an init name are usage errors too.
    let o = Command::new(d.join("podman-init"))
        .args(["-Z", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&d);
}

/// A /bin/sh child that records SIGUSR1 and SIGTERM in a file; SIGTERM ends it with 7.
const TRAPS: &str = r#"trap 'echo usr1 >> "$F"' USR1; trap 'echo term >> "$F"; exit 7' TERM
echo ready >> "$F"; while :; do sleep 0.05; done"#;

#[test]
fn signals_to_husk_init_reach_the_child() {
    let d = tmpdir("forward");
    let f = d.join("log");
    let mut c = Running::spawn(
        Command::new(HUSK)
            .args(["init", "--", "sh", "-c", TRAPS])
            .env("F", &f),
    );
    wait_line(&f, "ready");
    signal(c.id(), "USR1");
    wait_line(&f, "usr1");
    signal(c.id(), "TERM");
    assert_eq!(wait_code(&mut c), Some(7));
    assert_eq!(read(&f), "ready\nusr1\nterm\n");
    let _ = std::fs::remove_dir_all(&d);
}

/// With -g a signal reaches every process of the child's group (a background job of the
/// child shell here); without it only the child.
#[test]
fn group_forwarding() {
    let script = r#"sh -c 'trap "echo bg-term >> \"$F\"; exit 0" TERM; echo bg-ready >> "$F"
while :; do sleep 0.05; done' &
trap 'echo fg-term >> "$F"; wait; exit 0' TERM; echo fg-ready >> "$F"
while :; do sleep 0.05; done"#;
    for group in [true, false] {
        let d = tmpdir(if group { "group" } else { "nogroup" });
        let f = d.join("log");
        let mut args = vec!["init"];
        if group {
            args.push("-g");
        }
        args.extend(["--", "sh", "-c", script]);
        // (stderr: the shell reports its `sleep` killed by the group's SIGTERM.)
        let mut c = Running::spawn(
            Command::new(HUSK)
                .args(&args)
                .env("F", &f)
                .stderr(Stdio::null()),
        );
        wait_line(&f, "bg-ready");
        wait_line(&f, "fg-ready");
        let child = children(c.id())[0];
        // The child leads its own process group: that group is what -g signals.
        assert_eq!(stat(child).unwrap().2, child);
        signal(c.id(), "TERM");
        if group {
            wait_line(&f, "bg-term");
            wait_line(&f, "fg-term");
            assert_eq!(wait_code(&mut c), Some(0));
        } else {
            wait_line(&f, "fg-term");
            assert!(!read(&f).contains("bg-term"));
            // The background job did not get it: end it now, then the child exits.
            let st = Command::new(BUSYBOX)
                .args(["kill", "-s", "KILL", &format!("-{child}")])
                .status()
                .unwrap();
            assert!(st.success());
            assert_eq!(wait_code(&mut c), Some(137));
        }
        let _ = std::fs::remove_dir_all(&d);
    }
}

#[test]
fn orphans_are_reparented_and_reaped() {
    let d = tmpdir("reap");
    let f = d.join("log");
    // Five orphans that exit at once, and one that lives on until we end it; then the
    // child waits for SIGTERM.
    let script = r#"for i in 1 2 3 4 5; do sh -c 'true & exit 0'; done
sh -c 'sleep 1000 & echo $! > "$F.orphan"'
trap 'exit 0' TERM; echo ready >> "$F"; while :; do sleep 0.05; done"#;
    let mut c = Running::spawn(
        Command::new(HUSK)
            .args(["init", "--", "sh", "-c", script])
            .env("F", &f),
    );
    wait_line(&f, "ready");
    let me = c.id();
    let orphan: u32 = read(&d.join("log.orphan")).trim().parse().unwrap();
    // Not PID 1, so a subreaper: the orphan's parent is husk init.
    assert_eq!(stat(orphan).unwrap().1, me);
    // Every exited orphan is reaped: what is left under husk init is the child and the
    // live orphan, none a zombie (an unreaped one would stay forever).
    let kids = eventually("only live children under husk init", || {
        let mut kids = children(me);
        kids.sort();
        let live = kids.iter().all(|&k| stat(k).is_some_and(|s| s.0 != 'Z'));
        (live && kids.len() == 2).then_some(kids)
    });
    assert!(kids.contains(&orphan), "{kids:?}");
    signal(orphan, "KILL");
    eventually("the killed orphan reaped", || {
        stat(orphan).is_none().then_some(())
    });
    signal(me, "TERM");
    assert_eq!(wait_code(&mut c), Some(0));
    let _ = std::fs::remove_dir_all(&d);
}

/// husk init as PID 1 of a new pid namespace: the child is pid 2, orphans come to pid 1 and
/// are reaped, a SIGTERM from outside the namespace is forwarded, the exit code passes.
#[test]
fn as_pid_1_of_a_pid_namespace() {
    let d = tmpdir("pid1");
    let f = d.join("log");
    let script = r#"echo "me=$$ parent=$PPID" >> "$F"
for i in 1 2 3; do sh -c 'true & exit 0'; done
n=0; while grep -qs '^State:.*Z' /proc/[0-9]*/status && [ $n -lt 400 ]; do sleep 0.05; n=$((n+1)); done
echo "zombies=$(grep -ls '^State:.*Z' /proc/[0-9]*/status | wc -l)" >> "$F"
echo "init=$(tr '\0' ' ' < /proc/1/cmdline)" >> "$F"
trap 'echo term >> "$F"; exit 9' TERM; echo ready >> "$F"; while :; do sleep 0.05; done"#;
    let mut c = Running::spawn(
        Command::new("unshare")
            .args([
                "--fork",
                "--pid",
                "--mount-proc",
                HUSK,
                "init",
                "--",
                "sh",
                "-c",
                script,
            ])
            .env("F", &f),
    );
    wait_line(&f, "ready");
    let log = read(&f);
    assert!(log.starts_with("me=2 parent=1\n"), "{log}");
    assert!(log.contains("zombies=0\n"), "{log}");
    assert!(log.contains(&format!("init={HUSK} init -- sh -c")), "{log}");
    let husk_init = children(c.id())[0];
    signal(husk_init, "TERM");
    assert_eq!(wait_code(&mut c), Some(9));
    assert!(read(&f).ends_with("term\n"));
    let _ = std::fs::remove_dir_all(&d);
}

/// Whether fds 3, 4 and 5 are open in the child, and LISTEN_PID as it sees it.
const FDS: &str = r#"for n in 3 4 5; do [ -e /proc/$$/fd/$n ] && printf "$n " ; done
echo "listen_pid=${LISTEN_PID:-} me=$$""#;

/// Run `husk init [opts] -- sh -c FDS` with fds 3-5 open (on /dev/null) and `env`.
fn with_fds(opts: &str, env: &str) -> String {
    let cmd = format!(
        "exec 3</dev/null 4</dev/null 5</dev/null; {env} exec {HUSK} init {opts} -- sh -c '{FDS}'"
    );
    let o = Command::new("sh").args(["-c", &cmd]).output().unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    text(&o.stdout)
}

#[test]
fn inherited_fds_are_closed_unless_kept() {
    let me = |s: &str| s.rsplit("me=").next().unwrap().trim().to_string();
    let out = with_fds("", "");
    assert!(out.starts_with("listen_pid= "), "closed by default: {out}");
    let out = with_fds("-k", "");
    assert!(out.starts_with("3 4 5 listen_pid= "), "{out}");
    let out = with_fds("--keep-fds", "");
    assert!(out.starts_with("3 4 5 "), "{out}");
    let out = with_fds("", "HUSK_INIT_KEEP_FDS=1");
    assert!(out.starts_with("3 4 5 "), "{out}");
    // systemd socket activation meant for husk init (LISTEN_PID = its pid, the shell's
    // before exec): the LISTEN_FDS fds stay and LISTEN_PID becomes the child's.
    let out = with_fds("", "LISTEN_FDS=2 LISTEN_PID=$$");
    assert!(out.starts_with("3 4 listen_pid="), "{out}");
    assert_eq!(
        out.split("listen_pid=")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap(),
        me(&out)
    );
    // ... but not when meant for another process.
    let out = with_fds("", "LISTEN_FDS=2 LISTEN_PID=1");
    assert!(out.starts_with("listen_pid=1 "), "{out}");
}

/// husk init keeps nothing it inherited itself (catatonit does the same): only stdio and
/// its signalfd, and its cwd is /.
#[test]
fn husk_init_pins_no_fd_and_no_directory() {
    let d = tmpdir("pin");
    let f = d.join("log");
    let cmd = format!(
        "cd {}; exec 7</dev/null; exec {HUSK} init -k -- sh -c 'echo ready >> \"$F\"; exec sleep 1000'",
        d.display()
    );
    let mut c = Running::spawn(Command::new("sh").args(["-c", &cmd]).env("F", &f));
    wait_line(&f, "ready");
    let me = c.id();
    let mut fds: Vec<(u32, String)> = std::fs::read_dir(format!("/proc/{me}/fd"))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let target = std::fs::read_link(e.path()).unwrap();
            (
                e.file_name().to_str().unwrap().parse().unwrap(),
                target.display().to_string(),
            )
        })
        .collect();
    fds.sort();
    let numbers: Vec<u32> = fds.iter().map(|f| f.0).collect();
    assert_eq!(numbers, [0, 1, 2, 3], "{fds:?}");
    assert_eq!(fds[3].1, "anon_inode:[signalfd]");
    assert_eq!(
        std::fs::read_link(format!("/proc/{me}/cwd")).unwrap(),
        Path::new("/")
    );
    // The child was given fd 7 (-k) and still has the directory it started in.
    let child = children(me)[0];
    assert!(Path::new(&format!("/proc/{child}/fd/7")).exists());
    assert_eq!(std::fs::read_link(format!("/proc/{child}/cwd")).unwrap(), d);
    signal(me, "TERM");
    assert_eq!(wait_code(&mut c), Some(128 + 15));
    let _ = std::fs::remove_dir_all(&d);
}

/// (pid, pgrp, tpgid) of the `cat` run under husk init, from its /proc/self/stat.
fn stat_line(out: &str) -> (i64, i64, i64) {
    let line = out
        .lines()
        .find(|l| l.contains("(cat)"))
        .unwrap_or_else(|| panic!("{out}"));
    let rest = &line[line.rfind(')').unwrap() + 2..];
    let f: Vec<i64> = rest
        .split(' ')
        .skip(1)
        .take(6)
        .map(|x| x.parse().unwrap())
        .collect();
    // ppid pgrp session tty_nr tpgid: pid is cat's parent (the shell, exec'd by husk).
    (f[0], f[1], f[4])
}

/// With a terminal, the child leads its own process group and gets the terminal's
/// foreground (so ^C reaches it), unless husk init was itself in the background.
#[test]
fn terminal_foreground_goes_to_the_child() {
    let run = |inner: &str| {
        let o = Command::new("script")
            .args(["-qec", inner, "/dev/null"])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        text(&o.stdout)
    };
    let (sh, pgrp, tpgid) = stat_line(&run(&format!(
        "{HUSK} init -- sh -c 'cat /proc/self/stat; true'"
    )));
    assert_eq!((pgrp, tpgid), (sh, sh), "own group, in the foreground");
    // A job-control shell runs husk init in the background: the terminal stays the shell's.
    let out = run(&format!(
        "sh -c 'set -m; {HUSK} init -- sh -c \"cat /proc/self/stat; true\" & wait'"
    ));
    let (sh, pgrp, tpgid) = stat_line(&out);
    assert_eq!(pgrp, sh);
    assert_ne!(tpgid, sh, "{out}");
    // stdin not a terminal: still its own group, and no terminal is taken.
    let o = init(&["--", "sh", "-c", "cat /proc/self/stat; true"]);
    let (sh, pgrp, tpgid) = stat_line(&text(&o.stdout));
    assert_eq!(pgrp, sh);
    assert_ne!(tpgid, sh);
}
