//! The Process of an `exec`: the `--process` file as given, or, as runc builds it, the
//! container's own `process` with the command line's changes: the args, `--cwd`, `--env`
//! appended, `--user UID[:GID]`, `--additional-gids` appended, `--cap` added to the
//! bounding, effective and permitted sets (and to ambient when the config has inheritable
//! ones), `--no-new-privs`, `--tty`. Built as JSON text and parsed like any Process, so
//! every check of the spec module applies to it.

use crate::error::{Error, Result};
use crate::out::{json_escape, SliceBuf};
use crate::spec::{List, Process, Str};
use core::fmt::Write;

/// Repeated command-line values an exec takes (each list a capacity).
pub const EXEC_LIST_MAX: usize = 256;

/// What the command line says about the process.
#[derive(Default)]
pub struct ExecArgs<'a> {
    pub args: heapless::Vec<&'a [u8], EXEC_LIST_MAX>,
    pub env: heapless::Vec<&'a [u8], EXEC_LIST_MAX>,
    pub cwd: Option<&'a [u8]>,
    pub user: Option<&'a [u8]>,
    pub additional_gids: heapless::Vec<&'a [u8], EXEC_LIST_MAX>,
    pub caps: heapless::Vec<&'a [u8], EXEC_LIST_MAX>,
    pub no_new_privs: bool,
    pub tty: bool,
}

/// Where the exec's Process comes from.
pub enum Source<'a> {
    /// `--process FILE`.
    File(&'a [u8]),
    /// The container's process with the command line's changes.
    Args(&'a ExecArgs<'a>),
}

fn utf8<'s>(b: &'s [u8], what: &'static str) -> Result<&'s str> {
    core::str::from_utf8(b).map_err(|_| Error::usage(what).value(b))
}

/// `"s"`, escaped.
fn string(w: &mut SliceBuf<'_>, s: &str) {
    let _ = w.write_str("\"");
    let _ = json_escape(w, s);
    let _ = w.write_str("\"");
}

/// A string list: the config's (raw JSON, already valid) followed by `extra`.
fn list(w: &mut SliceBuf<'_>, base: &str, extra: &[&[u8]], what: &'static str) -> Result<()> {
    let inner = base
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim();
    let _ = w.write_str("[");
    let _ = w.write_str(inner);
    for (i, e) in extra.iter().enumerate() {
        if i > 0 || !inner.is_empty() {
            let _ = w.write_str(",");
        }
        string(w, utf8(e, what)?);
    }
    let _ = w.write_str("]");
    Ok(())
}

/// A number list (additional gids): the config's followed by `extra`, each checked.
fn numbers(w: &mut SliceBuf<'_>, base: &List<'_, u32>, extra: &[&[u8]]) -> Result<()> {
    let inner = base
        .raw()
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim();
    let _ = w.write_str("[");
    let _ = w.write_str(inner);
    for (i, e) in extra.iter().enumerate() {
        let n: u32 = crate::cli::args::number(e, "--additional-gids must be a number")?;
        let sep = if i > 0 || !inner.is_empty() { "," } else { "" };
        let _ = write!(w, "{sep}{n}");
    }
    let _ = w.write_str("]");
    Ok(())
}

fn raw_str(w: &mut SliceBuf<'_>, s: &Str<'_>) {
    let _ = write!(w, "\"{}\"", s.raw());
}

/// `UID[:GID]` of `--user`.
fn user_ids(u: &[u8]) -> Result<(u32, Option<u32>)> {
    let mut it = u.splitn(2, |&c| c == b':');
    let uid = crate::cli::args::number(it.next().unwrap_or(b""), "--user must be UID[:GID]")?;
    let gid = match it.next() {
        Some(g) => Some(crate::cli::args::number(g, "--user must be UID[:GID]")?),
        None => None,
    };
    Ok((uid, gid))
}

/// Write the exec's Process JSON for `base` (the config's process) and `a` into `out`;
/// returns its length.
pub fn build(base: &Process<'_>, a: &ExecArgs<'_>, out: &mut [u8]) -> Result<usize> {
    if a.args.is_empty() {
        return Err(Error::usage("exec needs a command or --process"));
    }
    let mut w = SliceBuf::new(out);
    let _ = w.write_str("{\"args\":");
    list(&mut w, "", &a.args, "exec: the command is not UTF-8")?;
    let _ = w.write_str(",\"env\":");
    list(&mut w, base.env.raw(), &a.env, "--env is not UTF-8")?;
    let _ = w.write_str(",\"cwd\":");
    match a.cwd {
        Some(c) => string(&mut w, utf8(c, "--cwd is not UTF-8")?),
        None => raw_str(&mut w, &base.cwd),
    }
    let _ = write!(w, ",\"terminal\":{}", a.tty);
    let nnp = a.no_new_privs || base.no_new_privileges == Some(true);
    let _ = write!(w, ",\"noNewPrivileges\":{nnp}");
    let bu = base.user.as_ref();
    let (mut uid, mut gid) = bu.map_or((0, 0), |u| (u.uid, u.gid));
    if let Some(u) = a.user {
        let (nu, ng) = user_ids(u)?;
        uid = nu;
        gid = ng.unwrap_or(gid);
    }
    let _ = write!(w, ",\"user\":{{\"uid\":{uid},\"gid\":{gid}");
    if let Some(m) = bu.and_then(|u| u.umask) {
        let _ = write!(w, ",\"umask\":{m}");
    }
    let _ = w.write_str(",\"additionalGids\":");
    let empty = List::default();
    numbers(
        &mut w,
        bu.map_or(&empty, |u| &u.additional_gids),
        &a.additional_gids,
    )?;
    let _ = w.write_str("}");
    if base.capabilities.is_some() || !a.caps.is_empty() {
        let (bounding, effective, permitted, inheritable, ambient) = match &base.capabilities {
            Some(c) => (
                c.bounding.raw(),
                c.effective.raw(),
                c.permitted.raw(),
                c.inheritable.raw(),
                c.ambient.raw(),
            ),
            None => ("", "", "", "", ""),
        };
        let has_inh = !inheritable
            .trim()
            .trim_matches(|x| x == '[' || x == ']')
            .trim()
            .is_empty();
        let none: &[&[u8]] = &[];
        let _ = w.write_str(",\"capabilities\":{\"bounding\":");
        list(&mut w, bounding, &a.caps, "--cap is not UTF-8")?;
        let _ = w.write_str(",\"effective\":");
        list(&mut w, effective, &a.caps, "--cap is not UTF-8")?;
        let _ = w.write_str(",\"permitted\":");
        list(&mut w, permitted, &a.caps, "--cap is not UTF-8")?;
        let _ = w.write_str(",\"inheritable\":");
        list(&mut w, inheritable, none, "")?;
        let _ = w.write_str(",\"ambient\":");
        let amb_extra = if has_inh { &a.caps[..] } else { none };
        list(&mut w, ambient, amb_extra, "--cap is not UTF-8")?;
        let _ = w.write_str("}");
    }
    if !base.rlimits.is_empty() {
        let _ = write!(w, ",\"rlimits\":{}", base.rlimits.raw());
    }
    let _ = w.write_str("}");
    if w.overflowed() {
        return Err(Error::capacity(
            "exec process",
            w.len() as u64 + 1,
            crate::spec::CONFIG_MAX_BYTES as u64,
            "bytes of JSON",
        ));
    }
    Ok(w.len())
}
