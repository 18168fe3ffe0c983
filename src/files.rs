//! Small whole files read into caller buffers (config.json, state.json, /proc and /sys
//! files): no heap, and a file larger than the buffer is an error, never a silent cut.

use crate::error::{Error, Result};
use core::ffi::CStr;
use rustix::fd::AsFd;
use rustix::fs::{self, Mode, OFlags};
use rustix::io::Errno;

/// Read from `fd` until end of file or until `buf` is full; the bytes read.
pub fn read_fd(fd: impl AsFd, buf: &mut [u8]) -> core::result::Result<usize, Errno> {
    let mut n = 0;
    while n < buf.len() {
        match rustix::io::read(fd.as_fd(), &mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn open(path: &CStr) -> core::result::Result<rustix::fd::OwnedFd, Errno> {
    fs::open(path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
}

/// The rest of `fd` in `buf`; EFBIG if it does not fit.
fn read_all(fd: impl AsFd, buf: &mut [u8]) -> core::result::Result<&mut [u8], Errno> {
    let n = read_fd(fd.as_fd(), buf)?;
    if n == buf.len() {
        // Full: fine only if nothing follows.
        let mut one = [0u8; 1];
        if read_fd(fd, &mut one)? != 0 {
            return Err(Errno::FBIG);
        }
    }
    Ok(&mut buf[..n])
}

/// The whole file at `path` in `buf`; EFBIG if it does not fit.
pub fn read_to<'b>(path: &CStr, buf: &'b mut [u8]) -> core::result::Result<&'b mut [u8], Errno> {
    read_all(open(path)?, buf)
}

/// [`read_to`] with husk's errors: the call and path, or a capacity error naming `what`
/// (`config.json: 2097200 bytes, limit 1048576`) when the file is larger than `buf`.
pub fn read_file<'b>(path: &CStr, buf: &'b mut [u8], what: &'static str) -> Result<&'b mut [u8]> {
    let limit = buf.len();
    let f = open(path).map_err(|e| Error::sys("open", e).path(path.to_bytes()))?;
    match read_all(&f, buf) {
        Ok(b) => Ok(b),
        Err(Errno::FBIG) => {
            let size = fs::stat(path)
                .map(|s| s.st_size as u64)
                .unwrap_or(limit as u64 + 1);
            Err(Error::capacity(what, size, limit as u64, "bytes"))
        }
        Err(e) => Err(Error::sys("read", e).path(path.to_bytes())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_fit_and_overflow() {
        let p = std::env::temp_dir().join(format!("husk-files-{}", std::process::id()));
        std::fs::write(&p, b"abcd").unwrap();
        let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
        let mut four = [0u8; 4];
        assert_eq!(read_to(&c, &mut four).unwrap(), b"abcd");
        let mut three = [0u8; 3];
        assert_eq!(read_to(&c, &mut three), Err(Errno::FBIG));
        let e = read_file(&c, &mut three, "thing").unwrap_err();
        assert_eq!(std::format!("{e}"), "thing: 4 bytes, limit 3");
        let e = read_file(c"/nonexistent/x", &mut three, "thing").unwrap_err();
        assert_eq!(
            std::format!("{e}"),
            "open /nonexistent/x: ENOENT (no such file or directory)"
        );
        std::fs::remove_file(&p).unwrap();
    }
}
