//! A raw system call by name or number with integer arguments, for the probe's `syscall`
//! mode: it checks what a seccomp filter, capabilities or namespaces let through.
//!
//! Soundness: arguments are plain integers, never pointers built by the caller. A syscall
//! that dereferences one therefore sees an address in the never-mapped first page (values
//! 0..4095; mmap_min_addr is at least 4096 on every kernel husk targets and husk never maps
//! page zero) or a kernel address (-4095..-1), and fails with EFAULT instead of touching
//! this process's memory. Values outside [-4095, 4095] are refused. Calls that change the
//! address space, create threads or replace the program are refused as well (see
//! [`REFUSED`]), whatever their arguments.

use super::{arch, check, Errno};
use linux_raw_sys::general as g;

/// Syscall names the probe knows, with their numbers on this arch.
pub const NAMES: &[(&str, u32)] = &[
    ("getpid", g::__NR_getpid),
    ("unshare", g::__NR_unshare),
    ("mount", g::__NR_mount),
    ("reboot", g::__NR_reboot),
    ("keyctl", g::__NR_keyctl),
    ("ptrace", g::__NR_ptrace),
    ("personality", g::__NR_personality),
    ("getcwd", g::__NR_getcwd),
    ("prctl", g::__NR_prctl),
    // Queries the probe's report never makes itself (a filter may fail them).
    ("getpgid", g::__NR_getpgid),
    ("sched_yield", g::__NR_sched_yield),
    ("kcmp", g::__NR_kcmp),
];

/// i386 syscalls [`call32`] makes (number, no arguments): queries without side effects.
pub const NAMES32: &[(&str, u32)] = &[("getpid", 20), ("getpgid", 132), ("sched_yield", 158)];

/// Numbers [`call`] never makes: they could break the memory or thread model of the caller.
pub const REFUSED: &[u32] = &[
    g::__NR_clone,
    g::__NR_clone3,
    g::__NR_execve,
    g::__NR_execveat,
    g::__NR_mprotect,
    #[cfg(not(target_arch = "arm"))]
    g::__NR_mmap,
    #[cfg(target_arch = "arm")]
    g::__NR_mmap2,
    g::__NR_munmap,
    g::__NR_mremap,
    g::__NR_madvise,
    g::__NR_brk,
    g::__NR_rt_sigreturn,
    g::__NR_set_tid_address,
    #[cfg(target_arch = "x86_64")]
    g::__NR_arch_prctl,
    #[cfg(any(target_arch = "x86_64", target_arch = "arm"))]
    g::__NR_vfork,
    #[cfg(target_arch = "arm")]
    g::__NR_sigreturn,
    #[cfg(target_arch = "arm")]
    0x0f0005, // __ARM_NR_set_tls
];

/// The number of a syscall name in [`NAMES`].
pub fn number(name: &[u8]) -> Option<u32> {
    NAMES
        .iter()
        .find(|(n, _)| n.as_bytes() == name)
        .map(|&(_, nr)| nr)
}

/// Why [`call`] did not make a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// The number is in [`REFUSED`].
    Call,
    /// An argument is outside [-4095, 4095] (it could be a valid pointer).
    Arg,
    /// More than six arguments.
    TooMany,
}

/// Make syscall `nr` with up to six integer arguments (missing ones are 0). Returns the
/// refusal, or the kernel's result.
pub fn call(nr: u32, args: &[isize]) -> Result<Result<usize, Errno>, Refused> {
    if REFUSED.contains(&nr) {
        return Err(Refused::Call);
    }
    if args.len() > 6 {
        return Err(Refused::TooMany);
    }
    if args.iter().any(|a| !(-4095..=4095).contains(a)) {
        return Err(Refused::Arg);
    }
    let mut a = [0usize; 6];
    for (d, s) in a.iter_mut().zip(args) {
        *d = *s as usize;
    }
    // SAFETY: see the module doc: integer arguments in [-4095, 4095] cannot point into this
    // process's memory, and calls that alter the address space or threads are refused.
    let r = unsafe { arch::syscall6(nr as usize, a[0], a[1], a[2], a[3], a[4], a[5]) };
    Ok(check(r))
}

/// Make an i386 syscall from this 64-bit process (`int $0x80`, which x86_64 kernels with
/// IA32 emulation serve with the 32-bit table and AUDIT_ARCH_I386, as seccomp sees it):
/// only the argument-free queries of [`NAMES32`]. Elsewhere: `Refused::Call`.
pub fn call32(name: &[u8]) -> Result<Result<usize, Errno>, Refused> {
    let Some(&(_, nr)) = NAMES32.iter().find(|(n, _)| n.as_bytes() == name) else {
        return Err(Refused::Call);
    };
    #[cfg(target_arch = "x86_64")]
    {
        let r: isize;
        // SAFETY: the calls of NAMES32 take no arguments, touch no memory of this process
        // and return in eax; int 0x80 clobbers only eax (r8-r11 are preserved by the
        // kernel for 64-bit callers of the compat entry).
        unsafe {
            core::arch::asm!("int 0x80", inlateout("eax") nr as isize => r, options(nostack));
        }
        // The 32-bit ABI returns a 32-bit value: sign-extend it.
        Ok(check(r as i32 as isize))
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = nr;
        Err(Refused::Call)
    }
}
