//! `pause ID` / `resume ID`: freeze or thaw every process of the container through its
//! cgroup's cgroup.freeze (waiting for cgroup.events to say `frozen 1`/`0`), and record
//! `paused`/`running` in state.json. A container without a cgroup cannot be paused.

use super::Verb;
use crate::error::{Error, Result};
use crate::state::file::{self, Status};
use crate::state::{id, Store};

pub fn pause(root: &[u8], id: &str, on: bool) -> Result<()> {
    let id = id::check(id.as_bytes())?;
    let store = Store::open(root, false)?;
    let mut buf = [0u8; file::STATE_MAX_BYTES];
    let verb = if on { Verb::Pause } else { Verb::Resume };
    let c = super::load(&store, id, &mut buf, verb)?;
    let cg = super::cgroup_of(&c.st)
        .ok_or(Error::state("container has no cgroup: it cannot be frozen"))?;
    cg.freeze(on)?;
    let annotations = file::annotations_raw(c.raw);
    let next = if on { Status::Paused } else { Status::Running };
    c.entry.write(&c.st.with_status(next, annotations))
}
