//! Anonymous memory for the probe's `alloc` mode (husk itself never allocates).

use super::{arch, check, Errno};
use linux_raw_sys::general as g;

/// mmap(2) `mib` MiB of private anonymous memory and write one byte in every 4 KiB page, so
/// the pages are really charged (to the memory cgroup) and not just reserved. The mapping
/// is kept for the rest of the process's life. Returns the page count touched.
pub fn touch_anon_mib(mib: usize) -> Result<usize, Errno> {
    let len = mib.checked_mul(1 << 20).ok_or(Errno::NOMEM)?;
    if len == 0 {
        return Ok(0);
    }
    #[cfg(target_arch = "arm")]
    let nr = g::__NR_mmap2; // offset in pages; 0 either way
    #[cfg(not(target_arch = "arm"))]
    let nr = g::__NR_mmap;
    // SAFETY: addr NULL lets the kernel pick an unused range, so no existing memory is
    // replaced; no fd, offset 0.
    let r = unsafe {
        arch::syscall6(
            nr as usize,
            0,
            len,
            (g::PROT_READ | g::PROT_WRITE) as usize,
            (g::MAP_PRIVATE | g::MAP_ANONYMOUS) as usize,
            usize::MAX, // fd -1
            0,
        )
    };
    let base = check(r)? as *mut u8;
    let pages = len / 4096;
    for i in 0..pages {
        // SAFETY: base..base+len is a fresh writable mapping owned by nothing else; i*4096
        // stays inside it. Volatile so the stores are not optimised away.
        unsafe { core::ptr::write_volatile(base.add(i * 4096), 1) };
    }
    Ok(pages)
}
