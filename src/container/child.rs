//! The container process: cloned by the runtime (no re-exec of husk), it builds the
//! container around itself and execs the user's program when `start` comes.
//!
//! Order: empty signal mask, non-dumpable, drop every inherited fd it does not need, wait
//! for the runtime's Go (uid/gid maps written), join namespaces by path (user first), become
//! root of a new user namespace, hostname/domainname, loopback up, let the runtime run its
//! hooks, createContainer hooks, rootfs (mounts, devices, pivot_root..., the terminal),
//! the terminal's master to the runtime and its slave as stdio, process attributes and
//! identity, report Ready, wait on the exec FIFO, startContainer hooks, exec.
//! Before Ready every failure goes to the runtime as one message and the process exits;
//! after it, the failure is printed on the container's stderr (the runtime is gone).

use super::sync::{self, Tag};
use crate::cpath::CPath;
use crate::error::{Error, Result};
use crate::linux::hooks::{self, HookKind};
use crate::linux::{namespaces, process, rootfs, seccomp};
use crate::spec::{Process, Spec};
use crate::sys::seccomp::Program;
use rustix::fd::{AsRawFd, OwnedFd};
use rustix::io::Errno;

/// What the container process needs, prepared by the runtime before the clone.
pub struct ChildPlan<'a> {
    pub id: &'a str,
    pub spec: &'a Spec<'a>,
    pub bundle: &'a CPath,
    pub rootfs: &'a CPath,
    pub sync: &'a OwnedFd,
    pub fifo: &'a OwnedFd,
    pub joins: &'a [(u32, OwnedFd)],
    pub new_userns: bool,
    pub new_netns: bool,
    pub new_cgroupns: bool,
    pub new_timens: bool,
    pub no_pivot: bool,
    pub fds: process::ExtraFds,
    /// Join the container's own session keyring (not `--no-new-keyring`).
    pub new_keyring: bool,
    /// Becomes fd 1 (see `CreateOpts::stdout`).
    pub stdout: Option<rustix::fd::BorrowedFd<'a>>,
    /// `linux.seccomp`, compiled by the runtime before the clone.
    pub seccomp: Option<(
        &'a crate::sys::seccomp::Program,
        crate::linux::seccomp::Compiled,
    )>,
    /// Become fds 0 and 2 (see `CreateOpts::stdin`).
    pub stdin: Option<rustix::fd::BorrowedFd<'a>>,
    pub stderr: Option<rustix::fd::BorrowedFd<'a>>,
}

/// Entry of the container process. Never returns.
pub fn main(plan: &ChildPlan<'_>) -> ! {
    // Our pid as the host sees it, for the State JSON of the hooks: /proc is still the
    // runtime's here, so /proc/self names the host pid even in a new pid namespace.
    let pid = host_pid();
    let filter = match build(plan, pid) {
        Ok(f) => f,
        Err(e) => {
            sync::send_failure(plan.sync, &e);
            crate::sys::exit(1);
        }
    };
    // The runtime may now exit: from here on the container is on its own.
    let Some(p) = &plan.spec.process else {
        crate::sys::exit(1)
    };
    if !wait_for_start(plan.fifo) {
        crate::sys::exit(0);
    }
    if let Some(h) = &plan.spec.hooks {
        let state = super::create::state_json(plan.id, "created", pid, plan.bundle, plan.spec);
        if let Err(e) = hooks::run(
            HookKind::StartContainer,
            &h.start_container,
            state.as_bytes(),
        ) {
            crate::error!("{e}");
            crate::sys::exit(1);
        }
    }
    let e = process::exec(p, plan.fds, filter.as_ref());
    crate::error!("{e}");
    crate::sys::exit(match e.errno() {
        Some(Errno::NOENT) => 127,
        Some(Errno::ACCESS) | Some(Errno::PERM) => 126,
        _ => 1,
    })
}

/// Returns the seccomp filter [`process::exec`] installs, if one is still to install.
fn build<'p>(plan: &ChildPlan<'p>, pid: i32) -> Result<Option<process::PendingFilter<'p>>> {
    // Signals the runtime blocked (run forwards them) must not stay blocked for the user's
    // program: execve keeps the mask.
    crate::sys::process::set_sigmask(crate::sys::process::SigMask(0))
        .map_err(|e| Error::sys("sigprocmask", e))?;
    // Non-dumpable until execve: a process in the container cannot ptrace us or open our
    // /proc files while we still hold host resources (CVE-2016-9962).
    rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)
        .map_err(|e| Error::sys("prctl PR_SET_DUMPABLE", e))?;
    if let Some(out) = plan.stdout {
        // dup2 clears CLOEXEC on fd 1: the program inherits it as its stdout.
        rustix::stdio::dup2_stdout(out).map_err(|e| Error::sys("dup2 stdout", e))?;
    }
    if let Some(i) = plan.stdin {
        rustix::stdio::dup2_stdin(i).map_err(|e| Error::sys("dup2 stdin", e))?;
    }
    if let Some(e2) = plan.stderr {
        rustix::stdio::dup2_stderr(e2).map_err(|e| Error::sys("dup2 stderr", e))?;
    }
    let mut keep: heapless::Vec<i32, 12> = heapless::Vec::new();
    let _ = keep.push(plan.sync.as_raw_fd());
    let _ = keep.push(plan.fifo.as_raw_fd());
    for (_, fd) in plan.joins {
        let _ = keep.push(fd.as_raw_fd());
    }
    crate::sys::fds::close_all_except(plan.fds.end() as i32, &keep);
    crate::log::forget_fd();

    sync::expect(plan.sync, Tag::Go, sync::UNEXPECTED)?;
    join_namespaces(plan)?;
    if plan.new_userns {
        become_root()?;
    }
    if plan.new_keyring {
        crate::linux::keyring::join_session(plan.id, plan.new_userns)?;
    }
    if plan.new_cgroupns {
        // Now, not at clone: the runtime has put this process in its cgroup, which becomes
        // the namespace's root (create.rs).
        crate::sys::process::unshare(linux_raw_sys::general::CLONE_NEWCGROUP)
            .map_err(|e| Error::sys("unshare CLONE_NEWCGROUP", e))?;
    }
    let spec = plan.spec;
    if let Some(h) = &spec.hostname {
        let mut b = [0u8; 256];
        let name = h.decode_into(&mut b)?;
        rustix::system::sethostname(name.as_bytes())
            .map_err(|e| Error::sys("sethostname", e).value(name.as_bytes()))?;
    }
    if let Some(d) = &spec.domainname {
        let mut b = [0u8; 256];
        let name = d.decode_into(&mut b)?;
        rustix::system::setdomainname(name.as_bytes())
            .map_err(|e| Error::sys("setdomainname", e).value(name.as_bytes()))?;
    }
    if plan.new_timens {
        namespaces::new_time_ns(spec)?;
    }
    if plan.new_netns {
        crate::sys::process::loopback_up().map_err(|e| Error::sys("bring up lo", e))?;
    }
    if let Some(h) = &spec.hooks {
        if !h.prestart.is_empty() || !h.create_runtime.is_empty() {
            sync::send_tag(plan.sync, Tag::RuntimeHooks)?;
            sync::expect(plan.sync, Tag::Go, sync::UNEXPECTED)?;
        }
        if !h.create_container.is_empty() {
            let state = super::create::state_json(plan.id, "creating", pid, plan.bundle, spec);
            hooks::run(
                HookKind::CreateContainer,
                &h.create_container,
                state.as_bytes(),
            )?;
        }
    }
    // Relative bind-mount sources are relative to the bundle (runtime-spec).
    rustix::process::chdir(plan.bundle.as_cstr())
        .map_err(|e| Error::sys("chdir", e).path(plan.bundle.as_bytes()))?;
    let opts = rootfs::RootfsOpts {
        no_pivot: plan.no_pivot,
        new_userns: plan.new_userns,
        new_cgroupns: plan.new_cgroupns,
    };
    let pty = rootfs::setup(spec, plan.rootfs.as_cstr(), &opts)?;
    if let Some(pty) = pty {
        // The master leaves for the runtime (in flight it stays open); the slave becomes
        // our terminal and stdio, before the identity change drops the right to do so.
        sync::send_fd(
            plan.sync,
            Tag::Console,
            rustix::fd::AsFd::as_fd(&pty.master),
        )?;
        drop(pty.master);
        let uid = spec
            .process
            .as_ref()
            .and_then(|p| p.user.as_ref())
            .map_or(0, |u| u.uid);
        crate::linux::console::make_controlling(pty.slave, uid)?;
    }
    if let Some(p) = spec.linux.as_ref().and_then(|l| l.personality.as_ref()) {
        crate::linux::sched::set_personality(p)?;
    }
    let mut filter = None;
    if let Some(p) = &spec.process {
        filter = apply_process(p, plan.seccomp, plan.sync, sync::UNEXPECTED)?;
    }
    sync::send_tag(plan.sync, Tag::Ready)?;
    // Waiting for start: hold nothing but the FIFO (and the caller's preserved fds).
    crate::sys::fds::close_all_except(plan.fds.end() as i32, &[plan.fifo.as_raw_fd()]);
    Ok(filter)
}

/// The Process's attributes and identity (container process and exec process alike), then
/// its seccomp filter: returned, to be installed right before execve, or (a NOTIFY filter)
/// installed now, its listener handed to the runtime, which answers Go once it has sent
/// it on (another answer is the error `unconfirmed`).
pub(super) fn apply_process<'f>(
    p: &Process<'_>,
    seccomp: Option<(&'f Program, seccomp::Compiled)>,
    sock: &OwnedFd,
    unconfirmed: &'static str,
) -> Result<Option<process::PendingFilter<'f>>> {
    process::apply_attrs(p)?;
    let restore = process::apply_identity(p, seccomp.is_some())?;
    process::check_program(p)?;
    let filter = seccomp.map(|(prog, compiled)| process::PendingFilter {
        prog,
        compiled,
        restore,
    });
    if let Some(f) = filter.filter(|f| f.compiled.notify) {
        // A listener must reach listenerPath while the runtime is there to send it: install
        // now (as runc does), hand the fd over, and wait until it has gone out.
        if let Some(fd) = process::install_filter(&f)? {
            sync::send_fd(sock, Tag::SeccompFd, rustix::fd::AsFd::as_fd(&fd))?;
            sync::expect(sock, Tag::Go, unconfirmed)?;
        }
        return Ok(None);
    }
    Ok(filter)
}

/// The host pid of this process, from the runtime's /proc (0 if unreadable).
fn host_pid() -> i32 {
    let mut b = [0u8; 16];
    match rustix::fs::readlinkat_raw(rustix::fs::CWD, c"/proc/self", &mut b[..]) {
        Ok(n) => crate::cli::args::number::<u32>(&b[..n.min(16)], "pid")
            .map(|n| n as i32)
            .unwrap_or(0),
        Err(_) => 0,
    }
}

/// setns into every namespace given by path, the user namespace first (joining the others
/// needs the capabilities it grants).
fn join_namespaces(plan: &ChildPlan<'_>) -> Result<()> {
    let user = linux_raw_sys::general::CLONE_NEWUSER;
    for pass_user in [true, false] {
        for (flag, fd) in plan.joins {
            if (*flag == user) == pass_user {
                let kind = namespaces::NAMESPACES
                    .iter()
                    .find(|n| n.flag == *flag)
                    .ok_or(Error::state("namespace"))?;
                namespaces::join(fd, kind)?;
            }
        }
    }
    Ok(())
}

/// In a new user namespace, become its root (uid/gid 0, if mapped), as runc does before
/// setting up the container.
fn become_root() -> Result<()> {
    use rustix::thread::{set_thread_res_gid, set_thread_res_uid, Gid, Uid};
    let g = Gid::from_raw(0);
    let u = Uid::from_raw(0);
    set_thread_res_gid(g, g, g).map_err(|e| Error::sys("setresgid 0", e))?;
    set_thread_res_uid(u, u, u).map_err(|e| Error::sys("setresuid 0", e))
}

/// Block until `start` writes a byte into the FIFO (true), or the FIFO is closed without
/// one (false: the container was deleted).
fn wait_for_start(fifo: &OwnedFd) -> bool {
    use rustix::event::{poll, PollFd, PollFlags};
    loop {
        let mut fds = [PollFd::new(fifo, PollFlags::IN)];
        match poll(&mut fds, None) {
            Ok(_) => {}
            Err(Errno::INTR) => continue,
            Err(_) => return false,
        }
        let mut b = [0u8; 1];
        return matches!(rustix::io::read(fifo, &mut b), Ok(1));
    }
}
