//! Passing file descriptors over unix sockets (SCM_RIGHTS): the seccomp listener fd to
//! `listenerPath` and from the container process to the runtime, a terminal's master to
//! `--console-socket`.

use crate::{Error, Result};
use core::mem::MaybeUninit;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::io::{Errno, IoSlice, IoSliceMut};
use rustix::net::{
    RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags,
};

/// Send `data` with `fd` attached, as one message.
pub fn send_with_fd(sock: impl AsFd, data: &[u8], fd: BorrowedFd<'_>) -> Result<(), Errno> {
    let fds = [fd];
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    if !control.push(SendAncillaryMessage::ScmRights(&fds)) {
        return Err(Errno::NOBUFS);
    }
    let mut sent = 0;
    // A stream socket may take the bytes in parts; the fd rides on the first part.
    while sent < data.len() || sent == 0 {
        let iov = [IoSlice::new(&data[sent..])];
        let n = match rustix::net::sendmsg(&sock, &iov, &mut control, SendFlags::NOSIGNAL) {
            Ok(n) => n,
            Err(Errno::INTR) => continue,
            Err(e) => return Err(e),
        };
        control = SendAncillaryBuffer::default();
        sent += n;
        if n == 0 {
            break;
        }
    }
    Ok(())
}

/// Receive one message into `buf`; returns its length and the fd it carried, if any
/// (extra fds are closed).
pub fn recv_with_fd(sock: impl AsFd, buf: &mut [u8]) -> Result<(usize, Option<OwnedFd>), Errno> {
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let n = loop {
        let mut iov = [IoSliceMut::new(buf)];
        match rustix::net::recvmsg(&sock, &mut iov, &mut control, RecvFlags::CMSG_CLOEXEC) {
            Ok(m) => break m.bytes,
            Err(Errno::INTR) => continue,
            Err(e) => return Err(e),
        }
    };
    let mut fd = None;
    for m in control.drain() {
        if let RecvAncillaryMessage::ScmRights(fds) = m {
            for f in fds {
                fd.get_or_insert(f);
            }
        }
    }
    Ok((n, fd))
}

/// Connect a SOCK_STREAM unix socket to `path` (a listener of the runtime's caller).
pub fn connect_unix(path: &[u8], what: &'static str) -> Result<OwnedFd> {
    use rustix::net::{socket_with, AddressFamily, SocketAddrUnix, SocketFlags, SocketType};
    let s = core::str::from_utf8(path).map_err(|_| Error::spec(what, "must be UTF-8"))?;
    let addr = SocketAddrUnix::new(s).map_err(|e| Error::sys("connect", e).path(path))?;
    let sock = socket_with(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )
    .map_err(|e| Error::sys("socket", e))?;
    rustix::net::connect(&sock, &addr).map_err(|e| Error::sys("connect", e).path(path))?;
    Ok(sock)
}
