//! Leave the initramfs "as switch_root does", so that containers can pivot_root later.
//!
//! The initramfs root (rootfs) can never be unmounted or pivoted away from: runc fails
//! there with `pivot_root .: invalid argument`, because the root mount of the namespace
//! has no parent. A mount *on top of* rootfs has one. So PID 1, first thing:
//! - when rootfs is a tmpfs (the kernel's choice when it has tmpfs and no `root=` was
//!   given, as on Debian's kernels), binds `/` onto a directory of itself, moves that bind
//!   mount onto `/` with MS_MOVE and chroots into it: the same files, now on a pivotable
//!   mount, at the cost of three syscalls (a copy cost a third of husk's boot under TCG);
//! - when rootfs is a ramfs (no size limit, never swapped), copies the tree into a fresh
//!   tmpfs, deletes the originals (freeing their memory), moves the tmpfs onto `/` and
//!   chroots into it.
//!
//! Runs before any other mount, so the tree holds only the initramfs files.

use crate::{Error, Result};
use core::ffi::CStr;
use core::mem::MaybeUninit;
use linux_raw_sys::general::{RAMFS_MAGIC, TMPFS_MAGIC};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{self, AtFlags, FileType, Mode, OFlags};

/// Directory levels copied; a deeper initramfs is an error (nothing is deleted then).
pub const MAX_DEPTH: usize = 16;
/// Where the new root is mounted while the tree is copied.
const NEW_ROOT: &CStr = c"/.husk-root";

/// What [`leave_initramfs`] found and did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Root {
    /// `/` is not the initramfs: left alone.
    Kept,
    /// Moved to a tmpfs mount; `mountinfo` tells whether /proc/self/mountinfo confirmed
    /// that `/` was `rootfs` (false: it could not be read, and statfs alone decided);
    /// `copied`: the files were copied from a ramfs (false: a tmpfs rootfs was bound).
    Moved { mountinfo: bool, copied: bool },
}

/// Move `/` to a tmpfs when it is the initramfs. A copy error is returned before anything
/// is deleted.
pub fn leave_initramfs() -> Result<Root> {
    let (mountinfo, tmpfs) = match on_initramfs()? {
        None => return Ok(Root::Kept),
        Some(m) => m,
    };
    if tmpfs {
        bind_root(mountinfo)?;
        return Ok(Root::Moved {
            mountinfo,
            copied: false,
        });
    }
    let root = open_dir(fs::CWD, c"/")?;
    let root_dev = fs::fstat(&root)
        .map_err(|e| Error::sys("fstat", e).path(b"/"))?
        .st_dev;
    make_new_root()?;
    rustix::mount::mount(
        c"tmpfs",
        NEW_ROOT,
        c"tmpfs",
        rustix::mount::MountFlags::empty(),
        Some(c"mode=0755"),
    )
    .map_err(|e| Error::sys("mount", e).path(NEW_ROOT.to_bytes()))?;
    let new = open_dir(fs::CWD, NEW_ROOT)?;
    let mut copier = Copier {
        buf: [0; 16384],
        root_dev,
    };
    copier.copy_tree(root.as_fd(), new.as_fd(), 0)?;
    copy_meta(
        fs::fstat(&root).map_err(|e| Error::sys("fstat", e))?,
        new.as_fd(),
        None,
    )?;
    remove_tree(root.as_fd(), root_dev, 0);
    move_to_root(mountinfo)?;
    Ok(Root::Moved {
        mountinfo,
        copied: true,
    })
}

/// A tmpfs rootfs: bind it onto [`NEW_ROOT`] and make that mount the root (the bind is
/// not recursive: `proc_along` as for [`move_to_root`]).
fn bind_root(proc_along: bool) -> Result<()> {
    use rustix::mount::mount_bind;
    make_new_root()?;
    mount_bind(c"/", NEW_ROOT).map_err(|e| Error::sys("mount MS_BIND", e).path(b"/"))?;
    move_to_root(proc_along)?;
    // The mount point of the bind, now an empty directory of the new root: not ours to
    // keep. A failure leaves an empty directory, nothing worse.
    let _ = fs::rmdir(NEW_ROOT);
    Ok(())
}

/// Where the new root is mounted: [`NEW_ROOT`], made if missing.
fn make_new_root() -> Result<()> {
    match fs::mkdir(NEW_ROOT, Mode::from_bits_truncate(0o700)) {
        Ok(()) | Err(rustix::io::Errno::EXIST) => Ok(()),
        Err(e) => Err(Error::sys("mkdir", e).path(NEW_ROOT.to_bytes())),
    }
}

/// With the new root mounted on [`NEW_ROOT`]: move it onto `/` and chroot into it. With
/// `proc_along`, the /proc the initramfs check mounted moves with it (cheaper than
/// unmounting and mounting again: an unmount waits for an RCU grace period).
fn move_to_root(proc_along: bool) -> Result<()> {
    if proc_along {
        let _ = fs::mkdir(c"/.husk-root/proc", Mode::from_bits_truncate(0o555));
        rustix::mount::mount_move(c"/proc", c"/.husk-root/proc")
            .map_err(|e| Error::sys("mount MS_MOVE", e).path(b"/proc"))?;
    }
    rustix::process::chdir(NEW_ROOT)
        .map_err(|e| Error::sys("chdir", e).path(NEW_ROOT.to_bytes()))?;
    rustix::mount::mount_move(c".", c"/")
        .map_err(|e| Error::sys("mount MS_MOVE", e).path(b". to /"))?;
    rustix::process::chroot(c".").map_err(|e| Error::sys("chroot", e).path(b"."))?;
    rustix::process::chdir(c"/").map_err(|e| Error::sys("chdir", e).path(b"/"))?;
    Ok(())
}

/// Whether `/` is the initramfs: PID 1, statfs("/") is ramfs or tmpfs, and the root
/// mount has no parent, i.e. /proc/self/mountinfo calls it `rootfs` (read through a
/// temporary /proc mount). If /proc cannot be mounted the first two tests decide.
/// None: not the initramfs; Some((whether mountinfo confirmed it, whether it is a tmpfs)).
fn on_initramfs() -> Result<Option<(bool, bool)>> {
    let s = fs::statfs(c"/").map_err(|e| Error::sys("statfs", e).path(b"/"))?;
    let magic = s.f_type as u32;
    if !rustix::process::getpid().is_init() || (magic != RAMFS_MAGIC && magic != TMPFS_MAGIC) {
        return Ok(None);
    }
    let tmpfs = magic == TMPFS_MAGIC;
    Ok(match root_fstype_is_rootfs() {
        Some(true) => Some((true, tmpfs)),
        Some(false) => None,
        None => Some((false, tmpfs)),
    })
}

/// The fstype of the `/` line of mountinfo is `rootfs`; None if /proc is unavailable.
/// /proc stays mounted (the mounts step keeps it, or [`leave_initramfs`] moves it along).
fn root_fstype_is_rootfs() -> Option<bool> {
    let _ = fs::mkdir(c"/proc", Mode::from_bits_truncate(0o555));
    let flags = rustix::mount::MountFlags::NOSUID
        | rustix::mount::MountFlags::NODEV
        | rustix::mount::MountFlags::NOEXEC;
    if !super::mounts::is_mount_point(c"/proc") {
        rustix::mount::mount(c"proc", c"/proc", c"proc", flags, None).ok()?;
    }
    let mut buf = [0u8; 4096];
    let text = crate::files::read_to(c"/proc/self/mountinfo", &mut buf).ok();
    let found = text.and_then(|t| {
        t.split(|&c| c == b'\n').find_map(|line| {
            // id parent maj:min root mountpoint options [optional...] - fstype ...
            let mut f = line.split(|&c| c == b' ');
            (f.nth(4)? == b"/").then(|| f.skip_while(|x| *x != b"-").nth(1) == Some(b"rootfs"))
        })
    });
    if found.is_none() {
        let _ = rustix::mount::unmount(c"/proc", rustix::mount::UnmountFlags::DETACH);
    }
    found
}

fn open_dir(at: BorrowedFd<'_>, p: &CStr) -> Result<OwnedFd> {
    fs::openat(
        at,
        p,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::sys("open", e).path(p.to_bytes()))
}

struct Copier {
    buf: [u8; 16384],
    root_dev: u64,
}

impl Copier {
    /// Copy the entries of `src` into `dst` (files, directories, symlinks, device nodes,
    /// fifos; modes and owners). Entries on another filesystem (the new root itself) are
    /// skipped.
    fn copy_tree(&mut self, src: BorrowedFd<'_>, dst: BorrowedFd<'_>, depth: usize) -> Result<()> {
        if depth >= MAX_DEPTH {
            return Err(Error::sys("copy initramfs", rustix::io::Errno::LOOP).path(b"too deep"));
        }
        let mut dbuf = [MaybeUninit::<u8>::uninit(); 2048];
        let mut it = fs::RawDir::new(src, &mut dbuf);
        while let Some(ent) = it.next() {
            let ent = ent.map_err(|e| Error::sys("getdents64", e))?;
            let name = ent.file_name();
            if name == c"." || name == c".." {
                continue;
            }
            let st = fs::statat(src, name, AtFlags::SYMLINK_NOFOLLOW)
                .map_err(|e| Error::sys("stat", e).path(name.to_bytes()))?;
            if st.st_dev != self.root_dev {
                continue;
            }
            let mode = Mode::from_raw_mode(st.st_mode);
            let ctx = |call: &'static str| move |e| Error::sys(call, e).path(name.to_bytes());
            match FileType::from_raw_mode(st.st_mode) {
                FileType::Directory => {
                    fs::mkdirat(dst, name, Mode::from_bits_truncate(0o700))
                        .map_err(ctx("mkdir"))?;
                    let s = open_dir(src, name)?;
                    let d = open_dir(dst, name)?;
                    self.copy_tree(s.as_fd(), d.as_fd(), depth + 1)?;
                    copy_meta(st, d.as_fd(), None)?;
                }
                FileType::RegularFile => {
                    let s = fs::openat(
                        src,
                        name,
                        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                        Mode::empty(),
                    )
                    .map_err(ctx("open"))?;
                    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC;
                    let d = fs::openat(dst, name, flags, Mode::from_bits_truncate(0o600))
                        .map_err(ctx("create"))?;
                    self.copy_data(&s, &d).map_err(ctx("copy"))?;
                    copy_meta(st, d.as_fd(), None)?;
                }
                FileType::Symlink => {
                    let mut t = [MaybeUninit::<u8>::uninit(); 4096];
                    let (target, _) =
                        fs::readlinkat_raw(src, name, &mut t).map_err(ctx("readlink"))?;
                    let target = CStrBuf::new(target)
                        .ok_or(Error::sys("readlink", rustix::io::Errno::NAMETOOLONG))?;
                    fs::symlinkat(target.as_cstr(), dst, name).map_err(ctx("symlink"))?;
                    copy_meta(st, dst, Some(name))?;
                }
                t @ (FileType::CharacterDevice
                | FileType::BlockDevice
                | FileType::Fifo
                | FileType::Socket) => {
                    fs::mknodat(dst, name, t, mode, st.st_rdev).map_err(ctx("mknod"))?;
                    copy_meta(st, dst, Some(name))?;
                }
                FileType::Unknown => {}
            }
        }
        Ok(())
    }

    fn copy_data(&mut self, s: &OwnedFd, d: &OwnedFd) -> rustix::io::Result<()> {
        loop {
            match rustix::io::read(s, &mut self.buf) {
                Ok(0) => return Ok(()),
                Ok(n) => crate::out::write_all(d, &self.buf[..n])?,
                Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// Owner, then mode (chown clears set-id bits, so the mode comes second). `name` given:
/// the entry `name` in directory `fd` (symlinks keep their mode); else `fd` itself.
fn copy_meta(st: fs::Stat, fd: BorrowedFd<'_>, name: Option<&CStr>) -> Result<()> {
    let uid = Some(rustix::fs::Uid::from_raw(st.st_uid));
    let gid = Some(rustix::fs::Gid::from_raw(st.st_gid));
    let mode = Mode::from_raw_mode(st.st_mode);
    let r = match name {
        Some(n) => fs::chownat(fd, n, uid, gid, AtFlags::SYMLINK_NOFOLLOW).and_then(|()| {
            if FileType::from_raw_mode(st.st_mode) == FileType::Symlink {
                Ok(())
            } else {
                fs::chmodat(fd, n, mode, AtFlags::empty())
            }
        }),
        None => fs::fchown(fd, uid, gid).and_then(|()| fs::fchmod(fd, mode)),
    };
    r.map_err(|e| Error::sys("chown/chmod", e).path(name.map_or(&b""[..], |n| n.to_bytes())))
}

/// Delete the entries of `dir` that are on `dev` (busybox switch_root's delete_contents).
/// Best effort: failures are logged and the walk goes on (the copy is already complete).
fn remove_tree(dir: BorrowedFd<'_>, dev: u64, depth: usize) {
    if depth >= MAX_DEPTH {
        return;
    }
    let mut dbuf = [MaybeUninit::<u8>::uninit(); 2048];
    let mut it = fs::RawDir::new(dir, &mut dbuf);
    while let Some(Ok(ent)) = it.next() {
        let name = ent.file_name();
        if name == c"." || name == c".." {
            continue;
        }
        let Ok(st) = fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) else {
            continue;
        };
        if st.st_dev != dev {
            continue;
        }
        let is_dir = FileType::from_raw_mode(st.st_mode) == FileType::Directory;
        if is_dir {
            if let Ok(sub) = open_dir(dir, name) {
                remove_tree(sub.as_fd(), dev, depth + 1);
            }
        }
        let flags = if is_dir {
            AtFlags::REMOVEDIR
        } else {
            AtFlags::empty()
        };
        if let Err(e) = fs::unlinkat(dir, name, flags) {
            crate::debug!(
                "init: unlink {}: {:?}",
                crate::error::Text::new(name.to_bytes()),
                e
            );
        }
    }
}

/// A symlink target with its NUL.
struct CStrBuf {
    b: [u8; 4097],
    len: usize,
}

impl CStrBuf {
    fn new(s: &[u8]) -> Option<CStrBuf> {
        if s.len() >= 4097 || s.contains(&0) {
            return None;
        }
        let mut b = [0u8; 4097];
        b[..s.len()].copy_from_slice(s);
        Some(CStrBuf { b, len: s.len() })
    }
    fn as_cstr(&self) -> &CStr {
        CStr::from_bytes_with_nul(&self.b[..=self.len]).unwrap_or(c"")
    }
}
