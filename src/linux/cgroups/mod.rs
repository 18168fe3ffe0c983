//! cgroup v2: where a container's cgroup goes, making it, and removing it.
//!
//! Only the unified hierarchy (cgroup2) is supported; cgroup v1 controllers are never
//! touched. The cgroup2 mount is found in /proc/self/mountinfo (on a hybrid host it is
//! usually /sys/fs/cgroup/unified, typically without controllers: a container asking for
//! no resources still gets a cgroup there, one asking for limits fails naming the file).
//!
//! Placement (`linux.cgroupsPath`), as runc's cgroupfs driver does:
//! - absolute `/a/b`: under the cgroup2 mount root;
//! - relative `a/b`: under husk's own cgroup (the `0::` line of /proc/self/cgroup, without
//!   a trailing `/init.scope`);
//! - with `--systemd-cgroup`, `slice:prefix:name`: `/<expanded slice>/<prefix>-<name>.scope`
//!   (`a-b.slice` expands to `a.slice/a-b.slice`; empty slice: `system.slice`; `-`: root);
//! - absent: relative `husk/<id>` (runc's default is relative to its own cgroup too), or
//!   `system.slice:husk:<id>` with `--systemd-cgroup`.

pub mod devices;
pub mod resources;
pub mod stats;

use crate::cpath::{CPath, PATH_MAX};
use crate::error::{Error, Result};
use crate::out::Buf;
use core::fmt::Write;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{self, Mode, OFlags};
use rustix::io::Errno;

/// A path relative to the cgroup2 mount root, starting with `/`.
pub type RelPath = Buf<PATH_MAX>;

/// husk's own cgroup from a /proc/self/cgroup text (the `0::` line), without a trailing
/// `/init.scope` (a systemd init's own leaf, as runc strips it).
pub fn own_cgroup(text: &[u8]) -> Option<&[u8]> {
    let line = text
        .split(|&c| c == b'\n')
        .find_map(|l| l.strip_prefix(b"0::"))?;
    let p = line.trim_ascii_end();
    let p = p.strip_suffix(b"/init.scope").unwrap_or(p);
    Some(if p.is_empty() { b"/" } else { p })
}

/// Append the `/`-separated components of `p` to `out` (each with a leading `/`),
/// refusing `..` and skipping empty and `.` components.
fn push_components(out: &mut RelPath, p: &[u8]) -> Result<()> {
    for c in p.split(|&c| c == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                return Err(Error::spec("linux.cgroupsPath", "must not contain ..").value(p));
            }
            c => {
                if !(out.push_bytes(b"/") && out.push_bytes(c)) {
                    return Err(Error::capacity(
                        "linux.cgroupsPath",
                        p.len() as u64,
                        PATH_MAX as u64,
                        "bytes",
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Expand a systemd slice name: `a-b.slice` -> `/a.slice/a-b.slice`; `-.slice` -> root.
pub fn expand_slice(slice: &[u8], out: &mut RelPath) -> Result<()> {
    let bad = || Error::spec("linux.cgroupsPath", "invalid systemd slice name").value(slice);
    let stem = slice.strip_suffix(b".slice").ok_or_else(bad)?;
    if stem == b"-" {
        return Ok(());
    }
    if stem.is_empty() || slice.contains(&b'/') {
        return Err(bad());
    }
    let mut end = 0;
    for part in stem.split(|&c| c == b'-') {
        if part.is_empty() {
            return Err(bad());
        }
        end += part.len();
        out.push_bytes(b"/");
        out.push_bytes(&stem[..end]);
        out.push_bytes(b".slice");
        end += 1;
    }
    Ok(())
}

/// The cgroup of container `id`, relative to the cgroup2 mount root. `own` is husk's own
/// cgroup (see [`own_cgroup`]).
pub fn placement(path: Option<&[u8]>, systemd: bool, id: &[u8], own: &[u8]) -> Result<RelPath> {
    let mut out = RelPath::new();
    let path = path.filter(|p| !p.is_empty());
    if systemd {
        let mut def = Buf::<300>::new();
        let p = match path {
            Some(p) => p,
            None => {
                let _ = def.write_str("system.slice:husk:");
                def.push_bytes(id);
                def.as_bytes()
            }
        };
        let mut f = p.split(|&c| c == b':');
        let (Some(slice), Some(prefix), Some(name), None) =
            (f.next(), f.next(), f.next(), f.next())
        else {
            return Err(Error::spec(
                "linux.cgroupsPath",
                "must be slice:prefix:name with --systemd-cgroup",
            )
            .value(p));
        };
        let slice: &[u8] = if slice.is_empty() {
            b"system.slice"
        } else {
            slice
        };
        if name.is_empty() || name.contains(&b'/') || prefix.contains(&b'/') || name == b".." {
            return Err(Error::spec("linux.cgroupsPath", "invalid systemd unit name").value(p));
        }
        expand_slice(slice, &mut out)?;
        out.push_bytes(b"/");
        if name.ends_with(b".slice") {
            out.push_bytes(name);
        } else {
            if !prefix.is_empty() {
                out.push_bytes(prefix);
                out.push_bytes(b"-");
            }
            out.push_bytes(name);
            out.push_bytes(b".scope");
        }
    } else {
        match path {
            Some(p) if p.starts_with(b"/") => push_components(&mut out, p)?,
            Some(p) => {
                push_components(&mut out, own)?;
                push_components(&mut out, p)?;
            }
            None => {
                push_components(&mut out, own)?;
                // `id` passed state::id::check: one safe component.
                out.push_bytes(b"/husk/");
                out.push_bytes(id);
            }
        }
    }
    if out.truncated() {
        return Err(Error::capacity(
            "linux.cgroupsPath",
            out.len() as u64,
            PATH_MAX as u64,
            "bytes",
        ));
    }
    if out.is_empty() {
        return Err(Error::spec(
            "linux.cgroupsPath",
            "names the cgroup root: a container needs a cgroup of its own",
        ));
    }
    Ok(out)
}

/// The cgroup2 mount point of this mount namespace.
pub fn mount_root() -> Result<CPath> {
    let mut buf = [0u8; PATH_MAX];
    let m = crate::linux::mounts::cgroup2_mount_point(&mut buf).ok_or(Error::unsupported(
        "cgroups",
        "no cgroup2 file system is mounted (cgroup v1 is not supported)",
    ))?;
    CPath::from(m, "cgroup2 mount")
}

/// husk's own cgroup, relative to the cgroup2 root.
pub fn own() -> Result<Buf<PATH_MAX>> {
    let mut buf = [0u8; 8192];
    let text = crate::files::read_file(c"/proc/self/cgroup", &mut buf, "/proc/self/cgroup")?;
    let mut b = Buf::new();
    b.push_bytes(own_cgroup(text).unwrap_or(b"/"));
    Ok(b)
}

/// An open cgroup directory and its absolute path.
pub struct Cgroup {
    pub path: CPath,
    pub dir: OwnedFd,
}

fn open_dir(p: &CPath) -> core::result::Result<OwnedFd, Errno> {
    fs::open(
        p.as_cstr(),
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

impl Cgroup {
    /// Open an existing cgroup by absolute path (from state.json).
    pub fn open(path: &[u8]) -> Result<Cgroup> {
        let path = CPath::from(path, "cgroup")?;
        let dir =
            open_dir(&path).map_err(|e| Error::sys("open cgroup", e).path(path.as_bytes()))?;
        Ok(Cgroup { path, dir })
    }

    /// Make (or reuse) `rel` under `root`, enabling every available controller in each
    /// ancestor's cgroup.subtree_control on the way, as runc does (so `update` can set any
    /// limit later; a refusal surfaces as a missing file when a limit is written). Also
    /// returns whether the cgroup itself existed already.
    pub fn create(root: &CPath, rel: &[u8]) -> Result<(Cgroup, bool)> {
        let mut path = CPath::from(root.as_bytes(), "cgroup")?;
        let mut existed = false;
        for c in rel.split(|&c| c == b'/').filter(|c| !c.is_empty()) {
            enable_all(&path);
            path.join(c, "cgroup")?;
            existed = match fs::mkdir(path.as_cstr(), Mode::from_raw_mode(0o755)) {
                Ok(()) => false,
                Err(Errno::EXIST) => true,
                Err(e) => return Err(Error::sys("mkdir cgroup", e).path(path.as_bytes())),
            };
        }
        let dir =
            open_dir(&path).map_err(|e| Error::sys("open cgroup", e).path(path.as_bytes()))?;
        Ok((Cgroup { path, dir }, existed))
    }

    /// An existing cgroup a new container may use: one with no process in it or below it,
    /// and not frozen. runc (1.2+) refuses both, with these words: processes of another
    /// container would share its limits, its freezer and its cgroup.kill, and a frozen
    /// cgroup would hang the new container's setup.
    pub fn check_reusable(&self) -> Result<()> {
        if self.populated() {
            let mut n = 0u64;
            let _ = self.for_each_pid(&mut |_| n += 1);
            return Err(if n > 0 {
                Error::state_n("container's cgroup is not empty: {} process(es) found", n)
            } else {
                Error::state("container's cgroup is not empty: its sub-cgroups hold processes")
            }
            .path(self.path.as_bytes()));
        }
        if self.event(b"frozen") == Some(true) {
            return Err(
                Error::state("container's cgroup unexpectedly frozen").path(self.path.as_bytes())
            );
        }
        Ok(())
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.dir.as_fd()
    }

    /// Write `value` to the cgroup's `file` (one write: the kernel takes one value a write).
    pub fn write(&self, file: &[u8], value: &[u8]) -> core::result::Result<(), Errno> {
        let mut name = Buf::<256>::new();
        name.push_bytes(file);
        let name = CPath::from(name.as_bytes(), "cgroup file").map_err(|_| Errno::INVAL)?;
        let f = fs::openat(
            &self.dir,
            name.as_cstr(),
            OFlags::WRONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW,
            Mode::empty(),
        )?;
        let n = rustix::io::write(&f, value)?;
        if n != value.len() {
            return Err(Errno::IO);
        }
        Ok(())
    }

    /// Read the cgroup's `file` into `buf`.
    pub fn read<'b>(
        &self,
        file: &[u8],
        buf: &'b mut [u8],
    ) -> core::result::Result<&'b [u8], Errno> {
        let name = CPath::from(file, "cgroup file").map_err(|_| Errno::INVAL)?;
        let f = fs::openat(
            &self.dir,
            name.as_cstr(),
            OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW,
            Mode::empty(),
        )?;
        let n = crate::files::read_fd(&f, buf)?;
        Ok(&buf[..n])
    }

    /// Call `f` with every pid in cgroup.procs.
    pub fn for_each_pid(&self, f: &mut dyn FnMut(i32)) -> Result<()> {
        let mut buf = [0u8; 64 * 1024];
        let procs = self
            .read(b"cgroup.procs", &mut buf)
            .map_err(|e| Error::sys("read cgroup.procs", e).path(self.path.as_bytes()))?;
        for l in procs.split(|&c| c == b'\n') {
            if let Ok(p) = crate::cli::args::number::<u32>(l.trim_ascii(), "pid") {
                if p > 0 && p <= i32::MAX as u32 {
                    f(p as i32);
                }
            }
        }
        Ok(())
    }

    /// Whether cgroup.events says `populated 1`.
    pub fn populated(&self) -> bool {
        self.event(b"populated").unwrap_or(false)
    }

    /// A `KEY 0|1` line of cgroup.events.
    pub fn event(&self, key: &[u8]) -> Option<bool> {
        let mut buf = [0u8; 256];
        let t = self.read(b"cgroup.events", &mut buf).ok()?;
        t.split(|&c| c == b'\n').find_map(|l| {
            let v = l.strip_prefix(key)?.strip_prefix(b" ")?;
            Some(v.trim_ascii() == b"1")
        })
    }

    /// Move process `pid` here (when clone3 could not start it here).
    pub fn add(&self, pid: i32) -> Result<()> {
        let mut n = Buf::<16>::new();
        let _ = write!(n, "{pid}");
        self.write(b"cgroup.procs", n.as_bytes())
            .map_err(|e| Error::sys("write cgroup.procs", e).path(self.path.as_bytes()))
    }

    /// Freeze (or thaw) every process and wait until the kernel reports it done.
    pub fn freeze(&self, on: bool) -> Result<()> {
        self.write(b"cgroup.freeze", if on { b"1" } else { b"0" })
            .map_err(|e| Error::sys("write cgroup.freeze", e).path(self.path.as_bytes()))?;
        for _ in 0..1000 {
            if self.event(b"frozen") == Some(on) {
                return Ok(());
            }
            sleep_ms(2);
        }
        Err(
            Error::state("cgroup did not reach the requested freezer state")
                .path(self.path.as_bytes()),
        )
    }

    /// Kill everything in the cgroup (cgroup.kill on Linux >= 5.14, else SIGKILL each pid
    /// in cgroup.procs), then remove the directory, retrying while the processes die.
    pub fn destroy(self) -> Result<()> {
        // Frozen tasks die of SIGKILL too (the v2 freezer lets fatal signals through).
        if self.write(b"cgroup.kill", b"1").is_err() {
            let _ = self.for_each_pid(&mut |p| {
                let _ = crate::sys::process::kill(p, 9);
            });
        }
        let mut last = Errno::BUSY;
        for i in 0..500 {
            match fs::rmdir(self.path.as_cstr()) {
                Ok(()) | Err(Errno::NOENT) => return Ok(()),
                Err(e) => last = e,
            }
            if i % 50 == 49 {
                let _ = self.for_each_pid(&mut |p| {
                    let _ = crate::sys::process::kill(p, 9);
                });
            }
            sleep_ms(10);
        }
        Err(Error::sys("rmdir cgroup", last).path(self.path.as_bytes()))
    }
}

/// Where a container's cgroup goes, decided before anything is made.
pub struct Placement {
    root: CPath,
    rel: RelPath,
    /// The absolute path of the cgroup.
    pub path: CPath,
    /// The container asks for resources or a cgroupsPath: no cgroup is an error.
    required: bool,
}

/// Decide the container's cgroup. None when the container asks for neither resources nor
/// a cgroupsPath and none can be placed here (no cgroup2 mount, no /proc/self/cgroup).
pub fn place(
    linux: Option<&crate::spec::linux::Linux<'_>>,
    id: &str,
    systemd: bool,
) -> Result<Option<Placement>> {
    let res = linux.and_then(|l| l.resources.as_ref());
    let mut pbuf = [0u8; PATH_MAX];
    let path = match linux.and_then(|l| l.cgroups_path.as_ref()) {
        Some(p) => Some(p.decode_into(&mut pbuf)?.as_bytes()),
        None => None,
    };
    let needed = match res {
        Some(r) => resources::controllers(r)?,
        None => Buf::new(),
    };
    let required = !needed.is_empty()
        || res.is_some_and(|r| !r.unified.is_empty())
        || path.is_some_and(|p| !p.is_empty());
    let placed = (|| {
        let root = mount_root()?;
        let own = own()?;
        let rel = placement(path, systemd, id.as_bytes(), own.as_bytes())?;
        let mut abs = CPath::from(root.as_bytes(), "cgroup")?;
        for c in rel
            .as_bytes()
            .split(|&c| c == b'/')
            .filter(|c| !c.is_empty())
        {
            abs.join(c, "cgroup")?;
        }
        Ok(Placement {
            root,
            rel,
            path: abs,
            required,
        })
    })();
    match placed {
        Ok(p) => Ok(Some(p)),
        Err(e) if !required => {
            no_cgroup(linux, e);
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

fn no_cgroup(linux: Option<&crate::spec::linux::Linux<'_>>, e: Error) {
    crate::debug!("cgroups: {e}: the container stays in husk's cgroup");
    if linux
        .and_then(|l| l.resources.as_ref())
        .is_some_and(|r| !r.devices.is_empty())
    {
        // The device filter needs a cgroup of its own; without cgroup2 the container
        // still gets only the device nodes husk creates.
        crate::warn!("linux.resources.devices: no cgroup2 here, the device filter is not applied");
    }
}

/// Make the container's cgroup where [`place`] put it and apply its resources. None when
/// it is not required and cannot be made (read-only, no permission): the container then
/// runs in husk's own cgroup, as before. An existing cgroup must be empty and not frozen
/// ([`Cgroup::check_reusable`]); it is then handed to `record` (create writes it into
/// state.json) before anything is applied, so only a cgroup that is the container's own is
/// ever recorded, and removed by `delete`.
pub fn setup(
    p: Placement,
    linux: Option<&crate::spec::linux::Linux<'_>>,
    record: &mut dyn FnMut(&[u8]) -> Result<()>,
) -> Result<Option<Cgroup>> {
    let (mut cg, existed) = match Cgroup::create(&p.root, p.rel.as_bytes()) {
        Ok(c) => c,
        Err(e) if !p.required => {
            no_cgroup(linux, e);
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    if existed {
        // Not ours to remove: refused as it is.
        cg.check_reusable()?;
    }
    if let Err(e) = record(cg.path.as_bytes()) {
        let _ = cg.destroy();
        return Err(e);
    }
    if let Some(r) = linux.and_then(|l| l.resources.as_ref()) {
        let applied = resources::apply(r, &mut cg, false).and_then(|()| {
            if r.devices.is_empty() {
                Ok(())
            } else {
                devices::apply(cg.fd(), &r.devices)
            }
        });
        if let Err(e) = applied {
            let _ = cg.destroy();
            return Err(e);
        }
    }
    Ok(Some(cg))
}

/// Best effort: `+c` into `dir`/cgroup.subtree_control for each controller in
/// `dir`/cgroup.controllers not enabled yet.
fn enable_all(dir: &CPath) {
    let Ok(mut p) = CPath::from(dir.as_bytes(), "cgroup") else {
        return;
    };
    let mut avail = [0u8; 512];
    let mut on = [0u8; 512];
    if p.join(b"cgroup.controllers", "cgroup").is_err() {
        return;
    }
    let Ok(controllers) = crate::files::read_to(p.as_cstr(), &mut avail) else {
        return;
    };
    let Ok(mut p) = CPath::from(dir.as_bytes(), "cgroup") else {
        return;
    };
    if p.join(b"cgroup.subtree_control", "cgroup").is_err() {
        return;
    }
    let enabled = crate::files::read_to(p.as_cstr(), &mut on)
        .map(|t| &*t)
        .unwrap_or(&[]);
    let Ok(f) = fs::open(p.as_cstr(), OFlags::WRONLY | OFlags::CLOEXEC, Mode::empty()) else {
        return;
    };
    for c in controllers
        .split(|c| c.is_ascii_whitespace())
        .filter(|c| !c.is_empty())
        .filter(|c| !enabled.split(|b| b.is_ascii_whitespace()).any(|e| e == *c))
    {
        let mut w = Buf::<32>::new();
        w.push_bytes(b"+");
        w.push_bytes(c);
        let _ = rustix::io::write(&f, w.as_bytes());
    }
}

pub fn sleep_ms(ms: u64) {
    let _ = rustix::thread::nanosleep(&rustix::time::Timespec {
        tv_sec: (ms / 1000) as _,
        tv_nsec: ((ms % 1000) * 1_000_000) as _,
    });
}

#[cfg(test)]
mod tests;
