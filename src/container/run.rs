//! `run`: create + start; without --detach, wait for the container's init, forwarding
//! the signals husk receives to it, then delete the container (unless --keep) and exit
//! with the init's status (128+N when killed by signal N). Runs in the runtime, which is
//! the container process's parent, so it can reap it. With `process.terminal` and no
//! `--detach`, husk relays the terminal itself in the same loop (`console::relay`):
//! SIGWINCH then resizes the container's terminal instead of being forwarded.

use super::create::{create, CreateOpts};
use crate::error::{Error, Result};
use crate::linux::console::relay::Relay;
use crate::sys::process::{read_signal, sig_bit, signalfd, swap_sigmask, SigMask};
use rustix::event::{poll, PollFd, PollFlags};
use rustix::process::{waitpid, Pid, WaitOptions, WaitStatus};

/// Signals that stay with husk: faults are about husk itself; SIGKILL/SIGSTOP cannot be
/// caught anyway.
const NOT_FORWARDED: &[i32] = &[4, 5, 7, 8, 9, 11, 19, 31];
/// Window size changed (relayed as a resize, with a terminal).
const SIGWINCH: i32 = 28;

fn forwarded_set() -> SigMask {
    let mut set = 0u64;
    for s in 1..=64 {
        if !NOT_FORWARDED.contains(&s) && !(32..34).contains(&s) {
            set |= sig_bit(s);
        }
    }
    SigMask(set)
}

/// Block the signals husk forwards (before a clone, so none sent between the clone and
/// the wait is lost; the new process clears the mask for itself). Returns the old mask.
pub fn block_forwarded() -> Result<SigMask> {
    swap_sigmask(forwarded_set()).map_err(|e| Error::sys("sigprocmask", e))
}

/// A signalfd for the forwarded signals (and SIGCHLD).
pub fn forwarded_signalfd() -> Result<rustix::fd::OwnedFd> {
    signalfd(forwarded_set()).map_err(|e| Error::sys("signalfd", e))
}

/// Forward every signal read from `sfd` to `pid` until it exits (reaping it, it only);
/// returns its exit code. With `relay`, its terminal is relayed meanwhile (SIGWINCH
/// resizes it rather than being forwarded) and what the terminal still holds after the
/// exit is copied out.
pub fn forward_until_exit(
    sfd: &rustix::fd::OwnedFd,
    pid: Pid,
    mut relay: Option<&mut Relay>,
) -> Result<i32> {
    use rustix::fd::AsFd;
    loop {
        let ready = match relay.as_deref_mut() {
            Some(r) => r.poll_with(sfd.as_fd())?,
            None => {
                let mut fds = [PollFd::new(sfd, PollFlags::IN)];
                match poll(&mut fds, None) {
                    Ok(_) | Err(rustix::io::Errno::INTR) => {}
                    Err(e) => return Err(Error::sys("poll", e)),
                }
                true
            }
        };
        if !ready {
            continue;
        }
        let Ok(sig) = read_signal(sfd) else { continue };
        if sig == 17 {
            // SIGCHLD: is it ours?
            if let Ok(Some((_, st))) = waitpid(Some(pid), WaitOptions::NOHANG) {
                if let Some(n) = exit_code(st) {
                    if let Some(r) = relay {
                        r.finish();
                    }
                    return Ok(n);
                }
            }
        } else if let (SIGWINCH, Some(r)) = (sig, relay.as_deref()) {
            r.resize();
        } else {
            let _ = super::kill::signal(pid.as_raw_nonzero().get(), sig);
        }
    }
}

pub fn run(root: &[u8], id: &str, o: &CreateOpts<'_>, detach: bool, keep: bool) -> Result<i32> {
    let old = if detach {
        None
    } else {
        Some(block_forwarded()?)
    };
    let result = run_inner(root, id, o, detach, keep);
    if let Some(old) = old {
        let _ = swap_sigmask(old);
    }
    result
}

fn run_inner(root: &[u8], id: &str, o: &CreateOpts<'_>, detach: bool, keep: bool) -> Result<i32> {
    let sfd = if detach {
        None
    } else {
        Some(forwarded_signalfd()?)
    };
    let mut c = create(root, id, o)?;
    // Raw mode and the window size are in place before the program starts.
    let mut relay = match c.console.take().map(Relay::new).transpose() {
        Ok(r) => r,
        Err(e) => {
            let _ = super::delete::delete(root, id, true);
            return Err(e);
        }
    };
    if let Err(e) = super::start::start(root, id) {
        drop(relay);
        let _ = super::delete::delete(root, id, true);
        return Err(e);
    }
    if detach {
        return Ok(0);
    }
    let Some(sfd) = sfd else { return Ok(0) };
    let code = forward_until_exit(&sfd, c.pid, relay.as_mut())?;
    // The caller's terminal is itself again before anything else is printed.
    drop(relay);
    if !keep {
        super::delete::delete(root, id, true)?;
    }
    Ok(code)
}

/// The exit code of a wait status (128+N when killed by signal N); None for a stop.
pub fn exit_code(st: WaitStatus) -> Option<i32> {
    st.exit_status()
        .or_else(|| st.terminating_signal().map(|s| 128 + s))
}

/// Block until the container process `pid` ends and reap it, it only: any other child of
/// the caller (orphans reparented to husk as PID 1) is left for the caller's own reaping.
pub fn wait_for(pid: Pid) -> Result<i32> {
    loop {
        match waitpid(Some(pid), WaitOptions::empty()) {
            Ok(Some((_, st))) => {
                if let Some(n) = exit_code(st) {
                    return Ok(n);
                }
            }
            Ok(None) | Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(Error::sys("waitpid", e)),
        }
    }
}
