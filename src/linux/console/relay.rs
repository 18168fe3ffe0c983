//! The runtime relaying a container's terminal itself (`run` without `--console-socket`,
//! later `exec` in the foreground): the caller's stdin goes to the terminal's master, what
//! the container writes goes to the caller's stdout, the caller's terminal (if stdin is
//! one) is in raw mode meanwhile, and its window size follows to the container's on
//! SIGWINCH. Runs in the runtime, single-threaded, inside its signal loop: [`Relay::poll_with`]
//! waits on the relay's descriptors and the loop's signalfd together.
//!
//! The master is non-blocking (only the runtime holds that file description); stdin and
//! stdout are shared with the caller's shell, so their flags are never touched: stdin is
//! read only when poll says it is readable, stdout is written blocking.

use crate::error::{Error, Result};
use crate::sys::Errno;
use rustix::event::{poll, PollFd, PollFlags};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::termios::{isatty, tcgetattr, tcsetattr, OptionalActions, Termios};

/// Bytes moved per read.
const CHUNK: usize = 4096;
/// After the process ended, output is drained until every holder of the slave closed it
/// (EIO) or the terminal stays silent this long (a process left behind outside a pid
/// namespace may hold it open for ever).
pub const DRAIN_QUIET_MS: i64 = 200;

/// A terminal put in raw mode, restored when dropped (every return path of the runtime
/// drops it; husk aborts only on a bug, and SIGKILL cannot be helped).
pub struct RawMode {
    tty: BorrowedFd<'static>,
    saved: Termios,
}

impl RawMode {
    /// cfmakeraw on `tty` (a stdio descriptor, open for the process's life).
    pub fn enter(tty: BorrowedFd<'static>) -> Result<RawMode> {
        let saved = tcgetattr(tty).map_err(|e| Error::sys("ioctl TCGETS", e))?;
        let mut raw = saved.clone();
        raw.make_raw();
        tcsetattr(tty, OptionalActions::Now, &raw).map_err(|e| Error::sys("ioctl TCSETS", e))?;
        Ok(RawMode { tty, saved })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        // Drain: output the container wrote is shown with the raw settings it assumed.
        let _ = tcsetattr(self.tty, OptionalActions::Drain, &self.saved);
    }
}

/// A terminal master being relayed to the runtime's stdio.
pub struct Relay {
    master: OwnedFd,
    _raw: Option<RawMode>,
    /// The caller's terminal, whose size the container's follows.
    host: Option<BorrowedFd<'static>>,
    stdin_open: bool,
    master_open: bool,
    /// Read from stdin, not yet taken by the master (its input queue was full).
    pending: [u8; CHUNK],
    pending_at: usize,
    pending_end: usize,
}

impl Relay {
    /// Take over `master`. If the runtime's stdin, stdout or stderr is a terminal, the
    /// container's gets its size, and stdin (if it is the terminal) goes raw; if none is,
    /// ONLCR is cleared so the output is the bytes the container wrote.
    pub fn new(master: OwnedFd) -> Result<Relay> {
        rustix::io::ioctl_fionbio(&master, true).map_err(|e| Error::sys("ioctl FIONBIO", e))?;
        let stdio = [
            crate::sys::stdin(),
            crate::sys::stdout(),
            crate::sys::stderr(),
        ];
        let host = stdio.into_iter().find(|fd| isatty(fd));
        if host.is_none() {
            super::clear_onlcr(master.as_fd())?;
        }
        let raw = if isatty(crate::sys::stdin()) {
            Some(RawMode::enter(crate::sys::stdin())?)
        } else {
            None
        };
        let r = Relay {
            master,
            _raw: raw,
            host,
            stdin_open: true,
            master_open: true,
            pending: [0; CHUNK],
            pending_at: 0,
            pending_end: 0,
        };
        r.resize();
        Ok(r)
    }

    /// The master, for callers that need to act on the terminal themselves.
    pub fn master(&self) -> BorrowedFd<'_> {
        self.master.as_fd()
    }

    /// SIGWINCH: give the container's terminal the caller's terminal's size (the kernel
    /// then signals the container's foreground process group). Without a caller terminal
    /// the size stays `process.consoleSize`.
    pub fn resize(&self) {
        if let Some(h) = self.host {
            if let Ok(ws) = rustix::termios::tcgetwinsize(h) {
                let _ = rustix::termios::tcsetwinsize(&self.master, ws);
            }
        }
    }

    /// Wait until `other` (the loop's signalfd) or one of the relay's descriptors is ready,
    /// move whatever data is ready, and say whether `other` is readable.
    pub fn poll_with(&mut self, other: BorrowedFd<'_>) -> Result<bool> {
        let want_out = self.pending_at < self.pending_end;
        let (other_ready, master_ev, stdin_ev) = {
            let mut m = PollFlags::IN;
            if want_out {
                m |= PollFlags::OUT;
            }
            let stdin = crate::sys::stdin();
            let mut fds = [
                PollFd::new(&other, PollFlags::IN),
                PollFd::new(&self.master, m),
                PollFd::new(&stdin, PollFlags::IN),
            ];
            // Leave out what is closed, and stdin while earlier input still waits.
            let n = match (self.master_open, self.stdin_open && !want_out) {
                (true, true) => 3,
                (true, false) => 2,
                (false, _) => 1,
            };
            match poll(&mut fds[..n], None) {
                Ok(_) | Err(Errno::INTR) => {}
                Err(e) => return Err(Error::sys("poll", e)),
            }
            let ev = |i: usize| {
                if i < n {
                    fds[i].revents()
                } else {
                    PollFlags::empty()
                }
            };
            (!ev(0).is_empty(), ev(1), ev(2))
        };
        if !master_ev.is_empty() {
            if master_ev.intersects(PollFlags::IN | PollFlags::HUP | PollFlags::ERR) {
                self.copy_out();
            }
            if master_ev.contains(PollFlags::OUT) {
                self.flush_in();
            }
        }
        if !stdin_ev.is_empty() {
            self.read_in();
        }
        Ok(other_ready)
    }

    /// After the process ended: copy what the terminal still holds to stdout.
    pub fn finish(&mut self) {
        let quiet = rustix::time::Timespec {
            tv_sec: DRAIN_QUIET_MS / 1000,
            tv_nsec: (DRAIN_QUIET_MS % 1000) * 1_000_000,
        };
        while self.master_open {
            let mut fds = [PollFd::new(&self.master, PollFlags::IN)];
            match poll(&mut fds, Some(&quiet)) {
                Ok(0) => return,
                Ok(_) => self.copy_out(),
                Err(Errno::INTR) => {}
                Err(_) => return,
            }
        }
    }

    /// Master -> stdout, until it would block. EIO: every slave descriptor is closed.
    fn copy_out(&mut self) {
        let mut buf = [0u8; CHUNK];
        loop {
            match rustix::io::read(&self.master, &mut buf) {
                Ok(0) | Err(Errno::IO) => {
                    self.master_open = false;
                    return;
                }
                Ok(n) => {
                    // A caller that stopped reading loses the output, not the container.
                    let _ = crate::out::write_all(crate::sys::stdout(), &buf[..n]);
                }
                Err(Errno::INTR) => {}
                Err(Errno::AGAIN) => return,
                Err(_) => {
                    self.master_open = false;
                    return;
                }
            }
        }
    }

    /// stdin -> pending -> master. EOF on stdin ends the input side only.
    fn read_in(&mut self) {
        match rustix::io::read(crate::sys::stdin(), &mut self.pending) {
            Ok(0) => self.stdin_open = false,
            Ok(n) => {
                self.pending_at = 0;
                self.pending_end = n;
                self.flush_in();
            }
            Err(Errno::INTR) | Err(Errno::AGAIN) => {}
            Err(_) => self.stdin_open = false,
        }
    }

    fn flush_in(&mut self) {
        while self.pending_at < self.pending_end {
            match rustix::io::write(
                &self.master,
                &self.pending[self.pending_at..self.pending_end],
            ) {
                Ok(n) => self.pending_at += n,
                Err(Errno::INTR) => {}
                Err(Errno::AGAIN) => return,
                Err(_) => {
                    // The terminal is gone: nothing will read this input.
                    self.pending_at = self.pending_end;
                }
            }
        }
    }
}
