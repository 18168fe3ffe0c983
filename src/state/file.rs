//! state.json: what `state` prints, plus what husk needs to tell a live container from a
//! dead one whose pid was reused.
//!
//! Written by husk itself, atomically; still parsed defensively (bounded, no panic), since
//! the state directory is only as trustworthy as its permissions.

use crate::clock::Rfc3339;
use crate::error::{Error, Result};
use crate::out::{json_escape, Buf};
use core::fmt::Write;
use serde::Deserialize;

/// Largest state.json accepted (annotations are its only variable-size part).
pub const STATE_MAX_BYTES: usize = 64 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Creating,
    Created,
    Running,
    Stopped,
    Paused,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Creating => "creating",
            Status::Created => "created",
            Status::Running => "running",
            Status::Stopped => "stopped",
            Status::Paused => "paused",
        }
    }
}

/// The stored record. Strings are as written (JSON-escaped where needed): `json_raw` fields
/// are copied to output verbatim, which keeps them escaped correctly.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateFile<'a> {
    pub oci_version: &'a str,
    pub id: &'a str,
    pub status: Status,
    #[serde(default)]
    pub pid: i32,
    /// Start time of `pid` (field 22 of /proc/PID/stat, clock ticks since boot): a pid
    /// whose start time differs is another process, so the container has stopped.
    #[serde(default)]
    pub pid_start: u64,
    pub bundle: &'a str,
    pub rootfs: &'a str,
    pub created: &'a str,
    #[serde(default)]
    pub owner: &'a str,
    /// The container's cgroup (absolute path, JSON-escaped; empty: none).
    #[serde(default)]
    pub cgroup_path: &'a str,
    /// `cgroup_path` is where the cgroup goes, recorded before it is made: not yet known
    /// to be the container's own (it may have existed, holding another's processes).
    #[serde(default)]
    pub cgroup_pending: bool,
    /// Created with `--no-new-keyring`: an exec keeps its caller's session keyring too
    /// (runc keeps the flag in its state for its exec).
    #[serde(default)]
    pub no_new_keyring: bool,
}

/// Everything needed to write a state.json. `bundle`, `rootfs` and `created` are JSON
/// string bodies (already escaped: see [`escaped`]), so a record read back can be written
/// again unchanged; `annotations_json` is a complete JSON object text (or empty for none).
pub struct NewState<'a> {
    pub id: &'a str,
    pub status: Status,
    pub pid: i32,
    pub pid_start: u64,
    pub bundle: &'a str,
    pub rootfs: &'a str,
    pub created: &'a str,
    pub owner: &'a str,
    /// JSON string body (escaped), empty for none.
    pub cgroup_path: &'a str,
    /// See [`StateFile::cgroup_pending`].
    pub cgroup_pending: bool,
    pub no_new_keyring: bool,
    pub annotations_json: &'a str,
}

/// `b` as the body of a JSON string (UTF-8 required: paths in state.json are shown to
/// callers as JSON strings).
pub fn escaped<const N: usize>(b: &[u8], what: &'static str) -> Result<Buf<N>> {
    let s = core::str::from_utf8(b).map_err(|_| Error::spec(what, "is not valid UTF-8").path(b))?;
    let mut out = Buf::new();
    let _ = json_escape(&mut out, s);
    if out.truncated() {
        return Err(Error::capacity(what, b.len() as u64, N as u64, "bytes"));
    }
    Ok(out)
}

/// The current time as a `created` value.
pub fn now() -> Buf<40> {
    let mut b = Buf::new();
    let _ = write!(b, "{}", Rfc3339::now());
    b
}

impl<'a> StateFile<'a> {
    /// The same record with another status (for start, which only changes that).
    pub fn with_status(&self, status: Status, annotations_json: &'a str) -> NewState<'a> {
        NewState {
            id: self.id,
            status,
            pid: self.pid,
            pid_start: self.pid_start,
            bundle: self.bundle,
            rootfs: self.rootfs,
            created: self.created,
            owner: self.owner,
            cgroup_path: self.cgroup_path,
            cgroup_pending: self.cgroup_pending,
            no_new_keyring: self.no_new_keyring,
            annotations_json,
        }
    }
}

/// Render a new state record.
pub fn render<const N: usize>(s: &NewState<'_>, out: &mut Buf<N>) -> Result<()> {
    let _ = write!(out, "{{\"ociVersion\":\"{}\",\"id\":\"{}\",\"status\":\"{}\",\"pid\":{},\"pidStart\":{},\"bundle\":\"",
        crate::OCI_VERSION, s.id, s.status.as_str(), s.pid, s.pid_start);
    let _ = write!(
        out,
        "{}\",\"rootfs\":\"{}\",\"created\":\"{}\",\"owner\":\"",
        s.bundle, s.rootfs, s.created
    );
    let _ = json_escape(out, s.owner);
    let _ = out.write_str("\"");
    if !s.cgroup_path.is_empty() {
        let _ = write!(out, ",\"cgroupPath\":\"{}\"", s.cgroup_path);
        if s.cgroup_pending {
            let _ = out.write_str(",\"cgroupPending\":true");
        }
    }
    if s.no_new_keyring {
        let _ = out.write_str(",\"noNewKeyring\":true");
    }
    let _ = out.write_str(",\"annotations\":");
    let _ = out.write_str(if s.annotations_json.is_empty() {
        "{}"
    } else {
        s.annotations_json
    });
    let _ = out.write_str("}\n");
    if out.truncated() {
        return Err(Error::capacity(
            "state.json",
            (out.len() + 1) as u64,
            N as u64,
            "bytes",
        ));
    }
    Ok(())
}

/// Parse a stored record. `buf` holds the file.
pub fn parse(buf: &[u8]) -> Result<StateFile<'_>> {
    serde_json_core::from_slice::<StateFile<'_>>(buf)
        .map(|(s, _)| s)
        .map_err(|_| Error::spec("state.json", "is corrupt"))
}

/// The raw `annotations` object of a stored record (JSON text), or `{}`.
pub fn annotations_raw(buf: &[u8]) -> &str {
    let key = b"\"annotations\":";
    let Some(start) = buf
        .windows(key.len())
        .position(|w| w == key)
        .map(|p| p + key.len())
    else {
        return "{}";
    };
    // husk writes the object last, followed by "}\n": everything up to the final '}'.
    let end = buf.iter().rposition(|&c| c == b'}').unwrap_or(start);
    match core::str::from_utf8(buf.get(start..end).unwrap_or(b"")) {
        Ok(s) if s.starts_with('{') && s.ends_with('}') => s,
        _ => "{}",
    }
}

/// Decode a JSON string body husk wrote (escapes from `json_escape` only) into `out`.
pub fn unescape<'o>(raw: &str, out: &'o mut [u8]) -> Result<&'o str> {
    let mut n = 0;
    for frag in serde_json_core::str::EscapedStr(raw).fragments() {
        let mut tmp = [0u8; 4];
        let bytes = match frag.map_err(|_| Error::spec("state.json", "is corrupt"))? {
            serde_json_core::str::EscapedStringFragment::NotEscaped(s) => s.as_bytes(),
            serde_json_core::str::EscapedStringFragment::Escaped(c) => {
                c.encode_utf8(&mut tmp).as_bytes()
            }
        };
        let cap = out.len() as u64;
        let dst = out.get_mut(n..n + bytes.len()).ok_or(Error::capacity(
            "state.json string",
            (n + bytes.len()) as u64,
            cap,
            "bytes",
        ))?;
        dst.copy_from_slice(bytes);
        n += bytes.len();
    }
    core::str::from_utf8(&out[..n]).map_err(|_| Error::spec("state.json", "is corrupt"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut b = Buf::<4096>::new();
        let s = NewState {
            id: "c1",
            status: Status::Created,
            pid: 42,
            pid_start: 777,
            bundle: "/b \\\"q\\\"",
            rootfs: "/b/rootfs",
            created: "1970-01-01T00:00:00Z",
            owner: "",
            cgroup_path: "/sys/fs/cgroup/x",
            cgroup_pending: true,
            no_new_keyring: true,
            annotations_json: "{\"a\":\"b\"}",
        };
        render(&s, &mut b).unwrap();
        let p = parse(b.as_bytes()).unwrap();
        assert_eq!(p.id, "c1");
        assert_eq!(p.status, Status::Created);
        assert_eq!(p.pid, 42);
        assert_eq!(p.pid_start, 777);
        assert!(p.no_new_keyring);
        assert_eq!(p.cgroup_path, "/sys/fs/cgroup/x");
        assert!(p.cgroup_pending);
        let mut out = [0u8; 64];
        assert_eq!(unescape(p.bundle, &mut out).unwrap(), "/b \"q\"");
        assert_eq!(annotations_raw(b.as_bytes()), "{\"a\":\"b\"}");
    }

    #[test]
    fn corrupt_is_an_error_not_a_panic() {
        for bad in [
            &b""[..],
            b"{",
            b"{\"id\":1}",
            b"\xff\xfe",
            b"{\"ociVersion\":\"1\",\"id\":\"x\",\"status\":\"weird\"}",
        ] {
            assert!(parse(bad).is_err());
        }
    }

    #[test]
    fn overflow_is_named() {
        let mut b = Buf::<64>::new();
        let s = NewState {
            id: "c1",
            status: Status::Created,
            pid: 1,
            pid_start: 1,
            bundle: "/b",
            rootfs: "/r",
            created: "1970-01-01T00:00:00Z",
            owner: "",
            cgroup_path: "",
            cgroup_pending: false,
            no_new_keyring: false,
            annotations_json: "",
        };
        assert!(render(&s, &mut b).is_err());
    }
}
