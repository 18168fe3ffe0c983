//! `husk list [--format table|json] [--quiet]`: every container under --root.
//! A missing root lists nothing (runc does the same).

use super::args::Parsed;
use super::commands::Command;
use super::Global;
use crate::error::{Error, Result};
use crate::out::Buf;
use crate::state::{file, live_status, Store};
use core::fmt::Write;

pub fn run(g: &Global<'_>, c: &Command, p: &Parsed<'_>) -> Result<i32> {
    let json = match p.last(c.flags, "format") {
        None | Some(b"table") => false,
        Some(b"json") => true,
        Some(v) => return Err(Error::usage("--format must be table or json").value(v)),
    };
    let quiet = p.has(c.flags, "quiet");
    let stdout = crate::sys::stdout();
    let store = match Store::open(g.root, false) {
        Ok(s) => Some(s),
        Err(e) if e.kind == crate::error::Kind::State => None,
        Err(e) => return Err(e),
    };
    if json {
        let _ = crate::out::write_all(stdout, b"[");
    } else if !quiet {
        crate::outln!(
            stdout,
            "{:<20} {:<8} {:<9} {:<40} {:<31} OWNER",
            "ID",
            "PID",
            "STATUS",
            "BUNDLE",
            "CREATED"
        );
    }
    let mut first = true;
    let mut failure = None;
    if let Some(store) = &store {
        store.for_each_id(|id| {
            let Ok(entry) = store.get(id) else { return };
            let mut buf = [0u8; file::STATE_MAX_BYTES];
            // A directory without a readable state is a create in progress: skip it.
            let Ok(raw) = entry.read(&mut buf) else {
                return;
            };
            let st = match file::parse(raw) {
                Ok(st) => st,
                Err(e) => {
                    failure = Some(e);
                    return;
                }
            };
            let status = live_status(&st);
            let mut line = Buf::<{ file::STATE_MAX_BYTES + 1024 }>::new();
            if json {
                if !first {
                    let _ = line.write_str(",");
                }
                super::state::write_state(
                    &mut line,
                    &st,
                    status,
                    file::annotations_raw(raw),
                    false,
                );
                let _ = line.write_to(stdout);
            } else if quiet {
                crate::outln!(stdout, "{}", st.id);
            } else {
                let pid = if status == file::Status::Stopped {
                    0
                } else {
                    st.pid
                };
                crate::outln!(
                    stdout,
                    "{:<20} {:<8} {:<9} {:<40} {:<31} {}",
                    st.id,
                    pid,
                    status.as_str(),
                    st.bundle,
                    st.created,
                    st.owner
                );
            }
            first = false;
        })?;
    }
    if json {
        let _ = crate::out::write_all(stdout, b"]\n");
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(0),
    }
}
