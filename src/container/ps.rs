//! `ps [--format table|json] ID`: the container's processes as host pids: its cgroup's
//! cgroup.procs; without a cgroup, a container with its own pid namespace is every process
//! in it, one sharing the host's pid namespace is its init alone. Runs in the runtime.

use crate::error::{Error, Result};
use crate::state::file;
use crate::state::{id, Store};
use core::fmt::Write;
use rustix::fs::{self, Mode, OFlags};

/// (device, inode) of /proc/PID/ns/pid, which identifies a pid namespace.
fn pidns(pid: i32) -> Option<(u64, u64)> {
    let mut p = crate::out::Buf::<40>::new();
    let _ = write!(p, "/proc/{pid}/ns/pid");
    let c = crate::cpath::CPath::from(p.as_bytes(), "pid").ok()?;
    let st = fs::stat(c.as_cstr()).ok()?;
    Some((st.st_dev as u64, st.st_ino as u64))
}

/// Call `f` with every host pid of the container whose init is `init`.
pub fn for_each_pid(init: i32, f: &mut dyn FnMut(i32)) -> Result<()> {
    let theirs = pidns(init).ok_or(Error::state("container not running"))?;
    let ours = pidns(rustix::process::getpid().as_raw_nonzero().get());
    if Some(theirs) == ours {
        f(init);
        return Ok(());
    }
    let proc = fs::open(
        "/proc",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::sys("open /proc", e))?;
    let mut buf = [core::mem::MaybeUninit::<u8>::uninit(); 4096];
    let mut it = fs::RawDir::new(&proc, &mut buf);
    while let Some(ent) = it.next() {
        let Ok(ent) = ent else { break };
        let name = ent.file_name().to_bytes();
        let Ok(pid) = crate::cli::args::number::<u32>(name, "pid") else {
            continue;
        };
        if pidns(pid as i32) == Some(theirs) {
            f(pid as i32);
        }
    }
    Ok(())
}

pub fn ps(root: &[u8], id: &str, json: bool) -> Result<()> {
    let id = id::check(id.as_bytes())?;
    let store = Store::open(root, false)?;
    let mut buf = [0u8; file::STATE_MAX_BYTES];
    let c = super::load(&store, id, &mut buf, super::Verb::Any)?;
    let st = c.st;
    if c.status == file::Status::Stopped {
        // runc prints an empty list for a stopped container.
        if json {
            crate::outln!(crate::sys::stdout(), "[]");
        } else {
            crate::outln!(crate::sys::stdout(), "PID   CMD");
        }
        return Ok(());
    }
    let out = crate::sys::stdout();
    if json {
        let mut b = crate::out::Buf::<65536>::new();
        let _ = b.write_str("[");
        let mut first = true;
        super::for_each_pid(&st, &mut |pid| {
            let _ = write!(b, "{}{pid}", if first { "" } else { "," });
            first = false;
        })?;
        let _ = b.write_str("]");
        b.finish_line();
        let _ = b.write_to(out);
    } else {
        crate::outln!(out, "PID   CMD");
        super::for_each_pid(&st, &mut |pid| {
            let mut p = crate::out::Buf::<40>::new();
            let _ = write!(p, "/proc/{pid}/comm");
            let mut comm = [0u8; 64];
            let name = crate::cpath::CPath::from(p.as_bytes(), "pid")
                .ok()
                .and_then(|c| {
                    crate::files::read_file(c.as_cstr(), &mut comm, "comm")
                        .ok()
                        .map(|s| s.len())
                })
                .unwrap_or(0);
            let text = core::str::from_utf8(&comm[..name])
                .unwrap_or("?")
                .trim_end();
            crate::outln!(out, "{pid:<5} {text}");
        })?;
    }
    Ok(())
}
