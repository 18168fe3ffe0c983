//! `linux.sysctl` (the container child, in its new namespaces, after pivot_root and before
//! readonlyPaths makes /proc/sys read-only, inside or outside a user namespace).
//!
//! Writes go through a private procfs handle ([`procfs::private_proc`]): `sys` is opened
//! beneath it, checked to be procfs, and each key is opened beneath that with
//! RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV, so a
//! racing mount or symlink cannot redirect the write (CVE-2025-52881).

use super::procfs;
use crate::cpath::CPath;
use crate::error::{Error, Result};
use crate::spec::Spec;
use crate::sys::Errno;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{openat2, Mode, OFlags, ResolveFlags};

/// Longest sysctl value husk writes.
pub const VALUE_MAX: usize = 4096;

const BENEATH: ResolveFlags = ResolveFlags::BENEATH
    .union(ResolveFlags::NO_MAGICLINKS)
    .union(ResolveFlags::NO_SYMLINKS)
    .union(ResolveFlags::NO_XDEV);

/// `net.ipv4.ip_forward` -> `net/ipv4/ip_forward`. A key already written with `/` is kept
/// (runc accepts both); `..`, empty components and a leading `/` are refused.
pub fn key_path(key: &[u8]) -> Result<CPath> {
    let slash = key.contains(&b'/');
    let sep = if slash { b'/' } else { b'.' };
    let mut p = CPath::new();
    for comp in key.split(|&b| b == sep) {
        if comp.is_empty() || comp == b".." || comp == b"." || comp.contains(&0) {
            return Err(Error::spec("linux.sysctl", "invalid key").value(key));
        }
        if !p.as_bytes().is_empty() {
            p.join(b"/", "linux.sysctl")?;
        }
        p.join(comp, "linux.sysctl")?;
    }
    if p.as_bytes().is_empty() {
        return Err(Error::spec("linux.sysctl", "invalid key").value(key));
    }
    Ok(p)
}

fn open_sys(proc: BorrowedFd<'_>) -> Result<OwnedFd> {
    let sys = openat2(
        proc,
        c"sys",
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
        BENEATH,
    )
    .map_err(|e| Error::sys("open", e).path(b"/proc/sys"))?;
    procfs::check_proc(sys.as_fd(), "/proc/sys is not procfs", b"/proc/sys")?;
    Ok(sys)
}

/// Write every `linux.sysctl` entry.
pub fn apply(spec: &Spec<'_>) -> Result<()> {
    let Some(l) = &spec.linux else { return Ok(()) };
    if l.sysctl.is_empty() {
        return Ok(());
    }
    let proc = procfs::private_proc()?;
    let sys = open_sys(proc.as_fd())?;
    let mut kbuf = [0u8; 256];
    let mut vbuf = [0u8; VALUE_MAX];
    for kv in l.sysctl.iter() {
        let (k, v) = kv?;
        let key = k
            .decode_into(&mut kbuf)
            .map_err(|_| Error::spec("linux.sysctl", "key too long").value(k.raw().as_bytes()))?;
        let val = v
            .decode_into(&mut vbuf)
            .map_err(|_| Error::spec("linux.sysctl", "value too long").value(k.raw().as_bytes()))?;
        let rel = key_path(key.as_bytes())?;
        let err = |call, e| Error::sys(call, e).path(key.as_bytes());
        let f = openat2(
            sys.as_fd(),
            rel.as_cstr(),
            OFlags::WRONLY | OFlags::TRUNC | OFlags::CLOEXEC | OFlags::NOFOLLOW,
            Mode::empty(),
            BENEATH,
        )
        .map_err(|e| err("sysctl: open", e))?;
        procfs::check_proc(f.as_fd(), "sysctl: not procfs", key.as_bytes())?;
        write_all(f.as_fd(), val.as_bytes()).map_err(|e| err("sysctl: write", e))?;
    }
    Ok(())
}

fn write_all(fd: BorrowedFd<'_>, mut b: &[u8]) -> Result<(), Errno> {
    while !b.is_empty() {
        match rustix::io::write(fd, b) {
            Ok(0) => return Err(Errno::IO),
            Ok(n) => b = b.get(n..).unwrap_or(&[]),
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_become_paths() {
        assert_eq!(
            key_path(b"net.ipv4.ip_forward").unwrap().as_bytes(),
            b"net/ipv4/ip_forward"
        );
        assert_eq!(
            key_path(b"kernel/shm_rmid_forced").unwrap().as_bytes(),
            b"kernel/shm_rmid_forced"
        );
        assert_eq!(
            key_path(b"net/ipv4/conf/eth0.100/forwarding")
                .unwrap()
                .as_bytes(),
            b"net/ipv4/conf/eth0.100/forwarding"
        );
        for bad in [
            &b""[..],
            b".",
            b"net..x",
            b"/net/x",
            b"net/../../x",
            b"a.b.",
        ] {
            assert!(key_path(bad).is_err(), "{bad:?}");
        }
    }
}
