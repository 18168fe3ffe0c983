//! Shared by the supervisor and the built-in checks: the state root, a forked helper whose
//! stdout is captured ([`run_captured`], the checks), and the test protocol's result line
//! ([`report`]: `HUSK-RESULT <name> exit=<code> <stdout on one line>`).

use super::Tally;
use crate::out::{json_escape, Buf};
use crate::sys::clone::{fork, Forked};
use crate::sys::process::SigMask;
use crate::sys::Errno;
use crate::Error;
use core::fmt::Write;

/// The containers' state root (`--root`): a directory on the /run tmpfs.
pub const STATE_ROOT: &[u8] = b"/run/husk";
/// Bytes of what husk logged while creating a container, kept for its result line.
pub const LOG_MAX: usize = 2048;

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
/// return is the exit code); in the parent collect the output until EOF and wait for that
/// child only (anything else is left to the supervisor's reaping).
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
        match rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty()) {
            Ok(Some((_, st))) => {
                o.code = match (st.exit_status(), st.terminating_signal()) {
                    (Some(c), _) => c,
                    (None, Some(s)) => 128 + s,
                    _ => -1,
                };
                break;
            }
            Ok(None) | Err(Errno::INTR) => {}
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
    report_parts(
        name,
        o.code,
        o.error.as_ref(),
        o.log.as_bytes(),
        o.out.as_bytes(),
        o.out.truncated(),
        check,
        tally,
    );
}

/// [`report`] from its parts: `error` with `log` (what husk logged meanwhile) replaces the
/// output `out` by `{"husk_error":"<error>; <log lines>"}`.
#[allow(clippy::too_many_arguments)]
pub fn report_parts(
    name: &[u8],
    code: i32,
    error: Option<&Error>,
    log: &[u8],
    out: &[u8],
    cut: bool,
    check: bool,
    tally: &mut Tally,
) {
    let mut b = Buf::<{ OUTPUT_MAX + 512 }>::new();
    let _ = b.write_str("HUSK-RESULT ");
    b.push_bytes(name);
    let _ = write!(b, " exit={} ", code);
    let text = out.trim_ascii();
    let failed = error.is_some() || text.starts_with(b"{\"husk_error\"") || (check && code != 0);
    match error {
        Some(e) => {
            let _ = b.write_str("{\"husk_error\":\"");
            let t = super::start::joined(e, log);
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
            if cut {
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
