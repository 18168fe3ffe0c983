//! `hooks`: run by the runtime process (husk itself) for prestart, createRuntime,
//! poststart and poststop, and by the container process for createContainer and
//! startContainer, each at the point runtime-spec runtime.md names. The caller decides
//! whether a failure aborts (before start) or is only logged (poststart, poststop).
//!
//! Each hook runs in a new process: stdin is a pipe already holding the State JSON (written
//! before the fork, so husk never blocks or takes SIGPIPE on a hook that does not read it),
//! stdout and stderr are inherited, argv and env are exactly the configured ones. The
//! parent waits on a pidfd with poll(2), so `timeout` needs no signal handler; an expired
//! hook gets SIGKILL. An execve failure travels back on a CLOEXEC pipe.
//!
//! References: runtime-spec config.md "POSIX-platform Hooks", runtime.md "Lifecycle";
//! pidfd_open(2), poll(2), pipe(7) F_SETPIPE_SZ.

use crate::cpath::CPath;
use crate::linux::process::fill;
use crate::spec::limits::HOOK_ARGS_MAX;
use crate::spec::{Hook, Hooks, List};
use crate::sys::clone::{clone3, Forked};
use crate::sys::exec::CStrVec;
use crate::sys::mem::Zeroed;
use crate::sys::Errno;
use crate::{Error, Result};
use rustix::fd::OwnedFd;
use rustix::process::{Pid, Signal, WaitOptions};

/// Bytes of one hook's args (or env) strings, NULs included.
pub const HOOK_ARGV_BYTES_MAX: usize = 128 * 1024;
/// A hook's argv or envp.
pub type HookVec = CStrVec<HOOK_ARGS_MAX, HOOK_ARGV_BYTES_MAX>;

/// The six hook lists of runtime-spec v1.3, named as config.json spells them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HookKind {
    Prestart,
    CreateRuntime,
    CreateContainer,
    StartContainer,
    Poststart,
    Poststop,
}

impl HookKind {
    /// `createRuntime`.
    pub fn name(self) -> &'static str {
        match self {
            HookKind::Prestart => "prestart",
            HookKind::CreateRuntime => "createRuntime",
            HookKind::CreateContainer => "createContainer",
            HookKind::StartContainer => "startContainer",
            HookKind::Poststart => "poststart",
            HookKind::Poststop => "poststop",
        }
    }

    /// The error context, its `[]` filled with the hook's index.
    fn ctx(self) -> &'static str {
        match self {
            HookKind::Prestart => "hook prestart[]",
            HookKind::CreateRuntime => "hook createRuntime[]",
            HookKind::CreateContainer => "hook createContainer[]",
            HookKind::StartContainer => "hook startContainer[]",
            HookKind::Poststart => "hook poststart[]",
            HookKind::Poststop => "hook poststop[]",
        }
    }

    /// This kind's list in `hooks`.
    pub fn list<'a>(self, h: &Hooks<'a>) -> List<'a, Hook<'a>> {
        match self {
            HookKind::Prestart => h.prestart,
            HookKind::CreateRuntime => h.create_runtime,
            HookKind::CreateContainer => h.create_container,
            HookKind::StartContainer => h.start_container,
            HookKind::Poststart => h.poststart,
            HookKind::Poststop => h.poststop,
        }
    }
}

/// Run every hook of `hooks` in order; the first failure stops the run and is returned:
/// `hook createRuntime[0] /usr/bin/x: exit status 3`, `...: timed out after 5s`,
/// `...: killed by signal 9`, `...: exec: ENOENT (no such file or directory)`.
pub fn run(kind: HookKind, hooks: &List<'_, Hook<'_>>, state_json: &[u8]) -> Result<()> {
    for (i, h) in hooks.iter().enumerate() {
        run_one(kind, i, &h?, state_json)?;
    }
    Ok(())
}

/// How a hook ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Exited(i32),
    Signaled(i32),
    TimedOut(u64),
}

fn run_one(kind: HookKind, i: usize, h: &Hook<'_>, state: &[u8]) -> Result<()> {
    let mut pbuf = [0u8; crate::cpath::PATH_MAX];
    let path = CPath::from(h.path.decode_into(&mut pbuf)?.as_bytes(), "hooks.*[].path")?;
    let fail = |msg, n| Error::child(kind.ctx(), msg, n).at(i).path(path.as_bytes());
    let mmap = |e| Error::sys("mmap", e);
    let mut argv: Zeroed<HookVec> = Zeroed::new().map_err(mmap)?;
    fill(&h.args, &mut argv, "hooks.*[].args")?;
    if argv.is_empty() {
        // Go's exec.Cmd (runc) runs {Path} when Args is empty.
        argv.push(path.as_bytes())
            .map_err(|_| Error::capacity("hooks.*[].path", 1, 0, "bytes"))?;
    }
    let mut env: Zeroed<HookVec> = Zeroed::new().map_err(mmap)?;
    fill(&h.env, &mut env, "hooks.*[].env")?;

    let stdin = state_pipe(state)?;
    // Non-blocking: read after the reap, it holds the errno or nothing (another process
    // forked meanwhile may still hold the write end, so EOF cannot be awaited).
    let (report_r, report_w) = rustix::pipe::pipe_with(
        rustix::pipe::PipeFlags::CLOEXEC | rustix::pipe::PipeFlags::NONBLOCK,
    )
    .map_err(|e| Error::sys("pipe", e))?;
    let flags = linux_raw_sys::general::CLONE_PIDFD as u64;
    let (pid, pidfd) = match clone3(flags, linux_raw_sys::general::SIGCHLD, None) {
        Ok(Forked::Child) => child(&stdin, &report_w, &path, &argv, &env),
        Ok(Forked::Parent { pid, pidfd }) => (pid, pidfd),
        Err(e) => return Err(Error::sys("clone3", e)),
    };
    drop(stdin);
    drop(report_w);
    let timeout = h.timeout.filter(|&t| t > 0).map(|t| t as u64);
    let outcome = wait(pid, pidfd.as_ref(), timeout).map_err(|e| Error::sys("wait", e))?;
    if let Some(e) = exec_error(&report_r) {
        return Err(fail("exec", 0).with_errno(e));
    }
    match outcome {
        Outcome::Exited(0) => Ok(()),
        Outcome::Exited(n) => Err(fail("exit status {}", n as u64)),
        Outcome::Signaled(n) => Err(fail("killed by signal {}", n as u64)),
        Outcome::TimedOut(s) => Err(fail("timed out after {}s", s)),
    }
}

/// A CLOEXEC pipe whose buffer already holds all of `state` (grown with F_SETPIPE_SZ when
/// needed); returns the read end.
fn state_pipe(state: &[u8]) -> Result<OwnedFd> {
    use rustix::pipe::{fcntl_getpipe_size, fcntl_setpipe_size, pipe_with, PipeFlags};
    let (r, w) = pipe_with(PipeFlags::CLOEXEC).map_err(|e| Error::sys("pipe", e))?;
    let size = fcntl_getpipe_size(&w).map_err(|e| Error::sys("fcntl F_GETPIPE_SZ", e))?;
    if size < state.len() {
        fcntl_setpipe_size(&w, state.len()).map_err(|e| {
            Error::sys("fcntl F_SETPIPE_SZ", e).path(b"state JSON for the hook's stdin")
        })?;
    }
    // It fits in the pipe's buffer now, so this cannot block.
    crate::out::write_all(&w, state).map_err(|e| Error::sys("write", e))?;
    Ok(r)
}

/// In the hook's process: stdin from the state pipe, no signal blocked, every other fd
/// above 2 CLOEXEC, then execve. On failure the errno goes to `report` and the process
/// exits 127. Only raw syscalls here: no allocation, no lock.
fn child(stdin: &OwnedFd, report: &OwnedFd, path: &CPath, argv: &HookVec, env: &HookVec) -> ! {
    let e = match rustix::stdio::dup2_stdin(stdin) {
        Err(e) => e,
        Ok(()) => {
            let _ = crate::sys::process::set_sigmask(crate::sys::process::SigMask(0));
            let _ = crate::linux::process::cloexec_from(3);
            crate::sys::exec::execve(path.as_cstr(), argv, env)
        }
    };
    let _ = rustix::io::write(report, &e.raw_os_error().to_ne_bytes());
    crate::sys::exit(127)
}

/// The errno the child reported, if its execve failed (nothing: it succeeded).
fn exec_error(r: &OwnedFd) -> Option<Errno> {
    let mut b = [0u8; 4];
    match rustix::io::read(r, &mut b) {
        Ok(4) => Some(Errno::from_raw_os_error(i32::from_ne_bytes(b))),
        _ => None,
    }
}

/// Reap `pid`, killing it with SIGKILL when `timeout` seconds pass first. With a pidfd the
/// wait is poll(2) on it; without (kernels before 5.3), WNOHANG polling every 10 ms.
fn wait(pid: Pid, pidfd: Option<&OwnedFd>, timeout: Option<u64>) -> Result<Outcome, Errno> {
    use rustix::event::{poll, PollFd, PollFlags};
    use rustix::time::{clock_gettime, ClockId, Timespec};
    let now_ns = || {
        let t = clock_gettime(ClockId::Monotonic);
        (t.tv_sec as u64).saturating_mul(1_000_000_000) + t.tv_nsec as u64
    };
    let deadline = timeout.map(|s| now_ns().saturating_add(s.saturating_mul(1_000_000_000)));
    loop {
        let left = deadline.map(|d| d.saturating_sub(now_ns()));
        if let Some(st) = reap(pid, WaitOptions::NOHANG)? {
            return Ok(st);
        }
        if left == Some(0) {
            let killed = match pidfd {
                Some(fd) => rustix::process::pidfd_send_signal(fd, Signal::KILL),
                None => rustix::process::kill_process(pid, Signal::KILL),
            };
            // ESRCH: it ended just now; the reap below still collects it.
            if let Err(e) = killed {
                if e != Errno::SRCH {
                    return Err(e);
                }
            }
            reap(pid, WaitOptions::empty())?;
            return Ok(Outcome::TimedOut(timeout.unwrap_or(0)));
        }
        let step = |ns: u64| Timespec {
            tv_sec: (ns / 1_000_000_000) as _,
            tv_nsec: (ns % 1_000_000_000) as _,
        };
        match pidfd {
            Some(fd) => {
                let mut fds = [PollFd::new(fd, PollFlags::IN)];
                let ts = left.map(step);
                match poll(&mut fds, ts.as_ref()) {
                    Ok(_) | Err(Errno::INTR) => {}
                    Err(e) => return Err(e),
                }
            }
            None => {
                let _ = rustix::thread::nanosleep(&step(left.unwrap_or(u64::MAX).min(10_000_000)));
            }
        }
    }
}

/// waitpid(pid): Some(outcome) once it has ended.
fn reap(pid: Pid, opts: WaitOptions) -> Result<Option<Outcome>, Errno> {
    loop {
        match rustix::process::waitpid(Some(pid), opts) {
            Ok(None) => return Ok(None),
            Ok(Some((_, st))) => {
                if let Some(c) = st.exit_status() {
                    return Ok(Some(Outcome::Exited(c)));
                }
                if let Some(s) = st.terminating_signal() {
                    return Ok(Some(Outcome::Signaled(s)));
                }
                // Stopped or continued: not an end (WUNTRACED is not asked, but be safe).
                if opts.contains(WaitOptions::NOHANG) {
                    return Ok(None);
                }
            }
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_config_keys() {
        for k in [
            HookKind::Prestart,
            HookKind::CreateRuntime,
            HookKind::CreateContainer,
            HookKind::StartContainer,
            HookKind::Poststart,
            HookKind::Poststop,
        ] {
            assert_eq!(k.ctx(), ["hook ", k.name(), "[]"].concat());
        }
    }
}
