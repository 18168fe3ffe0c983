//! `mounts[]` (the container child, in its new mount namespace, before pivot_root, inside or
//! outside a user namespace): options parsed into a [`MountPlan`] (pure data, tested on the
//! host), and the descriptor-based mount primitives every rootfs step uses.
//!
//! Options follow runc: flags for mount(2), propagation applied after the mount, recursive
//! `r*` attributes through mount_setattr(2) with AT_RECURSIVE, everything unknown joined
//! into the data string. References: mount(2), mount_setattr(2), open_tree(2), move_mount(2).

use super::procfs::FdPath;
use super::resolve::Clean;
use crate::error::{Error, Result};
use crate::spec::{Mount, Str};
use crate::sys::mount::Attr;
use crate::sys::Errno;
use core::ffi::CStr;
use linux_raw_sys::general as g;
use rustix::fd::{AsFd, BorrowedFd};
use rustix::mount::{MountFlags, MoveMountFlags, OpenTreeFlags};

/// The kernel copies at most one page of mount data (NUL included).
pub const DATA_MAX: usize = 4096;
/// Propagation options kept per mount (runc applies them in order).
pub const PROPAGATIONS_MAX: usize = 8;

/// What one option does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    /// Set an MS_* flag.
    Set(u32),
    /// Clear an MS_* flag.
    Clr(u32),
    /// A propagation change (MS_PRIVATE | MS_REC...).
    Prop(u32),
    /// Set MOUNT_ATTR_* recursively.
    RSet(u64),
    /// Clear MOUNT_ATTR_* recursively.
    RClr(u64),
    /// Set the recursive atime mode (MOUNT_ATTR_RELATIME, _NOATIME, _STRICTATIME).
    RAtime(u64),
    /// idmap / ridmap.
    Idmap,
}

const A: u64 = g::MOUNT_ATTR__ATIME as u64;

/// Every option husk understands, as runc spells them (libcontainer/specconv).
const OPTIONS: &[(&str, Op)] = &[
    ("defaults", Op::Set(0)),
    ("ro", Op::Set(g::MS_RDONLY)),
    ("rw", Op::Clr(g::MS_RDONLY)),
    ("nosuid", Op::Set(g::MS_NOSUID)),
    ("suid", Op::Clr(g::MS_NOSUID)),
    ("nodev", Op::Set(g::MS_NODEV)),
    ("dev", Op::Clr(g::MS_NODEV)),
    ("noexec", Op::Set(g::MS_NOEXEC)),
    ("exec", Op::Clr(g::MS_NOEXEC)),
    ("sync", Op::Set(g::MS_SYNCHRONOUS)),
    ("async", Op::Clr(g::MS_SYNCHRONOUS)),
    ("dirsync", Op::Set(g::MS_DIRSYNC)),
    ("remount", Op::Set(g::MS_REMOUNT)),
    ("mand", Op::Set(g::MS_MANDLOCK)),
    ("nomand", Op::Clr(g::MS_MANDLOCK)),
    ("noatime", Op::Set(g::MS_NOATIME)),
    ("atime", Op::Clr(g::MS_NOATIME)),
    ("nodiratime", Op::Set(g::MS_NODIRATIME)),
    ("diratime", Op::Clr(g::MS_NODIRATIME)),
    ("relatime", Op::Set(g::MS_RELATIME)),
    ("norelatime", Op::Clr(g::MS_RELATIME)),
    ("strictatime", Op::Set(g::MS_STRICTATIME)),
    ("nostrictatime", Op::Clr(g::MS_STRICTATIME)),
    ("lazytime", Op::Set(g::MS_LAZYTIME)),
    ("nolazytime", Op::Clr(g::MS_LAZYTIME)),
    ("iversion", Op::Set(g::MS_I_VERSION)),
    ("noiversion", Op::Clr(g::MS_I_VERSION)),
    ("silent", Op::Set(g::MS_SILENT)),
    ("loud", Op::Clr(g::MS_SILENT)),
    ("nosymfollow", Op::Set(g::MS_NOSYMFOLLOW)),
    ("symfollow", Op::Clr(g::MS_NOSYMFOLLOW)),
    ("bind", Op::Set(g::MS_BIND)),
    ("rbind", Op::Set(g::MS_BIND | g::MS_REC)),
    ("private", Op::Prop(g::MS_PRIVATE)),
    ("rprivate", Op::Prop(g::MS_PRIVATE | g::MS_REC)),
    ("shared", Op::Prop(g::MS_SHARED)),
    ("rshared", Op::Prop(g::MS_SHARED | g::MS_REC)),
    ("slave", Op::Prop(g::MS_SLAVE)),
    ("rslave", Op::Prop(g::MS_SLAVE | g::MS_REC)),
    ("unbindable", Op::Prop(g::MS_UNBINDABLE)),
    ("runbindable", Op::Prop(g::MS_UNBINDABLE | g::MS_REC)),
    ("rro", Op::RSet(g::MOUNT_ATTR_RDONLY as u64)),
    ("rrw", Op::RClr(g::MOUNT_ATTR_RDONLY as u64)),
    ("rnosuid", Op::RSet(g::MOUNT_ATTR_NOSUID as u64)),
    ("rsuid", Op::RClr(g::MOUNT_ATTR_NOSUID as u64)),
    ("rnodev", Op::RSet(g::MOUNT_ATTR_NODEV as u64)),
    ("rdev", Op::RClr(g::MOUNT_ATTR_NODEV as u64)),
    ("rnoexec", Op::RSet(g::MOUNT_ATTR_NOEXEC as u64)),
    ("rexec", Op::RClr(g::MOUNT_ATTR_NOEXEC as u64)),
    ("rnodiratime", Op::RSet(g::MOUNT_ATTR_NODIRATIME as u64)),
    ("rdiratime", Op::RClr(g::MOUNT_ATTR_NODIRATIME as u64)),
    ("rnosymfollow", Op::RSet(g::MOUNT_ATTR_NOSYMFOLLOW as u64)),
    ("rsymfollow", Op::RClr(g::MOUNT_ATTR_NOSYMFOLLOW as u64)),
    ("rnoatime", Op::RAtime(g::MOUNT_ATTR_NOATIME as u64)),
    ("rstrictatime", Op::RAtime(g::MOUNT_ATTR_STRICTATIME as u64)),
    ("rrelatime", Op::RAtime(g::MOUNT_ATTR_RELATIME as u64)),
    // Clearing an atime mode leaves the kernel default, relatime (as runc).
    ("ratime", Op::RAtime(g::MOUNT_ATTR_RELATIME as u64)),
    ("rnostrictatime", Op::RAtime(g::MOUNT_ATTR_RELATIME as u64)),
    ("rnorelatime", Op::RAtime(g::MOUNT_ATTR_RELATIME as u64)),
    ("idmap", Op::Idmap),
    ("ridmap", Op::Idmap),
];

/// Every option name husk applies (for `features`): the table minus idmap/ridmap, which
/// are refused.
pub fn supported_options() -> impl Iterator<Item = &'static str> {
    OPTIONS
        .iter()
        .filter(|(_, op)| !matches!(op, Op::Idmap))
        .map(|(n, _)| *n)
}

/// A mount's options, parsed.
#[derive(Clone)]
pub struct Options {
    /// MS_* flags set (for mount(2); MS_BIND / MS_REC / MS_REMOUNT included).
    pub set: u32,
    /// MS_* flags explicitly cleared (`rw`, `suid`...): they matter for bind remounts.
    pub clr: u32,
    /// Propagation changes, in order.
    pub propagation: heapless::Vec<u32, PROPAGATIONS_MAX>,
    /// Recursive attributes (`rro`...), applied with AT_RECURSIVE.
    pub rattr: Attr,
    /// The first recursive option, for errors on kernels without mount_setattr.
    pub rname: &'static str,
    /// Everything else, joined with `,`.
    data: [u8; DATA_MAX],
    data_len: usize,
}

impl Options {
    pub fn is_bind(&self) -> bool {
        self.set & g::MS_BIND != 0
    }

    pub fn is_rec(&self) -> bool {
        self.set & g::MS_REC != 0
    }

    /// The data string (`mode=755,size=65536k`), empty when there is none.
    pub fn data(&self) -> &[u8] {
        &self.data[..self.data_len]
    }

    /// The data as a C string for mount(2), `None` when empty.
    pub fn data_cstr(&self) -> Option<&CStr> {
        if self.data_len == 0 {
            return None;
        }
        CStr::from_bytes_with_nul(&self.data[..=self.data_len]).ok()
    }

    /// The per-mount attributes a bind mount's second step changes (ro, nosuid...): what
    /// `MS_BIND | MS_REMOUNT | flags` changes in runc, expressed for mount_setattr.
    pub fn bind_attr(&self) -> Attr {
        let (set, clr) = ms_to_attr(self.set);
        let (cset, _) = ms_to_attr(self.clr);
        let mut a = Attr {
            set,
            clr: clr | (cset & !A),
            propagation: 0,
        };
        // Clearing an atime flag (atime, norelatime, nostrictatime) means relatime.
        if a.clr & A == 0 && self.clr & (g::MS_NOATIME | g::MS_STRICTATIME | g::MS_RELATIME) != 0 {
            a.clr |= A;
        }
        a
    }
}

/// MS_* per-mount flags as MOUNT_ATTR_* (set, clear): an atime mode in `set` also clears
/// MOUNT_ATTR__ATIME, as the kernel requires.
pub fn ms_to_attr(ms: u32) -> (u64, u64) {
    let mut set = 0u64;
    let mut clr = 0u64;
    let pairs = [
        (g::MS_RDONLY, g::MOUNT_ATTR_RDONLY),
        (g::MS_NOSUID, g::MOUNT_ATTR_NOSUID),
        (g::MS_NODEV, g::MOUNT_ATTR_NODEV),
        (g::MS_NOEXEC, g::MOUNT_ATTR_NOEXEC),
        (g::MS_NODIRATIME, g::MOUNT_ATTR_NODIRATIME),
        (g::MS_NOSYMFOLLOW, g::MOUNT_ATTR_NOSYMFOLLOW),
    ];
    for (m, a) in pairs {
        if ms & m != 0 {
            set |= a as u64;
        }
    }
    let atime = [
        (g::MS_NOATIME, g::MOUNT_ATTR_NOATIME),
        (g::MS_STRICTATIME, g::MOUNT_ATTR_STRICTATIME),
        (g::MS_RELATIME, g::MOUNT_ATTR_RELATIME),
    ];
    for (m, a) in atime {
        if ms & m != 0 {
            set = (set & !A) | a as u64;
            clr |= A;
        }
    }
    (set, clr)
}

/// MOUNT_ATTR_* bits as MS_* flags (for mount(2) on kernels without mount_setattr, and to
/// fold `r*` options into a new filesystem's flags).
pub fn attr_to_ms(attr: u64) -> u32 {
    let mut ms = 0;
    let pairs = [
        (g::MOUNT_ATTR_RDONLY, g::MS_RDONLY),
        (g::MOUNT_ATTR_NOSUID, g::MS_NOSUID),
        (g::MOUNT_ATTR_NODEV, g::MS_NODEV),
        (g::MOUNT_ATTR_NOEXEC, g::MS_NOEXEC),
        (g::MOUNT_ATTR_NODIRATIME, g::MS_NODIRATIME),
        (g::MOUNT_ATTR_NOSYMFOLLOW, g::MS_NOSYMFOLLOW),
    ];
    for (a, m) in pairs {
        if attr & a as u64 != 0 {
            ms |= m;
        }
    }
    match attr & A {
        x if x == g::MOUNT_ATTR_NOATIME as u64 => ms | g::MS_NOATIME,
        x if x == g::MOUNT_ATTR_STRICTATIME as u64 => ms | g::MS_STRICTATIME,
        _ => ms,
    }
}

/// Parse `mounts[i].options`. Unknown options become data; a NUL or an oversized data
/// string is an error naming the option.
pub fn parse_options<'a, I>(opts: I, i: usize) -> Result<Options>
where
    I: IntoIterator<Item = Result<Str<'a>>>,
{
    let mut o = Options {
        set: 0,
        clr: 0,
        propagation: heapless::Vec::new(),
        rattr: Attr::default(),
        rname: "",
        data: [0; DATA_MAX],
        data_len: 0,
    };
    for (j, s) in opts.into_iter().enumerate() {
        let s = s?;
        let op = OPTIONS.iter().find(|(n, _)| s.eq_str(n));
        match op {
            Some((_, Op::Set(f))) => {
                o.set |= f;
                o.clr &= !f;
            }
            Some((_, Op::Clr(f))) => {
                o.set &= !f;
                o.clr |= f;
            }
            Some((_, Op::Prop(p))) => {
                o.propagation.push(*p).map_err(|_| {
                    Error::capacity(
                        "mounts[].options",
                        j as u64 + 1,
                        PROPAGATIONS_MAX as u64,
                        "propagation options",
                    )
                    .at(i)
                })?;
            }
            Some((n, Op::RSet(a))) => {
                o.rattr.set |= a;
                o.rattr.clr &= !a;
                o.rname = if o.rname.is_empty() { n } else { o.rname };
            }
            Some((n, Op::RClr(a))) => {
                o.rattr.clr |= a;
                o.rattr.set &= !a;
                o.rname = if o.rname.is_empty() { n } else { o.rname };
            }
            Some((n, Op::RAtime(a))) => {
                o.rattr.set = (o.rattr.set & !A) | a;
                o.rattr.clr |= A;
                o.rname = if o.rname.is_empty() { n } else { o.rname };
            }
            Some((_, Op::Idmap)) => {
                return Err(Error::unsupported(
                    "mounts[].options[]",
                    "id-mapped mounts are not supported yet",
                )
                .at(i)
                .at(j)
                .value(s.raw().as_bytes()));
            }
            None => o.push_data(s, i, j)?,
        }
    }
    Ok(o)
}

impl core::fmt::Debug for Options {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "Options {{ set: {:#x}, clr: {:#x}, propagation: {:?}, rattr: {:?}, data: {:?} }}",
            self.set,
            self.clr,
            self.propagation,
            self.rattr,
            crate::error::Text::new(self.data())
        )
    }
}

impl Options {
    fn push_data(&mut self, s: Str<'_>, i: usize, j: usize) -> Result<()> {
        let sep = usize::from(self.data_len > 0);
        let need = self.data_len + sep + s.decoded_len();
        if need >= DATA_MAX {
            return Err(Error::capacity(
                "mounts[].options",
                need as u64 + 1,
                DATA_MAX as u64,
                "bytes of mount data",
            )
            .at(i));
        }
        if s.contains('\0') {
            return Err(Error::spec("mounts[].options[]", "invalid option")
                .at(i)
                .at(j));
        }
        if sep == 1 {
            self.data[self.data_len] = b',';
            self.data_len += 1;
        }
        let start = self.data_len;
        let n = s.decode_into(&mut self.data[start..need])?.len();
        self.data_len += n;
        self.data[self.data_len] = 0;
        Ok(())
    }
}

/// The kind of filesystem a mount makes, which decides its checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fs {
    Bind,
    Proc,
    Sysfs,
    Tmpfs,
    Devpts,
    Mqueue,
    /// `cgroup` and `cgroup2` (husk always mounts cgroup2: see [`plan_mount`]).
    Cgroup2,
    /// Anything else (overlay, ext4...), passed to mount(2) as given.
    Other,
}

/// One `mounts[]` entry, decided: what to mount where with which flags.
pub struct MountPlan<'a> {
    pub index: usize,
    pub fs: Fs,
    /// The filesystem type for mount(2) (`cgroup2` for `cgroup`).
    pub fstype: Str<'a>,
    /// `mounts[].source`; for a non-bind mount without one, the type.
    pub source: Str<'a>,
    pub dest: Clean,
    pub opts: Options,
    /// /proc and /sys: refuse a destination reached through any symlink.
    pub no_symlinks: bool,
}

/// What `plan_mount` needs to know about the container besides the mount.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ctx {
    pub new_userns: bool,
    pub new_cgroupns: bool,
}

/// Decide one mount. `cgroup` means the cgroup v2 hierarchy on every host, hybrid ones
/// included: husk manages cgroup v2 only, and runc's v1 layout (a tmpfs of per-controller
/// binds) would show hierarchies husk does not place the container in. Without a new
/// cgroup namespace it is read-only (CVE-2023-25809), as runc's.
pub fn plan_mount<'a>(m: &Mount<'a>, i: usize, ctx: &Ctx) -> Result<MountPlan<'a>> {
    let mut opts = parse_options(m.options.iter(), i)?;
    let dest = Clean::new(m.destination, "mounts[].destination").map_err(|e| e.at(i))?;
    let typ = m.typ.unwrap_or_default();
    let fs = if opts.is_bind() || typ.eq_str("bind") {
        opts.set |= g::MS_BIND;
        Fs::Bind
    } else if typ.eq_str("proc") {
        Fs::Proc
    } else if typ.eq_str("sysfs") {
        Fs::Sysfs
    } else if typ.eq_str("tmpfs") {
        Fs::Tmpfs
    } else if typ.eq_str("devpts") {
        Fs::Devpts
    } else if typ.eq_str("mqueue") {
        Fs::Mqueue
    } else if typ.eq_str("cgroup") || typ.eq_str("cgroup2") {
        Fs::Cgroup2
    } else if typ.is_empty() {
        return Err(Error::spec("mounts[].type", "is required unless the mount is a bind").at(i));
    } else {
        Fs::Other
    };
    let source = match (fs, m.source) {
        (Fs::Bind, None) => {
            return Err(Error::spec("mounts[].source", "is required for a bind mount").at(i))
        }
        (Fs::Bind, Some(s)) if s.is_empty() => {
            return Err(Error::spec("mounts[].source", "is required for a bind mount").at(i))
        }
        (_, Some(s)) if !s.is_empty() => s,
        _ => typ,
    };
    let fstype = match fs {
        Fs::Cgroup2 => {
            if !ctx.new_cgroupns {
                opts.set |= g::MS_RDONLY;
            }
            Str::from_raw("cgroup2")
        }
        Fs::Bind => Str::from_raw(""),
        _ => typ,
    };
    if fs != Fs::Proc && fs != Fs::Bind && dest.as_bytes() == b"/proc" {
        // CVE-2019-16884: only a real procfs may sit on /proc.
        return Err(
            Error::spec("mounts[].type", "only proc may be mounted on /proc")
                .at(i)
                .value(typ.raw().as_bytes()),
        );
    }
    if fs != Fs::Bind && !opts.rname.is_empty() {
        // A new filesystem has no submounts yet: its r* attributes are its own flags.
        opts.set |= attr_to_ms(opts.rattr.set);
        opts.set &= !attr_to_ms(opts.rattr.clr & !A);
        opts.rattr = Attr::default();
    }
    let no_symlinks = matches!(fs, Fs::Proc | Fs::Sysfs)
        || dest.as_bytes() == b"/proc"
        || dest.as_bytes() == b"/sys";
    Ok(MountPlan {
        index: i,
        fs,
        fstype,
        source,
        dest,
        opts,
        no_symlinks,
    })
}

/// mount(2) of a new filesystem (or a remount) onto an opened destination.
pub fn mount_at(
    source: &CStr,
    dst: BorrowedFd<'_>,
    fstype: &CStr,
    flags: u32,
    data: Option<&CStr>,
) -> Result<(), Errno> {
    rustix::mount::mount(
        source,
        FdPath::new(dst).as_cstr(),
        fstype,
        MountFlags::from_bits_retain(flags),
        data,
    )
}

/// Bind what `src` refers to onto `dst`, both opened descriptors: open_tree with
/// OPEN_TREE_CLONE, then move_mount, so neither side is looked up by path again; mount(2)
/// through `/proc/self/fd` on kernels without them (< 5.2).
pub fn bind(src: BorrowedFd<'_>, dst: BorrowedFd<'_>, recursive: bool) -> Result<(), Errno> {
    let mut f = OpenTreeFlags::OPEN_TREE_CLONE
        | OpenTreeFlags::OPEN_TREE_CLOEXEC
        | OpenTreeFlags::AT_EMPTY_PATH;
    if recursive {
        f |= OpenTreeFlags::AT_RECURSIVE;
    }
    match rustix::mount::open_tree(src, c"", f) {
        Ok(tree) => rustix::mount::move_mount(
            tree.as_fd(),
            c"",
            dst,
            c"",
            MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH | MoveMountFlags::MOVE_MOUNT_T_EMPTY_PATH,
        ),
        Err(Errno::NOSYS) => {
            let flags = g::MS_BIND | if recursive { g::MS_REC } else { 0 };
            mount_at(FdPath::new(src).as_cstr(), dst, c"", flags, None)
        }
        Err(e) => Err(e),
    }
}

/// Change propagation (MS_PRIVATE | MS_REC...) of the mount whose root `mnt` is.
pub fn set_propagation(mnt: BorrowedFd<'_>, flags: u32) -> Result<(), Errno> {
    mount_at(c"", mnt, c"", flags, None)
}

/// Change the attributes of the mount whose root `mnt` is (and of every mount below it if
/// `recursive`). Without mount_setattr (< 5.12) a non-recursive change is a
/// `MS_BIND | MS_REMOUNT` keeping the flags the mount has (a user namespace forbids
/// dropping locked ones); a recursive one is that on each mount of the tree
/// ([`setattr_tree`]).
pub fn setattr(mnt: BorrowedFd<'_>, recursive: bool, attr: Attr) -> Result<(), Errno> {
    match crate::sys::mount::mount_setattr(mnt, recursive, attr) {
        Err(Errno::NOSYS) if recursive => setattr_tree(mnt, attr),
        Err(Errno::NOSYS) => {
            let cur = rustix::fs::fstatvfs(mnt)?.f_flag.bits() as u32;
            // ST_* per-mount bits share their values with MS_* (statvfs(3)).
            let keep = g::MS_RDONLY
                | g::MS_NOSUID
                | g::MS_NODEV
                | g::MS_NOEXEC
                | g::MS_NOATIME
                | g::MS_NODIRATIME
                | g::MS_RELATIME
                | g::MS_NOSYMFOLLOW;
            let mut flags = cur & keep;
            if attr.clr & A != 0 {
                flags &= !(g::MS_NOATIME | g::MS_RELATIME | g::MS_STRICTATIME);
            }
            flags &= !attr_to_ms(attr.clr & !A);
            flags |= attr_to_ms(attr.set);
            mount_at(c"", mnt, c"", g::MS_BIND | g::MS_REMOUNT | flags, None)
        }
        r => r,
    }
}

/// Bytes of /proc/self/mountinfo [`setattr_tree`] reads (EFBIG beyond).
const MOUNTINFO_MAX: usize = 256 * 1024;

/// A recursive [`setattr`] before mount_setattr: the one-mount change on `mnt`, then on
/// each mount whose mount point is below `mnt`'s path in /proc/self/mountinfo (parents
/// first, as listed). Unlike mount_setattr it is not atomic, and of mounts stacked on one
/// point only the top one changes.
fn setattr_tree(mnt: BorrowedFd<'_>, attr: Attr) -> Result<(), Errno> {
    setattr(mnt, false, attr)?;
    let mut at = [core::mem::MaybeUninit::<u8>::uninit(); crate::cpath::PATH_MAX];
    let (top, _) =
        rustix::fs::readlinkat_raw(rustix::fs::CWD, FdPath::new(mnt).as_cstr(), &mut at)?;
    let top: &[u8] = top;
    let mut region = crate::sys::mem::Region::new(MOUNTINFO_MAX)?;
    let info = crate::files::read_to(c"/proc/self/mountinfo", &mut region)?;
    let mut point = [0u8; crate::cpath::PATH_MAX];
    for line in info.split(|&c| c == b'\n') {
        // id parent maj:min root MOUNT-POINT ...
        let Some(raw) = line.split(|&c| c == b' ').nth(4) else {
            continue;
        };
        let Some(p) = unescape_octal(raw, &mut point) else {
            continue;
        };
        let below = match p.strip_prefix(top) {
            Some(rest) => rest.first() == Some(&b'/') || (top == b"/" && !rest.is_empty()),
            None => false,
        };
        if !below {
            continue;
        }
        let mut path = [0u8; crate::cpath::PATH_MAX + 1];
        path[..p.len()].copy_from_slice(p);
        let Ok(c) = CStr::from_bytes_until_nul(&path[..=p.len()]) else {
            continue;
        };
        let fd = rustix::fs::open(
            c,
            rustix::fs::OFlags::PATH | rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        )?;
        setattr(fd.as_fd(), false, attr)?;
    }
    Ok(())
}

/// Where the runtime's mount namespace has a cgroup2 filesystem (`/sys/fs/cgroup` on a
/// unified host, `/sys/fs/cgroup/unified` on a hybrid one), into `out`; None if none.
pub fn cgroup2_mount_point(out: &mut [u8]) -> Option<&[u8]> {
    let mut region = crate::sys::mem::Region::new(MOUNTINFO_MAX).ok()?;
    let info = crate::files::read_to(c"/proc/self/mountinfo", &mut region).ok()?;
    for line in info.split(|&c| c == b'\n') {
        // id parent maj:min root MOUNT-POINT options... - FSTYPE source super-options
        let Some(sep) = line.windows(3).position(|w| w == b" - ") else {
            continue;
        };
        if line[sep + 3..].split(|&c| c == b' ').next() != Some(b"cgroup2") {
            continue;
        }
        let raw = line.split(|&c| c == b' ').nth(4)?;
        return unescape_octal(raw, out);
    }
    None
}

/// A mountinfo field with its `\ooo` escapes (space, tab, newline, backslash) decoded into
/// `out`; None if it does not fit.
fn unescape_octal<'o>(raw: &[u8], out: &'o mut [u8]) -> Option<&'o [u8]> {
    let mut n = 0;
    let mut i = 0;
    while i < raw.len() {
        let c = match raw[i..] {
            [b'\\', a @ b'0'..=b'3', b @ b'0'..=b'7', c @ b'0'..=b'7', ..] => {
                i += 4;
                (a - b'0') * 64 + (b - b'0') * 8 + (c - b'0')
            }
            _ => {
                i += 1;
                raw[i - 1]
            }
        };
        *out.get_mut(n)? = c;
        n += 1;
    }
    Some(&out[..n])
}

/// A read-only, empty tmpfs on `dst` (masked directories): fsopen/fsmount/move_mount, so
/// no path is looked up; mount(2) through `/proc/self/fd` on kernels without them.
pub fn empty_ro_tmpfs(dst: BorrowedFd<'_>) -> Result<(), Errno> {
    use rustix::mount::{FsMountFlags, FsOpenFlags, MountAttrFlags};
    let fresh = rustix::mount::fsopen(c"tmpfs", FsOpenFlags::FSOPEN_CLOEXEC).and_then(|fs| {
        rustix::mount::fsconfig_create(fs.as_fd())?;
        rustix::mount::fsmount(
            fs.as_fd(),
            FsMountFlags::FSMOUNT_CLOEXEC,
            MountAttrFlags::MOUNT_ATTR_RDONLY
                | MountAttrFlags::MOUNT_ATTR_NOSUID
                | MountAttrFlags::MOUNT_ATTR_NODEV
                | MountAttrFlags::MOUNT_ATTR_NOEXEC,
        )
    });
    match fresh {
        Ok(m) => rustix::mount::move_mount(
            m.as_fd(),
            c"",
            dst,
            c"",
            MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH | MoveMountFlags::MOVE_MOUNT_T_EMPTY_PATH,
        ),
        Err(Errno::NOSYS) => mount_at(
            c"tmpfs",
            dst,
            c"tmpfs",
            g::MS_RDONLY | g::MS_NOSUID | g::MS_NODEV | g::MS_NOEXEC,
            None,
        ),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
#[path = "mounts_tests.rs"]
mod tests;
