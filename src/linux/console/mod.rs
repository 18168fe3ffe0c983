//! `process.terminal`: a pseudo-terminal for the container's process.
//!
//! Two sides, two processes:
//! - In the container process (after pivot_root, before the identity drops privileges; an
//!   `exec` process once it is in the container's mount namespace): [`open_pty`] opens the
//!   container's own devpts through /dev/ptmx and gets the slave with TIOCGPTPEER;
//!   [`bind_console`] mounts that slave onto /dev/console; [`make_controlling`] makes it
//!   the session's controlling terminal and fds 0-2. The master goes to the runtime.
//! - In the runtime, before the clone: [`Target::choose`] checks the flags as runc does
//!   and connects `--console-socket`; when the master arrives, [`Target::deliver`] sends it
//!   there (SCM_RIGHTS, one message named `/dev/ptmx`, as runc sends it) or hands it back
//!   to be relayed by `run` ([`relay`]).
//!
//! The slave is never opened by a /dev/pts/N path, which a process already in the
//! container could replace with a symlink (CVE-2025-52565); /dev/console is opened without
//! following symlinks and mounted onto through its descriptor.
//! References: pty(7), ioctl_tty(2) (TIOCGPTPEER, TIOCSPTLCK, TIOCSCTTY, TIOCSWINSZ).

pub mod relay;

use super::mounts::bind;
use super::resolve::IN_ROOT;
use crate::error::{Error, Result};
use crate::spec::ConsoleSize;
use crate::sys::Errno;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{makedev, FileType, Mode, OFlags, ResolveFlags};
use rustix::pty::OpenptFlags;

/// The name sent with the master over `--console-socket` (runc sends the master's file
/// name, which is this; receivers ignore it).
pub const MASTER_NAME: &[u8] = b"/dev/ptmx";

/// A new pseudo-terminal: the master (for the runtime's caller) and its slave (for the
/// container's process). Both close-on-exec; neither is anyone's controlling terminal yet.
pub struct Pty {
    pub master: OwnedFd,
    pub slave: OwnedFd,
}

/// Open a pseudo-terminal in the devpts instance `root`'s /dev/ptmx leads to (the
/// container's /dev/ptmx is a symlink to pts/ptmx, followed inside `root`), and apply
/// `size` (`process.consoleSize`). `root` is the container's root directory.
pub fn open_pty(root: BorrowedFd<'_>, size: Option<&ConsoleSize>) -> Result<Pty> {
    let master = loop {
        match rustix::fs::openat2(
            root,
            c"dev/ptmx",
            OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC,
            Mode::empty(),
            IN_ROOT,
        ) {
            Err(Errno::AGAIN) | Err(Errno::INTR) => continue,
            r => break r.map_err(|e| Error::sys("open", e).path(b"/dev/ptmx"))?,
        }
    };
    // Only the pty multiplexer (char 5:2) hands out terminals; anything else planted there
    // would make the ioctls below act on some other device.
    let st = rustix::fs::fstat(&master).map_err(|e| Error::sys("fstat", e).path(b"/dev/ptmx"))?;
    if FileType::from_raw_mode(st.st_mode) != FileType::CharacterDevice
        || st.st_rdev != makedev(5, 2)
    {
        return Err(
            Error::sys("not the pty multiplexer (char 5:2):", Errno::NODEV).path(b"/dev/ptmx"),
        );
    }
    rustix::pty::unlockpt(&master).map_err(|e| Error::sys("ioctl TIOCSPTLCK", e))?;
    let slave = rustix::pty::ioctl_tiocgptpeer(
        &master,
        OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC,
    )
    .map_err(|e| Error::sys("ioctl TIOCGPTPEER", e))?;
    if let Some(s) = size {
        set_size(master.as_fd(), s.height, s.width)?;
    }
    Ok(Pty { master, slave })
}

/// TIOCSWINSZ: `rows` x `cols` (the validator keeps `process.consoleSize` within 16 bits;
/// larger values are clamped here rather than wrapped).
pub fn set_size(tty: BorrowedFd<'_>, rows: u32, cols: u32) -> Result<()> {
    let ws = rustix::termios::Winsize {
        ws_row: rows.min(u16::MAX as u32) as u16,
        ws_col: cols.min(u16::MAX as u32) as u16,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    rustix::termios::tcsetwinsize(tty, ws).map_err(|e| Error::sys("ioctl TIOCSWINSZ", e))
}

/// Mount `slave` onto /dev/console inside `root`: an existing regular file or device node
/// there is mounted over, a missing one is created (0666, a regular file, as runc), and a
/// symlink (or anything else) is refused, never followed.
pub fn bind_console(root: BorrowedFd<'_>, slave: BorrowedFd<'_>) -> Result<()> {
    let dev = super::resolve::open_in_root(root, c"dev", OFlags::DIRECTORY, ResolveFlags::empty())
        .map_err(|e| Error::sys("open", e).path(b"/dev"))?;
    let target = match rustix::fs::openat(
        &dev,
        c"console",
        OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => {
            let fd = rustix::fs::openat(
                &dev,
                c"console",
                OFlags::RDONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::from_raw_mode(0o666),
            )
            .map_err(|e| Error::sys("create", e).path(b"/dev/console"))?;
            // The umask may have cut the mode.
            rustix::fs::fchmod(&fd, Mode::from_raw_mode(0o666))
                .map_err(|e| Error::sys("chmod", e).path(b"/dev/console"))?;
            fd
        }
        Err(e) => return Err(Error::sys("open", e).path(b"/dev/console")),
    };
    let st =
        rustix::fs::fstat(&target).map_err(|e| Error::sys("fstat", e).path(b"/dev/console"))?;
    match FileType::from_raw_mode(st.st_mode) {
        FileType::RegularFile | FileType::CharacterDevice => {}
        FileType::Symlink => {
            return Err(Error::sys("refusing the symlink", Errno::LOOP).path(b"/dev/console"))
        }
        _ => {
            return Err(
                Error::sys("refusing to mount the terminal on", Errno::INVAL).path(b"/dev/console"),
            )
        }
    }
    bind(slave, target.as_fd(), false)
        .map_err(|e| Error::sys("bind the terminal on", e).path(b"/dev/console"))
}

/// Make `slave` this process's controlling terminal and its fds 0, 1 and 2: a new session
/// (setsid), TIOCSCTTY, and, for a non-root `uid`, the terminal handed to that user (as
/// runc: its program must be able to reopen /dev/tty), then dup2 onto the stdio numbers.
/// The slave's own descriptor is closed.
pub fn make_controlling(slave: OwnedFd, uid: u32) -> Result<()> {
    rustix::process::setsid().map_err(|e| Error::sys("setsid", e))?;
    rustix::process::ioctl_tiocsctty(&slave).map_err(|e| Error::sys("ioctl TIOCSCTTY", e))?;
    if uid != 0 {
        // An unmapped owner (EINVAL, EPERM) or a read-only /dev leave the terminal as is,
        // as runc does: the program still has it open.
        match rustix::fs::fchown(&slave, Some(rustix::fs::Uid::from_raw(uid)), None) {
            Ok(()) | Err(Errno::INVAL) | Err(Errno::PERM) | Err(Errno::ROFS) => {}
            Err(e) => return Err(Error::sys("chown terminal", e)),
        }
    }
    // dup2 leaves the copies without CLOEXEC: the program inherits them.
    rustix::stdio::dup2_stdin(&slave).map_err(|e| Error::sys("dup2 stdin", e))?;
    rustix::stdio::dup2_stdout(&slave).map_err(|e| Error::sys("dup2 stdout", e))?;
    rustix::stdio::dup2_stderr(&slave).map_err(|e| Error::sys("dup2 stderr", e))?;
    Ok(())
}

/// Where the master of a new terminal goes; chosen by the runtime before the clone.
pub enum Target {
    /// Sent over this connected `--console-socket`.
    Socket(OwnedFd),
    /// Kept by the runtime, which relays it (`run` without `--detach`).
    Keep,
}

impl Target {
    /// runc's rules for `process.terminal` and `--console-socket`: a runtime that detaches
    /// (`create`, `run -d`, `exec -d`) needs the socket for a terminal; a socket without a
    /// terminal, or with a runtime that stays attached, is an error. `None`: no terminal.
    pub fn choose(terminal: bool, socket: Option<&[u8]>, detached: bool) -> Result<Option<Target>> {
        match (terminal, socket, detached) {
            (true, None, true) => Err(Error::state(
                "cannot allocate tty if runc will detach without setting console socket",
            )),
            (false, Some(_), _) | (_, Some(_), false) => Err(Error::state(
                "cannot use console socket if runc will not detach or allocate tty",
            )),
            (true, Some(p), true) => {
                let sock = crate::fdpass::connect_unix(p, "--console-socket")?;
                Ok(Some(Target::Socket(sock)))
            }
            (true, None, false) => Ok(Some(Target::Keep)),
            (false, None, _) => Ok(None),
        }
    }

    /// Send `master` to the socket (and close it here), or give it back to be relayed.
    pub fn deliver(&self, master: OwnedFd) -> Result<Option<OwnedFd>> {
        match self {
            Target::Socket(sock) => {
                send_master(sock, master.as_fd())?;
                Ok(None)
            }
            Target::Keep => Ok(Some(master)),
        }
    }
}

/// Send a terminal's master over a connected console socket: one message, the name
/// [`MASTER_NAME`] with the fd attached (what containerd's and conmon's receivers read).
pub fn send_master(sock: impl AsFd, master: BorrowedFd<'_>) -> Result<()> {
    crate::fdpass::send_with_fd(sock, MASTER_NAME, master)
        .map_err(|e| Error::sys("send the terminal to --console-socket", e))
}

/// Clear ONLCR on the terminal (`tty` may be the master: termios calls there act on the
/// slave), so "\n" written in the container reaches a non-terminal reader as "\n", not
/// "\r\n" (runc does the same for the terminals it relays).
pub fn clear_onlcr(tty: BorrowedFd<'_>) -> Result<()> {
    use rustix::termios::{tcgetattr, tcsetattr, OptionalActions, OutputModes};
    let mut t = tcgetattr(tty).map_err(|e| Error::sys("ioctl TCGETS", e))?;
    t.output_modes.remove(OutputModes::ONLCR);
    tcsetattr(tty, OptionalActions::Now, &t).map_err(|e| Error::sys("ioctl TCSETS", e))
}

#[cfg(test)]
mod tests;
