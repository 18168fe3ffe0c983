//! `linux.maskedPaths` and `linux.readonlyPaths` (the container child, in its new mount
//! namespace, after pivot_root, inside or outside a user namespace). Each path is opened
//! inside the new root with RESOLVE_IN_ROOT; mounts go onto that descriptor.
//!
//! Masking binds /dev/null over a file (the container's /dev/null, opened O_PATH and checked
//! to be char 1:3: CVE-2025-31133) and an empty read-only tmpfs over a directory. A missing
//! path is skipped, as in runc.

use super::mounts::{bind, empty_ro_tmpfs, setattr};
use super::resolve::{open_in_root, Clean};
use crate::error::{Error, Result};
use crate::sys::mount::Attr;
use crate::sys::Errno;
use linux_raw_sys::general as g;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{makedev, FileType, OFlags, ResolveFlags};

/// Open `path` in `root`, or `None` when it does not exist (ENOENT, ENOTDIR).
fn open_opt(root: BorrowedFd<'_>, path: &Clean, call: &'static str) -> Result<Option<OwnedFd>> {
    match open_in_root(
        root,
        path.rel().as_cstr(),
        OFlags::empty(),
        ResolveFlags::empty(),
    ) {
        Ok(fd) => Ok(Some(fd)),
        Err(Errno::NOENT) | Err(Errno::NOTDIR) => Ok(None),
        Err(e) => Err(Error::sys(call, e).path(path.as_bytes())),
    }
}

/// The container's /dev/null, opened O_PATH without following symlinks and checked.
pub fn open_null(root: BorrowedFd<'_>) -> Result<OwnedFd> {
    let fd = open_in_root(
        root,
        c"dev/null",
        OFlags::NOFOLLOW,
        ResolveFlags::NO_SYMLINKS,
    )
    .map_err(|e| Error::sys("maskedPaths: open", e).path(b"/dev/null"))?;
    let st =
        rustix::fs::fstat(fd.as_fd()).map_err(|e| Error::sys("fstat", e).path(b"/dev/null"))?;
    if FileType::from_raw_mode(st.st_mode) != FileType::CharacterDevice
        || st.st_rdev != makedev(1, 3)
    {
        return Err(Error::sys("maskedPaths: not the null device", Errno::NODEV).path(b"/dev/null"));
    }
    Ok(fd)
}

/// Mask one path: /dev/null over a file, an empty read-only tmpfs over a directory.
pub fn mask(root: BorrowedFd<'_>, null: BorrowedFd<'_>, path: &Clean) -> Result<()> {
    let Some(fd) = open_opt(root, path, "maskedPaths: open")? else {
        return Ok(());
    };
    let st =
        rustix::fs::fstat(fd.as_fd()).map_err(|e| Error::sys("fstat", e).path(path.as_bytes()))?;
    if FileType::from_raw_mode(st.st_mode) == FileType::Directory {
        empty_ro_tmpfs(fd.as_fd())
            .map_err(|e| Error::sys("mask with tmpfs", e).path(path.as_bytes()))
    } else {
        bind(null, fd.as_fd(), false)
            .map_err(|e| Error::sys("mask with /dev/null", e).path(path.as_bytes()))
    }
}

/// Make one path read-only: bind it onto itself (recursively), then set MOUNT_ATTR_RDONLY
/// on the new mount and every mount below it (only on the top one without mount_setattr,
/// as runc does).
pub fn readonly(root: BorrowedFd<'_>, path: &Clean) -> Result<()> {
    let Some(fd) = open_opt(root, path, "readonlyPaths: open")? else {
        return Ok(());
    };
    let err = |call, e| Error::sys(call, e).path(path.as_bytes());
    bind(fd.as_fd(), fd.as_fd(), true).map_err(|e| err("readonlyPaths: bind", e))?;
    drop(fd);
    let top = open_in_root(
        root,
        path.rel().as_cstr(),
        OFlags::empty(),
        ResolveFlags::empty(),
    )
    .map_err(|e| err("readonlyPaths: open", e))?;
    let ro = Attr {
        set: g::MOUNT_ATTR_RDONLY as u64,
        clr: 0,
        propagation: 0,
    };
    match setattr(top.as_fd(), true, ro) {
        Err(Errno::NOSYS) => setattr(top.as_fd(), false, ro),
        r => r,
    }
    .map_err(|e| err("readonlyPaths: remount ro", e))
}
