//! `process`: the container process's attributes, identity and final execve. Run by the
//! container process (and by a process joining it for `exec`) after pivot_root, in this
//! order: [`apply_attrs`] while still privileged, [`apply_identity`], then [`exec`] on
//! `start`. `linux.personality` is [`crate::linux::sched::set_personality`].
//!
//! References: runtime-spec config.md "Process"; execve(2), close_range(2), openat2(2),
//! proc(5) oom_score_adj; Go's exec.LookPath, whose wording runc's callers match.

use crate::cpath::CPath;
use crate::linux::{caps, rlimits, sched, user};
use crate::spec::limits::{ARGS_MAX, ENV_MAX};
use crate::spec::{List, Process, Str};
use crate::sys::attrs as sp;
use crate::sys::exec::{CStrVec, Overflow};
use crate::sys::mem::Zeroed;
use crate::sys::Errno;
use crate::{Error, Result};
use core::sync::atomic::{AtomicBool, Ordering::Relaxed};
use linux_raw_sys::prctl as pr;
use rustix::fs::{Mode, OFlags};

/// Bytes of `process.args` strings, NULs included (Linux allows ~2 MiB for argv and envp
/// together with an 8 MiB stack; 256 KiB each is far above real commands).
pub const ARGV_BYTES_MAX: usize = 256 * 1024;
/// Bytes of `process.env` strings, NULs included.
pub const ENV_BYTES_MAX: usize = 256 * 1024;
/// The argument vector of the container process (lives in its own mapping, see [`Zeroed`]).
pub type ArgVec = CStrVec<ARGS_MAX, ARGV_BYTES_MAX>;
/// The environment of the container process.
pub type EnvVec = CStrVec<ENV_MAX, ENV_BYTES_MAX>;
/// PATH searched when `process.env` has none (runc's default for the container).
pub const DEFAULT_PATH: &[u8] = b"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// The message callers match (`executable file not found`).
pub const NOT_FOUND: &str = "executable file not found in $PATH";

const CLOSE_RANGE_CLOEXEC: u32 = 1 << 2;

/// Set once this process has entered `process.cwd` (as root, in [`apply_attrs`]); [`exec`]
/// then keeps it even if the container user could not enter it itself, as runc does.
static CWD_ENTERED: AtomicBool = AtomicBool::new(false);

/// Before dropping privileges: rlimits, oomScoreAdj, scheduler, ioPriority,
/// execCPUAffinity.initial, then the cwd: entered and checked to be inside the root
/// (CVE-2024-21626). A cwd root may not enter (EACCES) is retried by [`exec`] as the user.
pub fn apply_attrs(p: &Process<'_>) -> Result<()> {
    rlimits::apply(&p.rlimits)?;
    if let Some(adj) = p.oom_score_adj {
        write_oom_score_adj(adj)?;
    }
    if let Some(s) = &p.scheduler {
        sched::set_scheduler(s)?;
    }
    if let Some(io) = &p.io_priority {
        sched::set_io_priority(io)?;
    }
    if let Some(cpus) = p.exec_cpu_affinity.as_ref().and_then(|a| a.initial) {
        sched::set_affinity(cpus, "process.execCPUAffinity.initial")?;
    }
    match enter_cwd(p.cwd) {
        Ok(()) => CWD_ENTERED.store(true, Relaxed),
        Err(e) if matches!(e.errno(), Some(Errno::ACCESS | Errno::PERM)) => {}
        Err(e) => return Err(e),
    }
    Ok(())
}

/// Descriptors from 3 up that the program inherits: `listen` socket-activation fds
/// (LISTEN_FDS, passed first, as runc) then `preserve` (`--preserve-fds`).
#[derive(Clone, Copy, Debug, Default)]
pub struct ExtraFds {
    pub listen: u32,
    pub preserve: u32,
}

impl ExtraFds {
    /// The first descriptor number that is not passed on.
    pub fn end(self) -> u32 {
        3u32.saturating_add(self.listen)
            .saturating_add(self.preserve)
    }
}

/// A seccomp filter waiting to be installed by [`exec`].
#[derive(Clone, Copy)]
pub struct PendingFilter<'a> {
    pub prog: &'a crate::sys::seccomp::Program,
    pub compiled: crate::linux::seccomp::Compiled,
    /// The capability sets to return to right after installing: [`apply_identity`] kept
    /// CAP_SYS_ADMIN beyond them because the kernel needs it (or no_new_privs) to install.
    pub restore: Option<caps::CapPlan>,
}

/// CAP_SYS_ADMIN, which seccomp(2) needs without no_new_privs.
const CAP_SYS_ADMIN: u64 = 1 << 21;

/// Identity and privileges, in the order the kernel needs: the bounding set first (dropping
/// needs CAP_SETPCAP, gone from the effective set once the uid is not 0), PR_SET_KEEPCAPS,
/// setgroups (skipped when denied in a user namespace), setresgid, setresuid, keepcaps off,
/// umask, capset (effective/permitted/inheritable exactly as listed), the ambient set
/// (cleared, then each listed one raised), then no_new_privs if asked.
///
/// With `seccomp` and no no_new_privs, CAP_SYS_ADMIN stays in the effective and
/// permitted sets (the kernel's condition for installing a filter); the exact sets come
/// back in the returned plan, which [`install_filter`] applies right after the filter.
pub fn apply_identity(p: &Process<'_>, seccomp: bool) -> Result<Option<caps::CapPlan>> {
    let exact = caps::plan(p.capabilities.as_ref(), caps::last_cap())?;
    exact.warn_unavailable();
    let mut plan = exact;
    let keep = seccomp && p.no_new_privileges != Some(true) && exact.effective & CAP_SYS_ADMIN == 0;
    if keep {
        plan.effective |= CAP_SYS_ADMIN;
        plan.permitted |= CAP_SYS_ADMIN;
    }
    caps::drop_bounding(&exact)?;
    let prctl1 = |op: u32, v: usize, what: &'static str| {
        sp::prctl(op, v, 0, 0, 0)
            .map(drop)
            .map_err(|e| Error::sys(what, e))
    };
    prctl1(pr::PR_SET_KEEPCAPS, 1, "prctl PR_SET_KEEPCAPS")?;
    let u = p.user.as_ref();
    user::set_groups(u)?;
    user::set_ids(u)?;
    prctl1(pr::PR_SET_KEEPCAPS, 0, "prctl PR_SET_KEEPCAPS")?;
    user::set_umask(u);
    caps::apply_sets(&plan)?;
    if p.no_new_privileges == Some(true) {
        prctl1(pr::PR_SET_NO_NEW_PRIVS, 1, "prctl PR_SET_NO_NEW_PRIVS")?;
    }
    Ok(keep.then_some(exact))
}

/// Install a compiled filter, then drop the CAP_SYS_ADMIN kept for it. The capset runs
/// under the new filter: a profile that denies capset fails the container here rather
/// than leave it with a capability it did not ask for. Returns the listener fd of a
/// SCMP_ACT_NOTIFY filter.
pub fn install_filter(f: &PendingFilter<'_>) -> Result<Option<rustix::fd::OwnedFd>> {
    let listener = crate::linux::seccomp::install(f.prog, f.compiled)?;
    if let Some(plan) = &f.restore {
        sp::capset(plan.sets()).map_err(|e| Error::sys("capset after seccomp", e))?;
    }
    Ok(listener)
}

/// Resolve args[0], enter the cwd if [`apply_attrs`] could not, apply
/// execCPUAffinity.final, mark every fd from `fds.end()` up CLOEXEC (close_range,
/// or a /proc/self/fd walk on kernels before 5.11), install the seccomp `filter`, and
/// execve with `process.env`. Returns
/// only on failure, worded as runc: `exec: "foo": executable file not found in $PATH`, or
/// `exec /bin/foo: EACCES (permission denied)`.
pub fn exec(p: &Process<'_>, fds: ExtraFds, filter: Option<&PendingFilter<'_>>) -> Error {
    match prepare_and_exec(p, fds, filter) {
        Ok(never) => match never {},
        Err(e) => e,
    }
}

enum Never {}

/// At create time, in the container process after pivot_root and before it reports Ready:
/// args[0] must resolve (PATH from process.env), so `create` fails with runc's wording
/// (`exec: "foo": executable file not found in $PATH`) instead of the later `start`.
pub fn check_program(p: &Process<'_>) -> Result<()> {
    let mut env: Zeroed<EnvVec> = Zeroed::new().map_err(|e| Error::sys("mmap", e))?;
    fill(&p.env, &mut env, "process.env")?;
    let first = p
        .args
        .iter()
        .next()
        .ok_or(Error::spec("process.args", "must not be empty"))??;
    let mut buf = [0u8; crate::cpath::PATH_MAX];
    let name = first.decode_into(&mut buf)?;
    let mut path = CPath::new();
    resolve(name.as_bytes(), path_of(&env), &mut path)
}

fn prepare_and_exec(
    p: &Process<'_>,
    fds: ExtraFds,
    filter: Option<&PendingFilter<'_>>,
) -> Result<Never> {
    let mmap = |e| Error::sys("mmap", e);
    let mut env: Zeroed<EnvVec> = Zeroed::new().map_err(mmap)?;
    fill(&p.env, &mut env, "process.env")?;
    if fds.listen > 0 {
        // Socket activation (sd_listen_fds): the fds are at 3.. and we are pid 1 of them.
        let mut b = crate::out::Buf::<32>::new();
        let _ = core::fmt::Write::write_fmt(&mut b, format_args!("LISTEN_FDS={}", fds.listen));
        let full =
            |_| Error::capacity("process.env", ENV_MAX as u64 + 1, ENV_MAX as u64, "entries");
        env.push(b.as_bytes()).map_err(full)?;
        env.push(b"LISTEN_PID=1").map_err(full)?;
    }
    let mut argv: Zeroed<ArgVec> = Zeroed::new().map_err(mmap)?;
    fill(&p.args, &mut argv, "process.args")?;
    if !CWD_ENTERED.load(Relaxed) {
        enter_cwd(p.cwd)?;
        CWD_ENTERED.store(true, Relaxed);
    }
    let name = argv
        .get(0)
        .ok_or(Error::spec("process.args", "must not be empty"))?;
    let mut path = CPath::new();
    resolve(name, path_of(&env), &mut path)?;
    if let Some(cpus) = p.exec_cpu_affinity.as_ref().and_then(|a| a.fin) {
        sched::set_affinity(cpus, "process.execCPUAffinity.final")?;
    }
    cloexec_from(fds.end())?;
    // The filter last: from here only capset (if CAP_SYS_ADMIN was kept) and execve.
    if let Some(f) = filter {
        install_filter(f)?;
    }
    let e = crate::sys::exec::execve(path.as_cstr(), &argv, &env);
    Err(Error::sys("exec", e).path(path.as_bytes()))
}

/// Copy a list of strings into a C string vector; `what` names the field in errors
/// (`process.args: 5000 entries, limit 4096`).
pub fn fill<const N: usize, const B: usize>(
    list: &List<'_, Str<'_>>,
    out: &mut CStrVec<N, B>,
    what: &'static str,
) -> Result<()> {
    if list.len() > N {
        return Err(Error::capacity(
            what,
            list.len() as u64,
            N as u64,
            "entries",
        ));
    }
    for s in list.iter() {
        let s = s?;
        if s.contains('\0') {
            return Err(Error::spec(what, "an entry contains a NUL byte").value(s.raw().as_bytes()));
        }
        let r = out.push_with(s.decoded_len(), |dst| {
            // decoded_len bytes fit exactly: decoding cannot fail here.
            let _ = s.decode_into(dst);
        });
        match r {
            Ok(()) => {}
            Err(Overflow::Entries) => {
                return Err(Error::capacity(
                    what,
                    list.len() as u64,
                    N as u64,
                    "entries",
                ))
            }
            Err(Overflow::Bytes) => {
                let total: usize = list
                    .iter()
                    .map(|s| s.map_or(0, |s| s.decoded_len() + 1))
                    .sum();
                return Err(Error::capacity(what, total as u64, B as u64, "bytes"));
            }
        }
    }
    Ok(())
}

/// The value of the last `PATH=` entry of an environment (the one getenv would see after
/// runc sets them in order).
pub fn path_of<const N: usize, const B: usize>(env: &CStrVec<N, B>) -> Option<&[u8]> {
    env.iter().filter_map(|e| e.strip_prefix(b"PATH=")).last()
}

/// Resolve a program name as Go's exec.LookPath does for runc: a name with '/' is used as
/// is (and must be executable); otherwise each PATH entry (`path`, or [`DEFAULT_PATH`]; an
/// empty entry is ".") is tried in order and the first executable regular file wins.
pub fn resolve(name: &[u8], path: Option<&[u8]>, out: &mut CPath) -> Result<()> {
    const WHAT: &str = "process.args[0]";
    if name.contains(&b'/') {
        *out = CPath::from(name, WHAT)?;
        return executable(out).map_err(|e| Error::sys("exec", e).path(name));
    }
    if name.is_empty() {
        return Err(Error::not_found("exec", name, NOT_FOUND));
    }
    for dir in path.unwrap_or(DEFAULT_PATH).split(|&b| b == b':') {
        let dir = if dir.is_empty() { &b"."[..] } else { dir };
        let Ok(mut c) = CPath::from(dir, WHAT) else {
            continue;
        };
        if c.join(name, WHAT).is_err() {
            continue;
        }
        if executable(&c).is_ok() {
            *out = c;
            return Ok(());
        }
    }
    Err(Error::not_found("exec", name, NOT_FOUND))
}

/// A regular file (not a directory) the effective ids may execute. A directory is EACCES,
/// as execve(2) and Go's exec.LookPath say: Podman maps "permission denied" to exit 126.
fn executable(p: &CPath) -> Result<(), Errno> {
    use rustix::fs::{accessat, statat, Access, AtFlags, FileType, CWD};
    let st = statat(CWD, p.as_cstr(), AtFlags::empty())?;
    if FileType::from_raw_mode(st.st_mode) == FileType::Directory {
        return Err(Errno::ACCESS);
    }
    accessat(CWD, p.as_cstr(), Access::EXEC_OK, AtFlags::EACCESS)
}

/// chdir to `cwd` through an O_PATH fd opened with RESOLVE_IN_ROOT from "/" (no magic
/// links, no escape through `..`), then check getcwd names a path reachable from the root
/// (the kernel prefixes "(unreachable)" otherwise): a cwd such as /proc/self/fd/7 cannot
/// leave the container (CVE-2024-21626). Kernels before 5.6 (no openat2) use plain chdir
/// and rely on the getcwd check.
pub fn enter_cwd(cwd: Str<'_>) -> Result<()> {
    use rustix::fs::{open, openat2, ResolveFlags};
    let mut buf = [0u8; crate::cpath::PATH_MAX];
    let text = cwd.decode_into(&mut buf)?;
    let path = CPath::from(text.as_bytes(), "process.cwd")?;
    let err = |call, e| Error::sys(call, e).path(path.as_bytes());
    let root = open(
        c"/",
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| err("open /", e))?;
    match openat2(
        &root,
        path.as_cstr(),
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
        ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS,
    ) {
        Ok(fd) => rustix::process::fchdir(&fd).map_err(|e| err("chdir", e))?,
        Err(Errno::NOSYS) => rustix::process::chdir(path.as_cstr()).map_err(|e| err("chdir", e))?,
        Err(e) => return Err(err("chdir", e)),
    }
    let mut now = [0u8; crate::cpath::PATH_MAX];
    match crate::sys::process::getcwd(&mut now) {
        Ok(p) if p.starts_with(b"/") => Ok(()),
        Ok(_) => {
            Err(Error::spec("process.cwd", "is outside the container's root").path(path.as_bytes()))
        }
        Err(e) => Err(err("getcwd", e)),
    }
}

/// Mark every descriptor from `first` up close-on-exec, so nothing of husk's reaches the
/// container (CVE-2024-21626); the preserved ones below `first` are left as the caller
/// passed them.
pub fn cloexec_from(first: u32) -> Result<()> {
    match crate::sys::fds::close_range(first, u32::MAX, CLOSE_RANGE_CLOEXEC) {
        Ok(()) => return Ok(()),
        Err(Errno::NOSYS | Errno::INVAL) => {}
        Err(e) => return Err(Error::sys("close_range", e)),
    }
    // Before 5.11: walk /proc/self/fd.
    let dir = match rustix::fs::open(
        c"/proc/self/fd",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        Ok(d) => d,
        // No /proc in the container: try every number up to the bound.
        Err(Errno::NOENT) => return cloexec_numbers(first),
        Err(e) => return Err(Error::sys("open /proc/self/fd", e)),
    };
    let mut buf = [core::mem::MaybeUninit::<u8>::uninit(); 2048];
    let mut it = rustix::fs::RawDir::new(&dir, &mut buf);
    while let Some(ent) = it.next() {
        let ent = ent.map_err(|e| Error::sys("getdents /proc/self/fd", e))?;
        let name = ent.file_name().to_bytes();
        let Some(fd) = parse_fd(name) else { continue };
        if fd >= first {
            // The fd of the walk itself is CLOEXEC already; EBADF means it closed meanwhile.
            match crate::sys::fds::set_cloexec(fd as i32) {
                Ok(()) | Err(Errno::BADF) => {}
                Err(e) => return Err(Error::sys("fcntl F_SETFD", e)),
            }
        }
    }
    Ok(())
}

/// Fds the /proc-less fallback of [`cloexec_from`] tries at least.
const CLOEXEC_SCAN_MIN: u32 = 4096;
/// ... and at most (a soft RLIMIT_NOFILE can be a million).
const CLOEXEC_SCAN_MAX: u32 = 1 << 16;

/// [`cloexec_from`] without /proc: F_SETFD on every number from `first` up to the soft
/// RLIMIT_NOFILE (clamped to the bounds above). The container process closed every other
/// inherited fd right after the clone, and the kernel hands out the lowest free numbers,
/// so what is left open is far below the bound.
fn cloexec_numbers(first: u32) -> Result<()> {
    let soft = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(u64::MAX);
    let end = soft.clamp(CLOEXEC_SCAN_MIN as u64, CLOEXEC_SCAN_MAX as u64) as u32;
    for fd in first..end {
        match crate::sys::fds::set_cloexec(fd as i32) {
            Ok(()) | Err(Errno::BADF) => {}
            Err(e) => return Err(Error::sys("fcntl F_SETFD", e)),
        }
    }
    Ok(())
}

fn parse_fd(name: &[u8]) -> Option<u32> {
    if name.is_empty() || name.len() > 10 || !name.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v = name.iter().fold(0u64, |v, &d| v * 10 + (d - b'0') as u64);
    u32::try_from(v).ok().filter(|&v| v <= i32::MAX as u32)
}

/// Write `process.oomScoreAdj` to /proc/self/oom_score_adj, after checking the file is on
/// a real procfs (CVE-2019-16884: a fake /proc in the image would swallow the write).
pub fn write_oom_score_adj(adj: i32) -> Result<()> {
    // Through a procfs of our own, by pid: in a container's mount namespace (exec) the
    // container may have mounted another procfs file over /proc/self/oom_score_adj
    // (CVE-2025-52881's redirected writes).
    let root = crate::linux::procfs::private_proc()?;
    let mut p = crate::out::Buf::<48>::new();
    let pid = rustix::process::getpid().as_raw_nonzero().get();
    let _ = core::fmt::Write::write_fmt(&mut p, format_args!("{pid}/oom_score_adj"));
    let err = |call, e| Error::sys(call, e).path(b"/proc/self/oom_score_adj");
    let fd = rustix::fs::openat(
        &root,
        p.as_str(),
        OFlags::WRONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW,
        Mode::empty(),
    )
    .map_err(|e| err("open", e))?;
    crate::linux::procfs::check_proc(
        rustix::fd::AsFd::as_fd(&fd),
        "oom_score_adj is not on procfs",
        p.as_bytes(),
    )?;
    let mut b = crate::out::Buf::<16>::new();
    let _ = core::fmt::Write::write_fmt(&mut b, format_args!("{adj}"));
    crate::out::write_all(&fd, b.as_str().as_bytes()).map_err(|e| err("write", e))
}

#[cfg(test)]
mod tests;
