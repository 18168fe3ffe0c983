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

/// Types whose all-zero bit pattern is a valid value, with no drop glue to run.
///
/// # Safety
/// Implementors must be valid when every byte is zero, need alignment of at most a page
/// (4096 bytes), and must not need `Drop` (a [`Zeroed`] never runs it).
pub unsafe trait Zeroable {}

/// A `T` living in its own anonymous mapping instead of on the stack (a 256 KiB argv).
pub struct Zeroed<T: Zeroable> {
    region: Region,
    _t: core::marker::PhantomData<T>,
}

impl<T: Zeroable> Zeroed<T> {
    /// A zero-filled `T` in fresh pages.
    pub fn new() -> Result<Zeroed<T>, Errno> {
        if core::mem::align_of::<T>() > 4096 {
            return Err(Errno::INVAL);
        }
        Ok(Zeroed {
            region: Region::new(core::mem::size_of::<T>())?,
            _t: core::marker::PhantomData,
        })
    }
}

impl<T: Zeroable> core::ops::Deref for Zeroed<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the region is page-aligned (mmap), at least size_of::<T>() bytes, zero
        // filled when created, which is a valid T (Zeroable), and only ever written through
        // `&mut T` afterwards.
        unsafe { &*(self.region.ptr.as_ptr() as *const T) }
    }
}

impl<T: Zeroable> core::ops::DerefMut for Zeroed<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in Deref; `&mut self` guarantees exclusive access.
        unsafe { &mut *(self.region.ptr.as_ptr() as *mut T) }
    }
}

// SAFETY: zero is a valid u32, arrays of them have no Drop and alignment 4.
unsafe impl<const N: usize> Zeroable for [u32; N] {}
