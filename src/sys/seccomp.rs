//! seccomp(2): the classic-BPF program buffer the compiler in linux/seccomp fills, and the
//! calls that install it or ask the kernel what it supports.
//!
//! References: seccomp(2), include/uapi/linux/seccomp.h, include/uapi/linux/filter.h.

use super::{arch, check, mem::Zeroable, Errno};
use linux_raw_sys::general::__NR_seccomp;
use linux_raw_sys::ptrace::{
    sock_filter, sock_fprog, SECCOMP_GET_ACTION_AVAIL, SECCOMP_SET_MODE_FILTER,
};
use rustix::fd::{FromRawFd, OwnedFd};

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
