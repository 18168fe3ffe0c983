//! Containers: one file per verb (create, start, run, kill, delete, ps), the container
//! process's own code (`child`), the messages between them (`sync`), and the status rules
//! every verb checks first.
//!
//! The processes, named once: the *runtime* is the husk process running a command; the
//! *container process* is what it clones (clone3, no re-exec of husk), which builds the
//! container, waits for `start` on the exec FIFO, then execs the user's program.

pub mod bundle;
pub mod child;
pub mod create;
pub mod delete;
pub mod events;
pub mod exec;
pub mod exec_process;
pub mod kill;
pub mod pause;
pub mod ps;
pub mod run;
pub mod start;
pub mod sync;
pub mod update;

use crate::error::{Error, Result};
use crate::state::file::{self, Status};
use crate::state::{live_status, Entry, Store};

/// The container's cgroup, if it has one (and it still exists). A pending one (named
/// before it was made) is not known to be the container's: none.
pub fn cgroup_of(st: &file::StateFile<'_>) -> Option<crate::linux::cgroups::Cgroup> {
    if st.cgroup_path.is_empty() || st.cgroup_pending {
        return None;
    }
    let mut b = [0u8; crate::cpath::PATH_MAX];
    let p = file::unescape(st.cgroup_path, &mut b).ok()?;
    crate::linux::cgroups::Cgroup::open(p.as_bytes()).ok()
}

/// Call `f` with every host pid of the container: its cgroup's cgroup.procs, or without
/// a cgroup, every process of its pid namespace (see [`ps::for_each_pid`]).
pub fn for_each_pid(st: &file::StateFile<'_>, f: &mut dyn FnMut(i32)) -> crate::Result<()> {
    match cgroup_of(st) {
        Some(cg) => cg.for_each_pid(f),
        None => ps::for_each_pid(st.pid, f),
    }
}

/// `start` is allowed only on a created container (runtime-spec).
pub fn can_start(s: Status) -> bool {
    s == Status::Created
}

/// Signals reach created, running and paused containers (runc).
pub fn can_kill(s: Status) -> bool {
    matches!(s, Status::Created | Status::Running | Status::Paused)
}

/// Without --force, only stopped containers are deleted; a created one is killed first,
/// as runc does (it never ran the user's program).
pub fn can_delete(s: Status) -> bool {
    matches!(s, Status::Stopped | Status::Created | Status::Creating)
}

/// The verbs that act on an existing container, each refusing some statuses in runc's
/// words (callers and tests match them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Start,
    Pause,
    Resume,
    Kill,
    Exec {
        ignore_paused: bool,
    },
    /// `update` and `events`: anything but a stopped container.
    Live,
    /// `ps`: any status (a stopped container has an empty list).
    Any,
}

impl Verb {
    /// Whether the verb acts on a container in `status`; if not, runc's error.
    pub fn check(self, status: Status) -> Result<()> {
        let refused = |what: &'static str| Err(Error::state(what));
        match (self, status) {
            (Verb::Start, s) if can_start(s) => Ok(()),
            (Verb::Start, Status::Stopped) => refused("cannot start a container that has stopped"),
            (Verb::Start, _) => refused("cannot start an already running container"),
            (Verb::Pause, Status::Running) | (Verb::Resume, Status::Paused) => Ok(()),
            (Verb::Pause, s) => {
                Err(Error::state("container not running").value(s.as_str().as_bytes()))
            }
            (Verb::Resume, s) => {
                Err(Error::state("container not paused").value(s.as_str().as_bytes()))
            }
            (Verb::Kill, s) if can_kill(s) => Ok(()),
            (Verb::Kill, _) | (Verb::Live, Status::Stopped) => refused("container not running"),
            (Verb::Exec { .. }, Status::Running | Status::Created) => Ok(()),
            (Verb::Exec { ignore_paused }, Status::Paused) if ignore_paused => Ok(()),
            (Verb::Exec { .. }, Status::Paused) => {
                refused("cannot exec in a paused container (use --ignore-paused to override)")
            }
            (Verb::Exec { .. }, Status::Stopped) => refused("cannot exec in a stopped container"),
            (Verb::Exec { .. }, Status::Creating) => {
                refused("cannot exec in a container being created")
            }
            (Verb::Live | Verb::Any, _) => Ok(()),
        }
    }
}

/// A container's record as a verb finds it.
pub struct Loaded<'s> {
    /// The container's directory, locked while this lives (drop it to let other
    /// commands on the id run).
    pub entry: Entry<'s>,
    /// state.json as read (`start` and `pause` copy its annotations from here).
    pub raw: &'s [u8],
    pub st: file::StateFile<'s>,
    /// The status it really has now ([`live_status`]).
    pub status: Status,
}

/// Lock container `id`, read its state.json into `buf`, and check that `verb` acts on it.
pub fn load<'s>(
    store: &'s Store,
    id: &'s str,
    buf: &'s mut [u8],
    verb: Verb,
) -> Result<Loaded<'s>> {
    let entry = store.get(id)?;
    let raw = entry.read(buf)?;
    let st = file::parse(raw)?;
    let status = live_status(&st);
    verb.check(status)?;
    Ok(Loaded {
        entry,
        raw,
        st,
        status,
    })
}

/// Name of the FIFO in the container's state directory: the container process waits on
/// its read end; `start` writes one byte.
pub const EXEC_FIFO: &str = "exec.fifo";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions() {
        use Status::*;
        let all = [Creating, Created, Running, Stopped, Paused];
        let start: [bool; 5] = all.map(can_start);
        assert_eq!(start, [false, true, false, false, false]);
        assert_eq!(all.map(can_kill), [false, true, true, false, true]);
        assert_eq!(all.map(can_delete), [true, true, false, true, false]);
    }

    #[test]
    fn verbs_refuse_in_runcs_words() {
        extern crate std;
        use std::string::ToString;
        use Status::*;
        let all = [Creating, Created, Running, Stopped, Paused];
        let words = |v: Verb| all.map(|s| v.check(s).err().map(|e| e.to_string()));
        let ok = None;
        let no = |t: &str| Some(t.to_string());
        let started = no("cannot start an already running container");
        assert_eq!(
            words(Verb::Start),
            [
                started.clone(),
                ok.clone(),
                started.clone(),
                no("cannot start a container that has stopped"),
                started
            ]
        );
        let not = |w: &str, s: &str| no(&std::format!("container not {w} \"{s}\""));
        assert_eq!(
            words(Verb::Pause),
            [
                not("running", "creating"),
                not("running", "created"),
                ok.clone(),
                not("running", "stopped"),
                not("running", "paused")
            ]
        );
        assert_eq!(
            words(Verb::Resume),
            [
                not("paused", "creating"),
                not("paused", "created"),
                not("paused", "running"),
                not("paused", "stopped"),
                ok.clone()
            ]
        );
        let dead = no("container not running");
        assert_eq!(
            words(Verb::Kill),
            [
                dead.clone(),
                ok.clone(),
                ok.clone(),
                dead.clone(),
                ok.clone()
            ]
        );
        assert_eq!(
            words(Verb::Live),
            [ok.clone(), ok.clone(), ok.clone(), dead, ok.clone()]
        );
        assert_eq!(
            words(Verb::Any),
            [ok.clone(), ok.clone(), ok.clone(), ok.clone(), ok.clone()]
        );
        let exec = [
            no("cannot exec in a container being created"),
            ok.clone(),
            ok.clone(),
            no("cannot exec in a stopped container"),
            no("cannot exec in a paused container (use --ignore-paused to override)"),
        ];
        assert_eq!(
            words(Verb::Exec {
                ignore_paused: false
            }),
            exec
        );
        let mut ignoring = exec;
        ignoring[4] = ok;
        assert_eq!(
            words(Verb::Exec {
                ignore_paused: true
            }),
            ignoring
        );
    }
}
