//! Run every bundle under the bundles directory, in name order, as a container named after
//! its directory: the runtime's own create (full parsing and validation of config.json
//! first) + start, a wait for that container process only (its pidfd; orphans that PID 1
//! inherits meanwhile are left for [`super::power::reap_all`]), then delete; state in
//! [`STATE_ROOT`]. One result line per bundle carries the container's stdout (with
//! `process.terminal`, what it wrote to its terminal: PID 1 keeps the master).
//!
//! Runs in PID 1 after the mounts. Failures here are never fatal: a bundle that cannot run
//! is a failed result line and the boot goes on to the next.

use super::Tally;
use crate::container::{self, create::CreateOpts};
use crate::cpath::CPath;
use crate::out::{json_escape, Buf};
use crate::sys::clone::{fork, Forked};
use crate::sys::process::SigMask;
use crate::sys::Errno;
use crate::{Error, Result};
use core::ffi::CStr;
use core::fmt::Write;
use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{Mode, OFlags};

/// The containers' state root (`--root`): a directory on the /run tmpfs.
pub const STATE_ROOT: &[u8] = b"/run/husk";
/// Bytes of what husk logged while creating a container, kept for its result line.
pub const LOG_MAX: usize = 2048;

/// Bundles considered per boot; more are reported as one failure. (The QEMU tests boot
/// some 35 scenarios at once; the list costs 64 * NAME_MAX = 4 KiB of PID 1's stack.)
pub const BUNDLES_MAX: usize = 64;
/// A bundle name (directory entry) longer than this is skipped with a failure.
pub const NAME_MAX: usize = 64;
/// Bytes of a process's stdout kept for its result line.
pub const OUTPUT_MAX: usize = 20 * 1024;

/// What a captured child did.
pub struct Outcome {
    /// Exit code, or 128+signal; -1 if the child could not be started.
    pub code: i32,
    /// Its stdout (cut at OUTPUT_MAX).
    pub out: Buf<OUTPUT_MAX>,
    /// Why it could not be started.
    pub error: Option<Error>,
    /// What husk logged while it tried (the whole reason when `error` is
    /// `Error::reported()`).
    pub log: Buf<LOG_MAX>,
}

impl Outcome {
    pub fn new() -> Outcome {
        Outcome {
            code: -1,
            out: Buf::new(),
            error: None,
            log: Buf::new(),
        }
    }

    pub fn failed(e: Error) -> Outcome {
        let mut o = Outcome::new();
        o.error = Some(e);
        o
    }
}

impl Default for Outcome {
    fn default() -> Self {
        Outcome::new()
    }
}

/// Fork; in the child restore the signal mask, send stdout into a pipe and run `f` (its
/// return is the exit code); in the parent collect the output until EOF and wait for the
/// child, reaping any other process that ends meanwhile.
pub fn run_captured(mask: SigMask, f: impl FnOnce() -> i32) -> Outcome {
    let mut o = Outcome::new();
    let (r, w) = match rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC) {
        Ok(p) => p,
        Err(e) => {
            o.error = Some(Error::sys("pipe2", e));
            return o;
        }
    };
    let pid = match fork() {
        Ok(Forked::Child) => {
            drop(r);
            let _ = crate::sys::process::set_sigmask(mask);
            // dup2 clears CLOEXEC on fd 1: the pipe survives execve as stdout.
            if rustix::stdio::dup2_stdout(&w).is_err() {
                crate::sys::exit(125);
            }
            drop(w);
            crate::sys::exit(f())
        }
        Ok(Forked::Parent { pid, .. }) => pid,
        Err(e) => {
            o.error = Some(Error::sys("clone3", e));
            return o;
        }
    };
    drop(w);
    let mut chunk = [0u8; 4096];
    loop {
        match rustix::io::read(&r, &mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                o.out.push_bytes(&chunk[..n]);
            }
            Err(Errno::INTR) => {}
            Err(e) => {
                crate::warn!("init: {}", Error::sys("read", e));
                break;
            }
        }
    }
    loop {
        match rustix::process::waitpid(None, rustix::process::WaitOptions::empty()) {
            Ok(Some((p, st))) if p == pid => {
                o.code = match (st.exit_status(), st.terminating_signal()) {
                    (Some(c), _) => c,
                    (None, Some(s)) => 128 + s,
                    _ => -1,
                };
                break;
            }
            Ok(_) | Err(Errno::INTR) => {} // another child reaped, or interrupted
            Err(e) => {
                o.error = Some(Error::sys("waitpid", e));
                break;
            }
        }
    }
    o
}

/// Print `HUSK-RESULT <name> exit=<code> <output on one line>` and count it: a result
/// passes when the process was started and waited for and did not report a husk error
/// (its exit code is the scenario's business), and for a built-in `check` when it exited 0.
pub fn report(name: &[u8], o: &Outcome, check: bool, tally: &mut Tally) {
    let mut b = Buf::<{ OUTPUT_MAX + 512 }>::new();
    let _ = b.write_str("HUSK-RESULT ");
    b.push_bytes(name);
    let _ = write!(b, " exit={} ", o.code);
    let text = o.out.as_bytes().trim_ascii();
    let failed =
        o.error.is_some() || text.starts_with(b"{\"husk_error\"") || (check && o.code != 0);
    match &o.error {
        Some(e) => {
            // The error, then each line husk logged meanwhile ("husk: " dropped), joined
            // by "; ".
            let _ = b.write_str("{\"husk_error\":\"");
            let mut t = Buf::<{ LOG_MAX + 256 }>::new();
            let _ = write!(t, "{e}");
            for line in o.log.as_bytes().split(|&c| c == b'\n') {
                let line = line.strip_prefix(b"husk: ").unwrap_or(line).trim_ascii();
                if !line.is_empty() {
                    t.push_bytes(if t.is_empty() { b"" } else { b"; " });
                    t.push_bytes(line);
                }
            }
            let _ = json_escape(&mut b, t.as_str());
            let _ = b.write_str("\"}");
        }
        None => {
            for &c in text {
                b.push_bytes(if c == b'\n' {
                    b" "
                } else {
                    core::slice::from_ref(&c)
                });
            }
            if o.out.truncated() {
                let _ = b.write_str(" (output cut)");
            }
        }
    }
    b.finish_line();
    let _ = b.write_to(crate::sys::stdout());
    if failed {
        tally.fail += 1;
    } else {
        tally.pass += 1;
    }
}

/// Fixed-capacity sorted list of bundle names.
struct Names {
    names: [[u8; NAME_MAX]; BUNDLES_MAX],
    lens: [u8; BUNDLES_MAX],
    len: usize,
    skipped: u32,
}

impl Names {
    fn get(&self, i: usize) -> &[u8] {
        &self.names[i][..self.lens[i] as usize]
    }
    fn insert_sorted(&mut self, name: &[u8]) {
        if self.len == BUNDLES_MAX || name.len() > NAME_MAX {
            self.skipped += 1;
            return;
        }
        let mut i = self.len;
        while i > 0 && self.get(i - 1) > name {
            self.names[i] = self.names[i - 1];
            self.lens[i] = self.lens[i - 1];
            i -= 1;
        }
        self.names[i] = [0; NAME_MAX];
        self.names[i][..name.len()].copy_from_slice(name);
        self.lens[i] = name.len() as u8;
        self.len += 1;
    }
}

/// The bundle directories (entries that are directories, hidden ones skipped), sorted.
fn list(dir: &CStr) -> core::result::Result<Names, Errno> {
    let fd = rustix::fs::open(
        dir,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let mut names = Names {
        names: [[0; NAME_MAX]; BUNDLES_MAX],
        lens: [0; BUNDLES_MAX],
        len: 0,
        skipped: 0,
    };
    let mut dbuf = [core::mem::MaybeUninit::<u8>::uninit(); 2048];
    let mut it = rustix::fs::RawDir::new(&fd, &mut dbuf);
    while let Some(ent) = it.next() {
        let ent = ent?;
        let n = ent.file_name().to_bytes();
        if n.starts_with(b".") {
            continue;
        }
        let is_dir = match ent.file_type() {
            rustix::fs::FileType::Directory => true,
            rustix::fs::FileType::Unknown => {
                rustix::fs::statat(&fd, ent.file_name(), rustix::fs::AtFlags::empty()).is_ok_and(
                    |s| {
                        rustix::fs::FileType::from_raw_mode(s.st_mode)
                            == rustix::fs::FileType::Directory
                    },
                )
            }
            _ => false,
        };
        if is_dir {
            names.insert_sorted(n);
        }
    }
    Ok(names)
}

/// Run each bundle of `dir` in name order. A missing directory means no bundles.
pub fn run_all(dir: &[u8], test: bool, tally: &mut Tally) {
    let Ok(d) = CPath::from(dir, "husk.bundles") else {
        tally.fail += 1;
        return;
    };
    let names = match list(d.as_cstr()) {
        Ok(n) => n,
        Err(Errno::NOENT) => {
            crate::info!(
                "init: no bundles directory {}",
                crate::error::Text::new(dir)
            );
            return;
        }
        Err(e) => {
            crate::error!("init: {}", Error::sys("open", e).path(dir));
            tally.fail += 1;
            return;
        }
    };
    if names.skipped > 0 {
        crate::error!(
            "init: {} bundles skipped (more than {} or name too long)",
            names.skipped,
            BUNDLES_MAX
        );
        tally.fail += names.skipped;
    }
    for i in 0..names.len {
        run_bundle(dir, names.get(i), test, tally);
    }
}

fn run_bundle(dir: &[u8], name: &[u8], test: bool, tally: &mut Tally) {
    let o = match CPath::from(dir, "bundle").and_then(|mut b| {
        b.join(name, "bundle")?;
        Ok(b)
    }) {
        Ok(bundle) => run_container(&bundle, name, test),
        Err(e) => Outcome::failed(e),
    };
    report(name, &o, false, tally);
}

/// Run the bundle as a container named after it (create + start + wait + delete, in the
/// state root [`STATE_ROOT`]), its stdout going into a pipe read here. What husk logs
/// while creating and starting it is captured too: the reason of a failed result, or
/// passed on to stderr when the container ran. `test`: husk.test mode (the test annotations
/// of `CreateOpts::test_mode` apply).
fn run_container(bundle: &CPath, name: &[u8], test: bool) -> Outcome {
    let mut o = Outcome::new();
    let Ok(id) = core::str::from_utf8(name) else {
        return Outcome::failed(Error::spec("bundle", "name is not UTF-8").value(name));
    };
    let pipes = pipe(false).and_then(|p| Ok((p, pipe(true)?)));
    let ((r, w), (log_r, log_w)) = match pipes {
        Ok(p) => p,
        Err(e) => return Outcome::failed(e),
    };
    crate::log::set_capture(Some(log_w.as_fd()));
    let opts = CreateOpts {
        bundle: bundle.as_bytes(),
        pid_file: None,
        console_socket: None,
        no_pivot: false,
        preserve_fds: 0,
        listen_fds: 0,
        no_new_keyring: false,
        stdout: Some(w.as_fd()),
        systemd_cgroup: false,
        test_mode: test,
        attached: true,
    };
    let created =
        container::create::create(STATE_ROOT, id, &opts).and_then(
            |c| match container::start::start(STATE_ROOT, id) {
                Ok(()) => Ok(c),
                Err(e) => {
                    let _ = container::delete::delete(STATE_ROOT, id, true);
                    Err(e)
                }
            },
        );
    crate::log::set_capture(None);
    // Only the container holds the write end now: EOF when it (and what it left) is gone.
    drop(w);
    drain(&log_r, &mut o.log);
    drop(log_w);
    let c = match created {
        Ok(c) => c,
        Err(e) => {
            o.error = Some(e);
            return o;
        }
    };
    if !o.log.is_empty() {
        let _ = crate::out::write_all(crate::sys::stderr(), o.log.as_bytes());
        o.log = Buf::new();
    }
    // With process.terminal the output comes through the terminal's master instead.
    let out = match &c.console {
        Some(m) => match terminal_output(m) {
            Ok(()) => m,
            Err(e) => {
                o.error = Some(e);
                let _ = container::delete::delete(STATE_ROOT, id, true);
                return o;
            }
        },
        None => &r,
    };
    match collect(&c, out, &mut o.out) {
        Ok(code) => o.code = code,
        Err(e) => {
            o.error = Some(e);
            return o;
        }
    }
    if let Err(e) = container::delete::delete(STATE_ROOT, id, false) {
        o.error = Some(e);
    }
    o
}

/// A CLOEXEC pipe; `nonblocking`: both ends (a log capture must never block PID 1),
/// otherwise only the read end (the write end is the container's stdout).
fn pipe(nonblocking: bool) -> Result<(OwnedFd, OwnedFd)> {
    let (r, w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
        .map_err(|e| Error::sys("pipe2", e))?;
    rustix::io::ioctl_fionbio(&r, true).map_err(|e| Error::sys("ioctl FIONBIO", e))?;
    if nonblocking {
        rustix::io::ioctl_fionbio(&w, true).map_err(|e| Error::sys("ioctl FIONBIO", e))?;
    }
    Ok((r, w))
}

/// Make a container's terminal master readable like the stdout pipe: non-blocking, and
/// "\n" kept as written (no "\r" added).
fn terminal_output(master: &OwnedFd) -> Result<()> {
    rustix::io::ioctl_fionbio(master, true).map_err(|e| Error::sys("ioctl FIONBIO", e))?;
    crate::linux::console::clear_onlcr(master.as_fd())
}

/// Read what a non-blocking pipe (or terminal master) holds now into `out`; true at EOF
/// (EIO on a master: every holder of the terminal closed it).
fn drain<const N: usize>(r: &OwnedFd, out: &mut Buf<N>) -> bool {
    let mut chunk = [0u8; 4096];
    loop {
        match rustix::io::read(r, &mut chunk) {
            Ok(0) | Err(Errno::IO) => return true,
            Ok(n) => {
                out.push_bytes(&chunk[..n]);
            }
            Err(Errno::INTR) => {}
            Err(Errno::AGAIN) => return false,
            Err(e) => {
                crate::warn!("init: {}", Error::sys("read", e));
                return true;
            }
        }
    }
}

/// Read the container's stdout until its process ends (its pidfd becomes readable, or,
/// without a pidfd, at EOF), reap that process only, then take what is left in the pipe
/// without waiting for processes it left behind.
fn collect(c: &container::create::Created, r: &OwnedFd, out: &mut Buf<OUTPUT_MAX>) -> Result<i32> {
    use rustix::event::{PollFd, PollFlags};
    let mut eof = false;
    loop {
        let mut exited = false;
        match (&c.pidfd, eof) {
            (Some(p), false) => {
                let mut fds = [PollFd::new(r, PollFlags::IN), PollFd::new(p, PollFlags::IN)];
                poll_retry(&mut fds)?;
                exited = !fds[1].revents().is_empty();
            }
            (Some(p), true) => {
                poll_retry(&mut [PollFd::new(p, PollFlags::IN)])?;
                exited = true;
            }
            (None, false) => poll_retry(&mut [PollFd::new(r, PollFlags::IN)])?,
            (None, true) => exited = true,
        }
        eof = eof || drain(r, out);
        if exited {
            let code = container::run::wait_for(c.pid)?;
            drain(r, out);
            return Ok(code);
        }
    }
}

fn poll_retry(fds: &mut [rustix::event::PollFd<'_>]) -> Result<()> {
    loop {
        match rustix::event::poll(fds, None) {
            Ok(_) => return Ok(()),
            Err(Errno::INTR) => {}
            Err(e) => return Err(Error::sys("poll", e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sorted() {
        let mut n = Names {
            names: [[0; NAME_MAX]; BUNDLES_MAX],
            lens: [0; BUNDLES_MAX],
            len: 0,
            skipped: 0,
        };
        for s in [&b"b"[..], b"a", b"c", b"ab"] {
            n.insert_sorted(s);
        }
        assert_eq!(
            [n.get(0), n.get(1), n.get(2), n.get(3)],
            [&b"a"[..], b"ab", b"b", b"c"]
        );
    }
}
