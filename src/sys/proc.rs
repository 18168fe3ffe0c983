//! Process-level syscalls rustix does not offer (or offers only with an allocator or for
//! named signals): getcwd into a caller buffer, signals by number, the signal mask and
//! signalfd, and bringing the loopback interface up.

use super::{arch, check, Errno};
use linux_raw_sys::general as g;
use rustix::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};

/// getcwd(2) into `buf`: the absolute path, without its NUL.
pub fn getcwd(buf: &mut [u8]) -> Result<&[u8], Errno> {
    // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
    let r = unsafe {
        arch::syscall2(
            g::__NR_getcwd as usize,
            buf.as_mut_ptr() as usize,
            buf.len(),
        )
    };
    let n = check(r)?;
    // n counts the NUL; a path not starting with '/' means the cwd is unreachable.
    let path = buf.get(..n.saturating_sub(1)).ok_or(Errno::RANGE)?;
    if path.first() != Some(&b'/') {
        return Err(Errno::NOENT);
    }
    Ok(path)
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

/// A signal set as the kernel's `sigset_t` for rt_sigprocmask/signalfd (64 signals).
pub type SigSet = u64;

pub const fn sig_bit(sig: i32) -> SigSet {
    1u64 << (sig - 1)
}

/// rt_sigprocmask(SIG_SETMASK, set): returns the previous mask.
pub fn set_sigmask(set: SigSet) -> Result<SigSet, Errno> {
    let mut old: SigSet = 0;
    // SAFETY: both pointers are to live u64s of the size passed (8 bytes = _NSIG/8).
    check(unsafe {
        arch::syscall4(
            g::__NR_rt_sigprocmask as usize,
            g::SIG_SETMASK as usize,
            &set as *const SigSet as usize,
            &mut old as *mut SigSet as usize,
            core::mem::size_of::<SigSet>(),
        )
    })?;
    Ok(old)
}

/// signalfd4(-1, set, SFD_CLOEXEC): a descriptor that reads the blocked signals of `set`.
pub fn signalfd(set: SigSet) -> Result<OwnedFd, Errno> {
    // SAFETY: `set` lives across the call; the result is a new fd we own.
    let fd = check(unsafe {
        arch::syscall4(
            g::__NR_signalfd4 as usize,
            usize::MAX, // -1: a new descriptor
            &set as *const SigSet as usize,
            core::mem::size_of::<SigSet>(),
            g::O_CLOEXEC as usize,
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

/// Close every descriptor from `from` up, except those in `keep` (sorted or not).
///
/// Only for a process that will never again use a descriptor it does not keep: the
/// container process after clone, which ends in execve or exit and never returns to the
/// runtime code whose `OwnedFd`s it inherited.
pub fn close_all_except(from: i32, keep: &[i32]) {
    let mut sorted = [i32::MAX; 16];
    let n = keep.len().min(sorted.len());
    sorted[..n].copy_from_slice(&keep[..n]);
    sorted[..n].sort_unstable();
    let mut lo = from as u32;
    for &k in sorted[..n].iter().chain(core::iter::once(&i32::MAX)) {
        if k < from {
            continue;
        }
        let hi = if k == i32::MAX { u32::MAX } else { k as u32 };
        if hi > lo {
            // SAFETY: close_range on descriptors this process never uses again (doc above).
            let r = unsafe {
                arch::syscall3(
                    g::__NR_close_range as usize,
                    lo as usize,
                    (hi - 1) as usize,
                    0,
                )
            };
            if check(r).is_err() {
                // Before Linux 5.9: close one by one up to a sane bound.
                let end = hi.min(lo.saturating_add(4096));
                for fd in lo..end {
                    // SAFETY: as above.
                    unsafe { arch::syscall1(g::__NR_close as usize, fd as usize) };
                }
            }
        }
        lo = hi.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cwd_matches_std() {
        let mut b = [0u8; 4096];
        let got = getcwd(&mut b).unwrap();
        let want = std::env::current_dir().unwrap();
        assert_eq!(got, want.as_os_str().as_encoded_bytes());
        let mut small = [0u8; 2];
        assert_eq!(getcwd(&mut small), Err(Errno::RANGE));
    }

    #[test]
    fn kill_zero_probes_existence() {
        assert_eq!(kill(std::process::id() as i32, 0), Ok(()));
        assert_eq!(kill(i32::MAX, 0), Err(Errno::SRCH));
    }
}
