//! seccomp(2): the classic-BPF program buffer the compiler in linux/seccomp fills, and the
//! calls that install it, ask the kernel what it supports, and answer notifications.
//!
//! References: seccomp(2), include/uapi/linux/seccomp.h, include/uapi/linux/filter.h.

use super::{arch, check, mem::Zeroable, Errno};
use linux_raw_sys::general::__NR_seccomp;
use linux_raw_sys::ptrace::{
    seccomp_notif, seccomp_notif_resp, sock_filter, sock_fprog, SECCOMP_GET_ACTION_AVAIL,
    SECCOMP_SET_MODE_FILTER,
};
use rustix::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

/// BPF_MAXINSNS: the kernel refuses longer classic BPF programs.
pub const BPF_MAXINSNS: usize = 4096;

/// One classic BPF instruction (`struct sock_filter`).
pub type Insn = sock_filter;

/// A seccomp program of at most [`BPF_MAXINSNS`] instructions (32 KiB: keep it in a
/// [`super::mem::Zeroed`], not on the stack).
pub struct Program {
    pub len: usize,
    pub insns: [Insn; BPF_MAXINSNS],
}

// SAFETY: `sock_filter` is four integers (zero is valid), the struct has no Drop and
// alignment 8.
unsafe impl Zeroable for Program {}

impl Program {
    /// The instructions written so far.
    pub fn code(&self) -> &[Insn] {
        &self.insns[..self.len.min(BPF_MAXINSNS)]
    }
}

/// seccomp(SECCOMP_SET_MODE_FILTER, flags, prog). Returns the listener fd when `flags`
/// has SECCOMP_FILTER_FLAG_NEW_LISTENER. Needs no_new_privs or CAP_SYS_ADMIN.
pub fn set_mode_filter(
    prog: &Program,
    flags: u32,
    listener: bool,
) -> Result<Option<OwnedFd>, Errno> {
    let code = prog.code();
    let mut fprog = sock_fprog {
        len: code.len() as _,
        filter: code.as_ptr() as *mut Insn,
    };
    // SAFETY: `fprog` points at `code.len()` initialised instructions that outlive the
    // call; the kernel copies them and does not write through the pointer.
    let r = unsafe {
        arch::syscall3(
            __NR_seccomp as usize,
            SECCOMP_SET_MODE_FILTER as usize,
            flags as usize,
            &mut fprog as *mut sock_fprog as usize,
        )
    };
    let r = check(r)?;
    if listener {
        // SAFETY: with NEW_LISTENER the kernel returns a new fd that nothing else owns.
        Ok(Some(unsafe { OwnedFd::from_raw_fd(r as i32) }))
    } else {
        Ok(None)
    }
}

/// seccomp(SECCOMP_GET_ACTION_AVAIL, 0, &action): Ok if this kernel knows `action`
/// (a SECCOMP_RET_* value).
pub fn action_available(action: u32) -> Result<(), Errno> {
    let a = action;
    // SAFETY: the kernel reads one u32 through the pointer, which is valid for the call.
    let r = unsafe {
        arch::syscall3(
            __NR_seccomp as usize,
            SECCOMP_GET_ACTION_AVAIL as usize,
            0,
            &a as *const u32 as usize,
        )
    };
    check(r).map(drop)
}

/// Whether this kernel knows SECCOMP_FILTER_FLAG_* `flag`: seccomp(SET_MODE_FILTER, flag,
/// NULL) fails with EFAULT for a known flag (it got as far as reading the program) and
/// EINVAL for an unknown one, installing nothing either way (runc probes the same way).
pub fn filter_flag_supported(flag: u32) -> bool {
    // SAFETY: a null program pointer: the kernel fails with EFAULT before using it.
    let r = unsafe {
        arch::syscall3(
            __NR_seccomp as usize,
            SECCOMP_SET_MODE_FILTER as usize,
            flag as usize,
            0,
        )
    };
    check(r) == Err(Errno::FAULT)
}

/// `_IOWR('!', nr, T)`: the seccomp notification ioctls (include/uapi/linux/seccomp.h),
/// in the generic encoding x86_64, arm and aarch64 share.
const fn iowr<T>(nr: u32) -> u32 {
    (3 << 30) | ((core::mem::size_of::<T>() as u32) << 16) | ((b'!' as u32) << 8) | nr
}
const NOTIF_RECV: u32 = iowr::<seccomp_notif>(0);
const NOTIF_SEND: u32 = iowr::<seccomp_notif_resp>(1);

/// SECCOMP_IOCTL_NOTIF_RECV: wait for the next notification on a listener fd.
pub fn notif_recv(listener: BorrowedFd<'_>) -> Result<seccomp_notif, Errno> {
    // SAFETY: all-zero is a valid seccomp_notif (integers only), as the kernel requires.
    let mut n: seccomp_notif = unsafe { core::mem::zeroed() };
    // SAFETY: the kernel writes at most one seccomp_notif through the pointer, which is
    // valid and exclusive for the call.
    let r = unsafe {
        arch::syscall3(
            linux_raw_sys::general::__NR_ioctl as usize,
            listener.as_raw_fd() as usize,
            NOTIF_RECV as usize,
            &mut n as *mut seccomp_notif as usize,
        )
    };
    check(r).map(|_| n)
}

/// SECCOMP_IOCTL_NOTIF_SEND: answer notification `id`: the call returns `val`, or fails
/// with `errno` when it is not 0.
pub fn notif_send(listener: BorrowedFd<'_>, id: u64, val: i64, errno: i32) -> Result<(), Errno> {
    let mut resp = seccomp_notif_resp {
        id,
        val,
        error: -errno,
        flags: 0,
    };
    // SAFETY: the kernel reads (and may write) one seccomp_notif_resp through the pointer,
    // which is valid for the call.
    let r = unsafe {
        arch::syscall3(
            linux_raw_sys::general::__NR_ioctl as usize,
            listener.as_raw_fd() as usize,
            NOTIF_SEND as usize,
            &mut resp as *mut seccomp_notif_resp as usize,
        )
    };
    check(r).map(drop)
}
