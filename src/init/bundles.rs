//! Run every bundle under the bundles directory, in name order, and print one result line
//! per bundle. No namespaces yet: plain fork + chroot(rootfs) + chdir(cwd) + execve.
//! config.json goes through the full parser and validation (`spec::load`) before the fork.
//!
//! Runs in PID 1 after the mounts. Failures here are never fatal: a bundle that cannot run
//! is a failed result line and the boot goes on to the next.

use super::Tally;
use crate::cpath::CPath;
use crate::out::{json_escape, Buf};
use crate::spec::{self, Spec, Str};
use crate::sys::clone::{fork, Forked};
use crate::sys::exec::{execve, CStrVec};
use crate::sys::process::SigMask;
use crate::sys::Errno;
use crate::{Error, Result};
use core::ffi::CStr;
use core::fmt::Write;
use rustix::fs::{Mode, OFlags};

/// Bundles considered per boot; more are reported as one failure.
pub const BUNDLES_MAX: usize = 32;
/// A bundle name (directory entry) longer than this is skipped with a failure.
pub const NAME_MAX: usize = 64;
/// Bytes of a process's stdout kept for its result line.
pub const OUTPUT_MAX: usize = 20 * 1024;

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

/// Parse and validate config.json with the full runtime-spec parser.
pub fn validate_bundle(buf: &mut [u8]) -> Result<Spec<'_>> {
    let spec = spec::load(buf)?;
    if spec.process.is_none() {
        return Err(Error::spec("process", "required to run the bundle"));
    }
    Ok(spec)
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
    let Ok(d) = CPath::from(dir, "husk.bundles") else {
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
    let o = match prepare_and_run(dir, name, mask) {
        Ok(o) => o,
        Err(e) => Outcome {
            code: -1,
            out: Buf::new(),
            error: Some(e),
        },
    };
    report(name, &o, false, tally);
}

/// Read and validate `dir/name/config.json`, then run its process (all checks before the
/// fork, so a bad bundle costs no process).
fn prepare_and_run(dir: &[u8], name: &[u8], mask: SigMask) -> Result<Outcome> {
    let mut bundle = CPath::from(dir, "bundle")?;
    bundle.join(name, "bundle")?;
    let mut cfg_path = CPath::from(bundle.as_bytes(), "bundle")?;
    cfg_path.join(b"config.json", "bundle")?;
    let mut region = crate::sys::mem::Region::new(spec::CONFIG_MAX_BYTES + 1)
        .map_err(|e| Error::sys("mmap", e))?;
    let buf = crate::state::read_file(cfg_path.as_cstr(), &mut region, "config.json")?;
    let spec = validate_bundle(buf)?;
    let Some(process) = spec.process.as_ref() else {
        return Err(Error::spec("process", "required to run the bundle"));
    };
    let mut rootfs = CPath::new();
    let mut root = [0u8; 1024];
    let root = match &spec.root {
        Some(r) => r.path.decode_into(&mut root)?,
        None => "rootfs",
    };
    if !root.starts_with('/') {
        rootfs.join(bundle.as_bytes(), "root.path")?;
    }
    rootfs.join(root.as_bytes(), "root.path")?;
    let mut cwd = CPath::new();
    let mut cwd_buf = [0u8; 1024];
    cwd.join(
        process.cwd.decode_into(&mut cwd_buf)?.as_bytes(),
        "process.cwd",
    )?;
    let mut argv: CStrVec<64, 8192> = CStrVec::new();
    let mut envp: CStrVec<128, 16384> = CStrVec::new();
    fill(&mut argv, process.args.iter(), "process.args")?;
    fill(&mut envp, process.env.iter(), "process.env")?;
    Ok(run_captured(mask, || {
        exec_child(&rootfs, &cwd, &argv, &envp)
    }))
}

/// Decode each string of a lazy list into `v`.
fn fill<'a, const N: usize, const B: usize>(
    v: &mut CStrVec<N, B>,
    items: impl Iterator<Item = Result<Str<'a>>>,
    what: &'static str,
) -> Result<()> {
    for (i, s) in items.enumerate() {
        let s = s?;
        let mut ok = Ok(());
        v.push_with(s.decoded_len(), |dst| {
            ok = s.decode_into(dst).map(drop);
        })
        .map_err(|_| Error::capacity(what, (i + 1) as u64, N as u64, "entries or bytes"))?;
        ok?;
        if v.get(i).is_some_and(|e| e.contains(&0)) {
            return Err(Error::spec(what, "string contains a NUL byte").value(s.raw().as_bytes()));
        }
    }
    Ok(())
}

/// In the child: chroot into the rootfs, chdir to cwd, execve. On failure print a
/// `{"husk_error":...}` line (the result line's JSON) and exit 127 (126 for EACCES).
fn exec_child<const N: usize, const B: usize, const M: usize, const C: usize>(
    rootfs: &CPath,
    cwd: &CPath,
    argv: &CStrVec<N, B>,
    envp: &CStrVec<M, C>,
) -> i32 {
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
    if let Err(e) = rustix::process::chdir(cwd.as_cstr()) {
        return fail("chdir", e, cwd.as_bytes());
    }
    let arg0 = argv.get(0).unwrap_or(b"");
    let Ok(prog) = CPath::from(arg0, "process.args[0]") else {
        return fail("execve", Errno::NAMETOOLONG, arg0);
    };
    let e = execve(prog.as_cstr(), argv, envp);
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
    fn bundle_needs_a_valid_config_with_process() {
        let mut c = *br#"{"ociVersion":"1.0.2","process":{"args":["/p","exit","3"],"env":["A=b"],"cwd":"/w"},"root":{"path":"rootfs"}}"#;
        let spec = validate_bundle(&mut c).unwrap();
        assert_eq!(spec.process.unwrap().args.len(), 3);
        let mut bad =
            *br#"{"ociVersion":"1.0.2","process":{"args":[],"cwd":"/"},"root":{"path":"r"}}"#;
        assert!(validate_bundle(&mut bad).is_err());
        let mut bad = *br#"{"ociVersion":"1.0.2","root":{"path":"x"}}"#;
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
