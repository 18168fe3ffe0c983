//! procfs handles (the container child, in its new mount namespace; before pivot_root for
//! the host's /proc, after it for the container's): check that a descriptor really is on
//! procfs (CVE-2019-16884: a fake /proc), name descriptors as `/proc/self/fd/N` for mount(2),
//! and get a private procfs handle for writes (CVE-2025-52881).

use crate::error::{Error, Result};
use crate::sys::Errno;
use core::ffi::CStr;
use rustix::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use rustix::fs::{fstatfs, Mode, OFlags};
use rustix::mount::{FsMountFlags, FsOpenFlags, MountAttrFlags, OpenTreeFlags};

/// statfs(2) f_type of procfs.
pub const PROC_SUPER_MAGIC: i64 = 0x9fa0;
/// statfs(2) f_type of sysfs.
pub const SYSFS_MAGIC: i64 = 0x6265_6572;
/// statfs(2) f_type of tmpfs.
pub const TMPFS_MAGIC: i64 = 0x0102_1994;

/// The filesystem type of what `fd` refers to.
pub fn fs_type(fd: BorrowedFd<'_>) -> Result<i64, Errno> {
    // f_type's width differs per arch (i64 on x86_64, u32 on arm): the cast is needed there.
    #[allow(clippy::unnecessary_cast)]
    fstatfs(fd).map(|s| s.f_type as i64)
}

/// Fail unless `fd` is on procfs: `what` names the check in the error.
pub fn check_proc(fd: BorrowedFd<'_>, what: &'static str, path: &[u8]) -> Result<()> {
    match fs_type(fd) {
        Ok(PROC_SUPER_MAGIC) => Ok(()),
        Ok(_) => Err(Error::sys(what, Errno::XDEV).path(path)),
        Err(e) => Err(Error::sys("fstatfs", e).path(path)),
    }
}

/// `/proc/self/fd/N`: the name mount(2) needs to act on an already opened (and verified)
/// file instead of a path the image could redirect.
pub struct FdPath {
    buf: [u8; 32],
    len: usize,
}

impl FdPath {
    pub fn new(fd: BorrowedFd<'_>) -> FdPath {
        let mut p = FdPath {
            buf: [0; 32],
            len: 0,
        };
        let pre = b"/proc/self/fd/";
        p.buf[..pre.len()].copy_from_slice(pre);
        p.len = pre.len();
        let mut digits = [0u8; 12];
        let mut n = fd.as_raw_fd().max(0) as u32;
        let mut k = 0;
        loop {
            digits[k] = b'0' + (n % 10) as u8;
            k += 1;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        for d in digits[..k].iter().rev() {
            p.buf[p.len] = *d;
            p.len += 1;
        }
        p
    }

    pub fn as_cstr(&self) -> &CStr {
        // One NUL at `len` (the buffer is zeroed and at most 14 + 10 bytes are written).
        CStr::from_bytes_with_nul(&self.buf[..=self.len]).unwrap_or(c"")
    }
}

/// Check that `/proc/self/fd` (used to name fds for mount(2)) is a real procfs.
pub fn check_self_fd() -> Result<()> {
    let fd = rustix::fs::open(
        c"/proc/self/fd",
        OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::sys("open", e).path(b"/proc/self/fd"))?;
    check_proc(fd.as_fd(), "/proc is not procfs", b"/proc/self/fd")
}

/// A procfs root only this process uses: a fresh detached procfs (fsopen/fsmount), else a
/// detached non-recursive clone of `/proc` (no over-mounts), else `/proc` itself. Always
/// checked to be procfs.
pub fn private_proc() -> Result<OwnedFd> {
    let fresh = rustix::mount::fsopen(c"proc", FsOpenFlags::FSOPEN_CLOEXEC).and_then(|fs| {
        rustix::mount::fsconfig_create(fs.as_fd())?;
        rustix::mount::fsmount(
            fs.as_fd(),
            FsMountFlags::FSMOUNT_CLOEXEC,
            MountAttrFlags::MOUNT_ATTR_NOSUID
                | MountAttrFlags::MOUNT_ATTR_NODEV
                | MountAttrFlags::MOUNT_ATTR_NOEXEC,
        )
    });
    let fd = match fresh {
        Ok(fd) => fd,
        Err(_) => match rustix::mount::open_tree(
            rustix::fs::CWD,
            c"/proc",
            OpenTreeFlags::OPEN_TREE_CLONE
                | OpenTreeFlags::OPEN_TREE_CLOEXEC
                | OpenTreeFlags::AT_SYMLINK_NOFOLLOW,
        ) {
            Ok(fd) => fd,
            Err(_) => rustix::fs::open(
                c"/proc",
                OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .map_err(|e| Error::sys("open", e).path(b"/proc"))?,
        },
    };
    check_proc(fd.as_fd(), "/proc is not procfs", b"/proc")?;
    Ok(fd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fd_path_text() {
        let p = FdPath::new(crate::sys::stderr());
        assert_eq!(p.as_cstr().to_bytes(), b"/proc/self/fd/2");
        let f = rustix::fs::open(c"/", OFlags::PATH | OFlags::CLOEXEC, Mode::empty()).unwrap();
        let p = FdPath::new(f.as_fd());
        assert!(p.as_cstr().to_bytes().starts_with(b"/proc/self/fd/"));
        check_proc(f.as_fd(), "x", b"/").unwrap_err();
        check_self_fd().unwrap();
    }
    extern crate std;
}
