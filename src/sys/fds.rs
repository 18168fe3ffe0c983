//! The descriptor table: close or mark close-on-exec whole ranges (before execve, and in
//! the container process, which must keep no host descriptor it does not need).

use super::{arch, check, Errno};
use linux_raw_sys::general as g;

/// close_range(first, last, flags) (Linux 5.9; CLOSE_RANGE_CLOEXEC 5.11).
pub fn close_range(first: u32, last: u32, flags: u32) -> Result<(), Errno> {
    // SAFETY: integer arguments only; it closes or flags descriptors, never memory. With
    // CLOSE_RANGE_CLOEXEC nothing is closed, so no OwnedFd is invalidated.
    check(unsafe {
        arch::syscall3(
            g::__NR_close_range as usize,
            first as usize,
            last as usize,
            flags as usize,
        )
    })
    .map(drop)
}

/// fcntl(fd, F_SETFD, FD_CLOEXEC) on a raw descriptor number (the /proc/self/fd walk).
pub fn set_cloexec(fd: i32) -> Result<(), Errno> {
    #[cfg(target_arch = "arm")]
    let nr = g::__NR_fcntl64;
    #[cfg(not(target_arch = "arm"))]
    let nr = g::__NR_fcntl;
    // SAFETY: integer arguments only; F_SETFD changes a flag, never memory.
    check(unsafe {
        arch::syscall3(
            nr as usize,
            fd as u32 as usize,
            g::F_SETFD as usize,
            g::FD_CLOEXEC as usize,
        )
    })
    .map(drop)
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
