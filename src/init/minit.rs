//! `husk init -- CMD [ARGS]`: a container's own init, as tini and catatonit are. It runs
//! inside a container (its PID 1, or `/run/podman-init` under Podman's `--init`,
//! `/sbin/docker-init` under Docker's), starts CMD as its one child and stays its parent.
//!
//! Steps, in run order (catatonit's): block every signal but the fault signals and read
//! them from a signalfd ([`signals`]); set the parent-death signal (`-p`); become a child
//! subreaper unless PID 1 ([`subreaper`]); resolve CMD on PATH; spawn the child ([`spawn`]:
//! its own process group, the terminal's foreground group when husk init holds it, fds
//! above 2 closed unless kept, the old signal mask back, execve); pin nothing (chdir "/",
//! close what husk init itself inherited); then loop ([`supervise`]): forward each signal
//! to the child (or its process group, `-g`), reap every zombie on SIGCHLD without
//! blocking, and exit with the child's status (128+N when signal N killed it).
//!
//! Two error regimes, as in catatonit: before the loop a failure ends husk init (exit 1;
//! 127 when CMD is not found, 126 when it may not be executed, as shells and tini); in the
//! loop nothing exits early: a failure is a warning.

use crate::error::{Error, Kind, Result};
use crate::sys::process::{self, SigMask, FAULT_SIGNALS};
use crate::sys::{Args, Errno};
use crate::{debug, error, warn};
use linux_raw_sys::general as g;
use rustix::fd::{AsRawFd, OwnedFd};
use rustix::process::{Pid, WaitOptions};

/// What the command line (and tini's environment variables) asked for.
#[derive(Default)]
pub struct Opts {
    /// `-g`: forward signals to the child's process group rather than the child.
    pub group: bool,
    /// `-s`: failing to become a subreaper is fatal (it is attempted whenever not PID 1).
    pub subreaper: bool,
    /// `-p SIGNAL`: the signal husk init gets when its parent dies.
    pub pdeathsig: Option<i32>,
    /// `-w`: a warning for every process reaped other than the child.
    pub warn_reap: bool,
    /// `-k`: the child inherits every fd husk init was given.
    pub keep_fds: bool,
    /// `-e CODE`: child exit codes reported as 0 (a bit per code 0..=255).
    pub expect: [u32; 8],
}

impl Opts {
    pub fn expect_code(&mut self, code: u8) {
        self.expect[code as usize / 32] |= 1 << (code % 32);
    }

    /// The status husk init exits with for the child's `code` (after `-e` remapping).
    pub fn final_code(&self, code: i32) -> i32 {
        let c = (code & 0xff) as usize;
        if self.expect[c / 32] & (1 << (c % 32)) != 0 {
            0
        } else {
            code
        }
    }
}

/// Run `args[cmd..]` under husk init; returns husk init's exit status.
pub fn run(o: &Opts, args: &Args, cmd: usize) -> i32 {
    let (sfd, child) = match start(o, args, cmd) {
        Ok(v) => v,
        Err(e) => {
            error!("init: {e}");
            return start_failure_code(&e);
        }
    };
    pin_nothing(&sfd);
    o.final_code(supervise(o, &sfd, child))
}

/// Every step before the loop; an error here ends husk init.
fn start(o: &Opts, args: &Args, cmd: usize) -> Result<(OwnedFd, Pid)> {
    let (sfd, old_mask) = signals()?;
    if let Some(sig) = o.pdeathsig {
        let s = rustix::process::Signal::from_named_raw(sig)
            .ok_or(Error::usage("invalid signal for -p"))?;
        rustix::process::set_parent_process_death_signal(Some(s))
            .map_err(|e| Error::sys("prctl PR_SET_PDEATHSIG", e))?;
    }
    subreaper(o)?;
    let name = args
        .get(cmd)
        .ok_or(Error::usage("requires a command to run"))?;
    let mut path = crate::cpath::CPath::new();
    crate::linux::process::resolve(name, env_value(args, b"PATH"), &mut path)?;
    let listen = listen_fds(args);
    let child = spawn(o, args, cmd, &path, old_mask, listen)?;
    Ok((sfd, child))
}

/// Block every signal but the faults (those stay with husk init: a crash must not turn
/// into a hang) and open a signalfd for them. Returns the old mask for the child.
fn signals() -> Result<(OwnedFd, SigMask)> {
    let old = process::block_all_but_faults().map_err(|e| Error::sys("rt_sigprocmask", e))?;
    let mut set = !0u64;
    for s in FAULT_SIGNALS {
        set &= !process::sig_bit(s as i32);
    }
    let sfd = process::signalfd(SigMask(set)).map_err(|e| Error::sys("signalfd", e))?;
    Ok((sfd, old))
}

/// PR_SET_CHILD_SUBREAPER unless husk init is PID 1 (which reaps orphans anyway), so that
/// orphans of the child are re-parented to husk init and reaped here. Failure is fatal with
/// `-s`, otherwise tini's warning.
fn subreaper(o: &Opts) -> Result<()> {
    if rustix::process::getpid().is_init() {
        return Ok(());
    }
    match rustix::process::set_child_subreaper(Pid::from_raw(1)) {
        Ok(()) => Ok(()),
        Err(e) if o.subreaper => Err(Error::sys("prctl PR_SET_CHILD_SUBREAPER", e)),
        Err(e) => {
            warn!(
                "init: not PID 1 and PR_SET_CHILD_SUBREAPER failed ({}): orphaned processes \
                 will not be re-parented to husk init, so their zombies are not reaped here",
                crate::error::ErrnoText(e)
            );
            Ok(())
        }
    }
}

/// The value of the first `NAME=` entry of the environment (what getenv returns).
pub fn env_value(args: &Args, name: &[u8]) -> Option<&'static [u8]> {
    args.env().find_map(|e| {
        e.strip_prefix(name)
            .and_then(|rest| rest.strip_prefix(b"="))
    })
}

/// systemd socket activation (`LISTEN_FDS=N`, `LISTEN_PID` naming husk init, as Podman
/// sets them for a socket-activated container): fds 3..3+N belong to the child, which then
/// gets `LISTEN_PID` rewritten to its own pid (as catatonit does). None otherwise.
fn listen_fds(args: &Args) -> Option<u32> {
    let me = rustix::process::getpid().as_raw_nonzero().get() as u32;
    let pid: u32 = crate::cli::args::number(env_value(args, b"LISTEN_PID")?, "").ok()?;
    let n: u32 = crate::cli::args::number(env_value(args, b"LISTEN_FDS")?, "").ok()?;
    (pid == me).then_some(n)
}

/// Fork the child; it continues in [`exec_child`]. Both sides put it in its own process
/// group, so a `-g` signal reaches the group however early it comes.
fn spawn(
    o: &Opts,
    args: &Args,
    cmd: usize,
    path: &crate::cpath::CPath,
    old_mask: SigMask,
    listen: Option<u32>,
) -> Result<Pid> {
    use rustix::process::getpgrp;
    // Hand the terminal to the child only if husk init is in its foreground group: a
    // `husk init -- CMD &` from a shell must not take the terminal from the shell.
    let foreground = rustix::termios::tcgetpgrp(crate::sys::stdin()).is_ok_and(|p| p == getpgrp());
    match crate::sys::clone::fork().map_err(|e| Error::sys("fork", e))? {
        crate::sys::clone::Forked::Child => {
            crate::sys::exit(exec_child(o, args, cmd, path, old_mask, listen, foreground))
        }
        crate::sys::clone::Forked::Parent { pid, .. } => {
            // EACCES once the child has exec'd: it did the same itself by then.
            let _ = rustix::process::setpgid(Some(pid), Some(pid));
            debug!(
                "init: started {} as pid {}",
                path.as_bytes().escape_ascii(),
                pid.as_raw_nonzero()
            );
            Ok(pid)
        }
    }
}

/// In the child: own process group (and the terminal's foreground), fds, the LISTEN_PID
/// rewrite, the old mask, execve. Returns only the exit status of a failure.
fn exec_child(
    o: &Opts,
    args: &Args,
    cmd: usize,
    path: &crate::cpath::CPath,
    old_mask: SigMask,
    listen: Option<u32>,
    foreground: bool,
) -> i32 {
    if let Err(e) = rustix::process::setpgid(None, None) {
        error!("init: setpgid: {}", crate::error::ErrnoText(e));
        return 1;
    }
    if foreground {
        // SIGTTOU is still blocked here, so a background group may take the terminal.
        let pgrp = rustix::process::getpgrp();
        match rustix::termios::tcsetpgrp(crate::sys::stdin(), pgrp) {
            Ok(()) | Err(Errno::NOTTY | Errno::NXIO) => {}
            Err(e) => {
                error!("init: tcsetpgrp: {}", crate::error::ErrnoText(e));
                return 1;
            }
        }
    }
    if !o.keep_fds {
        if let Err(e) = crate::linux::process::cloexec_from(listen.unwrap_or(0).saturating_add(3)) {
            error!("init: {e}");
            return 1;
        }
    }
    let mut pid_var = [0u8; 32];
    let listen_pid = listen.and_then(|_| listen_pid_entry(&mut pid_var));
    let env = args.env_cstr().map(move |e| match listen_pid {
        Some(new) if e.to_bytes().starts_with(b"LISTEN_PID=") => new,
        _ => e,
    });
    if let Err(e) = process::set_sigmask(old_mask) {
        error!("init: rt_sigprocmask: {}", crate::error::ErrnoText(e));
        return 1;
    }
    let argv = (cmd..args.len()).filter_map(|i| args.get_cstr(i));
    let e = crate::sys::exec::execve_cstrs(path.as_cstr(), argv, env);
    error!("init: {}", Error::sys("exec", e).path(path.as_bytes()));
    exec_failure_code(e)
}

/// `LISTEN_PID=<this pid>` as a C string in `buf`.
fn listen_pid_entry(buf: &mut [u8; 32]) -> Option<&core::ffi::CStr> {
    use core::fmt::Write;
    let mut b = crate::out::Buf::<31>::new();
    let _ = write!(
        b,
        "LISTEN_PID={}",
        rustix::process::getpid().as_raw_nonzero()
    );
    let n = b.len();
    buf.get_mut(..n)?.copy_from_slice(b.as_bytes());
    core::ffi::CStr::from_bytes_with_nul(buf.get(..=n)?).ok()
}

/// Shells' and tini's convention: 127 not found, 126 found but not executable.
fn exec_failure_code(e: Errno) -> i32 {
    match e {
        Errno::NOENT => 127,
        Errno::ACCESS => 126,
        _ => 1,
    }
}

fn start_failure_code(e: &Error) -> i32 {
    match (e.kind, e.errno()) {
        (Kind::NotFound, _) => 127,
        (Kind::Sys, Some(n)) if e.ctx == "exec" => exec_failure_code(n),
        _ => e.exit_code(),
    }
}

/// After the spawn husk init needs no cwd and no inherited fd: leaving them would keep a
/// mount busy or a pipe open for as long as the container lives (catatonit does the same).
fn pin_nothing(sfd: &OwnedFd) {
    let _ = rustix::process::chdir(c"/");
    let log = crate::log::file_fd().unwrap_or(-1);
    // Only the signalfd and the log fd are used from here on (the contract of
    // close_all_except).
    crate::sys::fds::close_all_except(3, &[sfd.as_raw_fd(), log]);
}

/// The loop: one signal at a time from the signalfd. SIGCHLD reaps; SIGTTIN and SIGTTOU
/// are dropped (tini ignores them: husk init is not the terminal's foreground, and it must
/// not be stopped); every other signal goes to the child (or its group with `-g`).
/// Returns the child's exit code once it has been reaped.
fn supervise(o: &Opts, sfd: &OwnedFd, child: Pid) -> i32 {
    let raw = child.as_raw_nonzero().get();
    let target = if o.group { -raw } else { raw };
    loop {
        let sig = match process::read_signal(sfd) {
            Ok(s) => s,
            Err(Errno::INTR | Errno::AGAIN) => continue,
            Err(e) => {
                warn!("init: read signalfd: {}", crate::error::ErrnoText(e));
                continue;
            }
        };
        match sig as u32 {
            g::SIGCHLD => {
                if let Some(code) = reap(o, child) {
                    return code;
                }
            }
            g::SIGTTIN | g::SIGTTOU => debug!("init: ignoring signal {sig}"),
            _ => forward(target, sig),
        }
    }
}

fn forward(target: i32, sig: i32) {
    debug!("init: forwarding signal {sig} to {target}");
    match process::kill(target, sig) {
        Ok(()) => {}
        Err(Errno::SRCH) => warn!("init: the child was gone when signal {sig} came"),
        Err(e) => warn!(
            "init: forwarding signal {sig}: {}",
            crate::error::ErrnoText(e)
        ),
    }
}

/// Reap every child that has exited (orphans included) without blocking; the child's exit
/// code if it was among them.
fn reap(o: &Opts, child: Pid) -> Option<i32> {
    let mut code = None;
    loop {
        match rustix::process::wait(WaitOptions::NOHANG) {
            Ok(Some((pid, st))) if pid == child => {
                code = crate::container::run::exit_code(st).or(code);
            }
            Ok(Some((pid, _))) if o.warn_reap => {
                warn!("init: reaped zombie process {}", pid.as_raw_nonzero())
            }
            Ok(Some((pid, _))) => debug!("init: reaped process {}", pid.as_raw_nonzero()),
            Ok(None) | Err(Errno::CHILD) => return code,
            Err(Errno::INTR) => {}
            Err(e) => {
                warn!("init: waitpid: {}", crate::error::ErrnoText(e));
                return code;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expect_remaps_only_listed_codes() {
        let mut o = Opts::default();
        o.expect_code(143);
        o.expect_code(0);
        o.expect_code(255);
        assert_eq!(o.final_code(143), 0);
        assert_eq!(o.final_code(255), 0);
        assert_eq!(o.final_code(137), 137);
        assert_eq!(o.final_code(3), 3);
    }

    #[test]
    fn exit_codes_of_start_failures() {
        let nf = Error::not_found("exec", b"x", crate::linux::process::NOT_FOUND);
        assert_eq!(start_failure_code(&nf), 127);
        let acc = Error::sys("exec", Errno::ACCESS).path(b"/x");
        assert_eq!(start_failure_code(&acc), 126);
        assert_eq!(start_failure_code(&Error::sys("signalfd", Errno::NOMEM)), 1);
        assert_eq!(start_failure_code(&Error::usage("bad")), 2);
    }

    #[test]
    fn listen_pid_entry_is_a_c_string() {
        let mut b = [0u8; 32];
        let e = listen_pid_entry(&mut b).unwrap();
        let want = std::format!("LISTEN_PID={}", std::process::id());
        assert_eq!(e.to_bytes(), want.as_bytes());
    }
}
