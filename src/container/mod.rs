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

use crate::state::file::{self, Status};

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
}
