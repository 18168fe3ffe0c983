//! Anonymous memory regions: large scratch buffers (a config.json of up to 1 MiB) without a
//! heap allocator and without putting them on the stack.

use super::Errno;
use core::ptr::NonNull;

/// A private, zero-filled, read-write mapping, unmapped on drop.
pub struct Region {
    ptr: NonNull<u8>,
    len: usize,
}

impl Region {
    pub fn new(len: usize) -> Result<Region, Errno> {
        use rustix::mm::{mmap_anonymous, MapFlags, ProtFlags};
        let len = len.max(1);
        // SAFETY: a fresh anonymous mapping at an address the kernel picks aliases nothing.
        let p = unsafe {
            mmap_anonymous(
                core::ptr::null_mut(),
                len,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::PRIVATE,
            )?
        };
        let ptr = NonNull::new(p as *mut u8).ok_or(Errno::NOMEM)?;
        Ok(Region { ptr, len })
    }
}

impl core::ops::Deref for Region {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // SAFETY: `ptr` points to `len` mapped, initialised (zero-filled) bytes owned by self
        // until drop.
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl core::ops::DerefMut for Region {
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in Deref; `&mut self` guarantees exclusive access.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: the mapping was created in `new` with this address and length and no
        // reference into it outlives `self`.
        let _ = unsafe { rustix::mm::munmap(self.ptr.as_ptr() as *mut _, self.len) };
    }
}
