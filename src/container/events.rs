//! `events [--stats] [--interval D] ID`: with --stats, one stats event (runc's JSON, see
//! `linux::cgroups::stats`); otherwise a stats event every interval (default 5s) and an
//! `{"type":"oom","id":ID}` event when memory.events counts a new OOM kill, until the
//! container stops. Needs the container's cgroup.

use crate::error::{Error, Result};
use crate::linux::cgroups::stats;
use crate::out::Buf;
use crate::state::file;
use crate::state::{id, process_start, Store};

pub fn events(root: &[u8], id: &str, once: bool, interval_ms: u64) -> Result<()> {
    let id = id::check(id.as_bytes())?;
    let store = Store::open(root, false)?;
    let mut buf = [0u8; file::STATE_MAX_BYTES];
    // The lock is let go at once: events runs until the container ends, and delete or
    // kill must not wait for it.
    let st = super::load(&store, id, &mut buf, super::Verb::Live)?.st;
    let cg = super::cgroup_of(&st).ok_or(Error::state("container has no cgroup"))?;
    let out = crate::sys::stdout();
    let mut ooms = stats::oom_kills(&cg);
    loop {
        let n = stats::oom_kills(&cg);
        if n > ooms {
            crate::outln!(out, "{{\"type\":\"oom\",\"id\":\"{id}\"}}");
            ooms = n;
        }
        let mut b = Buf::<32768>::new();
        stats::render(&cg, id, &mut b);
        b.finish_line();
        b.write_to(out).map_err(|e| Error::sys("write stdout", e))?;
        if once {
            return Ok(());
        }
        crate::linux::cgroups::sleep_ms(interval_ms);
        if process_start(st.pid) != Some(st.pid_start) {
            return Ok(());
        }
    }
}
