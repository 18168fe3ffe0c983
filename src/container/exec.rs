//! `exec`: run one more process in a running container, as runc does.
//!
//! Three processes: the runtime R clones a helper C into the container's cgroup
//! (CLONE_INTO_CGROUP); C joins the container's namespaces (setns on the init's pidfd,
//! or each /proc/PID/ns file on kernels before 5.8), then clones the exec process G with
//! CLONE_PARENT, so G is R's child (R can wait for it) and lives in the container's pid and
//! time namespaces (which setns gives only to children). C reports G's host pid and exits.
//! G applies the Process (rlimits, cwd, identity, the container's seccomp filter) and
//! execs; its end of the sync socket is CLOEXEC, so R reads end-of-file when the exec
//! succeeded, or one failure text. Then R writes the pid file and either returns
//! (`--detach`) or forwards signals to G and exits with its status.
//!
//! The process never holds more privilege than its Process asks: capabilities are set
//! exactly as listed, inheritable and ambient included (CVE-2022-29162), and G is
//! non-dumpable until execve (CVE-2016-9962).

pub use super::exec_process::{ExecArgs, Source};
use super::sync::{self, Tag};
use crate::error::{Error, Result};
use crate::linux::console::{self, relay::Relay};
use crate::linux::{namespaces, process, seccomp};
use crate::spec::{Process, Spec};
use crate::state::file;
use crate::state::{live_status, Store};
use crate::sys::clone::{clone3, Forked};
use crate::sys::mem::Region;
use rustix::fd::{AsFd, AsRawFd, OwnedFd};
use rustix::process::{Pid, WaitOptions};

/// `exec`'s options besides the Process.
#[derive(Default)]
pub struct ExecOpts<'a> {
    pub detach: bool,
    pub pid_file: Option<&'a [u8]>,
    pub preserve_fds: u32,
    pub ignore_paused: bool,
    /// `--console-socket`: where the master of a `--tty` exec goes.
    pub console_socket: Option<&'a [u8]>,
}

/// Run the process `src` describes in container `id`; returns its exit status (0 at once
/// with `detach`).
pub fn exec(root: &[u8], id: &str, src: &Source<'_>, o: &ExecOpts<'_>) -> Result<i32> {
    let id = crate::state::id::check(id.as_bytes())?;
    let store = Store::open(root, false)?;
    let mut buf = [0u8; file::STATE_MAX_BYTES];
    let ignore_paused = o.ignore_paused;
    let super::Loaded { entry, st, .. } =
        super::load(&store, id, &mut buf, super::Verb::Exec { ignore_paused })?;
    let mut b = [0u8; crate::cpath::PATH_MAX];
    let bundle_dir = file::unescape(st.bundle, &mut b)?;
    let mut bundle = super::bundle::Bundle::read(bundle_dir.as_bytes())?;
    let dir = bundle.dir_copy();
    let spec = bundle.spec()?;
    let mut region =
        Region::new(crate::spec::CONFIG_MAX_BYTES).map_err(|e| Error::sys("mmap", e))?;
    let len = match src {
        Source::File(path) => {
            let path = crate::cpath::CPath::from(path, "--process")?;
            crate::files::read_file(path.as_cstr(), &mut region, "--process")?.len()
        }
        Source::Args(a) => {
            let base = spec
                .process
                .as_ref()
                .ok_or(Error::spec("process", "is required"))?;
            super::exec_process::build(base, a, &mut region)?
        }
    };
    let p = crate::spec::parse_process(&mut region[..len])?;
    let mut first = None;
    crate::spec::validate_process(&p, &mut |e| {
        first.get_or_insert(e);
    });
    if let Some(e) = first {
        return Err(e);
    }
    let p = &p;
    let new_keyring = !st.no_new_keyring;
    // runc's rules for --tty/--console-socket; the socket is connected now.
    let console = console::Target::choose(p.terminal == Some(true), o.console_socket, o.detach)?;
    let filter = super::create::compile_seccomp(&spec)?;
    let init = Pid::from_raw(st.pid).ok_or(Error::state("container has no process"))?;
    let pidfd = rustix::process::pidfd_open(init, rustix::process::PidfdFlags::empty())
        .map_err(|e| Error::sys("pidfd_open", e))?;
    // The pidfd names the process we checked only if it is still the same one.
    super::Verb::Exec { ignore_paused }.check(live_status(&st))?;
    let cg = super::cgroup_of(&st);
    // Other commands (kill, delete, a second exec) must not wait for this one.
    drop(entry);

    let old = if o.detach {
        None
    } else {
        Some(super::run::block_forwarded()?)
    };
    let who = Who {
        id,
        bundle: &dir,
        init: st.pid,
        new_keyring,
    };
    let r = spawn_and_wait(
        &spec,
        p,
        o,
        &pidfd,
        &who,
        cg.as_ref(),
        filter.as_ref(),
        console.as_ref(),
    );
    if let Some(old) = old {
        let _ = crate::sys::process::swap_sigmask(old);
    }
    r
}

/// The container: for the State JSON a seccomp listener receives, and whether it has a
/// session keyring of its own.
struct Who<'a> {
    id: &'a str,
    bundle: &'a crate::cpath::CPath,
    init: i32,
    new_keyring: bool,
}

/// What C and G need, prepared by R.
struct Plan<'a> {
    id: &'a str,
    spec: &'a Spec<'a>,
    process: &'a Process<'a>,
    pidfd: &'a OwnedFd,
    init: i32,
    /// Join the container's session keyring (not when it was created --no-new-keyring).
    new_keyring: bool,
    sync: &'a OwnedFd,
    preserve_fds: u32,
    filter: Option<(&'a crate::sys::seccomp::Program, seccomp::Compiled)>,
}

#[allow(clippy::too_many_arguments)]
fn spawn_and_wait(
    spec: &Spec<'_>,
    p: &Process<'_>,
    o: &ExecOpts<'_>,
    pidfd: &OwnedFd,
    who: &Who<'_>,
    cg: Option<&crate::linux::cgroups::Cgroup>,
    filter: Option<&(
        crate::sys::mem::Zeroed<crate::sys::seccomp::Program>,
        seccomp::Compiled,
    )>,
    console: Option<&console::Target>,
) -> Result<i32> {
    let sfd = if o.detach {
        None
    } else {
        Some(super::run::forwarded_signalfd()?)
    };
    let (parent_end, child_end) = sync::pair()?;
    let plan = Plan {
        id: who.id,
        spec,
        process: p,
        pidfd,
        init: who.init,
        new_keyring: who.new_keyring,
        sync: &child_end,
        preserve_fds: o.preserve_fds,
        filter: filter.map(|(prog, c)| (&**prog, *c)),
    };
    let sigchld = linux_raw_sys::general::SIGCHLD;
    let (helper, moved) =
        match clone3(0, sigchld, cg.map(|c| c.fd())) {
            // Before Linux 5.7 no CLONE_INTO_CGROUP: clone, then move C before its Go.
            Err(
                rustix::io::Errno::TOOBIG | rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS,
            ) if cg.is_some() => match clone3(0, sigchld, None) {
                Ok(Forked::Child) => helper_main(&plan),
                Ok(Forked::Parent { pid, .. }) => (pid, false),
                Err(e) => return Err(Error::sys("clone3", e)),
            },
            Ok(Forked::Child) => helper_main(&plan),
            Ok(Forked::Parent { pid, .. }) => (pid, true),
            Err(e) => return Err(Error::sys("clone3", e)),
        };
    drop(child_end);
    let placed = match (cg, moved) {
        (Some(c), false) => c.add(helper.as_raw_nonzero().get()),
        _ => Ok(()),
    };
    let result = placed
        .and_then(|()| sync::send_tag(&parent_end, Tag::Go))
        .map_err(|e| (e, None))
        .and_then(|()| handshake(&parent_end, spec, who, console));
    let _ = rustix::process::waitpid(Some(helper), WaitOptions::empty());
    let (pid, kept) = match result {
        Ok(r) => r,
        Err((e, pid)) => {
            // G reported its failure and exits: 127 (not found) or 126 (not executable)
            // become husk's status, as for `run`.
            if let Some(pid) = pid {
                if let Ok(code) = super::run::wait_for(pid) {
                    if matches!(code, 126 | 127) {
                        return Ok(code);
                    }
                }
            }
            return Err(e);
        }
    };
    if let Some(f) = o.pid_file {
        super::create::write_pid_file(f, pid)?;
    }
    match sfd {
        None => Ok(0),
        Some(sfd) => {
            // A terminal kept for us (--tty without a socket): relay it meanwhile.
            let mut relay = kept;
            let code = super::run::forward_until_exit(&sfd, pid, relay.as_mut());
            // The caller's terminal is itself again before anything else is printed.
            drop(relay);
            code
        }
    }
}

/// R's side: the exec process's pid from C (answered with Go, which G waits for), a
/// seccomp listener fd to pass on, then end-of-file (G exec'd) or a failure. On failure,
/// the pid of G if it exists.
#[allow(clippy::type_complexity)]
fn handshake(
    sock: &OwnedFd,
    spec: &Spec<'_>,
    who: &Who<'_>,
    console: Option<&console::Target>,
) -> core::result::Result<(Pid, Option<Relay>), (Error, Option<Pid>)> {
    let mut pid = None;
    let mut kept = None;
    loop {
        let m = sync::recv_msg(sock).map_err(|e| (e, pid))?;
        match m {
            None => {
                let p = pid.ok_or((Error::state("exec process ended during setup"), None))?;
                return Ok((p, kept));
            }
            Some(m) if m.tag == Tag::Console => {
                let (Some(fd), Some(t)) = (m.fd, console) else {
                    return Err((
                        Error::state("exec process sent an unexpected terminal"),
                        pid,
                    ));
                };
                // Raw mode, size and ONLCR are set before the program can write: G
                // waits for this Go.
                let master = t.deliver(fd).map_err(|e| (e, pid))?;
                kept = master.map(Relay::new).transpose().map_err(|e| (e, pid))?;
                sync::send_tag(sock, Tag::Go).map_err(|e| (e, pid))?;
            }
            Some(m) if m.tag == Tag::Spawned => {
                let n = crate::cli::args::number::<i32>(m.text.as_bytes(), "pid").ok();
                pid = n.and_then(Pid::from_raw);
                // G waits for this: every message of G comes after its pid.
                sync::send_tag(sock, Tag::Go).map_err(|e| (e, pid))?;
            }
            Some(m) if m.tag == Tag::SeccompFd => {
                let r = (|| {
                    let s = spec.linux.as_ref().and_then(|l| l.seccomp.as_ref());
                    let (Some(fd), Some(s)) = (m.fd, s) else {
                        return Err(Error::state("exec process sent no seccomp listener fd"));
                    };
                    let child = pid.map_or(0, |p| p.as_raw_nonzero().get());
                    let state =
                        super::create::state_json(who.id, "running", who.init, who.bundle, spec);
                    seccomp::notify::send(s, child, state.as_str(), fd.as_fd())?;
                    sync::send_tag(sock, Tag::Go)
                })();
                r.map_err(|e| (e, pid))?;
            }
            Some(m) if m.tag == Tag::Failed => {
                crate::error!("exec failed: {}", m.text.as_str());
                return Err((Error::reported(), pid));
            }
            Some(_) => return Err((Error::state("exec process sent an unexpected message"), pid)),
        }
    }
}

/// C: join the container's namespaces, clone G as R's child, report its pid, exit.
fn helper_main(plan: &Plan<'_>) -> ! {
    let r = (|| {
        rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)
            .map_err(|e| Error::sys("prctl PR_SET_DUMPABLE", e))?;
        // Go: R has put this process in the container's cgroup.
        sync::expect(plan.sync, Tag::Go, sync::UNEXPECTED)?;
        join(plan)?;
        // clone3 wants exit_signal 0 with CLONE_PARENT: G gets C's (SIGCHLD, to R).
        let flags = linux_raw_sys::general::CLONE_PARENT as u64;
        match clone3(flags, 0, None) {
            Ok(Forked::Child) => exec_main(plan),
            Ok(Forked::Parent { pid, .. }) => {
                let mut t = crate::out::Buf::<16>::new();
                let _ =
                    core::fmt::Write::write_fmt(&mut t, format_args!("{}", pid.as_raw_nonzero()));
                sync::send_text(plan.sync, Tag::Spawned, t.as_bytes())
            }
            Err(e) => Err(Error::sys("clone3 CLONE_PARENT", e)),
        }
    })();
    if let Err(e) = r {
        sync::send_failure(plan.sync, &e);
        crate::sys::exit(1);
    }
    crate::sys::exit(0)
}

/// The namespace types the container has (`linux.namespaces`) as CLONE_NEW* flags.
fn ns_flags(spec: &Spec<'_>) -> u32 {
    let mut flags = 0;
    if let Some(l) = &spec.linux {
        for n in l.namespaces.iter() {
            if let Some(k) = namespaces::by_name(n.typ.raw()) {
                flags |= k.flag;
            }
        }
    }
    flags
}

/// setns into all of them through the init's pidfd in one step (Linux 5.8+); before
/// that, one /proc/PID/ns file at a time: user first (its capabilities open the others),
/// mount last (it changes the root), and a namespace this process is already in skipped.
fn join(plan: &Plan<'_>) -> Result<()> {
    let flags = ns_flags(plan.spec);
    if flags == 0 {
        return Ok(());
    }
    let t = rustix::thread::ThreadNameSpaceType::from_bits_retain(flags);
    match rustix::thread::move_into_thread_name_spaces(plan.pidfd.as_fd(), t) {
        Ok(()) => return Ok(()),
        Err(rustix::io::Errno::INVAL) => {}
        // The init exited since R looked.
        Err(rustix::io::Errno::SRCH) => {
            return Err(Error::state("cannot exec in a stopped container"))
        }
        Err(e) => return Err(Error::sys("setns pidfd", e)),
    }
    let user = linux_raw_sys::general::CLONE_NEWUSER;
    let mnt = linux_raw_sys::general::CLONE_NEWNS;
    let order = namespaces::NAMESPACES
        .iter()
        .filter(|n| n.flag == user)
        .chain(
            namespaces::NAMESPACES
                .iter()
                .filter(|n| n.flag != user && n.flag != mnt),
        )
        .chain(namespaces::NAMESPACES.iter().filter(|n| n.flag == mnt));
    for kind in order.filter(|k| flags & k.flag != 0) {
        let mut t = crate::out::Buf::<64>::new();
        let _ = core::fmt::Write::write_fmt(
            &mut t,
            format_args!("/proc/{}/ns/{}", plan.init, kind.proc_name),
        );
        let path = crate::cpath::CPath::from(t.as_bytes(), "namespace path")?;
        let fd = rustix::fs::open(
            path.as_cstr(),
            rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        )
        .map_err(|e| Error::sys("open", e).path(path.as_bytes()))?;
        if same_as_ours(&fd, kind) {
            continue;
        }
        namespaces::join(&fd, kind)?;
    }
    Ok(())
}

/// Whether `fd` is the namespace this process is in already (setns to one's own user
/// namespace is EINVAL).
fn same_as_ours(fd: &OwnedFd, kind: &namespaces::Ns) -> bool {
    let mut t = crate::out::Buf::<64>::new();
    let _ = core::fmt::Write::write_fmt(&mut t, format_args!("/proc/self/ns/{}", kind.proc_name));
    let (Ok(a), Ok(b)) = (rustix::fs::fstat(fd), rustix::fs::stat(t.as_str())) else {
        return false;
    };
    a.st_ino == b.st_ino && a.st_dev == b.st_dev
}

/// G: inside every namespace: set the process up and exec. Failures go to R.
fn exec_main(plan: &Plan<'_>) -> ! {
    let e = match exec_setup(plan) {
        Ok(filter) => {
            let fds = process::ExtraFds {
                listen: 0,
                preserve: plan.preserve_fds,
            };
            process::exec(plan.process, fds, filter.as_ref())
        }
        Err(e) => e,
    };
    sync::send_failure(plan.sync, &e);
    crate::sys::exit(match (e.kind, e.errno()) {
        (crate::error::Kind::NotFound, _) | (_, Some(rustix::io::Errno::NOENT)) => 127,
        (_, Some(rustix::io::Errno::ACCESS | rustix::io::Errno::PERM)) => 126,
        _ => 1,
    })
}

fn exec_setup<'p>(plan: &Plan<'p>) -> Result<Option<process::PendingFilter<'p>>> {
    sync::expect(plan.sync, Tag::Go, sync::UNEXPECTED)?;
    crate::sys::process::set_sigmask(crate::sys::process::SigMask(0))
        .map_err(|e| Error::sys("sigprocmask", e))?;
    crate::sys::fds::close_all_except(3 + plan.preserve_fds as i32, &[plan.sync.as_raw_fd()]);
    crate::log::forget_fd();
    let p = plan.process;
    if p.terminal == Some(true) {
        // A pty of the container's devpts (through its /dev/ptmx: our root is the
        // container's now); the master goes to R, the slave becomes our terminal and
        // stdio while we may still hand it to the user. No /dev/console for an exec.
        let root = rustix::fs::open(
            "/",
            rustix::fs::OFlags::PATH | rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        )
        .map_err(|e| Error::sys("open", e).path(b"/"))?;
        let pty = console::open_pty(root.as_fd(), p.console_size.as_ref())?;
        sync::send_fd(plan.sync, Tag::Console, pty.master.as_fd())?;
        drop(pty.master);
        sync::expect(plan.sync, Tag::Go, "the runtime did not take the terminal")?;
        let uid = p.user.as_ref().map_or(0, |u| u.uid);
        console::make_controlling(pty.slave, uid)?;
    }
    // The container's session keyring (joining creates it if missing, as runc's setns
    // init). A container created --no-new-keyring has none: the exec keeps its caller's,
    // as runc's exec does (the flag is in state.json; the exec has no flag of its own).
    if plan.new_keyring {
        crate::linux::keyring::join(plan.id)?;
    }
    let unconfirmed = "the runtime did not confirm the seccomp listener";
    super::child::apply_process(p, plan.filter, plan.sync, unconfirmed)
}
