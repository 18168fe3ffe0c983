//! Run every bundle under the bundles directory, in name order, and print one result line
//! per bundle. No namespaces yet: plain fork + chroot(rootfs) + chdir(cwd) + execve.
//!
//! Runs in PID 1 after the mounts. Failures here are never fatal: a bundle that cannot run
//! is a failed result line and the boot goes on to the next.

use super::Tally;
use crate::out::{json_escape, Buf};
use crate::sys::clone::{fork, Forked};
use crate::sys::exec::{execve, CStrVec};
use crate::sys::process::SigMask;
use crate::sys::Errno;
use crate::{Error, Result};
use core::ffi::CStr;
use core::fmt::Write;
use rustix::fs::{Mode, OFlags};

/// config.json larger than this is refused.
pub const CONFIG_MAX: usize = 64 * 1024;
/// Bundles considered per boot; more are reported as one failure.
pub const BUNDLES_MAX: usize = 32;
/// A bundle name (directory entry) longer than this is skipped with a failure.
pub const NAME_MAX: usize = 64;
/// Bytes of a process's stdout kept for its result line.
pub const OUTPUT_MAX: usize = 20 * 1024;

/// A path with its NUL, built from parts.
pub struct CPath(Buf<512>);

impl CPath {
    pub fn new(parts: &[&[u8]]) -> Option<CPath> {
        let mut b = Buf::<512>::new();
        for p in parts {
            if p.contains(&0) || !b.push_bytes(p) {
                return None;
            }
        }
        b.push_bytes(b"\0").then_some(CPath(b))
    }
    pub fn as_cstr(&self) -> &CStr {
        CStr::from_bytes_with_nul(self.0.as_bytes()).unwrap_or(c"")
    }
    pub fn as_bytes(&self) -> &[u8] {
        self.as_cstr().to_bytes()
    }
}

/// Read a whole file into `buf`; EFBIG if it does not fit.
pub fn read_file<'b>(path: &CStr, buf: &'b mut [u8]) -> core::result::Result<&'b [u8], Errno> {
    let fd = rustix::fs::open(path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())?;
    let mut n = 0;
    loop {
        if n == buf.len() {
            let mut one = [0u8; 1];
            return match rustix::io::read(&fd, &mut one) {
                Ok(0) => Ok(&buf[..n]),
                _ => Err(Errno::FBIG),
            };
        }
        match rustix::io::read(&fd, &mut buf[n..]) {
            Ok(0) => return Ok(&buf[..n]),
            Ok(k) => n += k,
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
}

/// The part of config.json husk uses before the real parser is merged.
#[derive(serde::Deserialize)]
struct Config<'a> {
    #[serde(borrow)]
    process: Process<'a>,
    #[serde(borrow, default)]
    root: Option<Root<'a>>,
}

#[derive(serde::Deserialize)]
struct Process<'a> {
    #[serde(borrow)]
    args: heapless::Vec<&'a str, 64>,
    #[serde(borrow, default)]
    env: heapless::Vec<&'a str, 128>,
    #[serde(default)]
    cwd: Option<&'a str>,
}

#[derive(serde::Deserialize)]
struct Root<'a> {
    path: &'a str,
}

/// TEMPORARY minimal check: config.json parses, has process.args (non-empty), and no
/// string husk uses holds an escape (serde-json-core lends strings raw).
/// TODO(spec): replace the body with `crate::spec::load(buf).map(drop)` after the merge of
/// the spec branch, and `parse` below with the `Spec` it returns.
pub fn validate_bundle(buf: &mut [u8]) -> Result<()> {
    parse(buf).map(drop)
}

fn parse(buf: &[u8]) -> Result<Config<'_>> {
    let (c, _) = serde_json_core::from_slice::<Config<'_>>(buf)
        .map_err(|_| Error::spec("config.json", "invalid JSON or missing process.args"))?;
    if c.process.args.is_empty() {
        return Err(Error::spec("process.args", "must not be empty"));
    }
    let strings = c
        .process
        .args
        .iter()
        .chain(c.process.env.iter())
        .chain(c.process.cwd.iter());
    for s in strings.chain(c.root.as_ref().map(|r| &r.path)) {
        if s.contains('\\') {
            return Err(
                Error::spec("process", "JSON escapes are not supported yet").value(s.as_bytes())
            );
        }
    }
    Ok(c)
}

/// What a captured child did.
pub struct Outcome {
    /// Exit code, or 128+signal; -1 if the child could not be started.
    pub code: i32,
    /// Its stdout (cut at OUTPUT_MAX).
    pub out: Buf<OUTPUT_MAX>,
    /// Why it could not be started.
    pub error: Option<Error>,
}

/// Fork; in the child restore the signal mask, send stdout into a pipe and run `f` (its
/// return is the exit code); in the parent collect the output until EOF and wait for the
/// child, reaping any other process that ends meanwhile.
pub fn run_captured(mask: SigMask, f: impl FnOnce() -> i32) -> Outcome {
    let mut o = Outcome {
        code: -1,
        out: Buf::new(),
        error: None,
    };
    let (r, w) = match rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC) {
        Ok(p) => p,
        Err(e) => {
            o.error = Some(Error::sys("pipe2", e));
            return o;
        }
    };
    let pid = match fork() {
        Ok(Forked::Child) => {
            drop(r);
            let _ = crate::sys::process::set_sigmask(mask);
            // dup2 clears CLOEXEC on fd 1: the pipe survives execve as stdout.
            if rustix::stdio::dup2_stdout(&w).is_err() {
                crate::sys::exit(125);
            }
            drop(w);
            crate::sys::exit(f())
        }
        Ok(Forked::Parent { pid, .. }) => pid,
        Err(e) => {
            o.error = Some(Error::sys("clone3", e));
            return o;
        }
    };
    drop(w);
    let mut chunk = [0u8; 4096];
    loop {
        match rustix::io::read(&r, &mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                o.out.push_bytes(&chunk[..n]);
            }
            Err(Errno::INTR) => {}
            Err(e) => {
                crate::warn!("init: {}", Error::sys("read", e));
                break;
            }
        }
    }
    loop {
        match rustix::process::waitpid(None, rustix::process::WaitOptions::empty()) {
            Ok(Some((p, st))) if p == pid => {
                o.code = match (st.exit_status(), st.terminating_signal()) {
                    (Some(c), _) => c,
                    (None, Some(s)) => 128 + s,
                    _ => -1,
                };
                break;
            }
            Ok(_) | Err(Errno::INTR) => {} // another child reaped, or interrupted
            Err(e) => {
                o.error = Some(Error::sys("waitpid", e));
                break;
            }
        }
    }
    o
}

/// Print `HUSK-RESULT <name> exit=<code> <output on one line>` and count it: a result
/// passes when the process was started and waited for and did not report a husk error
/// (its exit code is the scenario's business), and for a built-in `check` when it exited 0.
pub fn report(name: &[u8], o: &Outcome, check: bool, tally: &mut Tally) {
    let mut b = Buf::<{ OUTPUT_MAX + 512 }>::new();
    let _ = b.write_str("HUSK-RESULT ");
    b.push_bytes(name);
    let _ = write!(b, " exit={} ", o.code);
    let text = o.out.as_bytes().trim_ascii();
    let failed =
        o.error.is_some() || text.starts_with(b"{\"husk_error\"") || (check && o.code != 0);
    match &o.error {
        Some(e) => {
            let _ = b.write_str("{\"husk_error\":\"");
            let mut t = Buf::<256>::new();
            let _ = write!(t, "{e}");
            let _ = json_escape(&mut b, t.as_str());
            let _ = b.write_str("\"}");
        }
        None => {
            for &c in text {
                b.push_bytes(if c == b'\n' {
                    b" "
                } else {
                    core::slice::from_ref(&c)
                });
            }
            if o.out.truncated() {
                let _ = b.write_str(" (output cut)");
            }
        }
    }
    b.finish_line();
    let _ = b.write_to(crate::sys::stdout());
    if failed {
        tally.fail += 1;
    } else {
        tally.pass += 1;
    }
}

/// Fixed-capacity sorted list of bundle names.
struct Names {
    names: [[u8; NAME_MAX]; BUNDLES_MAX],
    lens: [u8; BUNDLES_MAX],
    len: usize,
    skipped: u32,
}

impl Names {
    fn get(&self, i: usize) -> &[u8] {
        &self.names[i][..self.lens[i] as usize]
    }
    fn insert_sorted(&mut self, name: &[u8]) {
        if self.len == BUNDLES_MAX || name.len() > NAME_MAX {
            self.skipped += 1;
            return;
        }
        let mut i = self.len;
        while i > 0 && self.get(i - 1) > name {
            self.names[i] = self.names[i - 1];
            self.lens[i] = self.lens[i - 1];
            i -= 1;
        }
        self.names[i] = [0; NAME_MAX];
        self.names[i][..name.len()].copy_from_slice(name);
        self.lens[i] = name.len() as u8;
        self.len += 1;
    }
}

/// The bundle directories (entries that are directories, hidden ones skipped), sorted.
fn list(dir: &CStr) -> core::result::Result<Names, Errno> {
    let fd = rustix::fs::open(
        dir,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let mut names = Names {
        names: [[0; NAME_MAX]; BUNDLES_MAX],
        lens: [0; BUNDLES_MAX],
        len: 0,
        skipped: 0,
    };
    let mut dbuf = [core::mem::MaybeUninit::<u8>::uninit(); 2048];
    let mut it = rustix::fs::RawDir::new(&fd, &mut dbuf);
    while let Some(ent) = it.next() {
        let ent = ent?;
        let n = ent.file_name().to_bytes();
        if n.starts_with(b".") {
            continue;
        }
        let is_dir = match ent.file_type() {
            rustix::fs::FileType::Directory => true,
            rustix::fs::FileType::Unknown => {
                rustix::fs::statat(&fd, ent.file_name(), rustix::fs::AtFlags::empty()).is_ok_and(
                    |s| {
                        rustix::fs::FileType::from_raw_mode(s.st_mode)
                            == rustix::fs::FileType::Directory
                    },
                )
            }
            _ => false,
        };
        if is_dir {
            names.insert_sorted(n);
        }
    }
    Ok(names)
}

/// Run each bundle of `dir` in name order. A missing directory means no bundles.
pub fn run_all(dir: &[u8], mask: SigMask, tally: &mut Tally) {
    let Some(d) = CPath::new(&[dir]) else {
        tally.fail += 1;
        return;
    };
    let names = match list(d.as_cstr()) {
        Ok(n) => n,
        Err(Errno::NOENT) => {
            crate::info!(
                "init: no bundles directory {}",
                crate::error::Text::new(dir)
            );
            return;
        }
        Err(e) => {
            crate::error!("init: {}", Error::sys("open", e).path(dir));
            tally.fail += 1;
            return;
        }
    };
    if names.skipped > 0 {
        crate::error!(
            "init: {} bundles skipped (more than {} or name too long)",
            names.skipped,
            BUNDLES_MAX
        );
        tally.fail += names.skipped;
    }
    for i in 0..names.len {
        run_bundle(dir, names.get(i), mask, tally);
    }
}

fn run_bundle(dir: &[u8], name: &[u8], mask: SigMask, tally: &mut Tally) {
    let mut buf = [0u8; CONFIG_MAX];
    let result = (|| -> Result<Outcome> {
        let cfg_path = CPath::new(&[dir, b"/", name, b"/config.json"])
            .ok_or(Error::spec("bundle", "path too long"))?;
        let n = read_file(cfg_path.as_cstr(), &mut buf)
            .map_err(|e| Error::sys("read", e).path(cfg_path.as_bytes()))?
            .len();
        validate_bundle(&mut buf[..n])?;
        let cfg = parse(&buf[..n])?;
        let root = cfg.root.as_ref().map_or("rootfs", |r| r.path);
        let rootfs = if root.starts_with('/') {
            CPath::new(&[root.as_bytes()])
        } else {
            CPath::new(&[dir, b"/", name, b"/", root.as_bytes()])
        }
        .ok_or(Error::spec("root.path", "path too long"))?;
        Ok(run_captured(mask, || exec_child(&rootfs, &cfg.process)))
    })();
    let o = match result {
        Ok(o) => o,
        Err(e) => Outcome {
            code: -1,
            out: Buf::new(),
            error: Some(e),
        },
    };
    report(name, &o, false, tally);
}

/// In the child: chroot into the rootfs, chdir to cwd, execve. On failure print a
/// `{"husk_error":...}` line (the result line's JSON) and exit 127 (126 for EACCES).
fn exec_child(rootfs: &CPath, p: &Process<'_>) -> i32 {
    let fail = |what: &'static str, e: Errno, arg: &[u8]| -> i32 {
        let e = Error::sys(what, e).path(arg);
        crate::outln!(crate::sys::stdout(), "{{\"husk_error\":\"{}\"}}", Esc(e));
        if e.errno == Some(Errno::ACCESS) {
            126
        } else {
            127
        }
    };
    if let Err(e) = rustix::process::chroot(rootfs.as_cstr()) {
        return fail("chroot", e, rootfs.as_bytes());
    }
    let cwd = p.cwd.unwrap_or("/");
    if let Err(e) = rustix::process::chdir(cwd) {
        return fail("chdir", e, cwd.as_bytes());
    }
    let mut argv: CStrVec<64, 8192> = CStrVec::new();
    let mut envp: CStrVec<128, 16384> = CStrVec::new();
    for a in &p.args {
        if argv.push(a.as_bytes()).is_err() {
            return fail("process.args", Errno::TOOBIG, a.as_bytes());
        }
    }
    for v in &p.env {
        if envp.push(v.as_bytes()).is_err() {
            return fail("process.env", Errno::TOOBIG, v.as_bytes());
        }
    }
    let arg0 = p.args.first().map_or(&b""[..], |a| a.as_bytes());
    let Some(prog) = CPath::new(&[arg0]) else {
        return fail("execve", Errno::NAMETOOLONG, arg0);
    };
    let e = execve(prog.as_cstr(), &argv, &envp);
    fail("execve", e, prog.as_bytes())
}

/// Display an error JSON-escaped.
struct Esc(Error);

impl core::fmt::Display for Esc {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut t = Buf::<256>::new();
        let _ = write!(t, "{}", self.0);
        json_escape(f, t.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_config() {
        let mut c = *br#"{"ociVersion":"1.0.2","process":{"args":["/p","exit","3"],"env":["A=b"],"cwd":"/w"},"root":{"path":"rootfs"}}"#;
        assert!(validate_bundle(&mut c).is_ok());
        let cfg = parse(&c).unwrap();
        assert_eq!(cfg.process.args.len(), 3);
        assert_eq!(cfg.process.cwd, Some("/w"));
        let mut bad = *br#"{"process":{"args":[]}}"#;
        assert!(validate_bundle(&mut bad).is_err());
        let mut bad = *br#"{"root":{"path":"x"}}"#;
        assert!(validate_bundle(&mut bad).is_err());
    }

    #[test]
    fn names_sorted() {
        let mut n = Names {
            names: [[0; NAME_MAX]; BUNDLES_MAX],
            lens: [0; BUNDLES_MAX],
            len: 0,
            skipped: 0,
        };
        for s in [&b"b"[..], b"a", b"c", b"ab"] {
            n.insert_sorted(s);
        }
        assert_eq!(
            [n.get(0), n.get(1), n.get(2), n.get(3)],
            [&b"a"[..], b"ab", b"b", b"c"]
        );
    }
}
