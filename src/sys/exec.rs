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
    let mut region = match super::mem::Region::new((na + ne) * core::mem::size_of::<usize>()) {
        Ok(r) => r,
        Err(e) => return e,
    };
    // SAFETY: the region is page-aligned, zero-filled (all NULL pointers, a valid value for
    // `*const u8`) and holds exactly na + ne pointers; `region` outlives the slice.
    let ptrs: &mut [*const u8] =
        unsafe { core::slice::from_raw_parts_mut(region.as_mut_ptr() as *mut *const u8, na + ne) };
    let (ap, ep) = ptrs.split_at_mut(na);
    let a = argv.pointers(ap);
    let e = envp.pointers(ep);
    // SAFETY: `path` is NUL-terminated; `a` and `e` are NULL-terminated arrays of pointers to
    // NUL-terminated strings inside `argv`/`envp`, all alive across the call.
    let r = unsafe {
        arch::syscall3(
            linux_raw_sys::general::__NR_execve as usize,
            path.as_ptr() as usize,
            a as usize,
            e as usize,
        )
    };
    drop(region);
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
