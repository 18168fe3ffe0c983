//! husk's one error type: `Copy`, no heap, formatted only when printed.
//!
//! It names what failed (a syscall or a JSON path such as `mounts[3].destination`), the
//! path or value involved (copied, bounded, marked when cut) and the errno:
//! `mount /proc on rootfs/proc: EPERM (operation not permitted)`,
//! `process.env: 300 entries, limit 256`.

use crate::sys::Errno;
use core::fmt::{self, Write};

/// Bytes of a path or value kept in an error; longer ones are cut and end in "...".
pub const ERROR_TEXT_MAX: usize = 48;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Bad command line: exit status 2.
    Usage,
    /// config.json (or another JSON input) is invalid: `ctx` is the JSON path.
    Spec,
    /// A capacity was exceeded: `nums` = (count, limit), `msg` the unit.
    Capacity,
    /// A system call failed: `ctx` is the call.
    Sys,
    /// The container's state forbids the operation (`container does not exist`...).
    State,
    /// Not implemented yet in this version.
    Unsupported,
    /// Already printed in full where it happened (a container process's failure text,
    /// longer than an Error holds): exit 1 without printing again.
    Reported,
    /// Malformed JSON: `ctx` is the JSON path reached, `nums[0]` the byte offset.
    Json,
    /// A name could not be resolved, in Go's wording that callers match:
    /// `exec: "foo": executable file not found in $PATH`.
    NotFound,
    /// A child program failed: `ctx` names it (`hook createRuntime[0]`), `arg` its path and
    /// `msg` says how, with `{}` standing for `nums[0]` (`timed out after {}s`).
    Child,
}

/// A bounded copy of a path or value, marked when cut.
#[derive(Clone, Copy)]
pub struct Text {
    bytes: [u8; ERROR_TEXT_MAX],
    len: u8,
    cut: bool,
}

impl Text {
    pub const EMPTY: Text = Text {
        bytes: [0; ERROR_TEXT_MAX],
        len: 0,
        cut: false,
    };

    pub fn new(s: &[u8]) -> Text {
        let mut t = Text::EMPTY;
        let n = s.len().min(ERROR_TEXT_MAX);
        t.bytes[..n].copy_from_slice(&s[..n]);
        t.len = n as u8;
        t.cut = n < s.len();
        t
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }
}

impl fmt::Display for Text {
    /// Printable UTF-8 is shown as is; anything else as \xNN, so a hostile value cannot
    /// inject control sequences into a terminal or a log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.as_bytes();
        while !rest.is_empty() {
            let (good, bad) = match core::str::from_utf8(rest) {
                Ok(s) => (s, &[][..]),
                Err(e) => {
                    let (g, b) = rest.split_at(e.valid_up_to());
                    (core::str::from_utf8(g).unwrap_or(""), b)
                }
            };
            for c in good.chars() {
                if c.is_control() {
                    write!(f, "\\x{:02x}", c as u32)?;
                } else {
                    f.write_char(c)?;
                }
            }
            if let Some((&b, tail)) = bad.split_first() {
                // The cut may have split a UTF-8 sequence: that is not the value's fault.
                if !(self.cut && tail.len() < 3 && b >= 0x80) {
                    write!(f, "\\x{b:02x}")?;
                }
                rest = tail;
            } else {
                rest = &[];
            }
        }
        if self.cut {
            f.write_str("...")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Error {
    pub kind: Kind,
    /// The syscall ("mount") or JSON path pattern ("mounts[].destination"); each `[]` is
    /// filled from `idx` in order when printed.
    pub ctx: &'static str,
    /// Fixed explanation ("must be an absolute path"); for Capacity the unit ("entries").
    pub msg: &'static str,
    pub idx: [u32; 2],
    /// How many of `idx` are set.
    pub nidx: u8,
    pub errno: Option<Errno>,
    /// The path or value concerned.
    pub arg: Text,
    pub nums: [u32; 2],
}

const fn sat32(v: u64) -> u32 {
    if v > u32::MAX as u64 {
        u32::MAX
    } else {
        v as u32
    }
}

pub type Result<T, E = Error> = core::result::Result<T, E>;

impl Error {
    const fn base(kind: Kind, ctx: &'static str, msg: &'static str) -> Error {
        Error {
            kind,
            ctx,
            msg,
            idx: [0; 2],
            nidx: 0,
            errno: None,
            arg: Text::EMPTY,
            nums: [0; 2],
        }
    }

    /// A failed system call: `Error::sys("mount", e).path(b"/proc on rootfs/proc")`.
    pub fn sys(call: &'static str, errno: Errno) -> Error {
        let mut e = Error::base(Kind::Sys, call, "");
        e.errno = Some(errno);
        e
    }

    /// An invalid JSON value: `Error::spec("mounts[].destination", "must be absolute").at(3)`.
    pub const fn spec(path: &'static str, msg: &'static str) -> Error {
        Error::base(Kind::Spec, path, msg)
    }

    /// A capacity exceeded: `process.env: 300 entries, limit 256`.
    pub const fn capacity(path: &'static str, count: u64, limit: u64, unit: &'static str) -> Error {
        let mut e = Error::base(Kind::Capacity, path, unit);
        // Counts above u32 (a file's size) saturate: the limit is what the reader needs.
        e.nums = [sat32(count), sat32(limit)];
        e
    }

    /// Malformed JSON at byte `offset`: `process.env[2]: invalid escape at byte 310`.
    pub const fn json(path: &'static str, msg: &'static str, offset: usize) -> Error {
        let mut e = Error::base(Kind::Json, path, msg);
        e.nums = [sat32(offset as u64), 0];
        e
    }

    /// See [`Kind::Reported`].
    pub const fn reported() -> Error {
        Error::base(Kind::Reported, "", "")
    }

    /// Bad command-line usage (exit status 2).
    pub const fn usage(msg: &'static str) -> Error {
        Error::base(Kind::Usage, "", msg)
    }

    /// An operation the container's state does not allow, or an unknown container.
    pub const fn state(msg: &'static str) -> Error {
        Error::base(Kind::State, "", msg)
    }

    /// [`Error::state`] with a number put where `msg` has `{}`.
    pub const fn state_n(msg: &'static str, n: u64) -> Error {
        let mut e = Error::base(Kind::State, "", msg);
        e.nums = [sat32(n), 0];
        e
    }

    /// A command or field that this version does not implement yet.
    pub const fn unsupported(what: &'static str, msg: &'static str) -> Error {
        Error::base(Kind::Unsupported, what, msg)
    }

    /// `ctx: "name": msg`, as Go's exec.LookPath words it.
    pub fn not_found(ctx: &'static str, name: &[u8], msg: &'static str) -> Error {
        Error::base(Kind::NotFound, ctx, msg).path(name)
    }

    /// A child program failed: `Error::child("hook poststop[]", "exit status {}", 3)`.
    pub fn child(ctx: &'static str, msg: &'static str, n: u64) -> Error {
        let mut e = Error::base(Kind::Child, ctx, msg);
        e.nums = [sat32(n), 0];
        e
    }

    /// Attach the path or value concerned.
    pub fn path(mut self, p: &[u8]) -> Error {
        self.arg = Text::new(p);
        self
    }

    /// Alias of [`Error::path`] for values.
    pub fn value(self, v: &[u8]) -> Error {
        self.path(v)
    }

    /// Attach the errno that explains the problem.
    pub fn with_errno(mut self, e: Errno) -> Error {
        self.errno = Some(e);
        self
    }

    /// Fill the next `[]` of the JSON path with `i` (outermost first).
    pub fn at(mut self, i: usize) -> Error {
        if (self.nidx as usize) < self.idx.len() {
            self.idx[self.nidx as usize] = i as u32;
            self.nidx += 1;
        }
        self
    }

    pub fn errno(&self) -> Option<Errno> {
        self.errno
    }

    /// Process exit status for this error: 2 for usage, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        if self.kind == Kind::Usage {
            2
        } else {
            1
        }
    }

    fn write_ctx(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut n = 0;
        let mut rest = self.ctx;
        while let Some(p) = rest.find("[]") {
            f.write_str(&rest[..p])?;
            if n < self.nidx as usize {
                write!(f, "[{}]", self.idx[n])?;
            } else {
                f.write_str("[]")?;
            }
            n += 1;
            rest = &rest[p + 2..];
        }
        f.write_str(rest)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            Kind::Sys => {
                self.write_ctx(f)?;
                if !self.arg.is_empty() {
                    write!(f, " {}", self.arg)?;
                }
                if !self.msg.is_empty() {
                    write!(f, " ({})", self.msg)?;
                }
                if let Some(e) = self.errno {
                    write!(f, ": {}", ErrnoText(e))?;
                }
                Ok(())
            }
            Kind::Capacity => {
                self.write_ctx(f)?;
                write!(f, ": {} {}, limit {}", self.nums[0], self.msg, self.nums[1])?;
                if !self.arg.is_empty() {
                    write!(f, " ({})", self.arg)?;
                }
                Ok(())
            }
            Kind::Json => {
                if !self.ctx.is_empty() {
                    self.write_ctx(f)?;
                    f.write_str(": ")?;
                }
                write!(f, "{} at byte {}", self.msg, self.nums[0])
            }
            Kind::Reported => Ok(()),
            Kind::NotFound => {
                self.write_ctx(f)?;
                write!(f, ": \"{}\": {}", self.arg, self.msg)
            }
            Kind::Child => {
                self.write_ctx(f)?;
                if !self.arg.is_empty() {
                    write!(f, " {}", self.arg)?;
                }
                f.write_str(": ")?;
                match self.msg.split_once("{}") {
                    Some((a, b)) => write!(f, "{a}{}{b}", self.nums[0])?,
                    None => f.write_str(self.msg)?,
                }
                if let Some(e) = self.errno {
                    write!(f, ": {}", ErrnoText(e))?;
                }
                Ok(())
            }
            Kind::Spec | Kind::Usage | Kind::State | Kind::Unsupported => {
                if !self.ctx.is_empty() {
                    self.write_ctx(f)?;
                    f.write_str(": ")?;
                }
                match self.msg.split_once("{}") {
                    Some((a, b)) if self.kind == Kind::State => {
                        write!(f, "{a}{}{b}", self.nums[0])?
                    }
                    _ => f.write_str(self.msg)?,
                }
                if !self.arg.is_empty() {
                    write!(f, " \"{}\"", self.arg)?;
                }
                if let Some(e) = self.errno {
                    write!(f, ": {}", ErrnoText(e))?;
                }
                Ok(())
            }
        }
    }
}

/// `EPERM (operation not permitted)`; unknown numbers as `errno 200`.
pub struct ErrnoText(pub Errno);

impl fmt::Display for ErrnoText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.raw_os_error();
        match ERRNOS.iter().find(|(k, _, _)| *k == n) {
            Some((_, name, text)) => write!(f, "{name} ({text})"),
            None => write!(f, "errno {n}"),
        }
    }
}

/// Names and texts of the errnos husk can meet (the generic Linux numbering, shared by
/// x86_64, aarch64 and arm). Texts are lower-case as in runc's messages, which callers
/// match by substring ("no such file or directory", "permission denied").
const ERRNOS: &[(i32, &str, &str)] = &[
    (1, "EPERM", "operation not permitted"),
    (2, "ENOENT", "no such file or directory"),
    (3, "ESRCH", "no such process"),
    (4, "EINTR", "interrupted system call"),
    (5, "EIO", "input/output error"),
    (6, "ENXIO", "no such device or address"),
    (7, "E2BIG", "argument list too long"),
    (8, "ENOEXEC", "exec format error"),
    (9, "EBADF", "bad file descriptor"),
    (10, "ECHILD", "no child processes"),
    (11, "EAGAIN", "resource temporarily unavailable"),
    (12, "ENOMEM", "cannot allocate memory"),
    (13, "EACCES", "permission denied"),
    (14, "EFAULT", "bad address"),
    (15, "ENOTBLK", "block device required"),
    (16, "EBUSY", "device or resource busy"),
    (17, "EEXIST", "file exists"),
    (18, "EXDEV", "invalid cross-device link"),
    (19, "ENODEV", "no such device"),
    (20, "ENOTDIR", "not a directory"),
    (21, "EISDIR", "is a directory"),
    (22, "EINVAL", "invalid argument"),
    (23, "ENFILE", "too many open files in system"),
    (24, "EMFILE", "too many open files"),
    (25, "ENOTTY", "inappropriate ioctl for device"),
    (26, "ETXTBSY", "text file busy"),
    (27, "EFBIG", "file too large"),
    (28, "ENOSPC", "no space left on device"),
    (29, "ESPIPE", "illegal seek"),
    (30, "EROFS", "read-only file system"),
    (31, "EMLINK", "too many links"),
    (32, "EPIPE", "broken pipe"),
    (34, "ERANGE", "numerical result out of range"),
    (35, "EDEADLK", "resource deadlock avoided"),
    (36, "ENAMETOOLONG", "file name too long"),
    (37, "ENOLCK", "no locks available"),
    (38, "ENOSYS", "function not implemented"),
    (39, "ENOTEMPTY", "directory not empty"),
    (40, "ELOOP", "too many levels of symbolic links"),
    (61, "ENODATA", "no data available"),
    (95, "EOPNOTSUPP", "operation not supported"),
    (98, "EADDRINUSE", "address already in use"),
    (110, "ETIMEDOUT", "connection timed out"),
    (111, "ECONNREFUSED", "connection refused"),
    (122, "EDQUOT", "disk quota exceeded"),
];

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::format;

    #[test]
    fn sys_error_text() {
        let e = Error::sys("mount /proc on", Errno::PERM).path(b"rootfs/proc");
        assert_eq!(
            format!("{e}"),
            "mount /proc on rootfs/proc: EPERM (operation not permitted)"
        );
    }

    #[test]
    fn spec_error_fills_indices() {
        let e = Error::spec("mounts[].options[]", "unknown mount option")
            .at(3)
            .at(1)
            .value(b"rox");
        assert_eq!(
            format!("{e}"),
            "mounts[3].options[1]: unknown mount option \"rox\""
        );
    }

    #[test]
    fn capacity_text() {
        let e = Error::capacity("process.env", 300, 256, "entries");
        assert_eq!(format!("{e}"), "process.env: 300 entries, limit 256");
        let e = Error::capacity("mounts[].options", 40, 32, "entries").at(2);
        assert_eq!(format!("{e}"), "mounts[2].options: 40 entries, limit 32");
    }

    #[test]
    fn hostile_text_is_escaped_and_cut() {
        let e = Error::spec("hostname", "invalid").value(b"a\x1b[2Jb\xff");
        assert_eq!(format!("{e}"), "hostname: invalid \"a\\x1b[2Jb\\xff\"");
        let long = [b'x'; 100];
        let e = Error::spec("root.path", "bad").value(&long);
        assert!(format!("{e}").ends_with("x...\""));
    }

    #[test]
    fn runc_wordings() {
        let e = Error::state_n("container's cgroup is not empty: {} process(es) found", 2)
            .path(b"/sys/fs/cgroup/c1");
        assert_eq!(
            format!("{e}"),
            "container's cgroup is not empty: 2 process(es) found \"/sys/fs/cgroup/c1\""
        );
        let e = Error::not_found("exec", b"foo", "executable file not found in $PATH");
        assert_eq!(
            format!("{e}"),
            "exec: \"foo\": executable file not found in $PATH"
        );
        let e = Error::child("hook createRuntime[]", "timed out after {}s", 5)
            .at(0)
            .path(b"/bin/hook");
        assert_eq!(
            format!("{e}"),
            "hook createRuntime[0] /bin/hook: timed out after 5s"
        );
        let e = Error::child("hook poststop[]", "killed by signal", 0).at(2);
        assert_eq!(format!("{e}"), "hook poststop[2]: killed by signal");
    }

    #[test]
    fn error_is_small() {
        assert!(
            core::mem::size_of::<Error>() <= 128,
            "{}",
            core::mem::size_of::<Error>()
        );
    }
}
