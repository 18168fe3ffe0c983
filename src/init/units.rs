//! The bundle table: every subdirectory of the bundles directory, in name order, with its
//! policy read from config.json (fully parsed and validated, as `create` will) and its
//! dependencies resolved to table indices. A bundle that cannot be read, or whose policy
//! is wrong, is kept in the table as [`State::Invalid`] with its error: it is reported and
//! never run.

use super::limits::{BUNDLES_MAX, NAME_MAX};
use super::order::Deps;
use super::output::{Lines, LogFile};
use super::policy::{Name, Policy, Stage, PREFIX};
use crate::cpath::CPath;
use crate::{Error, Result};
use core::ffi::CStr;
use rustix::fd::OwnedFd;
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;
use rustix::process::Pid;

/// Where a bundle is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Its config or policy is wrong: never run.
    Invalid,
    /// Not started yet.
    Pending,
    /// A service not started yet because a service it depends on has not started yet
    /// (its first tries failed and it waits to try again); see [`dep_state`].
    Waiting,
    Running,
    /// Ended; starts again at `due_ms`.
    Backoff,
    /// The stop signal was sent at shutdown; SIGKILL at `due_ms` unless `killed` already.
    Stopping {
        killed: bool,
    },
    /// Ended for good with this status (0 success, 128+N killed by signal N).
    Exited(i32),
    /// Could not be started (create failed, or a dependency never started).
    Failed,
}

/// A running container process and the read ends of its output pipes.
pub struct Proc {
    pub pid: Pid,
    pub pidfd: Option<OwnedFd>,
    pub stdout: Option<OwnedFd>,
    pub stderr: Option<OwnedFd>,
}

pub struct Unit {
    pub name: Name,
    pub policy: Policy,
    pub deps: Deps,
    pub state: State,
    /// Why it is Invalid or Failed.
    pub error: Option<Error>,
    pub proc: Option<Proc>,
    /// Unfinished stdout and stderr lines (their bytes are in the machine's line buffers).
    pub out_lines: Lines,
    pub err_lines: Lines,
    pub log: LogFile,
    /// Restarts in a row (reset by a long run), and over the boot.
    pub restarts: u32,
    pub total_restarts: u32,
    pub started_ms: u64,
    pub due_ms: u64,
}

impl Unit {
    fn new(name: &str, stop_timeout_ms: u32) -> Unit {
        let mut n = Name::new();
        let _ = n.push_str(name);
        Unit {
            name: n,
            policy: Policy::new(stop_timeout_ms),
            deps: Deps::new(),
            state: State::Pending,
            error: None,
            proc: None,
            out_lines: Lines::default(),
            err_lines: Lines::default(),
            log: LogFile::default(),
            restarts: 0,
            total_restarts: 0,
            started_ms: 0,
            due_ms: 0,
        }
    }

    fn invalid(&mut self, e: Error) {
        self.state = State::Invalid;
        self.error = Some(e);
    }

    /// Running or on its way down: it still has a process.
    pub fn active(&self) -> bool {
        matches!(self.state, State::Running | State::Stopping { .. })
    }

    pub fn is_service(&self) -> bool {
        self.policy.stage == Stage::Service
    }

    /// Whether its container has been started at least once (`started_ms` is set at each
    /// start, from a clock that is past 0 by the time PID 1 runs).
    pub fn has_run(&self) -> bool {
        self.started_ms != 0
    }
}

/// What service `i`'s `org.husk.depends-on` lets it do now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DepState {
    Ready,
    /// Dependency `.0` has not started yet: wait for it.
    Wait(u8),
    /// Dependency `.0` will never start (failed for good, or invalid): neither will this.
    Dead(u8),
}

/// A service starts after the services it depends on have started: once each has run
/// (whatever it did since: exited, restarting), as systemd's After= orders start jobs. A
/// dependency that failed for good or is invalid keeps it from starting; one that has not
/// run yet (its create failed and it will try again) makes it wait. Dependencies on
/// onboot bundles hold by construction: those all ran before any service.
pub fn dep_state(units: &[Unit], i: usize) -> DepState {
    let mut wait = None;
    for &d in units.get(i).map(|u| u.deps.as_slice()).unwrap_or(&[]) {
        let Some(u) = units.get(d as usize).filter(|u| u.is_service()) else {
            continue;
        };
        match u.state {
            State::Failed | State::Invalid => return DepState::Dead(d),
            _ if !u.has_run() => {
                wait.get_or_insert(d);
            }
            _ => {}
        }
    }
    wait.map_or(DepState::Ready, DepState::Wait)
}

pub type Units = heapless::Vec<Unit, BUNDLES_MAX>;

/// Why bundles were left out of the table (over the capacities), for one error each.
#[derive(Default)]
pub struct Skipped {
    pub too_many: u32,
    pub long_name: Option<(usize, [u8; 96], usize)>,
}

/// Read the bundles directory `dir` into `units` (sorted by name). A missing directory is
/// an empty table.
pub fn load(dir: &[u8], stop_timeout_ms: u32, units: &mut Units) -> Result<Skipped> {
    let mut skipped = Skipped::default();
    let d = CPath::from(dir, "husk.bundles")?;
    list(d.as_cstr(), stop_timeout_ms, units, &mut skipped).map_err(|e| match e {
        e if e == Errno::NOENT => Error::sys("open bundles directory", e).path(dir),
        e => Error::sys("read bundles directory", e).path(dir),
    })?;
    for u in units.iter_mut() {
        if let Err(e) = read_policy(dir, u) {
            u.invalid(e);
        }
    }
    resolve(units);
    Ok(skipped)
}

/// The subdirectories of `dir` (hidden ones skipped), inserted in name order.
fn list(
    dir: &CStr,
    stop_timeout_ms: u32,
    units: &mut Units,
    skipped: &mut Skipped,
) -> core::result::Result<(), Errno> {
    let fd = rustix::fs::open(
        dir,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let mut dbuf = [core::mem::MaybeUninit::<u8>::uninit(); 2048];
    let mut it = rustix::fs::RawDir::new(&fd, &mut dbuf);
    while let Some(ent) = it.next() {
        let ent = ent?;
        let n = ent.file_name().to_bytes();
        if n.starts_with(b".") || !is_dir(&fd, &ent) {
            continue;
        }
        let Some(name) = core::str::from_utf8(n).ok().filter(|s| s.len() <= NAME_MAX) else {
            if skipped.long_name.is_none() {
                let mut b = [0u8; 96];
                let k = n.len().min(b.len());
                b[..k].copy_from_slice(&n[..k]);
                skipped.long_name = Some((n.len(), b, k));
            }
            continue;
        };
        if units.is_full() {
            // Keep the first BUNDLES_MAX in name order: drop the last if `name` sorts before.
            match units.last() {
                Some(l) if name < l.name.as_str() => {
                    units.pop();
                    skipped.too_many += 1;
                }
                _ => {
                    skipped.too_many += 1;
                    continue;
                }
            }
        }
        let at = units
            .iter()
            .position(|u| name < u.name.as_str())
            .unwrap_or(units.len());
        let _ = units.insert(at, Unit::new(name, stop_timeout_ms));
    }
    Ok(())
}

fn is_dir(fd: &OwnedFd, ent: &rustix::fs::RawDirEntry<'_>) -> bool {
    match ent.file_type() {
        rustix::fs::FileType::Directory => true,
        rustix::fs::FileType::Unknown => {
            rustix::fs::statat(fd, ent.file_name(), rustix::fs::AtFlags::empty()).is_ok_and(|s| {
                rustix::fs::FileType::from_raw_mode(s.st_mode) == rustix::fs::FileType::Directory
            })
        }
        _ => false,
    }
}

/// The bundle's config.json, parsed and validated, and its `org.husk.*` annotations.
fn read_policy(dir: &[u8], u: &mut Unit) -> Result<()> {
    crate::state::id::check(u.name.as_bytes())?;
    let mut path = CPath::from(dir, "bundle")?;
    path.join(u.name.as_bytes(), "bundle")?;
    let mut bundle = crate::container::bundle::Bundle::read(path.as_bytes())?;
    let spec = bundle.spec()?;
    let mut kbuf = [0u8; 128];
    let mut vbuf = [0u8; 1024];
    for entry in spec.annotations.iter() {
        let (k, v) = entry?;
        if !k.starts_with(PREFIX) {
            continue;
        }
        if v.decoded_len() > vbuf.len() {
            return Err(Error::capacity(
                "annotations",
                v.decoded_len() as u64,
                vbuf.len() as u64,
                "bytes of a husk annotation",
            )
            .value(k.raw().as_bytes()));
        }
        let key = k.decode_into(&mut kbuf)?;
        let value = v.decode_into(&mut vbuf)?;
        u.policy.set(key, value)?;
    }
    u.policy.check(u.name.as_str())
}

/// Turn each service's `depends-on` names into table indices; an unknown name makes the
/// bundle invalid. Names of onboot bundles are kept (they are done before any service
/// starts, so they order nothing).
fn resolve(units: &mut Units) {
    for i in 0..units.len() {
        let mut deps = Deps::new();
        let mut err = None;
        for d in units[i].policy.depends_on.iter() {
            match units.iter().position(|u| u.name == *d) {
                Some(j) => {
                    let _ = deps.push(j as u8);
                }
                None => {
                    err.get_or_insert(
                        Error::spec(
                            "annotations[\"org.husk.depends-on\"]",
                            "names no bundle in the bundles directory",
                        )
                        .value(d.as_bytes()),
                    );
                }
            }
        }
        let u = &mut units[i];
        u.deps = deps;
        if let (Some(e), State::Pending) = (err, u.state) {
            u.invalid(e);
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A bundle table of (state, started_ms, dependencies) rows (also supervise.rs's tests).
    pub(in crate::init) fn table(states: &[(State, u64, &[u8])]) -> Units {
        let mut t = Units::new();
        for (k, (st, started, deps)) in states.iter().enumerate() {
            let mut u = Unit::new(&format!("s{k}"), 1000);
            u.state = *st;
            u.started_ms = *started;
            for &d in deps.iter() {
                u.deps.push(d).unwrap();
            }
            let _ = t.push(u);
        }
        t
    }

    #[test]
    fn services_start_after_their_dependencies_have() {
        use DepState::*;
        // 0 running; 1 restarting after a run; 2 exited; 3 backing off, never ran (its
        // create failed); 4 failed for good; 5 invalid; 6 waiting itself
        let t = table(&[
            (State::Running, 10, &[]),
            (State::Backoff, 10, &[]),
            (State::Exited(0), 10, &[]),
            (State::Backoff, 0, &[]),
            (State::Failed, 0, &[]),
            (State::Invalid, 0, &[]),
            (State::Waiting, 0, &[3]),
            (State::Pending, 0, &[0, 1, 2]),
            (State::Pending, 0, &[0, 3]),
            (State::Pending, 0, &[6]),
            (State::Pending, 0, &[3, 4]),
            (State::Pending, 0, &[5]),
            (State::Pending, 0, &[]),
        ]);
        assert_eq!(dep_state(&t, 7), Ready);
        assert_eq!(dep_state(&t, 8), Wait(3));
        assert_eq!(dep_state(&t, 9), Wait(6));
        // a dead dependency wins over one to wait for
        assert_eq!(dep_state(&t, 10), Dead(4));
        assert_eq!(dep_state(&t, 11), Dead(5));
        assert_eq!(dep_state(&t, 12), Ready);
        assert_eq!(dep_state(&t, 99), Ready);
    }

    #[test]
    fn onboot_dependencies_hold_by_construction() {
        let mut t = table(&[(State::Failed, 0, &[]), (State::Pending, 0, &[0])]);
        t[0].policy.stage = Stage::Onboot;
        assert_eq!(dep_state(&t, 1), DepState::Ready);
    }
}
