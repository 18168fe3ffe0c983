//! `kill [--all] ID [SIGNAL]`: signal a container's init (or, with --all, every process in
//! its pid namespace). SIGNAL is a number, a name (`KILL`) or `SIGKILL`; default SIGTERM.
//! Runs in the runtime; the pid is checked against its recorded start time and signalled
//! through a pidfd, so a recycled pid is never hit.

use crate::error::{Error, Result};
use crate::state::file;
use crate::state::{id, Store};

/// Signal names and numbers (the generic Linux numbering of x86_64, aarch64 and arm).
pub const SIGNALS: &[(&str, i32)] = &[
    ("HUP", 1),
    ("INT", 2),
    ("QUIT", 3),
    ("ILL", 4),
    ("TRAP", 5),
    ("ABRT", 6),
    ("IOT", 6),
    ("BUS", 7),
    ("FPE", 8),
    ("KILL", 9),
    ("USR1", 10),
    ("SEGV", 11),
    ("USR2", 12),
    ("PIPE", 13),
    ("ALRM", 14),
    ("TERM", 15),
    ("STKFLT", 16),
    ("CHLD", 17),
    ("CONT", 18),
    ("STOP", 19),
    ("TSTP", 20),
    ("TTIN", 21),
    ("TTOU", 22),
    ("URG", 23),
    ("XCPU", 24),
    ("XFSZ", 25),
    ("VTALRM", 26),
    ("PROF", 27),
    ("WINCH", 28),
    ("IO", 29),
    ("POLL", 29),
    ("PWR", 30),
    ("SYS", 31),
];

/// Parse `9`, `KILL`, `SIGKILL`, `sigkill`, `RTMIN+3`, `SIGRTMAX-1`.
pub fn parse_signal(s: &[u8]) -> Result<i32> {
    let bad = || Error::usage("invalid signal").value(s);
    if s.first().is_some_and(|c| c.is_ascii_digit()) {
        let n = crate::cli::args::number::<u32>(s, "invalid signal")?;
        return if (1..=64).contains(&n) {
            Ok(n as i32)
        } else {
            Err(bad())
        };
    }
    let mut up = [0u8; 16];
    if s.len() > up.len() {
        return Err(bad());
    }
    for (d, c) in up.iter_mut().zip(s) {
        *d = c.to_ascii_uppercase();
    }
    let u = &up[..s.len()];
    let name = u.strip_prefix(b"SIG").unwrap_or(u);
    if let Some(&(_, n)) = SIGNALS.iter().find(|(k, _)| k.as_bytes() == name) {
        return Ok(n);
    }
    // Real-time signals: SIGRTMIN is 34 for programs (glibc and musl keep 32, 33).
    let rt = |rest: &[u8], base: i32, sign: i32| -> Result<i32> {
        let off = if rest.is_empty() {
            0
        } else {
            crate::cli::args::number::<u32>(rest, "invalid signal")? as i32
        };
        let n = base + sign * off;
        if (34..=64).contains(&n) {
            Ok(n)
        } else {
            Err(bad())
        }
    };
    if let Some(r) = name.strip_prefix(b"RTMIN") {
        return rt(r.strip_prefix(b"+").unwrap_or(r), 34, 1);
    }
    if let Some(r) = name.strip_prefix(b"RTMAX") {
        return rt(r.strip_prefix(b"-").unwrap_or(r), 64, -1);
    }
    Err(bad())
}

pub fn kill(root: &[u8], id: &str, sig: i32, all: bool) -> Result<()> {
    let id = id::check(id.as_bytes())?;
    let store = Store::open(root, false)?;
    let mut buf = [0u8; file::STATE_MAX_BYTES];
    // The lock is held until the signals are sent: a concurrent delete waits.
    let super::Loaded {
        st, entry: _lock, ..
    } = super::load(&store, id, &mut buf, super::Verb::Kill)?;
    if all {
        let mut err = None;
        super::for_each_pid(&st, &mut |pid| {
            // A process that exited since the list was read (its init just died, say) is
            // not an error: it is already where the signal would send it.
            match send(pid, sig) {
                Ok(()) | Err(rustix::io::Errno::SRCH) => {}
                Err(e) => {
                    err.get_or_insert(signal_error(e));
                }
            }
        })?;
        return err.map_or(Ok(()), Err);
    }
    signal(st.pid, sig)
}

/// Signal `pid` through a pidfd (immune to pid reuse after the check), or kill(2) on
/// kernels without pidfd_open.
pub fn signal(pid: i32, sig: i32) -> Result<()> {
    send(pid, sig).map_err(signal_error)
}

fn send(pid: i32, sig: i32) -> core::result::Result<(), rustix::io::Errno> {
    let p = rustix::process::Pid::from_raw(pid).ok_or(rustix::io::Errno::SRCH)?;
    match rustix::process::pidfd_open(p, rustix::process::PidfdFlags::empty()) {
        Ok(fd) => crate::sys::process::pidfd_send_signal(&fd, sig),
        Err(rustix::io::Errno::NOSYS) => crate::sys::process::kill(pid, sig),
        Err(e) => Err(e),
    }
}

fn signal_error(e: rustix::io::Errno) -> Error {
    match e {
        rustix::io::Errno::SRCH => Error::state("container not running: no such process"),
        e => Error::sys("kill", e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_forms() {
        for (s, n) in [
            ("9", 9),
            ("KILL", 9),
            ("SIGKILL", 9),
            ("sigterm", 15),
            ("TERM", 15),
            ("RTMIN", 34),
            ("SIGRTMIN+2", 36),
            ("RTMAX", 64),
            ("RTMAX-1", 63),
            ("64", 64),
        ] {
            assert_eq!(parse_signal(s.as_bytes()).unwrap(), n, "{s}");
        }
        for s in [
            "0",
            "65",
            "FOO",
            "SIG",
            "RTMIN+40",
            "",
            "-9",
            "SIGKILLKILLKILLKILL",
        ] {
            assert!(parse_signal(s.as_bytes()).is_err(), "{s}");
        }
    }
}
