//! `process.terminal` (root): the pty comes from the container's own devpts, its master
//! over `--console-socket` as runc sends it, the slave as stdio, controlling terminal and
//! /dev/console, `consoleSize` applied; `run` relays the terminal itself (raw mode,
//! window size, exit code); runc's refusals; a symlinked /dev/console is not followed.

mod common;
use common::*;
use json::JsonValue;
use rustix::fd::{AsRawFd, OwnedFd};
use rustix::net::{AddressFamily, SocketAddrUnix, SocketFlags, SocketType};
use std::process::{Command, Stdio};

/// A listening unix socket at `path` (rustix's fds: husk::fdpass takes those).
fn listen(path: &std::path::Path) -> OwnedFd {
    let s = rustix::net::socket_with(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )
    .unwrap();
    rustix::net::bind(&s, &SocketAddrUnix::new(path.to_str().unwrap()).unwrap()).unwrap();
    rustix::net::listen(&s, 1).unwrap();
    s
}

/// Accept one connection on `l` and receive the one message the runtime sends there.
fn recv_master(l: &OwnedFd) -> (Vec<u8>, Option<OwnedFd>, OwnedFd) {
    let conn = rustix::net::accept_with(l, SocketFlags::CLOEXEC).unwrap();
    let mut name = [0u8; 256];
    let (n, fd) = husk::fdpass::recv_with_fd(&conn, &mut name).unwrap();
    (name[..n].to_vec(), fd, conn)
}

/// A bundle for `args` with a terminal; `edit` adjusts config.json further.
fn terminal_env(name: &str, args: &[&str], edit: impl FnOnce(&mut JsonValue)) -> Env {
    let env = Env::new(name);
    env.config(args, |v| {
        v["process"]["terminal"] = true.into();
        edit(v);
    });
    env
}

fn with_busybox(env: &Env) {
    let bin = env.bundle().join("rootfs/bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::copy("/bin/busybox", bin.join("busybox")).expect("busybox-static (targets/setup.sh)");
}

/// Read a terminal master until every slave is closed (EIO) or EOF.
fn read_all(master: &OwnedFd) -> String {
    let mut out = Vec::new();
    let mut b = [0u8; 4096];
    loop {
        match rustix::io::read(master, &mut b) {
            Ok(0) | Err(rustix::io::Errno::IO) => break,
            Ok(n) => out.extend_from_slice(&b[..n]),
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => panic!("read master: {e}"),
        }
    }
    text(&out)
}

/// The `tty` action of the probe's report in `out`.
fn tty_action(out: &str) -> JsonValue {
    let line = out
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .find(|l| l.starts_with("{\"pid\""))
        .unwrap_or_else(|| panic!("no report in {out:?}"));
    let v = json::parse(line).unwrap();
    let a = v["actions"][0].clone();
    assert!(a.has_key("tty"), "{line}");
    a
}

fn dev_of(a: &JsonValue, key: &str) -> (u32, u32) {
    (
        a[key][0].as_u32().unwrap_or_else(|| panic!("{key} in {a}")),
        a[key][1].as_u32().unwrap(),
    )
}

fn socket_path(env: &Env) -> std::path::PathBuf {
    env.dir.join("console.sock")
}

#[test]
fn console_socket_receives_the_containers_terminal() {
    let env = terminal_env(
        "tty-socket",
        &["/husk-probe", "tty", "stat", "/dev/console"],
        |v| {
            v["process"]["consoleSize"] = json::object! {"height": 41, "width": 123};
            // A non-root user gets the terminal as its own (runc's fixStdioPermissions).
            v["process"]["user"] = json::object! {"uid": 1000, "gid": 1000};
        },
    );
    let sock = socket_path(&env);
    let listener = listen(&sock);
    // create returns once the master is on its way: the connection waits in the backlog.
    env.create_with(&["--console-socket", sock.to_str().unwrap()], "t1");
    let (name, master, conn) = recv_master(&listener);
    assert_eq!(name, b"/dev/ptmx", "runc's message: the master's name");
    let master = master.expect("no fd with the message");
    // One message only: the runtime closed its end after it.
    let mut more = [0u8; 16];
    assert_eq!(husk::fdpass::recv_with_fd(&conn, &mut more).unwrap().0, 0);
    // The master is a ptmx of the container's own devpts instance, not the host's.
    let m = rustix::fs::fstat(&master).unwrap();
    assert_eq!(
        (rustix::fs::major(m.st_rdev), rustix::fs::minor(m.st_rdev)),
        (5, 2)
    );
    let host_pts = rustix::fs::stat("/dev/pts/ptmx").unwrap();
    assert_ne!(m.st_dev, host_pts.st_dev, "pty from the host's devpts");

    let o = env.husk(&["start", "t1"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = read_all(&master);
    let a = tty_action(&out);
    assert_eq!(a["tty"].dump(), "[true,true,true]", "{a}");
    let pts = dev_of(&a, "rdev");
    assert!((136..=143).contains(&pts.0), "fd 0 is not a pts: {a}");
    assert_eq!(dev_of(&a, "ctty"), pts, "controlling terminal: {a}");
    assert_eq!(dev_of(&a, "console"), pts, "/dev/console: {a}");
    assert_eq!(a["session_leader"], true);
    assert_eq!(a["foreground"], true);
    assert_eq!(
        (a["rows"].as_u32(), a["cols"].as_u32()),
        (Some(41), Some(123))
    );
    let v = json::parse(
        out.lines()
            .map(|l| l.trim_end_matches('\r'))
            .find(|l| l.starts_with('{'))
            .unwrap(),
    )
    .unwrap();
    let st = &v["actions"][1];
    assert_eq!(st["type"], "chr", "{st}");
    assert_eq!(st["uid"], 1000, "terminal not handed to the user: {st}");
    assert!(env.husk(&["delete", "t1"]).status.success());
}

#[test]
fn create_with_terminal_needs_a_console_socket() {
    let env = terminal_env("tty-nosock", &["/husk-probe"], |_| {});
    let b = env.bundle();
    let o = env.husk_detached(&["create", "--bundle", b.to_str().unwrap(), "t2"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        text(&o.stderr),
        "husk: cannot allocate tty if runc will detach without setting console socket\n"
    );
    assert!(!env.root().join("t2").exists(), "state left behind");
    // run --detach detaches too.
    let o = env.husk_detached(&["run", "-d", "--bundle", b.to_str().unwrap(), "t2"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("cannot allocate tty if runc will detach"));
}

#[test]
fn console_socket_without_terminal_or_detach_is_refused() {
    let env = Env::new("tty-nottty");
    env.config(&["/husk-probe"], |_| {});
    let b = env.bundle();
    let sock = socket_path(&env);
    let _l = listen(&sock);
    let want = "husk: cannot use console socket if runc will not detach or allocate tty\n";
    let o = env.husk_detached(&[
        "create",
        "--bundle",
        b.to_str().unwrap(),
        "--console-socket",
        sock.to_str().unwrap(),
        "t3",
    ]);
    assert_eq!((o.status.code(), text(&o.stderr).as_str()), (Some(1), want));
    env.config(&["/husk-probe"], |v| v["process"]["terminal"] = true.into());
    let o = env.husk(&[
        "run",
        "--bundle",
        b.to_str().unwrap(),
        "--console-socket",
        sock.to_str().unwrap(),
        "t3",
    ]);
    assert_eq!((o.status.code(), text(&o.stderr).as_str()), (Some(1), want));
    assert!(!env.root().join("t3").exists());
}

/// A std handle on the same terminal as `fd` (for a child's stdio), reopened through
/// /proc/self/fd without making it the test's controlling terminal.
fn std_handle(fd: &OwnedFd) -> std::fs::File {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(linux_raw_sys::general::O_NOCTTY as i32)
        .open(format!("/proc/self/fd/{}", fd.as_raw_fd()))
        .unwrap()
}

/// A pty pair for the test itself: (master, slave).
fn test_pty(rows: u16, cols: u16) -> (OwnedFd, OwnedFd) {
    use rustix::pty::{ioctl_tiocgptpeer, openpt, unlockpt, OpenptFlags};
    let f = OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC;
    let m = openpt(f).unwrap();
    unlockpt(&m).unwrap();
    let s = ioctl_tiocgptpeer(&m, f).unwrap();
    set_size(&m, rows, cols);
    (m, s)
}

fn set_size(tty: &OwnedFd, rows: u16, cols: u16) {
    let ws = rustix::termios::Winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    rustix::termios::tcsetwinsize(tty, ws).unwrap();
}

/// Read `m` until `out` contains `want`.
fn read_until(m: &OwnedFd, out: &mut String, want: &str) {
    let mut b = [0u8; 4096];
    while !out.contains(want) {
        match rustix::io::read(m, &mut b) {
            Ok(0) | Err(rustix::io::Errno::IO) => panic!("EOF before {want:?}: {out:?}"),
            Ok(n) => out.push_str(&String::from_utf8_lossy(&b[..n])),
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => panic!("read: {e}"),
        }
    }
}

/// The container's init pid, from `husk state`.
fn init_pid(env: &Env, id: &str) -> i32 {
    let o = env.husk(&["state", id]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    json::parse(&text(&o.stdout)).unwrap()["pid"]
        .as_i32()
        .unwrap()
}

#[test]
fn run_relays_a_terminal_with_raw_mode_and_resizes() {
    let script = "echo ready; read line; echo got:$line; /husk-probe tty; exit 7";
    let env = terminal_env("tty-run", &["/bin/busybox", "sh", "-c", script], |_| {});
    with_busybox(&env);
    let (m, s) = test_pty(30, 90);
    let before = rustix::termios::tcgetattr(&s).unwrap();
    let b = env.bundle();
    let mut child = Command::new(HUSK)
        .arg("--root")
        .arg(env.root())
        .args(["run", "--bundle", b.to_str().unwrap(), "t4"])
        .stdin(Stdio::from(std_handle(&s)))
        .stdout(Stdio::from(std_handle(&s)))
        .stderr(Stdio::from(std_handle(&s)))
        .spawn()
        .unwrap();
    let mut out = String::new();
    read_until(&m, &mut out, "ready");
    // husk's terminal is raw while it relays.
    let raw = rustix::termios::tcgetattr(&s).unwrap();
    use rustix::termios::LocalModes as L;
    assert!(!raw.local_modes.intersects(L::ICANON | L::ECHO | L::ISIG));

    // A new size on husk's terminal + SIGWINCH: the container's terminal follows.
    set_size(&m, 50, 132);
    let pid = init_pid(&env, "t4");
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(child.id() as i32).unwrap(),
        rustix::process::Signal::WINCH,
    )
    .unwrap();
    let ctr_tty = format!("/proc/{pid}/fd/0");
    let mut seen = (0, 0);
    for _ in 0..500 {
        let f = rustix::fs::open(
            ctr_tty.as_str(),
            rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::NOCTTY,
            rustix::fs::Mode::empty(),
        )
        .unwrap();
        let ws = rustix::termios::tcgetwinsize(&f).unwrap();
        seen = (ws.ws_row, ws.ws_col);
        if seen == (50, 132) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(seen, (50, 132), "the container's terminal was not resized");

    rustix::io::write(&m, b"hello\n").unwrap();
    read_until(&m, &mut out, "\"actions\"");
    let st = child.wait().unwrap();
    drop(s);
    // Whatever is left in the test's pty.
    rustix::io::ioctl_fionbio(&m, true).unwrap();
    let mut b = [0u8; 4096];
    while let Ok(n @ 1..) = rustix::io::read(&m, &mut b) {
        out.push_str(&String::from_utf8_lossy(&b[..n]));
    }
    assert_eq!(st.code(), Some(7), "{out}");
    assert!(out.contains("got:hello"), "{out:?}");
    let a = tty_action(&out);
    assert_eq!(
        (a["rows"].as_u32(), a["cols"].as_u32()),
        (Some(50), Some(132))
    );
    assert_eq!(a["tty"].dump(), "[true,true,true]");
    // husk left its terminal as it found it.
    let after = rustix::termios::tcgetattr(&m).unwrap();
    assert_eq!(after.local_modes, before.local_modes);
    assert_eq!(after.input_modes, before.input_modes);
    assert_eq!(after.output_modes, before.output_modes);
    assert!(!env.root().join("t4").exists(), "run did not delete");
}

#[test]
fn run_relays_a_terminal_to_plain_pipes() {
    let env = terminal_env("tty-pipe", &["/husk-probe", "tty", "exit", "5"], |v| {
        v["process"]["consoleSize"] = json::object! {"height": 20, "width": 60};
    });
    let b = env.bundle();
    let o = Command::new(HUSK)
        .arg("--root")
        .arg(env.root())
        .args(["run", "--bundle", b.to_str().unwrap(), "t5"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(5), "{}", text(&o.stderr));
    assert!(o.stderr.is_empty(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    // No terminal on husk's side: the bytes as written ("\n", not "\r\n").
    assert!(!out.contains('\r'), "{out:?}");
    let a = tty_action(&out);
    assert_eq!(a["tty"].dump(), "[true,true,true]");
    assert_eq!(
        (a["rows"].as_u32(), a["cols"].as_u32()),
        (Some(20), Some(60))
    );
}

/// An image whose /dev/console is a symlink (no /dev tmpfs over it): the terminal is not
/// mounted through it; a regular file there is mounted over.
#[test]
fn symlinked_dev_console_is_refused() {
    let env = terminal_env("tty-hostile", &["/husk-probe", "tty"], |v| {
        let mounts: Vec<JsonValue> = v["mounts"]
            .members()
            .filter(|m| m["destination"] != "/dev")
            .cloned()
            .collect();
        v["mounts"] = mounts.into();
    });
    let rootfs = env.bundle().join("rootfs");
    std::fs::create_dir_all(rootfs.join("dev")).unwrap();
    std::fs::write(rootfs.join("target"), b"untouched").unwrap();
    std::os::unix::fs::symlink("/target", rootfs.join("dev/console")).unwrap();
    let sock = socket_path(&env);
    let l = listen(&sock);
    let b = env.bundle();
    let o = env.husk_detached(&[
        "create",
        "--bundle",
        b.to_str().unwrap(),
        "--console-socket",
        sock.to_str().unwrap(),
        "t6",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        text(&o.stderr),
        "husk: create: refusing the symlink /dev/console: ELOOP (too many levels of symbolic links)\n"
    );
    assert_eq!(std::fs::read(rootfs.join("target")).unwrap(), b"untouched");
    assert!(!env.root().join("t6").exists());
    // husk connected (before the clone, as runc) but sent no terminal.
    let (name, fd, _) = recv_master(&l);
    assert!(name.is_empty() && fd.is_none());

    // The same image with a regular file there works.
    std::fs::remove_file(rootfs.join("dev/console")).unwrap();
    std::fs::write(rootfs.join("dev/console"), b"").unwrap();
    env.create_with(&["--console-socket", sock.to_str().unwrap()], "t6");
    let (_, master, _conn) = recv_master(&l);
    let master = master.unwrap();
    assert!(env.husk(&["start", "t6"]).status.success());
    let a = tty_action(&read_all(&master));
    assert_eq!(dev_of(&a, "console"), dev_of(&a, "rdev"), "{a}");
    assert!(env.husk(&["delete", "t6"]).status.success());
    assert_eq!(std::fs::read(rootfs.join("dev/console")).unwrap(), b"");
}

/// `exec --tty --console-socket S --detach` (containerd's and conmon's call): the master
/// of a pty from the container's devpts reaches S; the exec process has it as its
/// controlling terminal and stdio; `exec -t` in the foreground relays it to pipes.
#[test]
fn exec_with_a_terminal() {
    let env = terminal_env("tty-exec", &["/husk-probe", "sleep", "60"], |v| {
        v["process"]["terminal"] = false.into();
    });
    let b = env.bundle();
    let o = env.husk_detached(&["run", "-d", "--bundle", b.to_str().unwrap(), "tx"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let sock = socket_path(&env);
    let listener = listen(&sock);
    let pidfile = env.dir.join("exec.pid");
    let o = env.husk(&[
        "exec",
        "--tty",
        "--console-socket",
        sock.to_str().unwrap(),
        "--detach",
        "--pid-file",
        pidfile.to_str().unwrap(),
        "tx",
        "/husk-probe",
        "tty",
        "exit",
        "3",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let (name, master, _conn) = recv_master(&listener);
    assert_eq!(name, b"/dev/ptmx");
    let master = master.expect("no fd with the message");
    let m = rustix::fs::fstat(&master).unwrap();
    let host_pts = rustix::fs::stat("/dev/pts/ptmx").unwrap();
    assert_ne!(m.st_dev, host_pts.st_dev, "pty from the host's devpts");
    let a = tty_action(&read_all(&master));
    assert_eq!(a["tty"].dump(), "[true,true,true]", "{a}");
    assert_eq!(
        dev_of(&a, "ctty"),
        dev_of(&a, "rdev"),
        "controlling terminal: {a}"
    );
    assert_eq!(a["session_leader"], true);
    assert!(std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse::<i32>()
        .is_ok());
    // Foreground, no socket: husk relays the terminal to its pipes.
    let o = Command::new(HUSK)
        .arg("--root")
        .arg(env.root())
        .args(["exec", "-t", "tx", "/husk-probe", "tty", "exit", "4"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(4), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(!out.contains('\r'), "{out:?}");
    assert_eq!(tty_action(&out)["tty"].dump(), "[true,true,true]");
    // runc's rule: a detached exec with a terminal needs the socket.
    let o = env.husk(&["exec", "-t", "-d", "tx", "/husk-probe"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr)
        .contains("cannot allocate tty if runc will detach without setting console socket"));
    assert!(env.husk(&["delete", "--force", "tx"]).status.success());
}
