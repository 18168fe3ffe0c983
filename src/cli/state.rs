//! `husk state ID`: the runtime-spec State JSON, plus runc's `rootfs`, `created`, `owner`
//! (go-runc reads them). An unknown id is `container does not exist`, as callers match.

use super::args::Parsed;
use super::commands::Command;
use super::Global;
use crate::error::Result;
use crate::state::{file, id, live_status, Store};
use core::fmt::Write;

pub fn run(g: &Global<'_>, _c: &Command, p: &Parsed<'_>) -> Result<i32> {
    let id = id::check(p.positional(0).unwrap_or(b""))?;
    let store = Store::open(g.root, false)?;
    let entry = store.get(id)?;
    let mut buf = [0u8; file::STATE_MAX_BYTES];
    let raw = entry.read(&mut buf)?;
    let st = file::parse(raw)?;
    // Streamed: laid out again, a state near STATE_MAX_BYTES with many annotations grows
    // past that (a few bytes of indentation each).
    let mut out = crate::out::FdOut::<4096>::new(crate::sys::stdout());
    write_state(
        &mut out,
        &st,
        live_status(&st),
        file::annotations_raw(raw),
        true,
    );
    let _ = out.write_str("\n");
    out.finish()
        .map_err(|e| crate::Error::sys("write", e).path(b"stdout"))?;
    Ok(0)
}

/// One state object: runc's `json.MarshalIndent(state, "", "  ")` with `pretty`, compact
/// (one line, no white space) without. Stored strings are already JSON-escaped, so they
/// are copied as they are; the annotations are the config's text, laid out again to match
/// (in the config's order: Go sorts a map's keys, which no JSON reader depends on).
pub fn write_state(
    out: &mut impl Write,
    st: &file::StateFile<'_>,
    status: file::Status,
    annotations: &str,
    pretty: bool,
) {
    let (nl, sp, end) = if pretty {
        ("\n  ", " ", "\n")
    } else {
        ("", "", "")
    };
    let pid = if status == file::Status::Stopped {
        0
    } else {
        st.pid
    };
    let _ = write!(
        out,
        "{{{nl}\"ociVersion\":{sp}\"{}\",{nl}\"id\":{sp}\"{}\",{nl}\"pid\":{sp}{pid},{nl}\"status\":{sp}\"{}\",{nl}\"bundle\":{sp}\"{}\",{nl}\"rootfs\":{sp}\"{}\",{nl}\"created\":{sp}\"{}\",",
        st.oci_version,
        st.id,
        status.as_str(),
        st.bundle,
        st.rootfs,
        st.created
    );
    // runc leaves out empty annotations (omitempty), however the config wrote `{}`.
    if !annotations
        .trim_matches(|c: char| c == '{' || c == '}' || c.is_ascii_whitespace())
        .is_empty()
    {
        let _ = write!(out, "{nl}\"annotations\":{sp}");
        let _ = crate::out::json_layout(out, annotations, 1, pretty);
        let _ = out.write_str(",");
    }
    let _ = write!(out, "{nl}\"owner\":{sp}\"{}\"{end}}}", st.owner);
}
