//! The machine's pseudo filesystems, cgroup2 with every controller delegated from the
//! root, the console as stdio, the hostname, loopback, and the root filesystem's mode.
//! Runs in PID 1 after [`super::switch`].
//!
//! On a real root filesystem some of these may be mounted already (the kernel mounts
//! devtmpfs on /dev with CONFIG_DEVTMPFS_MOUNT; an initramfs that switch_root'ed here may
//! have moved /proc, /sys, /dev along): a target that is already a mount point is kept.

use crate::{Error, Result};
use core::ffi::CStr;
use rustix::fs::Mode;
use rustix::mount::{mount, MountFlags as F};

struct Mnt {
    fstype: &'static CStr,
    target: &'static CStr,
    flags: F,
    data: Option<&'static CStr>,
}

const fn m(
    fstype: &'static CStr,
    target: &'static CStr,
    flags: F,
    data: Option<&'static CStr>,
) -> Mnt {
    Mnt {
        fstype,
        target,
        flags,
        data,
    }
}

/// In order: each target's parent is mounted first.
const MOUNTS: [Mnt; 8] = [
    m(
        c"proc",
        c"/proc",
        F::NOSUID.union(F::NODEV).union(F::NOEXEC),
        None,
    ),
    m(
        c"sysfs",
        c"/sys",
        F::NOSUID.union(F::NODEV).union(F::NOEXEC),
        None,
    ),
    m(c"devtmpfs", c"/dev", F::NOSUID, Some(c"mode=0755")),
    m(
        c"devpts",
        c"/dev/pts",
        F::NOSUID.union(F::NOEXEC),
        Some(c"mode=0620,ptmxmode=0666"),
    ),
    m(
        c"tmpfs",
        c"/dev/shm",
        F::NOSUID.union(F::NODEV),
        Some(c"mode=1777"),
    ),
    m(
        c"tmpfs",
        c"/run",
        F::NOSUID.union(F::NODEV),
        Some(c"mode=0755"),
    ),
    m(
        c"tmpfs",
        c"/tmp",
        F::NOSUID.union(F::NODEV),
        Some(c"mode=1777"),
    ),
    // Without favordynmods: husk starts each process in its cgroup (CLONE_INTO_CGROUP),
    // so it moves no process the option would speed up, while mounting with it cost 11 ms
    // of guest time on Linux 6.1 (x86_64 and aarch64, QEMU icount) and fork and exit pay
    // a little with it ever after.
    m(
        c"cgroup2",
        c"/sys/fs/cgroup",
        F::NOSUID.union(F::NODEV).union(F::NOEXEC),
        None,
    ),
];

/// Whether `path` is a mount point: its device differs from its parent's, or it is the
/// root of its mount (same inode as `path/..`, which only `/` is otherwise).
pub fn is_mount_point(path: &CStr) -> bool {
    let Ok(st) = rustix::fs::stat(path) else {
        return false;
    };
    let mut parent = crate::out::Buf::<64>::new();
    parent.push_bytes(path.to_bytes());
    parent.push_bytes(b"/..\0");
    let Ok(p) = CStr::from_bytes_with_nul(parent.as_bytes()) else {
        return false;
    };
    rustix::fs::stat(p).is_ok_and(|pst| pst.st_dev != st.st_dev || pst.st_ino == st.st_ino)
}

/// mount(2) each of [`MOUNTS`], creating the directory first when missing, and keeping
/// what is mounted there already. Returns how many were kept.
pub fn mount_all() -> Result<u32> {
    let mut kept = 0;
    for x in &MOUNTS {
        match rustix::fs::mkdir(x.target, Mode::from_bits_truncate(0o755)) {
            Ok(()) | Err(rustix::io::Errno::EXIST) => {}
            Err(e) => return Err(Error::sys("mkdir", e).path(x.target.to_bytes())),
        }
        if is_mount_point(x.target) {
            kept += 1;
            continue;
        }
        mount(x.fstype, x.target, x.fstype, x.flags, x.data)
            .map_err(|e| Error::sys("mount", e).path(x.target.to_bytes()))?;
    }
    Ok(kept)
}

/// If the kernel found no /dev/console in the initramfs, fds 0-2 are closed: open the
/// console from the fresh devtmpfs and make it stdin, stdout and stderr.
pub fn ensure_console() {
    use rustix::fs::{open, OFlags};
    if rustix::io::fcntl_getfd(crate::sys::stdout()).is_ok() {
        return;
    }
    if let Ok(fd) = open(
        c"/dev/console",
        OFlags::RDWR | OFlags::NOCTTY,
        Mode::empty(),
    ) {
        let _ = rustix::stdio::dup2_stdin(&fd);
        let _ = rustix::stdio::dup2_stdout(&fd);
        let _ = rustix::stdio::dup2_stderr(&fd);
    }
}

/// Write `+name` to the root's cgroup.subtree_control for every controller listed in
/// cgroup.controllers: all in one write (each write waits for the cgroup locks), and if
/// that is refused, one at a time so one refusal does not hide the others.
pub fn enable_controllers() {
    let mut buf = [0u8; 512];
    let list = match crate::files::read_to(c"/sys/fs/cgroup/cgroup.controllers", &mut buf) {
        Ok(l) => l,
        Err(e) => {
            crate::warn!("init: cgroup.controllers: {}", e);
            return;
        }
    };
    let fd = match rustix::fs::open(
        c"/sys/fs/cgroup/cgroup.subtree_control",
        rustix::fs::OFlags::WRONLY | rustix::fs::OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        Ok(f) => f,
        Err(e) => {
            crate::warn!("init: cgroup.subtree_control: {}", Error::sys("open", e));
            return;
        }
    };
    let names = || {
        list.split(|b| b.is_ascii_whitespace())
            .filter(|c| !c.is_empty())
    };
    let mut all = crate::out::Buf::<512>::new();
    for c in names() {
        all.push_bytes(if all.is_empty() { b"+" } else { b" +" });
        all.push_bytes(c);
    }
    if all.is_empty() || (!all.truncated() && rustix::io::write(&fd, all.as_bytes()).is_ok()) {
        return;
    }
    for c in names() {
        let mut w = crate::out::Buf::<64>::new();
        w.push_bytes(b"+");
        w.push_bytes(c);
        if let Err(e) = rustix::io::write(&fd, w.as_bytes()) {
            crate::warn!(
                "init: enable controller {}: {}",
                crate::error::Text::new(c),
                Error::sys("write", e)
            );
        }
    }
}

/// sethostname(2).
pub fn set_hostname(name: &[u8]) {
    if let Err(e) = rustix::system::sethostname(name) {
        crate::warn!("init: {}", Error::sys("sethostname", e).value(name));
    }
}

/// Bring `lo` up in the machine's network namespace.
pub fn loopback() {
    if let Err(e) = crate::sys::process::loopback_up() {
        crate::warn!("init: {}", Error::sys("bring up lo", e));
    }
}

/// On a real root filesystem (not the initramfs), remount it as init.json's `root` asks.
pub fn root_mode(mode: super::config::RootMode) {
    use super::config::RootMode;
    use rustix::mount::{mount_remount, MountFlags};
    let flags = match mode {
        RootMode::Keep => return,
        RootMode::Rw => MountFlags::empty(),
        RootMode::Ro => MountFlags::RDONLY,
    };
    if let Err(e) = mount_remount(c"/", flags, c"") {
        crate::error!("init: {}", Error::sys("remount", e).path(b"/"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_points() {
        assert!(is_mount_point(c"/proc"));
        assert!(is_mount_point(c"/"));
        assert!(!is_mount_point(c"/proc/self/fd"));
    }
}
