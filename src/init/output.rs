//! Where containers' output goes: each stdout and stderr line to the console as
//! `[name] line` (a line longer than [`LINE_MAX`] in pieces, the later ones `[name]+ ...`),
//! and to `/run/log/husk/<name>.log` as written, each line there prefixed with the time
//! since boot as the kernel prints it (`[   12.345678] line`, see [`crate::clock::Uptime`]
//! for why not the wall clock); husk's own lines to `husk.log` there, prefixed the same
//! way. The console's lines carry no time: the console is read live (or by a harness that
//! matches whole lines), and the kernel's own lines there have theirs only with
//! `printk.time`. A log file that grows past its cap is renamed to `<name>.log.1`
//! (replacing the previous one) and started again, so each name keeps at most twice the
//! cap on the /run tmpfs.
//!
//! Runs in PID 1; nothing here may block it except the console itself.

use super::limits::{LINE_MAX, NAME_MAX};
use crate::out::Buf;
use core::fmt::Write;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{self, Mode, OFlags};

/// The directory of the log files (on the /run tmpfs, outside the state root).
pub const LOG_DIR: &core::ffi::CStr = c"/run/log/husk";

/// The line buffers of every stream, kept out of the stack (a mapping whose pages are
/// touched only as streams use them): `[2 * i]` is bundle i's stdout, `[2 * i + 1]` its
/// stderr.
pub type LineBufs = [[u8; LINE_MAX]; 2 * super::limits::BUNDLES_MAX];

/// One stream's unfinished line: how much of its buffer in [`LineBufs`] is held.
#[derive(Default, Clone, Copy)]
pub struct Lines {
    len: usize,
    /// The bytes held continue a line already partly shown.
    cont: bool,
}

impl Lines {
    /// Take `data`; call `emit(piece, continuation)` for each whole line, and for each
    /// [`LINE_MAX`] bytes of a longer one. `buf` is this stream's buffer.
    pub fn feed(
        &mut self,
        buf: &mut [u8; LINE_MAX],
        mut data: &[u8],
        emit: &mut dyn FnMut(&[u8], bool),
    ) {
        while !data.is_empty() {
            let room = LINE_MAX - self.len;
            match data.iter().position(|&c| c == b'\n') {
                Some(i) if i <= room => {
                    self.push(buf, &data[..i]);
                    emit(&buf[..self.len], self.cont);
                    self.len = 0;
                    self.cont = false;
                    data = data.get(i + 1..).unwrap_or(&[]);
                }
                _ if room == 0 => {
                    emit(&buf[..self.len], self.cont);
                    self.len = 0;
                    self.cont = true;
                }
                _ => {
                    let n = room.min(data.len());
                    self.push(buf, &data[..n]);
                    data = data.get(n..).unwrap_or(&[]);
                }
            }
        }
    }

    /// Emit what is held (the stream ended without a final newline).
    pub fn flush(&mut self, buf: &[u8; LINE_MAX], emit: &mut dyn FnMut(&[u8], bool)) {
        if self.len > 0 {
            emit(&buf[..self.len], self.cont);
        }
        self.len = 0;
        self.cont = false;
    }

    fn push(&mut self, buf: &mut [u8; LINE_MAX], d: &[u8]) {
        let n = d.len().min(LINE_MAX - self.len);
        buf[self.len..self.len + n].copy_from_slice(&d[..n]);
        self.len += n;
    }
}

/// Write `[name] piece` (or `[name]+ piece`) as one line to `console`.
pub fn console_line(console: BorrowedFd<'_>, name: &str, piece: &[u8], cont: bool) {
    let mut b = Buf::<{ LINE_MAX + NAME_MAX + 8 }>::new();
    let _ = write!(b, "[{name}]{} ", if cont { "+" } else { "" });
    b.push_bytes(piece);
    b.push_bytes(b"\n");
    let _ = b.write_to(console);
}

/// A capped, rotated log file in [`LOG_DIR`].
#[derive(Default)]
pub struct LogFile {
    fd: Option<OwnedFd>,
    written: u64,
    /// The last byte written ended no line: the next bytes continue it (no time prefix).
    mid_line: bool,
}

/// The time prefix of a log file's line: `[   12.345678] `.
pub type Stamp = Buf<32>;

/// The prefix for a line that starts now.
pub fn stamp_now() -> Stamp {
    let mut b = Stamp::new();
    let _ = write!(b, "{} ", crate::clock::Uptime::now());
    b
}

/// `<name>.log` or `<name>.log.1`.
fn file_name(name: &str, old: bool) -> Buf<{ NAME_MAX + 8 }> {
    let mut b = Buf::new();
    let _ = write!(b, "{name}.log{}\0", if old { ".1" } else { "" });
    b
}

fn cstr<const N: usize>(b: &Buf<N>) -> &core::ffi::CStr {
    core::ffi::CStr::from_bytes_with_nul(b.as_bytes()).unwrap_or(c"")
}

impl LogFile {
    /// Open (append) `<name>.log` in `dir`; None as `dir` (no log directory, or files
    /// turned off) gives a file that drops everything.
    pub fn open(dir: Option<&OwnedFd>, name: &str) -> LogFile {
        let Some(dir) = dir else {
            return LogFile::default();
        };
        let n = file_name(name, false);
        match fs::openat(
            dir,
            cstr(&n),
            OFlags::WRONLY | OFlags::CREATE | OFlags::APPEND | OFlags::CLOEXEC | OFlags::NOFOLLOW,
            Mode::from_raw_mode(0o640),
        ) {
            Ok(fd) => {
                let written = fs::fstat(&fd).map(|s| s.st_size as u64).unwrap_or(0);
                LogFile {
                    fd: Some(fd),
                    written,
                    mid_line: false,
                }
            }
            Err(e) => {
                crate::warn!(
                    "init: {}",
                    crate::Error::sys("open", e).path(&n.as_bytes()[..n.len() - 1])
                );
                LogFile::default()
            }
        }
    }

    pub fn fd(&self) -> Option<BorrowedFd<'_>> {
        self.fd.as_ref().map(|f| f.as_fd())
    }

    /// Append `data`, each line that starts in it prefixed with `stamp` (the time it was
    /// read: a line written in pieces keeps its first piece's); once the file holds `max`
    /// bytes or more, rotate it (a line cut there starts the new file with a prefix again).
    pub fn write(
        &mut self,
        dir: Option<&OwnedFd>,
        name: &str,
        max: u32,
        stamp: &[u8],
        mut data: &[u8],
    ) {
        while !data.is_empty() {
            let Some(fd) = &self.fd else { return };
            let end = data
                .iter()
                .position(|&c| c == b'\n')
                .map_or(data.len(), |i| i + 1);
            let (piece, rest) = data.split_at(end);
            let prefix = if self.mid_line { &[][..] } else { stamp };
            if write_both(fd, prefix, piece).is_ok() {
                self.written += (prefix.len() + piece.len()) as u64;
            }
            self.mid_line = piece.last() != Some(&b'\n');
            data = rest;
            if self.written >= max as u64 {
                self.rotate(dir, name);
            }
        }
    }

    /// For a file others write to (husk.log through the logger's tee): rotate when its size
    /// reached `max`. True if it was rotated (the caller hands the new fd on).
    pub fn check_size(&mut self, dir: Option<&OwnedFd>, name: &str, max: u32) -> bool {
        let Some(fd) = &self.fd else { return false };
        self.written = fs::fstat(fd).map(|s| s.st_size as u64).unwrap_or(0);
        if self.written >= max as u64 {
            self.rotate(dir, name);
            return true;
        }
        false
    }

    fn rotate(&mut self, dir: Option<&OwnedFd>, name: &str) {
        let Some(d) = dir else { return };
        let (cur, old) = (file_name(name, false), file_name(name, true));
        if let Err(e) = fs::renameat(d, cstr(&cur), d, cstr(&old)) {
            crate::warn!(
                "init: {}",
                crate::Error::sys("rename log", e).path(name.as_bytes())
            );
        }
        self.fd = None;
        *self = LogFile::open(dir, name);
    }

    pub fn close(&mut self) {
        self.fd = None;
        self.written = 0;
        self.mid_line = false;
    }
}

/// `a` then `b` in one writev(2) (a line and its prefix land together); the rest of a
/// short write with plain writes.
fn write_both(fd: &OwnedFd, a: &[u8], b: &[u8]) -> Result<(), rustix::io::Errno> {
    use rustix::io::IoSlice;
    let n = loop {
        match rustix::io::writev(fd, &[IoSlice::new(a), IoSlice::new(b)]) {
            Err(rustix::io::Errno::INTR) => continue,
            r => break r?,
        }
    };
    match n.checked_sub(a.len()) {
        Some(k) => crate::out::write_all(fd, b.get(k..).unwrap_or(&[])),
        None => {
            crate::out::write_all(fd, a.get(n..).unwrap_or(&[]))?;
            crate::out::write_all(fd, b)
        }
    }
}

/// Make and open [`LOG_DIR`] (None, with a warning, if that fails).
pub fn open_dir() -> Option<OwnedFd> {
    for d in [c"/run/log", LOG_DIR] {
        match fs::mkdir(d, Mode::from_raw_mode(0o755)) {
            Ok(()) | Err(rustix::io::Errno::EXIST) => {}
            Err(e) => {
                crate::warn!("init: {}", crate::Error::sys("mkdir", e).path(d.to_bytes()));
                return None;
            }
        }
    }
    fs::open(
        LOG_DIR,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| {
        crate::warn!(
            "init: {}",
            crate::Error::sys("open", e).path(LOG_DIR.to_bytes())
        )
    })
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(chunks: &[&[u8]], flush: bool) -> Vec<(String, bool)> {
        let mut l = Lines::default();
        let mut buf = [0u8; LINE_MAX];
        let mut out = Vec::new();
        let mut emit = |p: &[u8], c: bool| out.push((String::from_utf8_lossy(p).into_owned(), c));
        for c in chunks {
            l.feed(&mut buf, c, &mut emit);
        }
        if flush {
            l.flush(&buf, &mut emit);
        }
        out
    }

    #[test]
    fn whole_lines_across_reads() {
        let got = run(&[b"ab", b"c\nde", b"\n\nf"], true);
        let want = [("abc", false), ("de", false), ("", false), ("f", false)];
        assert_eq!(got, want.map(|(s, c)| (s.to_string(), c)).to_vec());
        assert!(run(&[b"x"], false).is_empty());
    }

    #[test]
    fn long_lines_in_pieces() {
        let long = vec![b'a'; LINE_MAX * 2 + 3];
        let mut data = long.clone();
        data.extend_from_slice(b"\nnext\n");
        let got = run(&[&data], false);
        assert_eq!(got.len(), 4);
        assert_eq!((got[0].0.len(), got[0].1), (LINE_MAX, false));
        assert_eq!((got[1].0.len(), got[1].1), (LINE_MAX, true));
        assert_eq!((got[2].0.as_str(), got[2].1), ("aaa", true));
        assert_eq!((got[3].0.as_str(), got[3].1), ("next", false));
        // exactly LINE_MAX bytes then a newline: one whole line, no empty continuation
        let mut exact = vec![b'b'; LINE_MAX];
        exact.push(b'\n');
        let got = run(&[&exact[..10], &exact[10..]], false);
        assert_eq!(got.len(), 1);
        assert!(!got[0].1);
    }

    /// A fresh directory for log files, and its fd.
    fn log_dir(name: &str) -> (std::path::PathBuf, OwnedFd) {
        let tmp = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
        std::fs::create_dir_all(&tmp).unwrap();
        let dir = fs::open(
            tmp.to_str().unwrap(),
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .unwrap();
        (tmp, dir)
    }

    #[test]
    fn log_files_rotate_at_the_cap() {
        let (tmp, dir) = log_dir("husk-logtest");
        let mut f = LogFile::open(Some(&dir), "svc");
        f.write(Some(&dir), "svc", 15, b"T1 ", b"12345");
        f.write(Some(&dir), "svc", 15, b"T2 ", b"67890ab");
        f.write(Some(&dir), "svc", 15, b"T3 ", b"cd");
        let cur = std::fs::read(tmp.join("svc.log")).unwrap();
        let old = std::fs::read(tmp.join("svc.log.1")).unwrap();
        assert_eq!(old, b"T1 1234567890ab");
        assert_eq!(cur, b"T3 cd");
        // a file that drops everything
        let mut none = LogFile::open(None, "x");
        none.write(None, "x", 10, b"T ", b"abc");
        assert!(none.fd().is_none());
        std::fs::remove_dir_all(&tmp).unwrap();
    }

    #[test]
    fn every_log_line_starts_with_its_time() {
        let (tmp, dir) = log_dir("husk-logstamp");
        let mut f = LogFile::open(Some(&dir), "svc");
        // lines split across reads keep the time of their first piece
        f.write(Some(&dir), "svc", 1 << 20, b"[1] ", b"one\ntw");
        f.write(Some(&dir), "svc", 1 << 20, b"[2] ", b"o\n\nthree\nfo");
        f.write(Some(&dir), "svc", 1 << 20, b"[3] ", b"ur\n");
        let text = std::fs::read_to_string(tmp.join("svc.log")).unwrap();
        assert_eq!(text, "[1] one\n[1] two\n[2] \n[2] three\n[2] four\n");
        // the real prefix: the kernel's format, then one space
        let s = stamp_now();
        let t = s.as_str();
        let (secs, micros) = t[1..t.len() - 2].trim_start().split_once('.').unwrap();
        assert!(t.starts_with('[') && t.ends_with("] "), "{t}");
        assert!(secs.parse::<u64>().is_ok() && micros.len() == 6, "{t}");
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
