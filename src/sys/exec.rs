//! execve(2) with argument and environment vectors built without a heap.

use super::{arch, check, Errno};
use core::ffi::CStr;

/// NUL-terminated copies of up to `N` strings in `B` bytes, and the NULL-terminated pointer
/// array execve wants. Exceeding either capacity is an error, never a truncation.
pub struct CStrVec<const N: usize, const B: usize> {
    bytes: [u8; B],
    used: usize,
    offsets: [usize; N],
    len: usize,
}

/// Which capacity of a [`CStrVec`] was exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overflow {
    Entries,
    Bytes,
}

impl<const N: usize, const B: usize> Default for CStrVec<N, B> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize, const B: usize> CStrVec<N, B> {
    pub const fn new() -> Self {
        CStrVec {
            bytes: [0; B],
            used: 0,
            offsets: [0; N],
            len: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Append `s` (which must not contain NUL: the caller checks and names the field).
    pub fn push(&mut self, s: &[u8]) -> Result<(), Overflow> {
        self.push_with(s.len(), |dst| dst.copy_from_slice(s))
    }

    /// Append a string of `len` bytes written by `fill` (used to decode JSON escapes
    /// straight into the buffer).
    pub fn push_with(&mut self, len: usize, fill: impl FnOnce(&mut [u8])) -> Result<(), Overflow> {
        if self.len == N {
            return Err(Overflow::Entries);
        }
        let end = self.used.checked_add(len + 1).ok_or(Overflow::Bytes)?;
        if end > B {
            return Err(Overflow::Bytes);
        }
        fill(&mut self.bytes[self.used..self.used + len]);
        self.bytes[self.used + len] = 0;
        self.offsets[self.len] = self.used;
        self.len += 1;
        self.used = end;
        Ok(())
    }

    /// Entry `i` without its NUL.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        if i >= self.len {
            return None;
        }
        let start = self.offsets[i];
        let end = start + self.bytes[start..self.used].iter().position(|&b| b == 0)?;
        Some(&self.bytes[start..end])
    }

    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.len).filter_map(|i| self.get(i))
    }

    /// Fill `out` with pointers to the entries and a terminating NULL.
    fn pointers<'a>(&'a self, out: &'a mut [*const u8]) -> *const *const u8 {
        for (slot, &off) in out.iter_mut().zip(&self.offsets[..self.len]) {
            *slot = self.bytes[off..].as_ptr();
        }
        out[self.len] = core::ptr::null();
        out.as_ptr()
    }
}

// SAFETY: CStrVec holds only integers and byte arrays (all-zero = empty) and no Drop.
unsafe impl<const N: usize, const B: usize> super::mem::Zeroable for CStrVec<N, B> {}

/// execve(path, argv, envp). Returns only on failure.
///
/// The two NULL-terminated pointer arrays are built in a fresh anonymous mapping, so any
/// capacity of the vectors works without stack.
pub fn execve<const N: usize, const B: usize, const M: usize, const C: usize>(
    path: &CStr,
    argv: &CStrVec<N, B>,
    envp: &CStrVec<M, C>,
) -> Errno {
    let (na, ne) = (argv.len() + 1, envp.len() + 1);
    let mut region = match PtrArrays::new(na, ne) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let (ap, ep) = region.split(na);
    let a = argv.pointers(ap);
    let e = envp.pointers(ep);
    // SAFETY: `a` and `e` are NULL-terminated arrays of pointers to NUL-terminated strings
    // inside `argv`/`envp`, all alive across the call (`region` is dropped after it).
    unsafe { raw_execve(path, a, e) }
}

/// execve(path, argv, envp) with both vectors given as C strings that outlive the call,
/// such as the tail of the process's own argv and environ ([`super::Args::get_cstr`],
/// [`super::Args::env_cstr`]): only the pointers are copied (into a fresh anonymous
/// mapping), so there is no capacity. Returns only on failure.
pub fn execve_cstrs<'a, A, E>(path: &CStr, argv: A, envp: E) -> Errno
where
    A: Iterator<Item = &'a CStr> + Clone,
    E: Iterator<Item = &'a CStr> + Clone,
{
    let (na, ne) = (argv.clone().count() + 1, envp.clone().count() + 1);
    let mut region = match PtrArrays::new(na, ne) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let (ap, ep) = region.split(na);
    // The mapping is zero-filled and the last slot of each array is never written: the
    // terminating NULLs are there whatever the iterators yield the second time.
    for (slot, s) in ap.iter_mut().take(na - 1).zip(argv) {
        *slot = s.as_ptr() as *const u8;
    }
    for (slot, s) in ep.iter_mut().take(ne - 1).zip(envp) {
        *slot = s.as_ptr() as *const u8;
    }
    // SAFETY: both arrays hold pointers to NUL-terminated strings that live across the call
    // (`'a`), and end in a NULL (above).
    unsafe { raw_execve(path, ap.as_ptr(), ep.as_ptr()) }
}

/// `na + ne` pointer slots in their own zero-filled mapping.
struct PtrArrays {
    region: super::mem::Region,
    len: usize,
}

impl PtrArrays {
    fn new(na: usize, ne: usize) -> Result<PtrArrays, Errno> {
        let len = na.checked_add(ne).ok_or(Errno::TOOBIG)?;
        let bytes = len
            .checked_mul(core::mem::size_of::<usize>())
            .ok_or(Errno::TOOBIG)?;
        Ok(PtrArrays {
            region: super::mem::Region::new(bytes)?,
            len,
        })
    }

    /// The first `na` slots and the rest.
    fn split(&mut self, na: usize) -> (&mut [*const u8], &mut [*const u8]) {
        // SAFETY: the region is page-aligned, zero-filled (all NULL pointers, a valid value
        // for `*const u8`) and holds exactly `len` pointers; the slice borrows `self`.
        let all: &mut [*const u8] = unsafe {
            core::slice::from_raw_parts_mut(self.region.as_mut_ptr() as *mut *const u8, self.len)
        };
        all.split_at_mut(na.min(self.len))
    }
}

/// # Safety
/// `a` and `e` must be NULL-terminated arrays of pointers to NUL-terminated strings, all
/// alive across the call.
unsafe fn raw_execve(path: &CStr, a: *const *const u8, e: *const *const u8) -> Errno {
    // SAFETY: `path` is NUL-terminated; the arrays as the caller guarantees.
    let r = unsafe {
        arch::syscall3(
            linux_raw_sys::general::__NR_execve as usize,
            path.as_ptr() as usize,
            a as usize,
            e as usize,
        )
    };
    match check(r) {
        Err(e) => e,
        Ok(_) => Errno::INVAL, // execve does not return on success
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cstrvec_bounds() {
        let mut v: CStrVec<2, 8> = CStrVec::new();
        assert_eq!(v.push(b"abc"), Ok(()));
        assert_eq!(v.push(b"defgh"), Err(Overflow::Bytes));
        assert_eq!(v.push(b"de"), Ok(()));
        assert_eq!(v.push(b""), Err(Overflow::Entries));
        assert_eq!(v.get(0), Some(&b"abc"[..]));
        assert_eq!(v.get(1), Some(&b"de"[..]));
        assert_eq!(v.get(2), None);
    }
}
