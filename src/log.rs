//! Logging: one line per event, one write(2) each, to stderr and to the `--log` file.
//!
//! Text lines on stderr are `husk: <message>`. In the `--log` file, `--log-format json`
//! writes runc's objects, `{"level":"error","msg":"...","time":"<RFC 3339>"}` (containerd
//! keeps the last error line; Podman reads the file as JSON), and text writes
//! `time="..." level=error msg="..."` as runc's logrus does. The settings are atomics: husk
//! is single-threaded, and atomics make that need no unsafe.

use crate::out::{json_escape, Buf};
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU8, Ordering::Relaxed};
use rustix::fd::BorrowedFd;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
#[repr(u8)]
pub enum Level {
    Error = 0,
    Warn = 1,
    Info = 2,
    Debug = 3,
}

impl Level {
    fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warning",
            Level::Info => "info",
            Level::Debug => "debug",
        }
    }
}

static LEVEL: AtomicU8 = AtomicU8::new(Level::Warn as u8);
static JSON: AtomicBool = AtomicBool::new(false);
static LOG_FD: AtomicI32 = AtomicI32::new(-1);
/// Where the stderr lines go instead of stderr, or -1 (see `set_capture`).
static CAPTURE_FD: AtomicI32 = AtomicI32::new(-1);
/// A second copy of every line that goes to stderr (husk as PID 1: its own log file), or -1.
static TEE_FD: AtomicI32 = AtomicI32::new(-1);
/// Whether warnings and errors also go to stderr (errors always do; see `emit`).
static QUIET_STDERR: AtomicBool = AtomicBool::new(false);

pub fn set_level(l: Level) {
    LEVEL.store(l as u8, Relaxed);
}

pub fn set_json(json: bool) {
    JSON.store(json, Relaxed);
}

/// Use `fd` (opened O_APPEND|O_CLOEXEC by the CLI, kept for the process's life) as the log.
pub fn set_fd(fd: rustix::fd::OwnedFd) {
    use rustix::fd::IntoRawFd;
    LOG_FD.store(fd.into_raw_fd(), Relaxed);
}

/// Send warnings only to the log file, not stderr (callers treat stderr output of a
/// successful `create` as failure).
pub fn set_quiet_stderr(q: bool) {
    QUIET_STDERR.store(q, Relaxed);
}

/// Write the lines meant for stderr into `fd` instead, until called with `None` (husk as
/// PID 1 collects what creating a bundle's container logs, for its result line). The
/// caller keeps `fd` open until then.
pub fn set_capture(fd: Option<BorrowedFd<'_>>) {
    use rustix::fd::AsRawFd;
    CAPTURE_FD.store(fd.map_or(-1, |f| f.as_raw_fd()), Relaxed);
}

/// Also write every stderr line (not the captured ones) to `fd`, each prefixed with the
/// time since boot (`[   12.345678] husk: ...`), until called with `None`.
/// The caller keeps `fd` open until then.
pub fn set_tee(fd: Option<BorrowedFd<'_>>) {
    use rustix::fd::AsRawFd;
    TEE_FD.store(fd.map_or(-1, |f| f.as_raw_fd()), Relaxed);
}

pub fn enabled(l: Level) -> bool {
    l as u8 <= LEVEL.load(Relaxed)
}

/// The `--log` file's descriptor number, if there is one (`husk init` keeps it open when it
/// closes every other descriptor it inherited).
pub fn file_fd() -> Option<i32> {
    let fd = LOG_FD.load(Relaxed);
    (fd >= 0).then_some(fd)
}

fn log_fd() -> Option<BorrowedFd<'static>> {
    let fd = LOG_FD.load(Relaxed);
    // The fd was handed over in set_fd and is never closed while the process runs.
    (fd >= 0).then(|| crate::sys::borrow_fd(fd))
}

/// Write one event. Errors always reach stderr; other levels reach stderr only when there is
/// no log file (so a successful command prints nothing on stderr under a caller).
pub fn emit(l: Level, args: fmt::Arguments<'_>) {
    if !enabled(l) {
        return;
    }
    let file = log_fd();
    if l == Level::Error || (file.is_none() && !QUIET_STDERR.load(Relaxed)) {
        let mut b = Buf::<1024>::new();
        let _ = b.write_str("husk: ");
        if l != Level::Error {
            let _ = write!(b, "{}: ", l.name());
        }
        let _ = b.write_fmt(args);
        b.finish_line();
        let cap = CAPTURE_FD.load(Relaxed);
        // A captured or tee fd stays open while it is set (set_capture's and set_tee's
        // contract).
        if cap >= 0 {
            let _ = b.write_to(crate::sys::borrow_fd(cap));
        } else {
            let _ = b.write_to(crate::sys::stderr());
            let tee = TEE_FD.load(Relaxed);
            if tee >= 0 {
                // The log file's lines carry the time since boot (see clock::Uptime); the
                // console's stay as they are. One write per line, as everywhere.
                let t = stamped(crate::clock::Uptime::now(), b.as_bytes());
                let _ = t.write_to(crate::sys::borrow_fd(tee));
            }
        }
    }
    if let Some(fd) = file {
        let mut b = Buf::<1024>::new();
        let mut msg = Buf::<900>::new();
        let _ = msg.write_fmt(args);
        let now = crate::clock::Rfc3339::now();
        if JSON.load(Relaxed) {
            let _ = write!(b, "{{\"level\":\"{}\",\"msg\":\"", l.name());
            let _ = json_escape(&mut b, msg.as_str());
            if msg.truncated() {
                let _ = b.write_str("...");
            }
            let _ = write!(b, "\",\"time\":\"{now}\"}}");
        } else {
            let _ = write!(b, "time=\"{now}\" level={} msg=\"", l.name());
            let _ = json_escape(&mut b, msg.as_str());
            let _ = b.write_str("\"");
        }
        b.finish_line();
        let _ = b.write_to(fd);
    }
}

#[macro_export]
macro_rules! error {
    ($($a:tt)*) => { $crate::log::emit($crate::log::Level::Error, format_args!($($a)*)) };
}
#[macro_export]
macro_rules! warn {
    ($($a:tt)*) => { $crate::log::emit($crate::log::Level::Warn, format_args!($($a)*)) };
}
#[macro_export]
macro_rules! info {
    ($($a:tt)*) => { $crate::log::emit($crate::log::Level::Info, format_args!($($a)*)) };
}
#[macro_export]
macro_rules! debug {
    ($($a:tt)*) => { $crate::log::emit($crate::log::Level::Debug, format_args!($($a)*)) };
}

/// Stop using the log file (the container process closed it with every other host fd).
pub fn forget_fd() {
    LOG_FD.store(-1, Relaxed);
    CAPTURE_FD.store(-1, Relaxed);
    TEE_FD.store(-1, Relaxed);
}

/// A console line (at most 1024 bytes, its newline included) with the time since boot in
/// front, for husk.log: room for the widest stamp (u64 seconds: 30 bytes with its space),
/// so a full line keeps its newline whatever the uptime.
fn stamped(t: crate::clock::Uptime, line: &[u8]) -> Buf<{ 1024 + 32 }> {
    let mut out = Buf::new();
    let _ = write!(out, "{t} ");
    out.push_bytes(line);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_line_keeps_its_newline_in_husk_log_at_any_uptime() {
        let mut line = [b'x'; 1024];
        line[1023] = b'\n';
        let t = crate::clock::Uptime {
            secs: u64::MAX,
            micros: 999_999,
        };
        let out = stamped(t, &line);
        assert!(!out.truncated());
        assert!(out
            .as_bytes()
            .starts_with(b"[18446744073709551615.999999] xx"));
        assert!(out.as_bytes().ends_with(b"x\n"));
    }
}
