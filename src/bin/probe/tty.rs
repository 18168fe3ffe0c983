//! `tty`: what the probe's terminal looks like from inside, as one action object:
//! `{"tty":[A,B,C],"rdev":[MAJ,MIN],"ctty":[MAJ,MIN],"session_leader":BOOL,
//! "foreground":BOOL,"rows":R,"cols":C,"console":[MAJ,MIN]}` where `tty` says whether fds
//! 0, 1, 2 are terminals, `rdev` is fd 0's device, `ctty` the controlling terminal from
//! /proc/self/stat (`[0,0]` for none), `foreground` whether the probe's process group is
//! that terminal's foreground group, `rows`/`cols` fd 0's window size, and `console` the
//! device /dev/console is (`"console":"lnk"`/`"reg"` when it is not a device,
//! `"console_errno"` when it cannot be looked at). A value that cannot be read becomes
//! `"<key>_errno":"ENAME"` instead.

use super::errno_name;
use core::fmt::Write;
use husk::out::Buf;
use husk::sys::{self, Errno};

// st_rdev is not u64 on every target.
#[allow(clippy::unnecessary_cast)]
pub fn step(b: &mut Buf<2048>) {
    let _ = b.write_str(if b.is_empty() { "{" } else { ",{" });
    let t = |fd| rustix::termios::isatty(sys::borrow_fd(fd));
    let _ = write!(b, "\"tty\":[{},{},{}]", t(0), t(1), t(2));
    match rustix::fs::fstat(sys::stdin()) {
        Ok(s) => dev(b, "rdev", s.st_rdev as u64),
        Err(e) => errno(b, "rdev", e),
    }
    match stat_fields() {
        Ok(f) => {
            let nr = f.tty_nr;
            let major = (nr >> 8) & 0xfff;
            let minor = (nr & 0xff) | ((nr >> 12) & 0xfff00);
            let _ = write!(
                b,
                ",\"ctty\":[{major},{minor}],\"session_leader\":{},\"foreground\":{}",
                f.session == f.pid,
                f.tpgid == f.pgrp
            );
        }
        Err(e) => errno(b, "ctty", e),
    }
    match rustix::termios::tcgetwinsize(sys::stdin()) {
        Ok(w) => {
            let _ = write!(b, ",\"rows\":{},\"cols\":{}", w.ws_row, w.ws_col);
        }
        Err(e) => errno(b, "rows", e),
    }
    match rustix::fs::lstat(c"/dev/console") {
        Ok(s) => {
            use rustix::fs::FileType as T;
            match T::from_raw_mode(s.st_mode) {
                T::CharacterDevice => dev(b, "console", s.st_rdev as u64),
                T::Symlink => {
                    let _ = b.write_str(",\"console\":\"lnk\"");
                }
                _ => {
                    let _ = b.write_str(",\"console\":\"reg\"");
                }
            }
        }
        Err(e) => errno(b, "console", e),
    }
    let _ = b.write_str("}");
}

fn dev(b: &mut Buf<2048>, key: &str, d: u64) {
    let _ = write!(
        b,
        ",\"{key}\":[{},{}]",
        rustix::fs::major(d),
        rustix::fs::minor(d)
    );
}

fn errno(b: &mut Buf<2048>, key: &str, e: Errno) {
    let _ = write!(b, ",\"{key}_errno\":\"{}\"", errno_name(e).as_str());
}

struct Stat {
    pid: u64,
    pgrp: u64,
    session: u64,
    tty_nr: u64,
    tpgid: u64,
}

/// Fields of /proc/self/stat after the command name (which may hold spaces and parens:
/// everything up to the last ')' is skipped).
fn stat_fields() -> Result<Stat, Errno> {
    let fd = rustix::fs::open(
        c"/proc/self/stat",
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )?;
    let mut buf = [0u8; 1024];
    let n = husk::files::read_fd(&fd, &mut buf)?;
    let text = buf.get(..n).ok_or(Errno::IO)?;
    let pid = text
        .split(|&c| c == b' ')
        .next()
        .and_then(num)
        .ok_or(Errno::IO)?;
    let close = text.iter().rposition(|&c| c == b')').ok_or(Errno::IO)?;
    // state ppid pgrp session tty_nr tpgid
    let mut f = text
        .get(close + 2..)
        .ok_or(Errno::IO)?
        .split(|&c| c == b' ')
        .skip(2);
    let mut next = || f.next().and_then(num).ok_or(Errno::IO);
    let pgrp = next()?;
    let session = next()?;
    let tty_nr = next()?;
    // tpgid is -1 without a controlling terminal.
    let tpgid = next().unwrap_or(u64::MAX);
    Ok(Stat {
        pid,
        pgrp,
        session,
        tty_nr,
        tpgid,
    })
}

fn num(s: &[u8]) -> Option<u64> {
    core::str::from_utf8(s).ok()?.trim().parse().ok()
}
