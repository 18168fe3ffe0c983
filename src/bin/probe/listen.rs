//! `notify-listen SOCK STATE VAL`: a seccomp listener, as a Podman or an agent would run
//! one for `linux.seccomp.listenerPath`. Meant for a createRuntime hook: it binds SOCK,
//! then forks; the parent returns at once (so the runtime finds the socket ready) and the
//! child, detached, accepts one connection, writes the container process state it receives
//! to STATE, and answers every notification on the fd that came with it: the call returns
//! VAL. It exits when the listener fd reports the container gone.

use husk::sys::{self, Errno};
use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{Mode, OFlags};
use rustix::net::{AddressFamily, SocketAddrUnix, SocketFlags, SocketType};

/// Returns the errno that stopped the setup, or Ok in the parent after the fork.
pub fn run(sock: &[u8], state: &[u8], val: i64) -> Result<(), Errno> {
    let path = core::str::from_utf8(sock).map_err(|_| Errno::INVAL)?;
    let _ = rustix::fs::unlink(path);
    let addr = SocketAddrUnix::new(path)?;
    let s = rustix::net::socket_with(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )?;
    rustix::net::bind(&s, &addr)?;
    rustix::net::listen(&s, 1)?;
    match sys::clone::fork()? {
        sys::clone::Forked::Parent { .. } => Ok(()),
        sys::clone::Forked::Child => {
            detach();
            let code = match serve(&s, state, val) {
                Ok(()) => 0,
                Err(_) => 1,
            };
            sys::exit(code)
        }
    }
}

/// A new session with stdio on /dev/null: the hook runner waits for nothing of ours.
fn detach() {
    let _ = rustix::process::setsid();
    if let Ok(null) = rustix::fs::open("/dev/null", OFlags::RDWR, Mode::empty()) {
        let _ = rustix::stdio::dup2_stdin(&null);
        let _ = rustix::stdio::dup2_stdout(&null);
        let _ = rustix::stdio::dup2_stderr(&null);
    }
}

fn serve(s: &OwnedFd, state: &[u8], val: i64) -> Result<(), Errno> {
    let conn = rustix::net::accept(s)?;
    let mut buf = [0u8; 16384];
    let (n, fd) = husk::fdpass::recv_with_fd(&conn, &mut buf)?;
    let listener = fd.ok_or(Errno::BADMSG)?;
    let f = rustix::fs::open(
        state,
        OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o644),
    )?;
    rustix::io::write(&f, &buf[..n])?;
    drop(conn);
    loop {
        let n = match sys::seccomp::notif_recv(listener.as_fd()) {
            Ok(n) => n,
            Err(Errno::INTR) => continue,
            // ENOENT: the filter has no users left (the container exited).
            Err(e) => return if e == Errno::NOENT { Ok(()) } else { Err(e) },
        };
        // ENOENT here: the caller was killed while we answered; go on.
        let _ = sys::seccomp::notif_send(listener.as_fd(), n.id, val, 0);
    }
}
