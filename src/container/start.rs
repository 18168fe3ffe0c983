//! `start`: let a created container's process exec the user's program (one byte into its
//! exec FIFO), record it as running, run the poststart hooks. Runs in the runtime and
//! returns at once.

use super::Verb;
use crate::error::{Error, Result};
use crate::linux::hooks::HookKind;
use crate::state::file::{self, Status};
use crate::state::{id, Store};
use rustix::fs::{self, AtFlags, Mode, OFlags};
use rustix::io::Errno;

pub fn start(root: &[u8], id: &str) -> Result<()> {
    let id = id::check(id.as_bytes())?;
    let store = Store::open(root, false)?;
    let mut buf = [0u8; file::STATE_MAX_BYTES];
    let super::Loaded { entry, raw, st, .. } = super::load(&store, id, &mut buf, Verb::Start)?;
    // Non-blocking: if nobody holds the read end, the container process is gone (ENXIO)
    // rather than this call hanging.
    let fifo = fs::openat(
        entry.dir(),
        super::EXEC_FIFO,
        OFlags::WRONLY | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| match e {
        Errno::NXIO | Errno::NOENT => {
            Error::state("cannot start container: its process is not waiting")
        }
        e => Error::sys("open exec fifo", e),
    })?;
    crate::out::write_all(&fifo, b"0").map_err(|e| Error::sys("write exec fifo", e))?;
    drop(fifo);
    let _ = fs::unlinkat(entry.dir(), super::EXEC_FIFO, AtFlags::empty());
    let annotations = file::annotations_raw(raw);
    entry.write(&st.with_status(Status::Running, annotations))?;
    super::bundle::hooks_after(&st, HookKind::Poststart, "running");
    Ok(())
}
