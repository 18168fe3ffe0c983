//! Messages between the runtime (husk create/run) and the container process it cloned,
//! over a SOCK_SEQPACKET socketpair: one datagram per message, fixed size, no partial reads.
//!
//! The child reports a failure as its error's text: the parent prints it as the reason of
//! `create` (`husk: create: mount /proc on /proc: EPERM (operation not permitted)`).

use crate::error::{Error, Result};
use crate::out::Buf;
use core::fmt::Write;
use rustix::fd::{AsFd, OwnedFd};
use rustix::io::Errno;
use rustix::net::{send, socketpair, AddressFamily, SendFlags, SocketFlags, SocketType};

/// Bytes of a failure text carried across (longer texts are cut and marked).
pub const FAILURE_TEXT_MAX: usize = 480;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Tag {
    /// parent -> child: uid/gid maps are written (or none were needed): go on.
    Go = 1,
    /// child -> parent: namespaces exist, rootfs not yet pivoted: run prestart and
    /// createRuntime hooks now, then answer Go.
    RuntimeHooks = 2,
    /// child -> parent: the container is built and waits for `start`.
    Ready = 3,
    /// child -> parent: setup failed; the text says why. The child exits after sending.
    Failed = 4,
    /// child -> parent: the seccomp listener fd rides along (SCM_RIGHTS): send it to
    /// `linux.seccomp.listenerPath`, then answer Go.
    SeccompFd = 5,
    /// exec helper -> runtime: the exec process exists; the text is its host pid.
    Spawned = 6,
    /// child -> parent: the master of the container's terminal rides along (SCM_RIGHTS):
    /// send it to `--console-socket`, or keep it to relay (`run`). No answer.
    Console = 7,
}

pub struct Msg {
    pub tag: Tag,
    pub text: Buf<FAILURE_TEXT_MAX>,
    /// The descriptor a SeccompFd or Console message carries.
    pub fd: Option<OwnedFd>,
}

pub fn pair() -> Result<(OwnedFd, OwnedFd)> {
    socketpair(
        AddressFamily::UNIX,
        SocketType::SEQPACKET,
        SocketFlags::CLOEXEC,
        None,
    )
    .map_err(|e| Error::sys("socketpair", e))
}

/// What a process the runtime cloned says of a message other than the one it waits for.
pub const UNEXPECTED: &str = "unexpected message from the runtime";

/// In a process the runtime cloned: wait for `tag`. Another message is the error
/// `unexpected`; end-of-file means the runtime died, and nothing will ever use this
/// process: it exits (1) at once.
pub fn expect(fd: impl AsFd, tag: Tag, unexpected: &'static str) -> Result<()> {
    match recv_msg(fd)? {
        Some(m) if m.tag == tag => Ok(()),
        Some(_) => Err(Error::state(unexpected)),
        None => crate::sys::exit(1),
    }
}

pub fn send_tag(fd: impl AsFd, tag: Tag) -> Result<()> {
    send_raw(fd, tag, b"")
}

/// Send `tag` with a short text (at most FAILURE_TEXT_MAX bytes).
pub fn send_text(fd: impl AsFd, tag: Tag, text: &[u8]) -> Result<()> {
    send_raw(fd, tag, text)
}

/// Send a failure: the error's text, cut to FAILURE_TEXT_MAX with "..." if longer.
pub fn send_failure(fd: impl AsFd, e: &Error) {
    let mut b = Buf::<FAILURE_TEXT_MAX>::new();
    let _ = write!(b, "{e}");
    if b.truncated() {
        b.finish_line(); // marks the cut; the newline is dropped below
    }
    let text = b.as_bytes();
    let text = text.strip_suffix(b"\n").unwrap_or(text);
    let _ = send_raw(fd, Tag::Failed, text);
}

fn send_raw(fd: impl AsFd, tag: Tag, text: &[u8]) -> Result<()> {
    let mut m = [0u8; 1 + FAILURE_TEXT_MAX];
    m[0] = tag as u8;
    let n = text.len().min(FAILURE_TEXT_MAX);
    m[1..1 + n].copy_from_slice(&text[..n]);
    loop {
        match send(fd.as_fd(), &m[..1 + n], SendFlags::NOSIGNAL) {
            Ok(_) => return Ok(()),
            Err(Errno::INTR) => continue,
            Err(e) => return Err(Error::sys("send", e)),
        }
    }
}

/// Send `tag` with a descriptor attached.
pub fn send_fd(sock: impl AsFd, tag: Tag, fd: rustix::fd::BorrowedFd<'_>) -> Result<()> {
    crate::fdpass::send_with_fd(sock, &[tag as u8], fd).map_err(|e| Error::sys("sendmsg", e))
}

/// Receive one message; `None` when the peer closed its end (it exited).
pub fn recv_msg(fd: impl AsFd) -> Result<Option<Msg>> {
    let mut m = [0u8; 1 + FAILURE_TEXT_MAX];
    let (n, passed) =
        crate::fdpass::recv_with_fd(fd, &mut m).map_err(|e| Error::sys("recvmsg", e))?;
    if n == 0 {
        return Ok(None);
    }
    let tag = match m[0] {
        1 => Tag::Go,
        2 => Tag::RuntimeHooks,
        3 => Tag::Ready,
        4 => Tag::Failed,
        5 => Tag::SeccompFd,
        6 => Tag::Spawned,
        7 => Tag::Console,
        _ => return Err(Error::state("container process sent an unknown message")),
    };
    let mut text = Buf::new();
    text.push_bytes(&m[1..n]);
    Ok(Some(Msg {
        tag,
        text,
        fd: passed,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_eof() {
        let (a, b) = pair().unwrap();
        send_tag(&a, Tag::Ready).unwrap();
        let m = recv_msg(&b).unwrap().unwrap();
        assert_eq!(m.tag, Tag::Ready);
        assert!(m.text.is_empty());
        send_failure(
            &a,
            &Error::sys("mount /proc on", Errno::PERM).path(b"/proc"),
        );
        let m = recv_msg(&b).unwrap().unwrap();
        assert_eq!(m.tag, Tag::Failed);
        assert_eq!(
            m.text.as_str(),
            "mount /proc on /proc: EPERM (operation not permitted)"
        );
        drop(a);
        assert!(recv_msg(&b).unwrap().is_none());
    }

    #[test]
    fn expect_takes_the_tag_and_names_another() {
        extern crate std;
        use std::string::ToString;
        let (a, b) = pair().unwrap();
        send_tag(&a, Tag::Go).unwrap();
        assert!(expect(&b, Tag::Go, UNEXPECTED).is_ok());
        send_tag(&a, Tag::Ready).unwrap();
        let e = expect(&b, Tag::Go, "the runtime did not take the terminal");
        assert_eq!(
            e.err().unwrap().to_string(),
            "the runtime did not take the terminal"
        );
    }
}
