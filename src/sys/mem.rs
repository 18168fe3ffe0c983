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
// SAFETY: zero bytes are valid u8s; arrays of arrays of them have no Drop and alignment 1.
unsafe impl<const N: usize, const M: usize> Zeroable for [[u8; N]; M] {}
// SAFETY: a Buf is a byte array, a usize length and a bool: all zero is the empty buffer
// (length 0, not truncated), it has no Drop, and its alignment is that of usize.
unsafe impl<const N: usize> Zeroable for crate::out::Buf<N> {}

/// How far below the current stack pointer [`trim_stack`] gives pages back.
pub const STACK_TRIM_MAX: usize = 4 << 20;

/// Give back to the kernel the stack pages below the caller's frame (madvise
/// MADV_DONTNEED), so that a deep call that has returned (husk as PID 1 creating a
/// container: config parsing, hooks) does not keep its pages resident for the life of the
/// machine. They come back zero-filled if the stack grows there again. The page holding
/// the current stack pointer and the one below it are kept.
///
/// Only for a single-threaded process running on its main stack, as husk always is: on a
/// thread's stack (a test harness) the range below could be another mapping in use.
pub fn trim_stack() {
    let marker = 0u8;
    let sp = core::hint::black_box(&marker) as *const u8 as usize;
    let keep = (sp & !4095).saturating_sub(4096);
    let start = keep.saturating_sub(STACK_TRIM_MAX);
    if keep <= start {
        return;
    }
    // SAFETY: [start, keep) lies wholly below the live part of this process's only stack
    // (the caller's frame and this one sit above `keep`, with a page of margin for a red
    // zone), so no live Rust object is there: husk is single-threaded, runs on the main
    // stack, and installs no signal handler that could run on it; MADV_DONTNEED on private
    // anonymous memory only makes later reads see zeros. Nothing else is mapped there: the
    // kernel places mmap regions at least 128 MiB below the main stack's top (mmap_base's
    // gap), more than STACK_TRIM_MAX plus any stack husk uses. Unmapped parts of the range
    // (below the stack's lowest page) make the call return ENOMEM after it has dropped the
    // mapped ones; that error is expected and ignored.
    let _ = unsafe {
        rustix::mm::madvise(
            start as *mut core::ffi::c_void,
            keep - start,
            rustix::mm::Advice::LinuxDontNeed,
        )
    };
}
