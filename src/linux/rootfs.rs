//! The root filesystem (the container child, after it entered its namespaces, a new mount
//! namespace among them; before pivot_root for the mounts and /dev, after it for sysctl,
//! readonlyPaths, maskedPaths and `root.readonly`; inside or outside a user namespace).
//!
//! Plan then apply: [`plan`] turns the config into a short fixed list of [`Step`]s (pure
//! data, tested on the host) and [`setup`] runs them in one loop. `mounts[]` are planned one
//! entry at a time ([`mounts::plan_mount`]), as the list is parsed lazily.
//!
//! Every destination is opened inside the rootfs (RESOLVE_IN_ROOT) and mounted onto through
//! its descriptor; see security.md for the attacks each rule answers.

use super::console::{self, Pty};
use super::mounts::{self, bind, mount_at, set_propagation, setattr, Ctx, Fs, MountPlan};
use super::procfs::{self, PROC_SUPER_MAGIC, SYSFS_MAGIC};
use super::resolve::{mkdir_all, open_in_root, Clean, Leaf};
use super::{devices, paths, sysctl};
use crate::cpath::CPath;
use crate::error::{Error, Result};
use crate::spec::Spec;
use crate::sys::mount::Attr;
use crate::sys::Errno;
use core::ffi::CStr;
use linux_raw_sys::general as g;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{FileType, Mode, OFlags, ResolveFlags};

/// How the caller set the container up.
#[derive(Clone, Copy, Debug, Default)]
pub struct RootfsOpts {
    /// `--no-pivot`: MS_MOVE the rootfs onto / and chroot instead of pivot_root.
    pub no_pivot: bool,
    /// The child is in a new user namespace (mknod fails: devices are bind-mounted).
    pub new_userns: bool,
    /// The child is in a new cgroup namespace (the cgroup mount may be read-write).
    pub new_cgroupns: bool,
}

/// One step of the root filesystem setup, in run order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// `mount("", "/", MS_SLAVE | MS_REC)`: nothing we do propagates back to the host.
    RootSlave,
    /// `linux.rootfsPropagation` (default rprivate) on `/`.
    RootPropagation(u32),
    /// The mount holding the rootfs made private (pivot_root refuses a shared parent).
    ParentPrivate,
    /// Bind the rootfs onto itself (MS_BIND | MS_REC) and open it.
    BindRootfs,
    /// Every `mounts[]` entry, in order.
    Mounts,
    /// Default devices, `linux.devices`, /dev symlinks.
    Devices,
    /// `process.cwd` created inside the rootfs if missing (runc does; an image rarely has
    /// every working directory a config names).
    Cwd,
    /// pivot_root into the rootfs, detach the old root.
    PivotRoot,
    /// MS_MOVE the rootfs onto / and chroot (`no_pivot`).
    MoveRoot,
    /// `linux.rootfsPropagation` again on the new `/`.
    NewRootPropagation(u32),
    /// `process.terminal`: a pty from the container's devpts, its slave bound onto
    /// /dev/console (before readonlyPaths and `root.readonly` can forbid creating it).
    Console,
    /// `linux.sysctl` (before readonlyPaths makes /proc/sys read-only).
    Sysctl,
    ReadonlyPaths,
    MaskedPaths,
    /// `root.readonly`: / read-only (non-recursively, as runc).
    RootReadonly,
}

/// Most steps a plan has.
pub const STEPS_MAX: usize = 16;

/// `linux.rootfsPropagation` as MS_* flags (absent or empty: rprivate).
pub fn propagation(spec: &Spec<'_>) -> Result<u32> {
    let Some(p) = spec.linux.as_ref().and_then(|l| l.rootfs_propagation) else {
        return Ok(g::MS_PRIVATE | g::MS_REC);
    };
    let table = [
        ("", g::MS_PRIVATE | g::MS_REC),
        ("private", g::MS_PRIVATE),
        ("rprivate", g::MS_PRIVATE | g::MS_REC),
        ("shared", g::MS_SHARED),
        ("rshared", g::MS_SHARED | g::MS_REC),
        ("slave", g::MS_SLAVE),
        ("rslave", g::MS_SLAVE | g::MS_REC),
        ("unbindable", g::MS_UNBINDABLE),
        ("runbindable", g::MS_UNBINDABLE | g::MS_REC),
    ];
    table
        .iter()
        .find(|(n, _)| p.eq_str(n))
        .map(|(_, f)| *f)
        .ok_or(
            Error::spec("linux.rootfsPropagation", "unknown propagation").value(p.raw().as_bytes()),
        )
}

/// The steps for this config, in order.
pub fn plan(spec: &Spec<'_>, opts: &RootfsOpts) -> Result<heapless::Vec<Step, STEPS_MAX>> {
    let prop = propagation(spec)?;
    let mut v: heapless::Vec<Step, STEPS_MAX> = heapless::Vec::new();
    let mut add = |s| {
        v.push(s)
            .map_err(|_| Error::capacity("rootfs", STEPS_MAX as u64 + 1, STEPS_MAX as u64, "steps"))
    };
    add(Step::RootSlave)?;
    add(Step::RootPropagation(prop))?;
    add(Step::ParentPrivate)?;
    add(Step::BindRootfs)?;
    add(Step::Mounts)?;
    if devices::needs_dev(spec) {
        add(Step::Devices)?;
    }
    if spec.process.is_some() {
        add(Step::Cwd)?;
    }
    add(if opts.no_pivot {
        Step::MoveRoot
    } else {
        Step::PivotRoot
    })?;
    add(Step::NewRootPropagation(prop))?;
    if spec.process.as_ref().and_then(|p| p.terminal) == Some(true) {
        add(Step::Console)?;
    }
    if let Some(l) = &spec.linux {
        if !l.sysctl.is_empty() {
            add(Step::Sysctl)?;
        }
        if !l.readonly_paths.is_empty() {
            add(Step::ReadonlyPaths)?;
        }
        if !l.masked_paths.is_empty() {
            add(Step::MaskedPaths)?;
        }
    }
    if spec.root.as_ref().and_then(|r| r.readonly) == Some(true) {
        add(Step::RootReadonly)?;
    }
    Ok(v)
}

/// Set up the container's root filesystem. In the container child, after it entered its
/// namespaces (a new mount namespace is guaranteed by the caller), before the process
/// attributes are applied. `rootfs` is the absolute host path of the rootfs; relative bind
/// sources are taken from the current directory (the bundle). On return the process's
/// root and working directory are the container's `/`. With `process.terminal`, returns
/// the new terminal (its slave already on /dev/console).
pub fn setup(spec: &Spec<'_>, rootfs: &CStr, opts: &RootfsOpts) -> Result<Option<Pty>> {
    let steps = plan(spec, opts)?;
    let mut root: Option<OwnedFd> = None;
    let mut pty = None;
    for step in steps {
        run(step, spec, rootfs, opts, &mut root, &mut pty)?;
    }
    Ok(pty)
}

fn run(
    step: Step,
    spec: &Spec<'_>,
    rootfs: &CStr,
    opts: &RootfsOpts,
    root: &mut Option<OwnedFd>,
    pty: &mut Option<Pty>,
) -> Result<()> {
    let need_root = |r: &Option<OwnedFd>| -> Result<OwnedFd> {
        let fd = r.as_ref().ok_or(Error::state("rootfs is not open"))?;
        fd.try_clone().map_err(|e| Error::sys("dup", e))
    };
    match step {
        Step::RootSlave => change_root_propagation(g::MS_SLAVE | g::MS_REC),
        Step::RootPropagation(p) => change_root_propagation(p),
        Step::ParentPrivate => parent_private(rootfs),
        Step::BindRootfs => {
            procfs::check_self_fd()?;
            let fd = open_dir(rootfs)?;
            bind(fd.as_fd(), fd.as_fd(), true)
                .map_err(|e| Error::sys("bind rootfs", e).path(rootfs.to_bytes()))?;
            *root = Some(open_dir(rootfs)?);
            Ok(())
        }
        Step::Mounts => {
            let r = need_root(root)?;
            let ctx = Ctx {
                new_userns: opts.new_userns,
                new_cgroupns: opts.new_cgroupns,
            };
            for (i, m) in spec.mounts.iter().enumerate() {
                let m = m?;
                let p = mounts::plan_mount(&m, i, &ctx)?;
                apply_mount(r.as_fd(), &p, &ctx)?;
            }
            Ok(())
        }
        Step::Devices => {
            let r = need_root(root)?;
            let kcore = rustix::fs::access(c"/proc/kcore", rustix::fs::Access::EXISTS).is_ok();
            devices::setup(r.as_fd(), spec, opts.new_userns, kcore)
        }
        Step::Cwd => {
            let r = need_root(root)?;
            let Some(p) = &spec.process else {
                return Ok(());
            };
            let cwd = crate::linux::resolve::Clean::new(p.cwd, "process.cwd")?;
            crate::linux::resolve::mkdir_all(
                r.as_fd(),
                &cwd,
                crate::linux::resolve::Leaf::Dir,
                rustix::fs::ResolveFlags::empty(),
            )
            .map(drop)
        }
        Step::PivotRoot => {
            let r = need_root(root)?;
            pivot(r.as_fd())?;
            *root = Some(open_dir(c"/")?);
            Ok(())
        }
        Step::MoveRoot => {
            let r = need_root(root)?;
            move_root(r.as_fd())?;
            *root = Some(open_dir(c"/")?);
            Ok(())
        }
        Step::NewRootPropagation(p) => change_root_propagation(p),
        Step::Console => {
            let r = need_root(root)?;
            let size = spec.process.as_ref().and_then(|p| p.console_size.as_ref());
            let p = console::open_pty(r.as_fd(), size)?;
            console::bind_console(r.as_fd(), p.slave.as_fd())?;
            *pty = Some(p);
            Ok(())
        }
        Step::Sysctl => sysctl::apply(spec),
        Step::ReadonlyPaths => {
            let r = need_root(root)?;
            if let Some(l) = &spec.linux {
                for (i, p) in l.readonly_paths.iter().enumerate() {
                    let p = Clean::new(p?, "linux.readonlyPaths[]").map_err(|e| e.at(i))?;
                    paths::readonly(r.as_fd(), &p)?;
                }
            }
            Ok(())
        }
        Step::MaskedPaths => {
            let r = need_root(root)?;
            let null = paths::open_null(r.as_fd())?;
            if let Some(l) = &spec.linux {
                for (i, p) in l.masked_paths.iter().enumerate() {
                    let p = Clean::new(p?, "linux.maskedPaths[]").map_err(|e| e.at(i))?;
                    paths::mask(r.as_fd(), null.as_fd(), &p)?;
                }
            }
            Ok(())
        }
        Step::RootReadonly => {
            let r = need_root(root)?;
            let ro = Attr {
                set: g::MOUNT_ATTR_RDONLY as u64,
                clr: 0,
                propagation: 0,
            };
            setattr(r.as_fd(), false, ro).map_err(|e| Error::sys("remount / read-only", e))
        }
    }
}

fn open_dir(p: &CStr) -> Result<OwnedFd> {
    rustix::fs::open(
        p,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::sys("open", e).path(p.to_bytes()))
}

fn change_root_propagation(flags: u32) -> Result<()> {
    rustix::mount::mount(
        c"",
        c"/",
        c"",
        rustix::mount::MountFlags::from_bits_retain(flags),
        None,
    )
    .map_err(|e| Error::sys("mount --make-propagation", e).path(b"/"))
}

/// Make the mount that holds `rootfs` (the rootfs itself if it is a mount point, else the
/// nearest mounted ancestor) private. mount(2) answers EINVAL on a path that is not a
/// mount point, so the walk goes up until a change succeeds. `rootfs` is a host path from
/// the bundle, not from the image.
fn parent_private(rootfs: &CStr) -> Result<()> {
    let mut p = CPath::from(rootfs.to_bytes(), "root.path")?;
    loop {
        match rustix::mount::mount(
            c"",
            p.as_cstr(),
            c"",
            rustix::mount::MountFlags::from_bits_retain(g::MS_PRIVATE),
            None,
        ) {
            Ok(()) => return Ok(()),
            Err(Errno::INVAL) => {}
            Err(e) => return Err(Error::sys("mount --make-private", e).path(p.as_bytes())),
        }
        let b = p.as_bytes();
        if b == b"/" || b.is_empty() {
            return Ok(());
        }
        let cut = b.iter().rposition(|&c| c == b'/').unwrap_or(0).max(1);
        p = CPath::from(&b[..cut], "root.path")?;
    }
}

fn pivot(root: BorrowedFd<'_>) -> Result<()> {
    rustix::process::fchdir(root).map_err(|e| Error::sys("chdir", e).path(b"rootfs"))?;
    rustix::process::pivot_root(c".", c".").map_err(|e| Error::sys("pivot_root", e))?;
    // The old root now sits on top of "."; keep its unmount from propagating anywhere.
    rustix::mount::mount(
        c"",
        c".",
        c"",
        rustix::mount::MountFlags::from_bits_retain(g::MS_SLAVE | g::MS_REC),
        None,
    )
    .map_err(|e| Error::sys("mount --make-rslave", e).path(b"old root"))?;
    rustix::mount::unmount(c".", rustix::mount::UnmountFlags::DETACH)
        .map_err(|e| Error::sys("umount", e).path(b"old root"))?;
    rustix::process::chdir(c"/").map_err(|e| Error::sys("chdir", e).path(b"/"))
}

fn move_root(root: BorrowedFd<'_>) -> Result<()> {
    rustix::process::fchdir(root).map_err(|e| Error::sys("chdir", e).path(b"rootfs"))?;
    rustix::mount::mount(
        c".",
        c"/",
        c"",
        rustix::mount::MountFlags::from_bits_retain(g::MS_MOVE),
        None,
    )
    .map_err(|e| Error::sys("mount --move", e).path(b"rootfs on /"))?;
    rustix::process::chroot(c".").map_err(|e| Error::sys("chroot", e))?;
    rustix::process::chdir(c"/").map_err(|e| Error::sys("chdir", e).path(b"/"))
}

/// Files of /proc a bind mount may cover (runc's list: what lxcfs provides).
const PROC_BIND_OK: &[&[u8]] = &[
    b"/proc/cpuinfo",
    b"/proc/diskstats",
    b"/proc/meminfo",
    b"/proc/stat",
    b"/proc/swaps",
    b"/proc/uptime",
    b"/proc/loadavg",
    b"/proc/slabinfo",
    b"/proc/net/dev",
    b"/proc/sys/kernel/ns_last_pid",
];

/// `mounts[i]: mount proc on /proc: EPERM (...)`-style error text.
fn mount_err(call: &'static str, e: Errno, p: &MountPlan<'_>) -> Error {
    let mut b = [0u8; 96];
    let mut n = 0;
    let src = if p.fs == Fs::Bind { p.source } else { p.fstype };
    for c in src
        .bytes()
        .chain(*b" on ")
        .chain(p.dest.as_bytes().iter().copied())
    {
        if n < b.len() {
            b[n] = c;
            n += 1;
        }
    }
    let ctx = match call {
        "mount" => "mounts[]: mount",
        "bind" => "mounts[]: bind",
        "open source" => "mounts[]: open source",
        "open" => "mounts[]: open",
        "propagation" => "mounts[]: set propagation",
        "setattr" => "mounts[]: remount",
        "not procfs" => "mounts[]: not procfs after mounting",
        "not sysfs" => "mounts[]: not sysfs after mounting",
        "bind on /proc" => "mounts[]: bind source is not procfs (refused under /proc)",
        _ => "mounts[]",
    };
    Error::sys(ctx, e).at(p.index).path(&b[..n])
}

/// Mount one planned entry onto its destination inside `root`.
fn apply_mount(root: BorrowedFd<'_>, p: &MountPlan<'_>, ctx: &Ctx) -> Result<()> {
    let extra = if p.no_symlinks {
        ResolveFlags::NO_SYMLINKS
    } else {
        ResolveFlags::empty()
    };
    let mut src_fd = None;
    let mut leaf = Leaf::Dir;
    if p.fs == Fs::Bind {
        let mut sb = [0u8; crate::cpath::PATH_MAX];
        let s = p.source.decode_into(&mut sb).map_err(|e| e.at(p.index))?;
        let sp = CPath::from(s.as_bytes(), "mounts[].source").map_err(|e| e.at(p.index))?;
        let fd = rustix::fs::open(sp.as_cstr(), OFlags::PATH | OFlags::CLOEXEC, Mode::empty())
            .map_err(|e| mount_err("open source", e, p))?;
        let st = rustix::fs::fstat(fd.as_fd()).map_err(|e| mount_err("open source", e, p))?;
        if FileType::from_raw_mode(st.st_mode) != FileType::Directory {
            leaf = Leaf::File;
        }
        if p.dest.is_under(b"/proc")
            && procfs::fs_type(fd.as_fd()) != Ok(PROC_SUPER_MAGIC)
            && !PROC_BIND_OK.contains(&p.dest.as_bytes())
        {
            return Err(mount_err("bind on /proc", Errno::PERM, p));
        }
        src_fd = Some(fd);
    }
    let dst = mkdir_all(root, &p.dest, leaf, extra).map_err(|e| {
        let mut e = e;
        e.ctx = "mounts[]: create destination";
        e.at(p.index)
    })?;
    let flags = p.opts.set;
    let sys_bind = match &src_fd {
        Some(s) => {
            bind(s.as_fd(), dst.as_fd(), p.opts.is_rec()).map_err(|e| mount_err("bind", e, p))?;
            false
        }
        None => mount_new(p, dst.as_fd(), flags, ctx)?,
    };
    drop(dst);
    // The destination again: now the root of the new mount.
    let top = open_in_root(root, p.dest.rel().as_cstr(), OFlags::empty(), extra)
        .map_err(|e| mount_err("open", e, p))?;
    match p.fs {
        Fs::Proc if procfs::fs_type(top.as_fd()) != Ok(PROC_SUPER_MAGIC) => {
            return Err(mount_err("not procfs", Errno::XDEV, p))
        }
        Fs::Sysfs if procfs::fs_type(top.as_fd()) != Ok(SYSFS_MAGIC) && !ctx.new_userns => {
            return Err(mount_err("not sysfs", Errno::XDEV, p))
        }
        _ => {}
    }
    if sys_bind {
        let (set, clr) = mounts::ms_to_attr(flags);
        let a = Attr {
            set,
            clr,
            propagation: 0,
        };
        if a != Attr::default() {
            setattr(top.as_fd(), true, a).map_err(|e| mount_err("setattr", e, p))?;
        }
    }
    if p.fs == Fs::Bind {
        let a = p.opts.bind_attr();
        if a != Attr::default() {
            setattr(top.as_fd(), false, a).map_err(|e| mount_err("setattr", e, p))?;
        }
        if p.opts.rattr != Attr::default() {
            setattr(top.as_fd(), true, p.opts.rattr).map_err(|e| mount_err("setattr", e, p))?;
        }
    }
    for &pr in p.opts.propagation.iter() {
        set_propagation(top.as_fd(), pr).map_err(|e| mount_err("propagation", e, p))?;
    }
    Ok(())
}

/// mount(2) of a new filesystem onto `dst`; sysfs in a user namespace without its own
/// network namespace is refused by the kernel (EPERM), and gets a recursive bind of the
/// host's /sys instead, as in runc.
/// Returns whether it fell back to a bind.
fn mount_new(p: &MountPlan<'_>, dst: BorrowedFd<'_>, flags: u32, ctx: &Ctx) -> Result<bool> {
    let mut sb = [0u8; crate::cpath::PATH_MAX];
    let s = p.source.decode_into(&mut sb).map_err(|e| e.at(p.index))?;
    let src = CPath::from(s.as_bytes(), "mounts[].source").map_err(|e| e.at(p.index))?;
    let mut tb = [0u8; 256];
    let t = p.fstype.decode_into(&mut tb).map_err(|e| e.at(p.index))?;
    let typ = CPath::from(t.as_bytes(), "mounts[].type").map_err(|e| e.at(p.index))?;
    // Without a cgroup namespace, a fresh cgroup2 mount would show the same whole tree as
    // the runtime's, but it re-applies the hierarchy's root options (nsdelegate,
    // memory_recursiveprot) for the whole host and waits for an RCU grace period (~10 ms).
    // Bind the runtime's mount instead; the read-only second step applies as for sysfs.
    if p.fs == Fs::Cgroup2 && !ctx.new_cgroupns {
        let mut buf = [0u8; crate::cpath::PATH_MAX];
        if let Some(at) = mounts::cgroup2_mount_point(&mut buf) {
            let at = CPath::from(at, "cgroup2 mount point")?;
            let cg = open_dir(at.as_cstr())?;
            bind(cg.as_fd(), dst, false).map_err(|e| mount_err("bind", e, p))?;
            return Ok(true);
        }
    }
    match mount_at(src.as_cstr(), dst, typ.as_cstr(), flags, p.opts.data_cstr()) {
        Ok(()) => Ok(false),
        Err(Errno::PERM) if p.fs == Fs::Sysfs && ctx.new_userns => {
            let sys = open_dir(c"/sys")?;
            bind(sys.as_fd(), dst, true).map_err(|e| mount_err("bind", e, p))?;
            Ok(true)
        }
        Err(e) => Err(mount_err("mount", e, p)),
    }
}

#[cfg(test)]
#[path = "rootfs_tests.rs"]
mod tests;
