//! /dev (the container child, in its new mount namespace, before pivot_root, inside or
//! outside a user namespace): the default devices, `linux.devices`, and the /dev symlinks,
//! all created relative to descriptors of directories opened inside the rootfs, never by a
//! host path, even when the image's /dev is a symlink (CVE-2026-41579, 2026-47766).
//!
//! In a new user namespace mknod(2) fails, so the host's node is opened O_PATH, checked to
//! be the expected device, and bind-mounted onto an empty file (as runc does).

use super::mounts::bind;
use super::resolve::{mkdir_all, Clean, Leaf};
use crate::cpath::CPath;
use crate::error::{Error, Result};
use crate::spec::Spec;
use crate::sys::Errno;
use core::ffi::CStr;
use rustix::fd::{AsFd, BorrowedFd};
use rustix::fs::{makedev, AtFlags, FileType, Mode, OFlags, ResolveFlags};

/// One device node to create.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Node {
    /// `c`, `b`, `u` (unbuffered char, as `c`) or `p` (FIFO).
    pub kind: u8,
    pub major: u32,
    pub minor: u32,
    /// Permission bits (0666 for the defaults).
    pub mode: u32,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

const fn chr(major: u32, minor: u32) -> Node {
    Node {
        kind: b'c',
        major,
        minor,
        mode: 0o666,
        uid: None,
        gid: None,
    }
}

/// The devices every container gets (runtime-spec "Default Devices"), as names under /dev.
pub const DEFAULT_DEVICES: [(&CStr, Node); 6] = [
    (c"null", chr(1, 3)),
    (c"zero", chr(1, 5)),
    (c"full", chr(1, 7)),
    (c"random", chr(1, 8)),
    (c"urandom", chr(1, 9)),
    (c"tty", chr(5, 0)),
];

/// (name under /dev, target) of the default symlinks; `core` only when /proc/kcore exists.
pub const SYMLINKS: [(&CStr, &CStr); 5] = [
    (c"fd", c"/proc/self/fd"),
    (c"stdin", c"/proc/self/fd/0"),
    (c"stdout", c"/proc/self/fd/1"),
    (c"stderr", c"/proc/self/fd/2"),
    (c"core", c"/proc/kcore"),
];

/// Should husk populate /dev? Yes unless a `mounts[]` entry bind-mounts /dev (runc's rule: a
/// tmpfs on /dev, or no /dev mount at all, gets the default devices).
pub fn needs_dev(spec: &Spec<'_>) -> bool {
    !spec.mounts.iter().flatten().any(|m| {
        let dev = Clean::new(m.destination, "mounts[].destination")
            .is_ok_and(|d| d.as_bytes() == b"/dev");
        let bind = m.typ.is_some_and(|t| t.eq_str("bind"))
            || m.options
                .iter()
                .flatten()
                .any(|o| o.eq_str("bind") || o.eq_str("rbind"));
        dev && bind
    })
}

/// Create the default devices, `linux.devices`, the symlinks and `ptmx`. `root` is the
/// rootfs directory (before pivot_root); `host_kcore` says whether /proc/kcore exists.
pub fn setup(root: BorrowedFd<'_>, spec: &Spec<'_>, userns: bool, host_kcore: bool) -> Result<()> {
    let old = rustix::process::umask(Mode::empty());
    let r = populate(root, spec, userns, host_kcore);
    rustix::process::umask(old);
    r
}

fn populate(root: BorrowedFd<'_>, spec: &Spec<'_>, userns: bool, host_kcore: bool) -> Result<()> {
    let dev_path = Clean::from_bytes(b"/dev", "dev")?;
    let dev = mkdir_all(root, &dev_path, Leaf::Dir, ResolveFlags::empty())?;
    for (name, node) in DEFAULT_DEVICES {
        let mut host = CPath::from(b"/dev/", "dev")?;
        host.join(name.to_bytes(), "dev")?;
        create(dev.as_fd(), name, &node, userns, host.as_cstr())
            .map_err(|e| e.path(host.as_bytes()))?;
    }
    if let Some(l) = &spec.linux {
        for (i, d) in l.devices.iter().enumerate() {
            let d = d?;
            let path = Clean::new(d.path, "linux.devices[].path").map_err(|e| e.at(i))?;
            let Some((parent, leaf)) = path.split_last() else {
                return Err(Error::spec("linux.devices[].path", "must name a file").at(i));
            };
            let kind = d.typ.raw().as_bytes().first().copied().unwrap_or(0);
            let num = |v: Option<i64>| u32::try_from(v.unwrap_or(0)).unwrap_or(u32::MAX);
            let node = Node {
                kind,
                major: num(d.major),
                minor: num(d.minor),
                mode: d.file_mode.unwrap_or(0o666) & 0o7777,
                uid: d.uid,
                gid: d.gid,
            };
            let dir = mkdir_all(root, &parent, Leaf::Dir, ResolveFlags::empty())?;
            let leaf = CPath::from(leaf, "linux.devices[].path")?;
            let host = CPath::from(path.as_bytes(), "linux.devices[].path")?;
            create(dir.as_fd(), leaf.as_cstr(), &node, userns, host.as_cstr())
                .map_err(|e| e.path(path.as_bytes()))?;
        }
    }
    for (name, target) in SYMLINKS {
        if name == c"core" && !host_kcore {
            continue;
        }
        match rustix::fs::symlinkat(target, dev.as_fd(), name) {
            Ok(()) | Err(Errno::EXIST) => {}
            Err(e) => return Err(Error::sys("symlink", e).path(name.to_bytes())),
        }
    }
    // /dev/ptmx -> pts/ptmx: the container's devpts instance, not the host's ptmx.
    match rustix::fs::unlinkat(dev.as_fd(), c"ptmx", AtFlags::empty()) {
        Ok(()) | Err(Errno::NOENT) => {}
        Err(e) => return Err(Error::sys("unlink", e).path(b"/dev/ptmx")),
    }
    rustix::fs::symlinkat(c"pts/ptmx", dev.as_fd(), c"ptmx")
        .map_err(|e| Error::sys("symlink", e).path(b"/dev/ptmx"))
}

fn file_type(kind: u8) -> Option<FileType> {
    match kind {
        b'c' | b'u' => Some(FileType::CharacterDevice),
        b'b' => Some(FileType::BlockDevice),
        b'p' => Some(FileType::Fifo),
        _ => None,
    }
}

/// Create `name` in `dir` as `node`: mknod(2), or in a user namespace a bind of the host
/// node `host` (checked to be that very device). An existing entry that is not already
/// the right node is replaced; a directory is an error.
fn create(dir: BorrowedFd<'_>, name: &CStr, node: &Node, userns: bool, host: &CStr) -> Result<()> {
    let ft =
        file_type(node.kind).ok_or(Error::spec("linux.devices[].type", "must be c, b, u or p"))?;
    let rdev = makedev(node.major, node.minor);
    let by_bind = userns && ft != FileType::Fifo;
    for attempt in 0..2 {
        let made = if by_bind {
            rustix::fs::mknodat(dir, name, FileType::RegularFile, Mode::empty(), 0)
        } else {
            rustix::fs::mknodat(dir, name, ft, Mode::from_raw_mode(node.mode), rdev)
        };
        match made {
            Ok(()) => break,
            Err(Errno::EXIST) if attempt == 0 => {
                let st = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)
                    .map_err(|e| Error::sys("stat", e))?;
                let have = FileType::from_raw_mode(st.st_mode);
                if have == FileType::Directory {
                    return Err(Error::sys("mknod", Errno::ISDIR));
                }
                if !by_bind && have == ft && st.st_rdev == rdev {
                    break;
                }
                rustix::fs::unlinkat(dir, name, AtFlags::empty())
                    .map_err(|e| Error::sys("unlink", e))?;
            }
            Err(e) => return Err(Error::sys("mknod", e)),
        }
    }
    if by_bind {
        let src = rustix::fs::open(
            host,
            OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| Error::sys("open host device", e))?;
        let st = rustix::fs::fstat(src.as_fd()).map_err(|e| Error::sys("fstat", e))?;
        if FileType::from_raw_mode(st.st_mode) != ft || st.st_rdev != rdev {
            return Err(Error::sys(
                "host device is not the expected node",
                Errno::NODEV,
            ));
        }
        let dst = rustix::fs::openat(
            dir,
            name,
            OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| Error::sys("open", e))?;
        bind(src.as_fd(), dst.as_fd(), false).map_err(|e| Error::sys("bind device", e))?;
        return Ok(());
    }
    if node.uid.is_some() || node.gid.is_some() {
        rustix::fs::chownat(
            dir,
            name,
            node.uid.map(rustix::fs::Uid::from_raw),
            node.gid.map(rustix::fs::Gid::from_raw),
            AtFlags::SYMLINK_NOFOLLOW,
        )
        .map_err(|e| Error::sys("chown", e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;

    #[test]
    fn default_table() {
        let names: std::vec::Vec<_> = DEFAULT_DEVICES.iter().map(|(n, _)| n.to_bytes()).collect();
        assert_eq!(
            names,
            [
                &b"null"[..],
                b"zero",
                b"full",
                b"random",
                b"urandom",
                b"tty"
            ]
        );
        assert!(DEFAULT_DEVICES
            .iter()
            .all(|(_, d)| d.mode == 0o666 && d.kind == b'c'));
        assert_eq!(DEFAULT_DEVICES[5].1.major, 5);
        assert_eq!(file_type(b'u'), Some(FileType::CharacterDevice));
        assert_eq!(file_type(b'x'), None);
    }

    fn spec_needs_dev(json: &str) -> bool {
        let mut b = json.as_bytes().to_vec();
        let s = crate::spec::parse(&mut b).unwrap();
        needs_dev(&s)
    }

    #[test]
    fn dev_bind_skips_devices() {
        let base = r#"{"ociVersion":"1.0.0","root":{"path":"r"},"mounts":["#;
        assert!(spec_needs_dev(&std::format!("{base}]}}")));
        assert!(spec_needs_dev(&std::format!(
            r#"{base}{{"destination":"/dev","type":"tmpfs","source":"tmpfs"}}]}}"#
        )));
        assert!(!spec_needs_dev(&std::format!(
            r#"{base}{{"destination":"/dev/","type":"bind","source":"/dev"}}]}}"#
        )));
        assert!(!spec_needs_dev(&std::format!(
            r#"{base}{{"destination":"/dev","source":"/dev","options":["rbind"]}}]}}"#
        )));
    }
}
