//! `pause ID` / `resume ID`: freeze or thaw every process of the container through its
//! cgroup's cgroup.freeze (waiting for cgroup.events to say `frozen 1`/`0`), and record
//! `paused`/`running` in state.json. A container without a cgroup cannot be paused.

use crate::error::{Error, Result};
use crate::state::file::{self, Status};
use crate::state::{id, live_status, Store};

pub fn pause(root: &[u8], id: &str, on: bool) -> Result<()> {
    let id = id::check(id.as_bytes())?;
    let store = Store::open(root, false)?;
    let entry = store.get(id)?;
    let mut buf = [0u8; file::STATE_MAX_BYTES];
    let raw = entry.read(&mut buf)?;
    let st = file::parse(raw)?;
    let status = live_status(&st);
    match (on, status) {
        (true, Status::Running) | (false, Status::Paused) => {}
        (true, _) => {
            return Err(Error::state("container not running").value(status.as_str().as_bytes()))
        }
        (false, _) => {
            return Err(Error::state("container not paused").value(status.as_str().as_bytes()))
        }
    }
    let cg = super::cgroup_of(&st)
        .ok_or(Error::state("container has no cgroup: it cannot be frozen"))?;
    cg.freeze(on)?;
    let annotations = file::annotations_raw(raw);
    let next = if on { Status::Paused } else { Status::Running };
    entry.write(&st.with_status(next, annotations))
}
