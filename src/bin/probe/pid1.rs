//! The probe's steps for testing husk as PID 1 (each adds one object to `actions`):
//!
//! | step | effect, and what it records |
//! |---|---|
//! | `block SIG` | block signal SIG (a service that ignores SIGTERM): `{"block":SIG,"ret":0}` |
//! | `kill PID SIG` | kill(2): `{"kill":PID,"signal":SIG,"ret":0}` (or errno) |
//! | `orphan MS WAIT_MS` | fork a child that forks a grandchild sleeping MS ms, and exits at once, so the grandchild is orphaned; reap the child, note the grandchild's parent, wait WAIT_MS ms, then note its state: `{"orphan":PID,"ppid":P,"state":"gone"}` (`"Z"` if it was left a zombie, `"S"` if still running) |
//! | `clock` | CLOCK_BOOTTIME now (time since the kernel started): `{"uptime_ns":N}` |
//! | `procfs` | mount a proc filesystem on /proc (the probe as PID 1, where nothing is mounted): `{"procfs":"/proc","ret":0}` |
//! | `rss` | this process's resident set now, counted page by page (/proc/self/smaps_rollup `Rss:`; VmRSS in /proc/self/status can lag by up to 64 page faults on Linux 6.1): `{"rss_kib":K}` |
//! | `await PATH TEXT MS` | wait (polling every 50 ms, at most MS ms) until file PATH contains TEXT: `{"await":TEXT,"ret":MS_WAITED}`, or `"errno":"ETIMEDOUT"` |

use core::fmt::Write;
use husk::out::Buf;
use husk::sys::{self, Errno};

fn sep(b: &mut Buf<2048>) {
    let _ = b.write_str(if b.is_empty() { "" } else { "," });
}

fn ret(b: &mut Buf<2048>, r: Result<(), Errno>) {
    match r {
        Ok(()) => {
            let _ = b.write_str("\"ret\":0");
        }
        Err(e) => {
            let _ = write!(b, "\"errno\":\"{}\"", super::errno_name(e).as_str());
        }
    }
}

pub fn block(b: &mut Buf<2048>, sig: i32) {
    use sys::process::{sig_bit, swap_sigmask, SigMask};
    let r = if (1..=64).contains(&sig) {
        swap_sigmask(SigMask(0))
            .and_then(|old| swap_sigmask(SigMask(old.0 | sig_bit(sig))).map(drop))
    } else {
        Err(Errno::INVAL)
    };
    sep(b);
    let _ = write!(b, "{{\"block\":{sig},");
    ret(b, r);
    let _ = b.write_str("}");
}

pub fn kill(b: &mut Buf<2048>, pid: i32, sig: i32) {
    let r = sys::process::kill(pid, sig);
    sep(b);
    let _ = write!(b, "{{\"kill\":{pid},\"signal\":{sig},");
    ret(b, r);
    let _ = b.write_str("}");
}

pub fn clock(b: &mut Buf<2048>) {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Boottime);
    let ns = t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64;
    sep(b);
    let _ = write!(b, "{{\"uptime_ns\":{ns}}}");
}

fn sleep_ms(ms: u64) {
    let t = rustix::time::Timespec {
        tv_sec: (ms / 1000) as _,
        tv_nsec: ((ms % 1000) * 1_000_000) as _,
    };
    let _ = rustix::thread::nanosleep(&t);
}

/// State letter and parent of `pid` from /proc/PID/stat; None if there is no such process.
fn stat(pid: i32) -> Option<(u8, i32)> {
    let mut path = Buf::<32>::new();
    let _ = write!(path, "/proc/{pid}/stat");
    let mut buf = [0u8; 512];
    let fd = rustix::fs::open(
        path.as_str(),
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .ok()?;
    let n = husk::files::read_fd(&fd, &mut buf).ok()?;
    let data = buf.get(..n)?;
    let close = data.iter().rposition(|&c| c == b')')?;
    let mut f = data
        .get(close + 1..)?
        .split(|&c| c == b' ')
        .filter(|x| !x.is_empty());
    let state = *f.next()?.first()?;
    let ppid = core::str::from_utf8(f.next()?).ok()?.parse().ok()?;
    Some((state, ppid))
}

pub fn orphan(b: &mut Buf<2048>, ms: u64, wait_ms: u64) {
    use husk::sys::clone::{fork, Forked};
    let r = (|| -> Result<i32, Errno> {
        let (rd, wr) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
        match fork()? {
            Forked::Child => {
                drop(rd);
                match fork() {
                    Ok(Forked::Child) => {
                        drop(wr);
                        sleep_ms(ms);
                        sys::exit(0)
                    }
                    Ok(Forked::Parent { pid, .. }) => {
                        let _ =
                            husk::out::write_all(&wr, &pid.as_raw_nonzero().get().to_ne_bytes());
                        sys::exit(0)
                    }
                    Err(_) => sys::exit(1),
                }
            }
            Forked::Parent { pid, .. } => {
                drop(wr);
                let mut raw = [0u8; 4];
                let n = husk::files::read_fd(&rd, &mut raw)?;
                let _ = rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty());
                if n != 4 {
                    return Err(Errno::CHILD);
                }
                Ok(i32::from_ne_bytes(raw))
            }
        }
    })();
    sep(b);
    match r {
        Ok(gpid) => {
            // The child is gone: the grandchild now belongs to the reaper.
            let ppid = stat(gpid).map_or(-1, |(_, p)| p);
            sleep_ms(wait_ms);
            let mut state = Buf::<8>::new();
            match stat(gpid) {
                None => {
                    let _ = state.write_str("gone");
                }
                Some((s, _)) => {
                    let _ = write!(state, "{}", s as char);
                }
            }
            let _ = write!(
                b,
                "{{\"orphan\":{gpid},\"ppid\":{ppid},\"state\":\"{}\"}}",
                state.as_str()
            );
        }
        Err(e) => {
            let _ = write!(b, "{{\"orphan\":0,");
            ret(b, Err(e));
            let _ = b.write_str("}");
        }
    }
}

/// Whether the file at `path` contains `text` (read in pieces, overlapping by the text's
/// length so that a match across two reads is found).
fn contains(path: &[u8], text: &[u8]) -> Result<bool, Errno> {
    if text.is_empty() || text.len() > 1024 {
        return Err(Errno::INVAL);
    }
    let fd = rustix::fs::open(
        path,
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )?;
    let mut buf = [0u8; 8192];
    let mut keep = 0;
    loop {
        let n = husk::files::read_fd(&fd, &mut buf[keep..])?;
        let have = keep + n;
        if buf[..have].windows(text.len()).any(|w| w == text) {
            return Ok(true);
        }
        if n == 0 {
            return Ok(false);
        }
        keep = (text.len() - 1).min(have);
        buf.copy_within(have - keep..have, 0);
    }
}

pub fn await_text(b: &mut Buf<2048>, path: &[u8], text: &[u8], ms: u64) {
    let start = super::now_ms();
    let r = loop {
        match contains(path, text) {
            Ok(true) => break Ok(super::now_ms() - start),
            Ok(false) | Err(Errno::NOENT) => {}
            Err(e) => break Err(e),
        }
        if super::now_ms() - start >= ms {
            break Err(Errno::TIMEDOUT);
        }
        sleep_ms(50);
    };
    sep(b);
    let _ = b.write_str("{\"await\":\"");
    let _ = husk::out::json_escape(b, super::lossy(text));
    let _ = b.write_str("\",");
    match r {
        Ok(waited) => {
            let _ = write!(b, "\"ret\":{waited}");
        }
        Err(e) => ret(b, Err(e)),
    }
    let _ = b.write_str("}");
}

pub fn procfs(b: &mut Buf<2048>) {
    let r = rustix::mount::mount(
        c"proc",
        c"/proc",
        c"proc",
        rustix::mount::MountFlags::NOSUID | rustix::mount::MountFlags::NODEV,
        None,
    );
    sep(b);
    let _ = b.write_str("{\"procfs\":\"/proc\",");
    ret(b, r);
    let _ = b.write_str("}");
}

pub fn rss(b: &mut Buf<2048>) {
    let mut buf = [0u8; 2048];
    let r = rustix::fs::open(
        c"/proc/self/smaps_rollup",
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .and_then(|fd| husk::files::read_fd(&fd, &mut buf))
    .and_then(|n| {
        buf[..n]
            .split(|&c| c == b'\n')
            .find_map(|l| l.strip_prefix(b"Rss:"))
            .and_then(|v| core::str::from_utf8(v).ok())
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .ok_or(Errno::NODATA)
    });
    sep(b);
    match r {
        Ok(k) => {
            let _ = write!(b, "{{\"rss_kib\":{k}}}");
        }
        Err(e) => {
            let _ = b.write_str("{\"rss_kib\":null,");
            ret(b, Err(e));
            let _ = b.write_str("}");
        }
    }
}
