//! `create`: build the container process and leave it waiting for `start`.
//!
//! Runs in the runtime. Order: read and validate the bundle in full; check the terminal
//! flags and connect `--console-socket`; take the id in the state store; make the exec
//! FIFO; open the namespaces to join; clone3 the container process with every
//! new-namespace flag at once (+CLONE_PIDFD); write its uid/gid maps; run
//! prestart/createRuntime hooks when it asks; pass on a terminal's master (to the socket,
//! or back to an attached caller); wait for Ready or a failure record; then
//! write the pid file and state.json. Any failure kills the container process and removes
//! the state directory, so a failed create leaves nothing behind. A create that is killed
//! half-way leaves a state.json with status `creating`, written before the cgroup is made
//! (naming it as pending), once it is the container's own, and again with the pid after
//! the clone, so `delete` can remove what it left.

use super::bundle::Bundle;
use super::child::{self, ChildPlan};
use super::sync::{self, Tag};
use crate::cpath::CPath;
use crate::error::{Error, Result};
use crate::linux::cgroups::{self, Cgroup};
use crate::linux::hooks::{self, HookKind};
use crate::linux::{console, namespaces, seccomp};
use crate::out::Buf;
use crate::spec::Spec;
use crate::state::file::{self, NewState, Status};
use crate::state::{id, Entry, Store};
use crate::sys::clone::{clone3, Forked};
use crate::sys::mem::Zeroed;
use crate::sys::seccomp::Program;
use core::fmt::Write;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{self, Mode, OFlags};
use rustix::process::Pid;

/// Options of `create` (and of the create half of `run`).
pub struct CreateOpts<'a> {
    pub bundle: &'a [u8],
    pub pid_file: Option<&'a [u8]>,
    pub console_socket: Option<&'a [u8]>,
    pub no_pivot: bool,
    pub preserve_fds: u32,
    /// `--no-new-keyring`: keep the caller's session keyring.
    pub no_new_keyring: bool,
    /// Socket-activation fds (LISTEN_FDS of husk's own environment), passed before those.
    pub listen_fds: u32,
    /// The container process's stdout instead of the runtime's own (dup2'd onto fd 1 in
    /// the container process; husk as PID 1 captures each bundle's output this way).
    pub stdout: Option<BorrowedFd<'a>>,
    /// The same for stdin and stderr (husk as PID 1: /dev/null and a log pipe).
    pub stdin: Option<BorrowedFd<'a>>,
    pub stderr: Option<BorrowedFd<'a>>,
    /// `--systemd-cgroup`: linux.cgroupsPath is `slice:prefix:name`.
    pub systemd_cgroup: bool,
    /// husk as PID 1 in test mode (`husk.test`): honour the test annotations (see
    /// [`TEST_NO_CLONE_INTO_CGROUP`]). Never set from the command line.
    pub test_mode: bool,
    /// The caller stays with the container (`run` without `--detach`, husk as PID 1): a
    /// terminal's master comes back in [`Created::console`] instead of needing
    /// `--console-socket` (runc's rules: `console::Target::choose`).
    pub attached: bool,
}

/// Annotation (test mode only, value `"true"`): start the container process without
/// CLONE_INTO_CGROUP and move it with cgroup.procs, the path kernels before 5.7 take. Every
/// kernel the QEMU tests boot has CLONE_INTO_CGROUP, so this is how that path is tested.
pub const TEST_NO_CLONE_INTO_CGROUP: &str = "husk.test/no-clone-into-cgroup";

/// A container process that is built and waits for `start`.
pub struct Created {
    pub pid: Pid,
    pub pidfd: Option<OwnedFd>,
    /// The master of the container's terminal, for an attached caller to relay.
    pub console: Option<OwnedFd>,
}

/// Most namespaces a config can join by path (one per type).
const MAX_JOINS: usize = 8;

pub fn create(root: &[u8], id: &str, o: &CreateOpts<'_>) -> Result<Created> {
    let id = id::check(id.as_bytes())?;
    let mut bundle = Bundle::read(o.bundle)?;
    let dir = CPath::from(bundle.dir.as_bytes(), "--bundle")?;
    let spec = bundle.spec()?;
    check_supported(&spec)?;
    let terminal = spec.process.as_ref().and_then(|p| p.terminal) == Some(true);
    // Before anything exists: a bad flag combination or an unreachable socket fails here.
    let console = console::Target::choose(terminal, o.console_socket, !o.attached)?;
    let store = Store::open(root, true)?;
    let entry = store.create(id)?;
    match build(&entry, &spec, &dir, o, console.as_ref()) {
        Ok(c) => Ok(c),
        Err(e) => {
            let _ = entry.remove();
            Err(e)
        }
    }
}

/// Fields husk parses but cannot honour yet: refuse rather than ignore.
fn check_supported(spec: &Spec<'_>) -> Result<()> {
    if spec.process.is_none() {
        return Err(Error::spec("process", "is required to create a container"));
    }
    if spec.namespace("mount").is_none() {
        // rootfs setup changes propagation and pivots the root of its mount namespace:
        // done in the caller's, it would move the caller's own root (pivot_root moves every
        // process whose root is the old one).
        return Err(Error::unsupported(
            "linux.namespaces",
            "a mount namespace is required (add {\"type\":\"mount\"})",
        ));
    }
    let mut unsupported = None;
    crate::spec::support(spec, false, &mut |level, e| {
        if level == crate::spec::Level::Error {
            unsupported.get_or_insert(e);
        } else {
            crate::warn!("{e}");
        }
    });
    match unsupported {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn build(
    entry: &Entry<'_>,
    spec: &Spec<'_>,
    bundle: &CPath,
    o: &CreateOpts<'_>,
    console: Option<&console::Target>,
) -> Result<Created> {
    let rootfs = super::bundle::rootfs_path(bundle, spec)?;
    // The FIFO the container process waits on; opened here for reading without blocking so
    // the child inherits a descriptor that outlives pivot_root.
    fs::mknodat(
        entry.dir(),
        super::EXEC_FIFO,
        fs::FileType::Fifo,
        Mode::from_raw_mode(0o600),
        0,
    )
    .map_err(|e| Error::sys("mkfifo", e).path(super::EXEC_FIFO.as_bytes()))?;
    let fifo = fs::openat(
        entry.dir(),
        super::EXEC_FIFO,
        OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::sys("open", e).path(super::EXEC_FIFO.as_bytes()))?;

    let (flags, joins) = namespace_plan(spec)?;
    let place = cgroups::place(spec.linux.as_ref(), entry.id(), o.systemd_cgroup)?;
    // The cgroup is named in a "creating" state.json before it is made (pending: `delete`
    // removes it only if empty, for it may have existed), then again once it is known to
    // be the container's own (made, or empty): a create that dies from then on (killed, or
    // a hook killing it) leaves a record `delete` removes it by, killing what is inside.
    let creating = |path: &[u8], pending: bool| {
        write_state(
            entry,
            spec,
            bundle,
            &rootfs,
            o,
            0,
            0,
            Status::Creating,
            path,
            pending,
        )
    };
    let cg = match place {
        Some(p) => {
            creating(p.path.as_bytes(), true)?;
            cgroups::setup(p, spec.linux.as_ref(), &mut |path| creating(path, false))?
        }
        None => None,
    };
    match build_in(
        entry,
        spec,
        bundle,
        o,
        &rootfs,
        &fifo,
        flags,
        &joins,
        cg.as_ref(),
        console,
    ) {
        Ok(c) => Ok(c),
        Err(e) => {
            if let Some(cg) = cg {
                let _ = cg.destroy();
            }
            Err(e)
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn build_in(
    entry: &Entry<'_>,
    spec: &Spec<'_>,
    bundle: &CPath,
    o: &CreateOpts<'_>,
    rootfs: &CPath,
    fifo: &OwnedFd,
    flags: u64,
    joins: &heapless::Vec<(u32, OwnedFd), MAX_JOINS>,
    cg: Option<&Cgroup>,
    console: Option<&console::Target>,
) -> Result<Created> {
    let (parent_end, child_end) = sync::pair()?;
    let filter = compile_seccomp(spec)?;
    let new_userns = flags & linux_raw_sys::general::CLONE_NEWUSER as u64 != 0;
    let (pid, pidfd, moved) = {
        let plan = ChildPlan {
            id: entry.id(),
            spec,
            bundle,
            rootfs,
            sync: &child_end,
            fifo,
            joins,
            new_userns,
            new_netns: flags & linux_raw_sys::general::CLONE_NEWNET as u64 != 0,
            new_cgroupns: flags & linux_raw_sys::general::CLONE_NEWCGROUP as u64 != 0,
            new_timens: spec.namespace("time").is_some_and(|n| n.path.is_none()),
            no_pivot: o.no_pivot,
            new_keyring: !o.no_new_keyring,
            fds: crate::linux::process::ExtraFds {
                listen: o.listen_fds,
                preserve: o.preserve_fds,
            },
            stdout: o.stdout,
            seccomp: filter.as_ref().map(|(p, c)| (&**p, *c)),
            stdin: o.stdin,
            stderr: o.stderr,
        };
        // A new cgroup namespace is made by the container process once it is in its
        // cgroup (as runc does): one made by clone3 would be rooted at husk's cgroup, since
        // the kernel copies namespaces before CLONE_INTO_CGROUP moves the child.
        let flags = (flags | linux_raw_sys::general::CLONE_PIDFD as u64)
            & !(linux_raw_sys::general::CLONE_NEWCGROUP as u64);
        let into = cg.filter(|_| clone_into_cgroup(spec, o.test_mode));
        let mut moved = into.is_some();
        let r = match clone3(flags, linux_raw_sys::general::SIGCHLD, into.map(|c| c.fd())) {
            // Before Linux 5.7 clone3 has no CLONE_INTO_CGROUP (E2BIG: larger clone_args;
            // ENOSYS: no clone3): clone, then write the pid to cgroup.procs before Go.
            Err(
                rustix::io::Errno::TOOBIG | rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS,
            ) if into.is_some() => {
                moved = false;
                clone3(flags, linux_raw_sys::general::SIGCHLD, None)
            }
            r => r,
        };
        match r {
            Ok(Forked::Child) => child::main(&plan),
            Ok(Forked::Parent { pid, pidfd }) => (pid, pidfd, moved),
            Err(e) => return Err(Error::sys("clone3", e)),
        }
    };
    drop(child_end);
    let mut created = Created {
        pid,
        pidfd,
        console: None,
    };
    let raw_pid = pid.as_raw_nonzero().get();
    let cgp = cg.map(|c| c.path.as_bytes()).unwrap_or(b"");
    // The pid too, so `delete` can kill a half-built container that has no cgroup.
    let start = crate::state::process_start(raw_pid).unwrap_or(0);
    let record = |status| {
        write_state(
            entry, spec, bundle, rootfs, o, raw_pid, start, status, cgp, false,
        )
    };
    let placed = (|| {
        record(Status::Creating)?;
        match (cg, moved) {
            (Some(c), false) => c.add(raw_pid),
            _ => Ok(()),
        }
    })();
    if let Err(e) = placed {
        kill_and_reap(&created);
        return Err(e);
    }
    match handshake(
        &created,
        &parent_end,
        spec,
        bundle,
        entry,
        new_userns,
        console,
    ) {
        Ok(master) => created.console = master,
        Err(e) => {
            kill_and_reap(&created);
            return Err(e);
        }
    }
    let write = (|| {
        record(Status::Created)?;
        if let Some(p) = o.pid_file {
            write_pid_file(p, pid)?;
        }
        Ok(())
    })();
    if let Err(e) = write {
        kill_and_reap(&created);
        return Err(e);
    }
    Ok(created)
}

/// Whether the container process is started in its cgroup by clone3 (CLONE_INTO_CGROUP),
/// rather than moved there through cgroup.procs: always, but for a test-mode container
/// annotated [`TEST_NO_CLONE_INTO_CGROUP`].
pub fn clone_into_cgroup(spec: &Spec<'_>, test_mode: bool) -> bool {
    let off = test_mode
        && spec
            .annotations
            .get(TEST_NO_CLONE_INTO_CGROUP)
            .is_some_and(|v| v.is_ok_and(|v| v.eq_str("true")));
    if off {
        crate::debug!("cgroups: {TEST_NO_CLONE_INTO_CGROUP}: moved with cgroup.procs");
    }
    !off
}

/// Clone flags for the namespaces to create, and opened fds of those to join. pid and time
/// namespaces apply to children only, so they are joined here, by the runtime, before the
/// clone; the others are joined by the container process (user first).
fn namespace_plan(spec: &Spec<'_>) -> Result<(u64, heapless::Vec<(u32, OwnedFd), MAX_JOINS>)> {
    let mut flags = 0u64;
    let mut joins = heapless::Vec::new();
    let Some(linux) = &spec.linux else {
        return Ok((0, joins));
    };
    for (i, ns) in linux.namespaces.iter().enumerate() {
        let mut name = [0u8; 16];
        let kind = ns
            .typ
            .decode_into(&mut name)
            .ok()
            .and_then(namespaces::by_name)
            .ok_or(Error::spec("linux.namespaces[].type", "unknown namespace type").at(i))?;
        match &ns.path {
            // A new time namespace is made by the container process itself (unshare, then
            // its offsets, then exec enters it): offsets cannot be set once a process is in.
            None if kind.flag == linux_raw_sys::general::CLONE_NEWTIME => {}
            None => flags |= kind.flag as u64,
            Some(p) => {
                let mut buf = [0u8; crate::cpath::PATH_MAX];
                let path = CPath::from(
                    p.decode_into(&mut buf)?.as_bytes(),
                    "linux.namespaces[].path",
                )?;
                let fd = fs::open(
                    path.as_cstr(),
                    OFlags::RDONLY | OFlags::CLOEXEC,
                    Mode::empty(),
                )
                .map_err(|e| Error::sys("open namespace", e).path(path.as_bytes()))?;
                if kind.flag
                    & (linux_raw_sys::general::CLONE_NEWPID | linux_raw_sys::general::CLONE_NEWTIME)
                    != 0
                {
                    namespaces::join(&fd, kind).map_err(|e| e.path(path.as_bytes()))?;
                } else {
                    joins.push((kind.flag, fd)).map_err(|_| {
                        Error::capacity(
                            "linux.namespaces",
                            MAX_JOINS as u64 + 1,
                            MAX_JOINS as u64,
                            "joined namespaces",
                        )
                    })?;
                }
            }
        }
    }
    Ok((flags, joins))
}

/// Compile `linux.seccomp` for this machine, before the clone: a bad profile fails here,
/// and unknown syscall names are warned about once, in the runtime's log.
pub(super) fn compile_seccomp(
    spec: &Spec<'_>,
) -> Result<Option<(Zeroed<Program>, seccomp::Compiled)>> {
    let Some(s) = spec.linux.as_ref().and_then(|l| l.seccomp.as_ref()) else {
        return Ok(None);
    };
    let mut prog: Zeroed<Program> = Zeroed::new().map_err(|e| Error::sys("mmap", e))?;
    let mut unknown: Buf<400> = Buf::new();
    let mut n = 0;
    let c = seccomp::compile(s, seccomp::tables::Arch::NATIVE, &mut prog, &mut |name| {
        n += 1;
        let _ = write!(unknown, "{}{name}", if n > 1 { ", " } else { "" });
    })?;
    if n > 0 {
        crate::warn!(
            "seccomp: {n} syscall name(s) unknown on every architecture, skipped: {}{}",
            unknown.as_str(),
            if unknown.truncated() { "..." } else { "" }
        );
    }
    Ok(Some((prog, c)))
}

/// The runtime's side of the setup conversation. Returns the terminal's master when the
/// caller keeps it.
fn handshake(
    c: &Created,
    sock: &OwnedFd,
    spec: &Spec<'_>,
    bundle: &CPath,
    entry: &Entry<'_>,
    userns: bool,
    console: Option<&console::Target>,
) -> Result<Option<OwnedFd>> {
    if userns {
        namespaces::write_id_maps(c.pid, spec)?;
    }
    sync::send_tag(sock, Tag::Go)?;
    let mut kept = None;
    loop {
        match sync::recv_msg(sock)? {
            Some(m) if m.tag == Tag::Ready => {
                // The child closes everything but the FIFO (and preserved fds) right after
                // Ready, this socket included: wait for that, so that when `create`
                // returns the container holds nothing else.
                return match sync::recv_msg(sock)? {
                    None => Ok(kept),
                    Some(_) => Err(Error::state("container process sent an unexpected message")),
                };
            }
            Some(m) if m.tag == Tag::Console => {
                let (Some(fd), Some(t)) = (m.fd, console) else {
                    return Err(Error::state(
                        "container process sent an unexpected terminal",
                    ));
                };
                kept = t.deliver(fd)?;
            }
            Some(m) if m.tag == Tag::RuntimeHooks => {
                let state = state_json(
                    entry.id(),
                    "creating",
                    c.pid.as_raw_nonzero().get(),
                    bundle,
                    spec,
                );
                if let Some(h) = &spec.hooks {
                    hooks::run(HookKind::Prestart, &h.prestart, state.as_bytes())?;
                    hooks::run(HookKind::CreateRuntime, &h.create_runtime, state.as_bytes())?;
                }
                sync::send_tag(sock, Tag::Go)?;
            }
            Some(m) if m.tag == Tag::SeccompFd => {
                let (Some(fd), Some(s)) =
                    (m.fd, spec.linux.as_ref().and_then(|l| l.seccomp.as_ref()))
                else {
                    return Err(Error::state(
                        "container process sent no seccomp listener fd",
                    ));
                };
                let pid = c.pid.as_raw_nonzero().get();
                let state = state_json(entry.id(), "creating", pid, bundle, spec);
                seccomp::notify::send(s, pid, state.as_str(), fd.as_fd())?;
                sync::send_tag(sock, Tag::Go)?;
            }
            Some(m) if m.tag == Tag::Failed => {
                // The text can be longer than an Error holds: print it whole here.
                crate::error!("create: {}", m.text.as_str());
                return Err(Error::reported());
            }
            Some(_) => return Err(Error::state("container process sent an unexpected message")),
            None => return Err(Error::state("container process exited during setup")),
        }
    }
}

/// SIGKILL the container process and reap it (after a failed create).
pub fn kill_and_reap(c: &Created) {
    match &c.pidfd {
        Some(fd) => {
            let _ = crate::sys::process::pidfd_send_signal(fd, 9);
        }
        None => {
            let _ = crate::sys::process::kill(c.pid.as_raw_nonzero().get(), 9);
        }
    }
    let _ = rustix::process::waitpid(Some(c.pid), rustix::process::WaitOptions::empty());
}

/// The runtime-spec State JSON given to hooks on stdin.
pub fn state_json(
    id: &str,
    status: &str,
    pid: i32,
    bundle: &CPath,
    spec: &Spec<'_>,
) -> Buf<{ 64 * 1024 }> {
    let mut b = Buf::new();
    let _ = write!(b, "{{\"ociVersion\":\"{}\",\"id\":\"{id}\",\"status\":\"{status}\",\"pid\":{pid},\"bundle\":\"", crate::OCI_VERSION);
    let _ = crate::out::json_escape(
        &mut b,
        core::str::from_utf8(bundle.as_bytes()).unwrap_or(""),
    );
    let ann = spec.annotations.raw();
    let _ = write!(
        b,
        "\",\"annotations\":{}}}",
        if ann.is_empty() { "{}" } else { ann }
    );
    b
}

#[allow(clippy::too_many_arguments)]
pub fn write_state(
    entry: &Entry<'_>,
    spec: &Spec<'_>,
    bundle: &CPath,
    rootfs: &CPath,
    o: &CreateOpts<'_>,
    pid: i32,
    start: u64,
    status: Status,
    cgroup: &[u8],
    cgroup_pending: bool,
) -> Result<()> {
    let c = file::escaped::<{ crate::cpath::PATH_MAX * 2 }>(cgroup, "cgroup")?;
    let b = file::escaped::<{ crate::cpath::PATH_MAX * 2 }>(bundle.as_bytes(), "bundle")?;
    let r = file::escaped::<{ crate::cpath::PATH_MAX * 2 }>(rootfs.as_bytes(), "root.path")?;
    entry.write(&NewState {
        id: entry.id(),
        status,
        pid,
        pid_start: start,
        bundle: b.as_str(),
        rootfs: r.as_str(),
        created: file::now().as_str(),
        owner: "",
        cgroup_path: c.as_str(),
        cgroup_pending,
        no_new_keyring: o.no_new_keyring,
        annotations_json: spec.annotations.raw(),
    })
}

/// Write the pid file atomically (temp file in the same directory, then rename), so a
/// caller polling for it never reads a partial number.
pub fn write_pid_file(path: &[u8], pid: Pid) -> Result<()> {
    let target = super::bundle::absolute(path)?;
    // A sibling temp name: "<dir>/.<name>.husk-tmp".
    let bytes = target.as_bytes();
    let slash = bytes.iter().rposition(|&c| c == b'/').unwrap_or(0);
    let mut sib = CPath::from(&bytes[..=slash], "--pid-file")?;
    let mut name = Buf::<300>::new();
    name.push_bytes(b".");
    name.push_bytes(&bytes[slash + 1..]);
    name.push_bytes(b".husk-tmp");
    sib.join(name.as_bytes(), "--pid-file")?;
    let f = fs::open(
        sib.as_cstr(),
        OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::CLOEXEC | OFlags::NOFOLLOW,
        Mode::from_raw_mode(0o644),
    )
    .map_err(|e| Error::sys("create pid file", e).path(sib.as_bytes()))?;
    let mut num = Buf::<16>::new();
    let _ = write!(num, "{}", pid.as_raw_nonzero().get());
    crate::out::write_all(&f, num.as_bytes())
        .map_err(|e| Error::sys("write pid file", e).path(sib.as_bytes()))?;
    drop(f);
    fs::rename(sib.as_cstr(), target.as_cstr())
        .map_err(|e| Error::sys("rename pid file", e).path(target.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clone_into_cgroup_off_only_by_test_annotation_in_test_mode() {
        let with = |ann: &str| {
            std::format!(r#"{{"ociVersion":"1.0.2","annotations":{{{ann}}}}}"#).into_bytes()
        };
        let mut on = with(r#""husk.test/no-clone-into-cgroup":"true""#);
        let spec = crate::spec::parse(&mut on).unwrap();
        assert!(!clone_into_cgroup(&spec, true));
        // The same config from the command line (no test mode): ignored.
        assert!(clone_into_cgroup(&spec, false));
        let mut other = with(r#""husk.test/no-clone-into-cgroup":"false","a":"b""#);
        let spec = crate::spec::parse(&mut other).unwrap();
        assert!(clone_into_cgroup(&spec, true));
    }
}
