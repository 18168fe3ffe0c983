//! Paths inside the rootfs (the container child, in its new mount namespace, before and after
//! pivot_root, inside or outside a user namespace): lexical cleaning of config paths, and
//! opening or creating them relative to a rootfs directory fd with openat2(RESOLVE_IN_ROOT),
//! so no symlink in the image (`/etc -> /`, `../../..`) can reach a host path
//! (CVE-2018/19-18837, 2021-30465, 2024-45310).
//!
//! References: openat2(2), path_resolution(7).

use crate::cpath::{CPath, PATH_MAX};
use crate::error::{Error, Result};
use crate::spec::Str;
use crate::sys::Errno;
use core::ffi::CStr;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{openat2, FileType, Mode, OFlags, ResolveFlags};

/// A config path made absolute and clean: one `/` between components, no `.`, `..` folded
/// lexically (never above `/`), no trailing `/`. `/` itself stays `/`.
pub struct Clean {
    buf: [u8; PATH_MAX],
    len: usize,
}

impl Clean {
    /// Clean `s` (relative paths are taken from `/`, as runc does for mount destinations).
    pub fn new(s: Str<'_>, what: &'static str) -> Result<Clean> {
        let mut raw = [0u8; PATH_MAX];
        let p = s
            .decode_into(&mut raw)
            .map_err(|_| Error::capacity(what, s.decoded_len() as u64, PATH_MAX as u64, "bytes"))?;
        Clean::from_bytes(p.as_bytes(), what)
    }

    pub fn from_bytes(p: &[u8], what: &'static str) -> Result<Clean> {
        if p.contains(&0) {
            return Err(Error::spec(what, "path contains a NUL byte").path(p));
        }
        let mut c = Clean {
            buf: [0; PATH_MAX],
            len: 0,
        };
        for comp in p.split(|&b| b == b'/') {
            match comp {
                b"" | b"." => {}
                b".." => {
                    // Drop the last component (stays at "/" at the top).
                    let cut = c.buf[..c.len].iter().rposition(|&b| b == b'/').unwrap_or(0);
                    c.len = cut;
                }
                _ => {
                    if c.len + 1 + comp.len() >= PATH_MAX {
                        return Err(Error::capacity(
                            what,
                            p.len() as u64,
                            PATH_MAX as u64 - 1,
                            "bytes",
                        )
                        .path(p));
                    }
                    c.buf[c.len] = b'/';
                    c.buf[c.len + 1..c.len + 1 + comp.len()].copy_from_slice(comp);
                    c.len += 1 + comp.len();
                }
            }
        }
        if c.len == 0 {
            c.buf[0] = b'/';
            c.len = 1;
        }
        Ok(c)
    }

    /// `/a/b` (for errors and comparisons).
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    pub fn is_root(&self) -> bool {
        self.len == 1
    }

    /// Is this `prefix` or below it (`/proc` is under `/proc`, `/procx` is not)?
    pub fn is_under(&self, prefix: &[u8]) -> bool {
        let b = self.as_bytes();
        b == prefix || (b.starts_with(prefix) && b.get(prefix.len()) == Some(&b'/'))
    }

    /// The components, in order.
    pub fn components(&self) -> impl Iterator<Item = &[u8]> {
        self.as_bytes()
            .split(|&b| b == b'/')
            .filter(|c| !c.is_empty())
    }

    /// The path relative to the root, as a C string (`.` for `/`).
    pub fn rel(&self) -> CPath {
        let b = self.as_bytes();
        let r = if b.len() > 1 { &b[1..] } else { b"." };
        // Shorter than PATH_MAX and NUL-free by construction.
        CPath::from(r, "path").unwrap_or_default()
    }

    /// Split into the parent (`/dev`) and the last component (`null`); `None` for `/`.
    pub fn split_last(&self) -> Option<(Clean, &[u8])> {
        if self.is_root() {
            return None;
        }
        let b = self.as_bytes();
        let cut = b.iter().rposition(|&x| x == b'/').unwrap_or(0);
        let parent = Clean::from_bytes(&b[..cut], "path").ok()?;
        Some((parent, &b[cut + 1..]))
    }
}

/// The flags every in-root lookup uses.
pub const IN_ROOT: ResolveFlags = ResolveFlags::IN_ROOT.union(ResolveFlags::NO_MAGICLINKS);

/// openat2(root, rel, O_PATH|O_CLOEXEC|flags, RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS|extra).
pub fn open_in_root(
    root: BorrowedFd<'_>,
    rel: &CStr,
    flags: OFlags,
    extra: ResolveFlags,
) -> Result<OwnedFd, Errno> {
    loop {
        match openat2(
            root,
            rel,
            OFlags::PATH | OFlags::CLOEXEC | flags,
            Mode::empty(),
            IN_ROOT | extra,
        ) {
            // openat2 asks to retry when a rename raced the lookup.
            Err(Errno::AGAIN) | Err(Errno::INTR) => continue,
            r => return r,
        }
    }
}

/// What to create for the last component when it is missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Leaf {
    Dir,
    File,
}

/// Most symlinks followed while creating one path (the kernel's MAXSYMLINKS).
const LINKS_MAX: usize = 40;

/// Open `path` inside `root` (O_PATH), creating missing directories (0755) and, if missing,
/// the last component as `leaf` (an empty 0644 file or a 0755 directory), every creation
/// relative to the already resolved parent fd. A dangling symlink on the way is followed
/// inside the root (its target is created there), as the kernel would resolve it with
/// `root` as `/`. `extra` adds resolve flags (RESOLVE_NO_SYMLINKS for /proc and /sys).
/// Errors name the call and `path`.
pub fn mkdir_all(
    root: BorrowedFd<'_>,
    path: &Clean,
    leaf: Leaf,
    extra: ResolveFlags,
) -> Result<OwnedFd> {
    let err = |call: &'static str, e: Errno| Error::sys(call, e).path(path.as_bytes());
    // The path being walked: `path`, or what a dangling symlink turned it into.
    let mut cur = CPath::from(path.as_bytes(), "path")?;
    let mut links = 0;
    'walk: loop {
        let mut parent =
            open_in_root(root, c".", OFlags::DIRECTORY, extra).map_err(|e| err("openat2", e))?;
        let full = CPath::from(cur.as_bytes(), "path")?;
        let b = full.as_bytes();
        let mut prefix = CPath::new();
        let mut pos = 0;
        while pos < b.len() {
            let end = b[pos..]
                .iter()
                .position(|&c| c == b'/')
                .map_or(b.len(), |k| pos + k);
            let comp = &b[pos..end];
            let start = pos;
            pos = end + 1;
            if comp.is_empty() || comp == b"." {
                continue;
            }
            let last = b[end.min(b.len())..].iter().all(|&c| c == b'/');
            prefix.join(comp, "path")?;
            let want_file = last && leaf == Leaf::File;
            let dir_flag = if want_file {
                OFlags::empty()
            } else {
                OFlags::DIRECTORY
            };
            match open_in_root(root, prefix.as_cstr(), dir_flag, extra) {
                Ok(fd) => {
                    parent = fd;
                    continue;
                }
                Err(Errno::NOENT) => {}
                Err(e) => return Err(err("openat2", e)),
            }
            let name = CPath::from(comp, "path")?;
            let made = if want_file {
                rustix::fs::mknodat(
                    parent.as_fd(),
                    name.as_cstr(),
                    FileType::RegularFile,
                    Mode::from_raw_mode(0o644),
                    0,
                )
                .map_err(|e| ("mknodat", e))
            } else {
                rustix::fs::mkdirat(parent.as_fd(), name.as_cstr(), Mode::from_raw_mode(0o755))
                    .map_err(|e| ("mkdirat", e))
            };
            let exists = match made {
                Ok(()) => false,
                Err((_, Errno::EXIST)) => true,
                Err((call, e)) => return Err(err(call, e)),
            };
            match open_in_root(root, prefix.as_cstr(), dir_flag, extra) {
                Ok(fd) => parent = fd,
                Err(Errno::NOENT) if exists && comp != b".." => {
                    // A dangling symlink: continue from its target, inside the root.
                    links += 1;
                    if links > LINKS_MAX {
                        return Err(err("openat2", Errno::LOOP));
                    }
                    let mut t = [0u8; PATH_MAX];
                    let got =
                        rustix::fs::readlinkat_raw(parent.as_fd(), name.as_cstr(), &mut t[..])
                            .map_err(|e| err("readlinkat", e))?;
                    let target = t.get(..got).unwrap_or(&[]);
                    let mut next = if target.starts_with(b"/") {
                        CPath::new()
                    } else {
                        CPath::from(&b[..start], "path")?
                    };
                    next.join(target, "path")?;
                    if pos < b.len() {
                        next.join(&b[pos..], "path")?;
                    }
                    cur = next;
                    continue 'walk;
                }
                Err(e) => return Err(err("openat2", e)),
            }
        }
        return Ok(parent);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(s: &str) -> std::string::String {
        let c = Clean::from_bytes(s.as_bytes(), "t").unwrap();
        std::string::String::from_utf8(c.as_bytes().to_vec()).unwrap()
    }
    extern crate std;

    #[test]
    fn cleans_lexically() {
        assert_eq!(clean("/proc"), "/proc");
        assert_eq!(clean("proc/"), "/proc");
        assert_eq!(clean("//proc/./sys//"), "/proc/sys");
        assert_eq!(clean("/a/../../../etc"), "/etc");
        assert_eq!(clean("/"), "/");
        assert_eq!(clean(""), "/");
        assert_eq!(clean(".."), "/");
        let c = Clean::from_bytes(b"/proc/sys", "t").unwrap();
        assert!(c.is_under(b"/proc"));
        assert!(!Clean::from_bytes(b"/procx", "t")
            .unwrap()
            .is_under(b"/proc"));
        assert_eq!(c.rel().as_bytes(), b"proc/sys");
        assert_eq!(Clean::from_bytes(b"/", "t").unwrap().rel().as_bytes(), b".");
        let (p, l) = c.split_last().unwrap();
        assert_eq!((p.as_bytes(), l), (&b"/proc"[..], &b"sys"[..]));
        let dev = Clean::from_bytes(b"/dev", "t").unwrap();
        let (p, l) = dev.split_last().unwrap();
        assert_eq!((p.as_bytes(), l), (&b"/"[..], &b"dev"[..]));
        assert!(Clean::from_bytes(b"/a\0b", "t").is_err());
    }
}
