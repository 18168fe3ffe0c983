//! clone3(2) without CLONE_VM (a new process, never a thread), with a clone(2) fallback for
//! kernels and emulators that answer ENOSYS (qemu-user, Linux < 5.3).
//!
//! The child continues in ordinary Rust: with no shared memory and no other threads in husk,
//! it owns a private copy of everything the parent had, as after fork(2).

use super::{arch, check, Errno};
use linux_raw_sys::general::{__NR_clone, __NR_clone3, clone_args, CLONE_PIDFD};
use rustix::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use rustix::process::Pid;

/// What a successful clone returns, in each of the two processes.
pub enum Forked {
    /// In the new process.
    Child,
    /// In the calling process: the child's pid and, if CLONE_PIDFD was asked and the kernel
    /// gave one, a pidfd for it.
    Parent { pid: Pid, pidfd: Option<OwnedFd> },
}

/// clone3(flags, exit_signal, cgroup): `flags` are CLONE_* namespace/pidfd flags (never
/// CLONE_VM, CLONE_THREAD or CLONE_SETTLS: those need a new stack, which husk never uses).
/// `cgroup`, when given, adds CLONE_INTO_CGROUP.
pub fn clone3(
    flags: u64,
    exit_signal: u32,
    cgroup: Option<BorrowedFd<'_>>,
) -> Result<Forked, Errno> {
    const FORBIDDEN: u64 = (linux_raw_sys::general::CLONE_VM
        | linux_raw_sys::general::CLONE_THREAD
        | linux_raw_sys::general::CLONE_SETTLS
        | linux_raw_sys::general::CLONE_SIGHAND) as u64;
    if flags & FORBIDDEN != 0 {
        return Err(Errno::INVAL);
    }
    let mut pidfd: i32 = -1;
    let mut args: clone_args = clone_args {
        flags,
        pidfd: &mut pidfd as *mut i32 as u64,
        child_tid: 0,
        parent_tid: 0,
        exit_signal: exit_signal as u64,
        stack: 0,
        stack_size: 0,
        tls: 0,
        set_tid: 0,
        set_tid_size: 0,
        cgroup: 0,
    };
    if let Some(cg) = cgroup {
        args.flags |= linux_raw_sys::general::CLONE_INTO_CGROUP;
        args.cgroup = cg.as_raw_fd() as u64;
    }
    // SAFETY: `args` and `pidfd` outlive the call; without CLONE_VM and with a zero stack
    // the child runs on a private copy of this stack, so returning into Rust is sound in both
    // processes (module doc; husk is single-threaded).
    let r = unsafe {
        arch::syscall2(
            __NR_clone3 as usize,
            &mut args as *mut clone_args as usize,
            core::mem::size_of::<clone_args>(),
        )
    };
    match check(r) {
        Ok(0) => Ok(Forked::Child),
        Ok(pid) => Ok(Forked::Parent {
            pid: to_pid(pid)?,
            pidfd: owned(flags, pidfd),
        }),
        Err(Errno::NOSYS) if cgroup.is_none() => clone_legacy(flags, exit_signal),
        Err(e) => Err(e),
    }
}

fn clone_legacy(flags: u64, exit_signal: u32) -> Result<Forked, Errno> {
    if flags >> 32 != 0 {
        // Flags above 32 bits (CLONE_NEWTIME, CLONE_INTO_CGROUP) exist only in clone3.
        return Err(Errno::NOSYS);
    }
    let mut pidfd: i32 = -1;
    // With CLONE_PIDFD, clone(2) stores the pidfd through parent_tid (3rd argument on
    // every arch husk supports); the remaining pointer arguments are unused and zero.
    let ptid = if flags & CLONE_PIDFD as u64 != 0 {
        &mut pidfd as *mut i32 as usize
    } else {
        0
    };
    // SAFETY: as for clone3: no CLONE_VM, no new stack, `pidfd` outlives the call.
    let r = unsafe {
        arch::syscall5(
            __NR_clone as usize,
            (flags as usize) | exit_signal as usize,
            0,
            ptid,
            0,
            0,
        )
    };
    match check(r)? {
        0 => Ok(Forked::Child),
        pid => Ok(Forked::Parent {
            pid: to_pid(pid)?,
            pidfd: owned(flags, pidfd),
        }),
    }
}

fn to_pid(raw: usize) -> Result<Pid, Errno> {
    Pid::from_raw(raw as i32).ok_or(Errno::SRCH)
}

fn owned(flags: u64, fd: i32) -> Option<OwnedFd> {
    if flags & CLONE_PIDFD as u64 != 0 && fd >= 0 {
        // SAFETY: the kernel just created this fd for us (CLONE_PIDFD) and nothing else
        // owns it.
        Some(unsafe { OwnedFd::from_raw_fd(fd) })
    } else {
        None
    }
}

/// fork(2) equivalent: a new process with SIGCHLD as its exit signal.
pub fn fork() -> Result<Forked, Errno> {
    clone3(0, linux_raw_sys::general::SIGCHLD, None)
}
