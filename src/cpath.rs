//! NUL-terminated paths without a heap.
//!
//! rustix turns `&[u8]` paths into C strings through a 256-byte stack buffer when there is no
//! allocator, failing above that; husk builds them itself in a PATH_MAX buffer instead, so
//! every path the kernel would accept is accepted, and a longer one is a named error.

use crate::error::{Error, Result};
use core::ffi::CStr;

/// The kernel's limit for a path, including its NUL (PATH_MAX).
pub const PATH_MAX: usize = 4096;

/// A path being built: join components, then borrow it as `&CStr`.
pub struct CPath {
    buf: [u8; PATH_MAX],
    len: usize,
}

impl Default for CPath {
    fn default() -> Self {
        Self::new()
    }
}

impl CPath {
    pub const fn new() -> CPath {
        CPath {
            buf: [0; PATH_MAX],
            len: 0,
        }
    }

    /// `what` names the path in errors (`"bundle"`, `"--pid-file"`).
    pub fn from(p: &[u8], what: &'static str) -> Result<CPath> {
        let mut c = CPath::new();
        c.push_raw(p, what)?;
        Ok(c)
    }

    fn push_raw(&mut self, p: &[u8], what: &'static str) -> Result<()> {
        if p.contains(&0) {
            return Err(Error::spec(what, "path contains a NUL byte").path(p));
        }
        if self.len + p.len() >= PATH_MAX {
            return Err(Error::capacity(
                what,
                (self.len + p.len() + 1) as u64,
                PATH_MAX as u64,
                "bytes",
            )
            .path(p));
        }
        self.buf[self.len..self.len + p.len()].copy_from_slice(p);
        self.len += p.len();
        self.buf[self.len] = 0;
        Ok(())
    }

    /// Append `/component` (no separator doubled).
    pub fn join(&mut self, comp: &[u8], what: &'static str) -> Result<&mut CPath> {
        if self.len > 0 && self.buf[self.len - 1] != b'/' && !comp.starts_with(b"/") {
            self.push_raw(b"/", what)?;
        }
        self.push_raw(comp, what)?;
        Ok(self)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    pub fn as_cstr(&self) -> &CStr {
        // push_raw keeps a NUL at `len` and rejects inner NULs.
        CStr::from_bytes_with_nul(&self.buf[..=self.len]).unwrap_or(c"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_and_limits() {
        let mut p = CPath::from(b"/run/husk", "root").unwrap();
        p.join(b"abc", "root").unwrap();
        assert_eq!(p.as_cstr().to_bytes(), b"/run/husk/abc");
        let mut q = CPath::from(b"/", "x").unwrap();
        q.join(b"y", "x").unwrap();
        assert_eq!(q.as_bytes(), b"/y");
        assert!(CPath::from(b"a\0b", "x").is_err());
        let long = [b'a'; PATH_MAX];
        assert!(CPath::from(&long, "x").is_err());
        assert!(CPath::from(&long[..PATH_MAX - 1], "x").is_ok());
    }
}
