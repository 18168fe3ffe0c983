//! Process-level calls rustix offers only with a heap (getgroups, getcwd) or not at all
//! (rt_sigprocmask outside its unstable `runtime` module), plus a safe unshare(2),
//! signals by number (real-time ones too), signalfd, loopback up and close-all-but.

use super::{arch, check, Errno};
use linux_raw_sys::general as g;
use rustix::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};

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

/// kill(2) with any signal number (real-time ones included); 0 tests existence.
pub fn kill(pid: i32, sig: i32) -> Result<(), Errno> {
    // SAFETY: no pointers.
    check(unsafe { arch::syscall2(g::__NR_kill as usize, pid as usize, sig as usize) }).map(|_| ())
}

/// pidfd_send_signal(2) with any signal number: the signal cannot reach a recycled pid.
pub fn pidfd_send_signal(pidfd: impl AsFd, sig: i32) -> Result<(), Errno> {
    // SAFETY: a null siginfo pointer is allowed (the kernel fills in a SI_USER one).
    check(unsafe {
        arch::syscall4(
            g::__NR_pidfd_send_signal as usize,
            pidfd.as_fd().as_raw_fd() as usize,
            sig as usize,
            0,
            0,
        )
    })
    .map(|_| ())
}

/// The mask holding exactly `sig`.
pub const fn sig_bit(sig: i32) -> u64 {
    1u64 << (sig - 1)
}

/// Set the signal mask to `m` and return the previous one.
pub fn swap_sigmask(m: SigMask) -> Result<SigMask, Errno> {
    sigprocmask(g::SIG_SETMASK, Some(m))
}

/// signalfd4(-1, set, SFD_CLOEXEC): a descriptor that reads the blocked signals of `set`.
pub fn signalfd(set: SigMask) -> Result<OwnedFd, Errno> {
    signalfd_flags(set, g::O_CLOEXEC)
}

/// [`signalfd`] with SFD_NONBLOCK too: a read with nothing pending fails with EAGAIN (PID 1
/// drains it after each poll).
pub fn signalfd_nonblocking(set: SigMask) -> Result<OwnedFd, Errno> {
    signalfd_flags(set, g::O_CLOEXEC | g::O_NONBLOCK)
}

fn signalfd_flags(set: SigMask, flags: u32) -> Result<OwnedFd, Errno> {
    let set = set.0;
    // SAFETY: `set` lives across the call; the result is a new fd we own.
    let fd = check(unsafe {
        arch::syscall4(
            g::__NR_signalfd4 as usize,
            usize::MAX, // -1: a new descriptor
            &set as *const u64 as usize,
            8,
            flags as usize,
        )
    })?;
    // SAFETY: the kernel just created this fd and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// Read one `signalfd_siginfo` (128 bytes) and return its signal number.
pub fn read_signal(fd: impl AsFd) -> Result<i32, Errno> {
    let mut info = [0u8; 128];
    let n = rustix::io::read(fd, &mut info)?;
    if n < 4 {
        return Err(Errno::IO);
    }
    Ok(u32::from_ne_bytes([info[0], info[1], info[2], info[3]]) as i32)
}

/// Bring the interface `lo` up in the current network namespace (a new one starts with
/// loopback down): SIOCGIFFLAGS, set IFF_UP, SIOCSIFFLAGS.
pub fn loopback_up() -> Result<(), Errno> {
    use rustix::net::{socket_with, AddressFamily, SocketFlags, SocketType};
    let s = socket_with(
        AddressFamily::INET,
        SocketType::DGRAM,
        SocketFlags::CLOEXEC,
        None,
    )?;
    // struct ifreq: 16 bytes of name, then a 24-byte union whose first member here is
    // `short ifr_flags` (40 bytes on every arch husk supports).
    let mut ifr = [0u8; 40];
    ifr[..2].copy_from_slice(b"lo");
    // SAFETY: `ifr` is a live, correctly sized struct ifreq for both ioctls.
    unsafe {
        check(arch::syscall3(
            g::__NR_ioctl as usize,
            s.as_raw_fd() as usize,
            linux_raw_sys::ioctl::SIOCGIFFLAGS as usize,
            ifr.as_mut_ptr() as usize,
        ))?;
    }
    let flags = u16::from_ne_bytes([ifr[16], ifr[17]])
        | linux_raw_sys::net::net_device_flags::IFF_UP as u16;
    ifr[16..18].copy_from_slice(&flags.to_ne_bytes());
    // SAFETY: as above.
    unsafe {
        check(arch::syscall3(
            g::__NR_ioctl as usize,
            s.as_raw_fd() as usize,
            linux_raw_sys::ioctl::SIOCSIFFLAGS as usize,
            ifr.as_mut_ptr() as usize,
        ))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kill_zero_probes_existence() {
        assert_eq!(kill(std::process::id() as i32, 0), Ok(()));
        assert_eq!(kill(i32::MAX, 0), Err(Errno::SRCH));
    }
}
