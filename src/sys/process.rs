//! Process-level calls rustix offers only with a heap (getgroups, getcwd) or not at all
//! (rt_sigprocmask outside its unstable `runtime` module), plus a safe unshare(2).

use super::{arch, check, Errno};
use linux_raw_sys::general as g;

/// getgroups(2) into `out`: the number of supplementary groups written. EINVAL if `out` is
/// too small (the kernel's answer), so callers see that rather than a silent cut.
pub fn getgroups(out: &mut [u32]) -> Result<usize, Errno> {
    #[cfg(target_arch = "arm")]
    let nr = g::__NR_getgroups32; // getgroups (80) on arm has 16-bit gids
    #[cfg(not(target_arch = "arm"))]
    let nr = g::__NR_getgroups;
    // SAFETY: the kernel writes at most `out.len()` u32 gids into `out` (32-bit gid_t on
    // every arch with this call number).
    let r = unsafe { arch::syscall2(nr as usize, out.len(), out.as_mut_ptr() as usize) };
    check(r)
}

/// getcwd(2) into `buf`; returns the path without its NUL. ERANGE if `buf` is too small.
pub fn getcwd(buf: &mut [u8]) -> Result<&[u8], Errno> {
    // SAFETY: the kernel writes at most `buf.len()` bytes (a NUL-terminated path) into buf.
    let r = unsafe {
        arch::syscall2(
            g::__NR_getcwd as usize,
            buf.as_mut_ptr() as usize,
            buf.len(),
        )
    };
    let n = check(r)?;
    // n counts the NUL; "(unreachable)" paths are returned as is.
    let n = n.saturating_sub(1).min(buf.len());
    Ok(&buf[..n])
}

/// unshare(2). rustix marks it unsafe because CLONE_FILES would break fd ownership between
/// threads; husk has no threads (module doc of `sys`), so every flag is sound here.
pub fn unshare(flags: u32) -> Result<(), Errno> {
    // SAFETY: no pointers; husk is single-threaded, so no other thread can observe an fd
    // table or fs context being unshared.
    let r = unsafe { arch::syscall1(g::__NR_unshare as usize, flags as usize) };
    check(r).map(drop)
}

/// A signal mask as the kernel stores it (64 signals on every arch husk supports).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigMask(pub u64);

/// The signals a process must never block: the kernel raises them for faults, and blocking
/// them turns a crash into a hang (catatonit and tini keep them too).
pub const FAULT_SIGNALS: [u32; 7] = [
    g::SIGFPE,
    g::SIGILL,
    g::SIGSEGV,
    g::SIGBUS,
    g::SIGABRT,
    g::SIGTRAP,
    g::SIGSYS,
];

fn sigprocmask(how: u32, set: Option<SigMask>) -> Result<SigMask, Errno> {
    let mut old = 0u64;
    let newp = match &set {
        Some(m) => &m.0 as *const u64 as usize,
        None => 0,
    };
    // SAFETY: `set` and `old` are 8-byte sigsets alive across the call, matching the size
    // passed (the kernel's _NSIG/8 on x86_64, aarch64 and arm).
    let r = unsafe {
        arch::syscall4(
            g::__NR_rt_sigprocmask as usize,
            how as usize,
            newp,
            &mut old as *mut u64 as usize,
            8,
        )
    };
    check(r).map(|_| SigMask(old))
}

/// Block every signal except [`FAULT_SIGNALS`]; returns the previous mask, which a child
/// restores before execve.
pub fn block_all_but_faults() -> Result<SigMask, Errno> {
    let mut m = !0u64;
    for s in FAULT_SIGNALS {
        m &= !(1u64 << (s - 1));
    }
    sigprocmask(g::SIG_SETMASK, Some(SigMask(m)))
}

/// Set the signal mask to `m` (restoring what [`block_all_but_faults`] returned).
pub fn set_sigmask(m: SigMask) -> Result<(), Errno> {
    sigprocmask(g::SIG_SETMASK, Some(m)).map(drop)
}
