//! `delete [--force] ID`: remove a stopped (or never-started) container's state and its
//! cgroup (killing what is left in it); with --force, kill a running one first. Then the
//! poststop hooks (failures only warn). A create killed half-way (status `creating`) is
//! removed the same way: its state.json names its cgroup and, once cloned, its pid (a
//! cgroup named before it was made is removed only if empty).
//! `delete --force` of an id that does not exist succeeds, as callers' cleanup paths
//! expect. Runs in the runtime.

use crate::error::{Error, Kind, Result};
use crate::linux::hooks::HookKind;
use crate::state::file::{self, Status};
use crate::state::{id, live_status, Store};
use rustix::io::Errno;

/// How long delete waits for a killed container process to die.
const KILL_WAIT_MS: i64 = 10_000;

pub fn delete(root: &[u8], id: &str, force: bool) -> Result<()> {
    let id = id::check(id.as_bytes())?;
    let gone = |e: Error| {
        if force && e.kind == Kind::State {
            Ok(())
        } else {
            Err(e)
        }
    };
    let store = match Store::open(root, false) {
        Ok(s) => s,
        Err(e) => return gone(e),
    };
    let entry = match store.get(id) {
        Ok(e) => e,
        Err(e) => return gone(e),
    };
    let mut buf = [0u8; file::STATE_MAX_BYTES];
    let raw = match entry.read(&mut buf) {
        Ok(r) => r,
        // A directory without state is a create that crashed half-way: remove it.
        Err(e) if e.kind == Kind::State => return entry.remove(),
        Err(e) => return Err(e),
    };
    let st = file::parse(raw)?;
    let status = live_status(&st);
    if !super::can_delete(status) && !force {
        return Err(
            Error::state("cannot delete a container that is not stopped (use --force)")
                .value(status.as_str().as_bytes()),
        );
    }
    // A `creating` record is a create that was killed half-way: its pid (0 before the
    // clone) is checked like any other against its start time before it is killed.
    let alive = st.pid > 0 && crate::state::process_start(st.pid) == Some(st.pid_start);
    if status != Status::Stopped && alive {
        kill_and_wait(st.pid)?;
    }
    // What is left in the cgroup (a container without its own pid namespace can leave
    // processes behind) is killed with it.
    if let Some(cg) = super::cgroup_of(&st) {
        cg.destroy()?;
    }
    if st.cgroup_pending {
        // Named before it was made (a create killed then): removed if it is empty; one
        // holding processes may have existed before, another's, and is left alone.
        let mut b = [0u8; crate::cpath::PATH_MAX];
        let p = file::unescape(st.cgroup_path, &mut b)?;
        let p = crate::cpath::CPath::from(p.as_bytes(), "cgroup")?;
        match rustix::fs::rmdir(p.as_cstr()) {
            Ok(()) | Err(Errno::NOENT | Errno::BUSY) => {}
            Err(e) => return Err(Error::sys("rmdir cgroup", e).path(p.as_bytes())),
        }
    }
    entry.remove()?;
    super::bundle::hooks_after(&st, HookKind::Poststop, "stopped");
    Ok(())
}

/// SIGKILL the container's init (its pid namespace dies with it) and wait until it is gone
/// (a zombie counts as gone: its reaper is the caller's subreaper, not us).
fn kill_and_wait(pid: i32) -> Result<()> {
    use rustix::event::{poll, PollFd, PollFlags};
    let Some(p) = rustix::process::Pid::from_raw(pid) else {
        return Ok(());
    };
    match rustix::process::pidfd_open(p, rustix::process::PidfdFlags::empty()) {
        Ok(fd) => {
            let _ = crate::sys::process::pidfd_send_signal(&fd, 9);
            let ts = rustix::time::Timespec {
                tv_sec: KILL_WAIT_MS / 1000,
                tv_nsec: 0,
            };
            let mut fds = [PollFd::new(&fd, PollFlags::IN)];
            match poll(&mut fds, Some(&ts)) {
                Ok(0) => Err(Error::state("container process did not die after SIGKILL")),
                _ => Ok(()),
            }
        }
        Err(rustix::io::Errno::SRCH) => Ok(()),
        Err(_) => {
            let _ = crate::sys::process::kill(pid, 9);
            for _ in 0..KILL_WAIT_MS / 10 {
                if crate::state::process_start(pid).is_none() {
                    return Ok(());
                }
                let _ = rustix::thread::nanosleep(&rustix::time::Timespec {
                    tv_sec: 0,
                    tv_nsec: 10_000_000,
                });
            }
            Err(Error::state("container process did not die after SIGKILL"))
        }
    }
}
