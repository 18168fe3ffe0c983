//! SCMP_ACT_NOTIFY: the runtime sends the filter's listener fd to
//! `linux.seccomp.listenerPath` with the container process state, as runtime-spec
//! config-linux.md describes: one message per connection on a SOCK_STREAM unix socket,
//! the JSON as data and the fd as SCM_RIGHTS, then the connection is closed.

use crate::out::Buf;
use crate::spec::linux::Seccomp;
use crate::{Error, Result};
use core::fmt::Write;
use rustix::fd::BorrowedFd;

/// Send `listener` and the state (`state`: the runtime's State JSON, status "creating")
/// to the listener of `s`; `pid` is the container process's.
pub fn send(s: &Seccomp<'_>, pid: i32, state: &str, listener: BorrowedFd<'_>) -> Result<()> {
    let Some(path) = &s.listener_path else {
        return Err(Error::spec(
            "linux.seccomp.listenerPath",
            "is required with SCMP_ACT_NOTIFY",
        ));
    };
    let mut p = [0u8; crate::cpath::PATH_MAX];
    let path = path.decode_into(&mut p)?;
    let mut b: Buf<{ 72 * 1024 }> = Buf::new();
    let _ = write!(
        b,
        "{{\"ociVersion\":\"{}\",\"fds\":[\"seccompFd\"],\"pid\":{pid},\"metadata\":\"",
        crate::OCI_VERSION
    );
    if let Some(m) = &s.listener_metadata {
        let mut mb = [0u8; 4096];
        let _ = crate::out::json_escape(&mut b, m.decode_into(&mut mb)?);
    }
    let _ = write!(b, "\",\"state\":{state}}}");
    if b.truncated() {
        return Err(Error::capacity(
            "linux.seccomp listener state",
            b.len() as u64,
            72 * 1024,
            "bytes",
        ));
    }
    let sock = crate::fdpass::connect_unix(path.as_bytes(), "linux.seccomp.listenerPath")?;
    crate::fdpass::send_with_fd(&sock, b.as_bytes(), listener)
        .map_err(|e| Error::sys("sendmsg", e).path(path.as_bytes()))
}
