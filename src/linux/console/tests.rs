//! runc's flag rules, and real terminals from the host's devpts (root).

use super::*;
extern crate std;
use std::string::ToString;

fn text(r: Result<Option<Target>>) -> std::string::String {
    match r {
        Ok(None) => "none".into(),
        Ok(Some(Target::Keep)) => "keep".into(),
        Ok(Some(Target::Socket(_))) => "socket".into(),
        Err(e) => e.to_string(),
    }
}

#[test]
fn target_rules_as_runc() {
    let detach = "cannot allocate tty if runc will detach without setting console socket";
    let socket = "cannot use console socket if runc will not detach or allocate tty";
    assert_eq!(text(Target::choose(true, None, true)), detach);
    assert_eq!(text(Target::choose(false, Some(b"/x"), true)), socket);
    assert_eq!(text(Target::choose(true, Some(b"/x"), false)), socket);
    assert_eq!(text(Target::choose(false, Some(b"/x"), false)), socket);
    assert_eq!(text(Target::choose(true, None, false)), "keep");
    assert_eq!(text(Target::choose(false, None, true)), "none");
    assert_eq!(text(Target::choose(false, None, false)), "none");
    assert_eq!(
        text(Target::choose(true, Some(b"/nonexistent/husk.sock"), true)),
        "connect /nonexistent/husk.sock: ENOENT (no such file or directory)"
    );
}

fn host_root() -> OwnedFd {
    rustix::fs::open(
        c"/",
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .unwrap()
}

#[test]
fn pty_from_ptmx_with_size() {
    let size = ConsoleSize {
        height: 33,
        width: 101,
    };
    let p = open_pty(host_root().as_fd(), Some(&size)).unwrap();
    let ws = rustix::termios::tcgetwinsize(&p.slave).unwrap();
    assert_eq!((ws.ws_row, ws.ws_col), (33, 101));
    assert!(rustix::termios::isatty(&p.slave));
    // Both ends close-on-exec; the slave is the master's peer.
    for fd in [&p.master, &p.slave] {
        let f = rustix::io::fcntl_getfd(fd).unwrap();
        assert!(f.contains(rustix::io::FdFlags::CLOEXEC));
    }
    clear_onlcr(p.master.as_fd()).unwrap();
    rustix::io::write(&p.slave, b"a\n").unwrap();
    let mut b = [0u8; 8];
    let n = rustix::io::read(&p.master, &mut b).unwrap();
    assert_eq!(&b[..n], b"a\n", "ONLCR cleared: no \\r added");
}

#[test]
fn ptmx_must_be_the_multiplexer() {
    let dir = std::env::temp_dir().join(std::format!("husk-console-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("dev")).unwrap();
    std::fs::write(dir.join("dev/ptmx"), b"").unwrap();
    let root = rustix::fs::open(
        dir.to_str().unwrap(),
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .unwrap();
    let e = open_pty(root.as_fd(), None).err().unwrap().to_string();
    assert_eq!(
        e,
        "not the pty multiplexer (char 5:2): /dev/ptmx: ENODEV (no such device)"
    );
    // A symlink out of the root resolves inside it.
    std::fs::remove_file(dir.join("dev/ptmx")).unwrap();
    std::os::unix::fs::symlink("/etc/hostname", dir.join("dev/ptmx")).unwrap();
    let e = open_pty(root.as_fd(), None).err().unwrap().to_string();
    assert_eq!(e, "open /dev/ptmx: ENOENT (no such file or directory)");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn master_sent_as_runc_sends_it() {
    let p = open_pty(host_root().as_fd(), None).unwrap();
    let (a, b) = rustix::net::socketpair(
        rustix::net::AddressFamily::UNIX,
        rustix::net::SocketType::STREAM,
        rustix::net::SocketFlags::CLOEXEC,
        None,
    )
    .unwrap();
    Target::Socket(a).deliver(p.master).unwrap();
    let mut buf = [0u8; 64];
    let (n, fd) = crate::fdpass::recv_with_fd(&b, &mut buf).unwrap();
    assert_eq!(&buf[..n], b"/dev/ptmx");
    let master = fd.unwrap();
    // Canonical mode: the slave reads whole lines.
    rustix::io::write(&master, b"x\n").unwrap();
    let mut got = [0u8; 4];
    let n = rustix::io::read(&p.slave, &mut got).unwrap();
    assert_eq!(&got[..n], b"x\n");
    assert!(Target::Keep.deliver(master).unwrap().is_some());
}
