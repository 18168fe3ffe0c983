//! init.json `mounts`: the machine's own filesystems (a data partition, a sized tmpfs, a
//! bind of a directory elsewhere), what /etc/fstab is to other inits. Each entry is an OCI
//! mount, `{"destination", "type", "source", "options"}`, its options read as config.json
//! mounts' are (flags, propagation, the rest the filesystem's data), checked strictly with
//! the rest of init.json. They are mounted in order after the base system and
//! `husk.modules` (a module may provide the filesystem) and before any bundle, and
//! unmounted with every other mount at shutdown, last mounted first ([`super::shutdown`]).
//!
//! No heap: the strings of every entry share one pool of [`MOUNTS_TEXT_MAX`] bytes (each
//! NUL-terminated, ready for mount(2)), so the machine's settings stay small.

use super::config::Parser;
use super::limits::{MOUNTS_MAX, MOUNTS_TEXT_MAX};
use crate::cpath::CPath;
use crate::linux::mounts::{parse_options, PROPAGATIONS_MAX};
use crate::out::Buf;
use crate::spec::Str;
use crate::{Error, Result};
use core::ffi::CStr;
use linux_raw_sys::general as g;
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;

/// A string in the pool: `start..end`, its NUL at `end`.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
struct Span {
    start: u16,
    end: u16,
}

/// One entry, its strings in the pool of [`FsTab`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FsMount {
    destination: Span,
    source: Span,
    fstype: Span,
    data: Span,
    /// MS_* flags (MS_BIND, with MS_REC for `rbind`, for a bind mount).
    pub flags: u32,
    /// MS_* flags the options clear (`rw`, `suid`...): a bind keeps its source's others.
    pub clr: u32,
    /// Propagation changes (MS_PRIVATE | MS_REC...), applied in order after the mount.
    pub propagation: heapless::Vec<u32, PROPAGATIONS_MAX>,
}

/// The entries of init.json `mounts`, in order.
#[derive(Default)]
pub struct FsTab {
    text: Buf<MOUNTS_TEXT_MAX>,
    mounts: heapless::Vec<FsMount, MOUNTS_MAX>,
}

impl FsTab {
    pub fn len(&self) -> usize {
        self.mounts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.mounts.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &FsMount> {
        self.mounts.iter()
    }

    fn get(&self, s: Span) -> &CStr {
        self.text
            .as_bytes()
            .get(s.start as usize..=s.end as usize)
            .and_then(|b| CStr::from_bytes_with_nul(b).ok())
            .unwrap_or(c"")
    }

    pub fn destination(&self, m: &FsMount) -> &CStr {
        self.get(m.destination)
    }

    pub fn source(&self, m: &FsMount) -> &CStr {
        self.get(m.source)
    }

    pub fn fstype(&self, m: &FsMount) -> &CStr {
        self.get(m.fstype)
    }

    /// The filesystem's data (`size=1m,mode=0755`), empty when there is none.
    pub fn data(&self, m: &FsMount) -> &CStr {
        self.get(m.data)
    }

    /// Add `s` and its NUL to the pool.
    fn put(&mut self, s: &[u8]) -> Result<Span> {
        let start = self.text.len();
        let need = start + s.len() + 1;
        if need > MOUNTS_TEXT_MAX {
            return Err(Error::capacity(
                "init.json: mounts",
                need as u64,
                MOUNTS_TEXT_MAX as u64,
                "bytes of destinations, sources, types and data (a NUL after each)",
            ));
        }
        self.text.push_bytes(s);
        self.text.push_bytes(b"\0");
        Ok(Span {
            start: start as u16,
            end: (start + s.len()) as u16,
        })
    }
}

/// Parse the value of init.json `mounts` (an array of objects) into `tab`.
pub fn parse(p: &mut Parser<'_>, tab: &mut FsTab) -> Result<()> {
    if !p.eat(b'[') {
        return Err(Error::spec(
            "init.json: mounts",
            "must be an array of mounts",
        ));
    }
    if p.eat(b']') {
        return Ok(());
    }
    let mut count = 0usize;
    loop {
        entry(p, count, tab)?;
        count += 1;
        if p.eat(b',') {
            continue;
        }
        if p.eat(b']') {
            break;
        }
        return Err(p.err("expected ',' or ']' in mounts"));
    }
    if count > MOUNTS_MAX {
        return Err(Error::capacity(
            "init.json: mounts",
            count as u64,
            MOUNTS_MAX as u64,
            "entries",
        ));
    }
    Ok(())
}

/// The option names' errors come from the container mounts' parser: say where they are.
fn in_init_json(mut e: Error) -> Error {
    e.ctx = match e.ctx {
        "mounts[].options" => "init.json: mounts[].options",
        "mounts[].options[]" => "init.json: mounts[].options[]",
        c => c,
    };
    e
}

/// Mount `i` (counted past the capacity too, so that the error can say how many).
fn entry(p: &mut Parser<'_>, i: usize, tab: &mut FsTab) -> Result<()> {
    let (mut dst, mut fstype, mut source) = (None, None, None);
    let mut opts = None;
    if !p.eat(b'{') {
        return Err(Error::spec("init.json: mounts[]", "must be an object").at(i));
    }
    let mut seen = 0u8;
    if !p.eat(b'}') {
        loop {
            let key = p.string()?;
            if !p.eat(b':') {
                return Err(p.err("expected ':'"));
            }
            let (bit, ctx) = match key {
                "destination" => (1, "init.json: mounts[].destination"),
                "type" => (2, "init.json: mounts[].type"),
                "source" => (4, "init.json: mounts[].source"),
                "options" => (8, "init.json: mounts[].options"),
                _ => {
                    return Err(Error::spec(
                        "init.json: mounts[]",
                        "unknown key (accepted: destination, type, source, options)",
                    )
                    .at(i)
                    .value(key.as_bytes()))
                }
            };
            if seen & bit != 0 {
                return Err(Error::spec("init.json: mounts[]", "duplicate key")
                    .at(i)
                    .value(key.as_bytes()));
            }
            seen |= bit;
            if key == "options" {
                opts = Some(options(p, i)?);
            } else {
                if p.peek() != Some(b'"') {
                    return Err(Error::spec(ctx, "must be a string").at(i));
                }
                let s = p.string()?;
                match key {
                    "destination" => dst = Some(s),
                    "type" => fstype = Some(s),
                    _ => source = Some(s),
                }
            }
            if p.eat(b',') {
                continue;
            }
            if p.eat(b'}') {
                break;
            }
            return Err(p.err("expected ',' or '}' in a mount"));
        }
    }
    let o = match opts {
        Some(o) => o,
        None => parse_options(core::iter::empty::<Result<Str<'_>>>(), i)?,
    };
    let Some(dst) = dst else {
        return Err(Error::spec("init.json: mounts[].destination", "is required").at(i));
    };
    if !dst.starts_with('/') || dst == "/" || dst.split('/').any(|c| c == "..") {
        return Err(Error::spec(
            "init.json: mounts[].destination",
            "must be an absolute path other than / (no ..)",
        )
        .at(i)
        .value(dst.as_bytes()));
    }
    let bind = o.is_bind();
    let fstype = match (fstype, bind) {
        (Some(t), _) if !t.is_empty() => t,
        (_, true) => "",
        _ => {
            return Err(Error::spec(
                "init.json: mounts[].type",
                "is required (but for a bind mount)",
            )
            .at(i))
        }
    };
    let source = match (source, bind) {
        (Some(s), true) if s.starts_with('/') => s,
        (_, true) => {
            return Err(Error::spec(
                "init.json: mounts[].source",
                "of a bind mount must be an absolute path",
            )
            .at(i)
            .value(source.unwrap_or("").as_bytes()))
        }
        (Some(s), false) if !s.is_empty() => s,
        // A filesystem with no device (tmpfs, proc): its type, as fstab writes it.
        (_, false) => fstype,
    };
    if !o.rname.is_empty() {
        return Err(Error::unsupported(
            "init.json: mounts[].options",
            "recursive attributes are for container mounts (use ro, nosuid... here)",
        )
        .at(i)
        .value(o.rname.as_bytes()));
    }
    if tab.mounts.is_full() {
        // Past the capacity an entry is checked and counted (for the error), not kept.
        return Ok(());
    }
    let m = FsMount {
        destination: tab.put(dst.as_bytes())?,
        source: tab.put(source.as_bytes())?,
        fstype: tab.put(fstype.as_bytes())?,
        data: tab.put(o.data())?,
        flags: o.set,
        clr: o.clr,
        propagation: o.propagation.clone(),
    };
    let _ = tab.mounts.push(m);
    Ok(())
}

/// `options`: an array of strings, read as container mounts' options are.
fn options(p: &mut Parser<'_>, i: usize) -> Result<crate::linux::mounts::Options> {
    if !p.eat(b'[') {
        return Err(
            Error::spec("init.json: mounts[].options", "must be an array of strings").at(i),
        );
    }
    let mut it = Strings {
        p,
        first: true,
        done: false,
        i,
    };
    let o = parse_options(&mut it, i).map_err(in_init_json)?;
    // parse_options reads to the end unless it failed: nothing is left unread.
    if !it.done {
        return Err(it.p.err("unterminated options"));
    }
    Ok(o)
}

/// The strings of a JSON array whose `[` was read, one by one.
struct Strings<'p, 'a> {
    p: &'p mut Parser<'a>,
    first: bool,
    done: bool,
    i: usize,
}

impl<'a> Iterator for Strings<'_, 'a> {
    type Item = Result<Str<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let more = if self.first {
            !self.p.eat(b']')
        } else if self.p.eat(b',') {
            true
        } else if self.p.eat(b']') {
            false
        } else {
            self.done = true;
            return Some(Err(self.p.err("expected ',' or ']' in options")));
        };
        self.first = false;
        if !more {
            self.done = true;
            return None;
        }
        if self.p.peek() != Some(b'"') {
            self.done = true;
            return Some(Err(Error::spec(
                "init.json: mounts[].options",
                "must be an array of strings",
            )
            .at(self.i)));
        }
        match self.p.string() {
            // init.json strings hold no escapes: the raw text is the string.
            Ok(s) => Some(Ok(Str::from_raw(s))),
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// Mount every entry, in order. A failure is logged and the boot goes on (a bundle that
/// needs the filesystem fails on its own, with its own error).
pub fn mount_all(tab: &FsTab) {
    for m in tab.iter() {
        let dst = tab.destination(m);
        match mount_one(tab, m) {
            Ok(()) => crate::info!(
                "init: mounted {}{}{} on {}{}{}",
                text(tab.fstype(m)),
                if tab.fstype(m).is_empty() { "" } else { " " },
                text(tab.source(m)),
                text(dst),
                if tab.data(m).is_empty() { "" } else { " with " },
                text(tab.data(m))
            ),
            Err(e) => crate::error!("init: init.json mounts: {}", e),
        }
    }
}

fn text(c: &CStr) -> &str {
    core::str::from_utf8(c.to_bytes()).unwrap_or("(not UTF-8)")
}

/// The MS_* flags of a mount that a bind remount would otherwise drop, from statvfs's
/// ST_* flags (most are the same bits, but ST_RELATIME is 4096, MS_RELATIME 1 << 21).
fn source_flags(st: rustix::fs::StatVfsMountFlags) -> u32 {
    use rustix::fs::StatVfsMountFlags as S;
    [
        (S::RDONLY, g::MS_RDONLY),
        (S::NOSUID, g::MS_NOSUID),
        (S::NODEV, g::MS_NODEV),
        (S::NOEXEC, g::MS_NOEXEC),
        (S::NOATIME, g::MS_NOATIME),
        (S::NODIRATIME, g::MS_NODIRATIME),
        (S::RELATIME, g::MS_RELATIME),
    ]
    .iter()
    .filter(|(f, _)| st.contains(*f))
    .fold(0, |acc, (_, ms)| acc | ms)
}

fn mount_one(tab: &FsTab, m: &FsMount) -> Result<()> {
    use rustix::mount::{mount, MountFlags};
    let dst = tab.destination(m);
    let src = tab.source(m);
    let bind = m.flags & g::MS_BIND != 0;
    let file = bind && rustix::fs::stat(src).is_ok_and(|s| s.st_mode & 0o170000 != 0o040000);
    make_target(dst, file)?;
    let err = |call, e| Error::sys(call, e).path(dst.to_bytes());
    let data = tab.data(m);
    let data = (!data.is_empty()).then_some(data);
    if bind {
        // Bind first, then the flags (ro, nosuid...) in a remount: mount(2) ignores them
        // on the bind itself.
        let rec = m.flags & g::MS_REC;
        mount(
            src,
            dst,
            c"",
            MountFlags::from_bits_retain(g::MS_BIND | rec),
            None,
        )
        .map_err(|e| {
            // A missing source is the usual mistake: name it, not the destination.
            if e == rustix::io::Errno::NOENT && rustix::fs::stat(src).is_err() {
                Error::sys("mount (bind)", e).path(src.to_bytes())
            } else {
                err("mount (bind)", e)
            }
        })?;
        let rest = m.flags & !(g::MS_BIND | g::MS_REC);
        if rest != 0 || m.clr != 0 {
            // A bind remount sets exactly the flags it is given: the source's (nosuid on
            // /run, say) are kept unless an option clears them, as runc keeps them.
            let kept = rustix::fs::statvfs(dst)
                .map(|v| source_flags(v.f_flag) & !m.clr)
                .map_err(|e| err("statvfs", e))?;
            let f = g::MS_BIND | g::MS_REMOUNT | kept | rest;
            mount(c"", dst, c"", MountFlags::from_bits_retain(f), None)
                .map_err(|e| err("mount (bind remount)", e))?;
        }
    } else {
        mount(
            src,
            dst,
            tab.fstype(m),
            MountFlags::from_bits_retain(m.flags),
            data,
        )
        .map_err(|e| err("mount", e))?;
    }
    for &p in m.propagation.iter() {
        mount(c"", dst, c"", MountFlags::from_bits_retain(p), None)
            .map_err(|e| err("mount (propagation)", e))?;
    }
    Ok(())
}

/// The mount point, with its missing parents (directories 0755); an empty file when a
/// file is bound there.
fn make_target(dst: &CStr, file: bool) -> Result<()> {
    let mut path = CPath::from(b"/", "init.json: mounts[].destination")?;
    let mut comps = dst
        .to_bytes()
        .split(|&c| c == b'/')
        .filter(|c| !c.is_empty())
        .peekable();
    while let Some(c) = comps.next() {
        path.join(c, "init.json: mounts[].destination")?;
        let last = comps.peek().is_none();
        let r = if last && file {
            rustix::fs::open(
                path.as_cstr(),
                OFlags::WRONLY | OFlags::CREATE | OFlags::CLOEXEC | OFlags::NOFOLLOW,
                Mode::from_raw_mode(0o644),
            )
            .map(drop)
        } else {
            rustix::fs::mkdir(path.as_cstr(), Mode::from_raw_mode(0o755))
        };
        match r {
            Ok(()) | Err(Errno::EXIST) => {}
            // A file that is there already and cannot be opened for writing (a read-only
            // root): it is a mount point all the same.
            Err(Errno::ROFS | Errno::ACCESS) if last && file => {}
            Err(e) => {
                let call = if last && file { "open" } else { "mkdir" };
                return Err(Error::sys(call, e).path(path.as_bytes()));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::config::tests::{parse, perr};
    use super::super::config::{apply_json, Options};
    use super::*;

    fn s(c: &CStr) -> &str {
        c.to_str().unwrap()
    }

    #[test]
    fn a_bind_remount_keeps_the_source_flags_statvfs_shows() {
        use rustix::fs::StatVfsMountFlags as S;
        for (st, ms) in [
            (S::RDONLY, g::MS_RDONLY),
            (S::NOSUID, g::MS_NOSUID),
            (S::NODEV, g::MS_NODEV),
            (S::NOEXEC, g::MS_NOEXEC),
            (S::NOATIME, g::MS_NOATIME),
            (S::NODIRATIME, g::MS_NODIRATIME),
            (S::RELATIME, g::MS_RELATIME),
        ] {
            assert_eq!(source_flags(st), ms, "{st:?}");
        }
        assert_eq!(source_flags(S::MANDLOCK | S::SYNCHRONOUS), 0);
        let t = parse(
            r#"{"mounts":[{"destination":"/a","type":"bind","source":"/b","options":["bind","ro","suid"]}]}"#,
        );
        let m = &t.mounts.mounts[0];
        assert_eq!(m.clr, g::MS_NOSUID);
        assert_ne!(m.flags & g::MS_RDONLY, 0);
    }

    #[test]
    fn entries_as_oci_mounts() {
        let o = parse(
            r#"{"mounts":[
                {"destination":"/srv/data","type":"tmpfs","options":["size=1m","nosuid","mode=0750"]},
                {"destination":"/var/lib/app","type":"ext4","source":"/dev/vda2","options":["ro","noatime","rshared"]},
                {"destination":"/etc/app","source":"/data/etc","options":["rbind","ro"]}
            ]}"#,
        );
        let t = &o.mounts;
        assert_eq!(t.len(), 3);
        let m: Vec<&FsMount> = t.iter().collect();
        assert_eq!(s(t.destination(m[0])), "/srv/data");
        assert_eq!(s(t.fstype(m[0])), "tmpfs");
        // no source: the type, as fstab writes it
        assert_eq!(s(t.source(m[0])), "tmpfs");
        assert_eq!(s(t.data(m[0])), "size=1m,mode=0750");
        assert_eq!(m[0].flags, g::MS_NOSUID);
        assert_eq!(s(t.source(m[1])), "/dev/vda2");
        assert_eq!(m[1].flags, g::MS_RDONLY | g::MS_NOATIME);
        assert_eq!(m[1].propagation.as_slice(), [g::MS_SHARED | g::MS_REC]);
        assert_eq!(s(t.data(m[1])), "");
        assert_eq!(s(t.fstype(m[2])), "");
        assert_eq!(m[2].flags, g::MS_BIND | g::MS_REC | g::MS_RDONLY);
        assert!(parse(r#"{"mounts":[]}"#).mounts.is_empty());
        assert!(parse("{}").mounts.is_empty());
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(
            perr(r#"{"mounts":[{"destination":"/a","type":"tmpfs","size":"1m"}]}"#),
            "init.json: mounts[0]: unknown key (accepted: destination, type, source, options) \"size\""
        );
        assert_eq!(
            perr(r#"{"mounts":[{"type":"tmpfs"}]}"#),
            "init.json: mounts[0].destination: is required"
        );
        assert_eq!(
            perr(r#"{"mounts":[{"destination":"/a","type":"tmpfs"},{"destination":"rel","type":"tmpfs"}]}"#),
            "init.json: mounts[1].destination: must be an absolute path other than / (no ..) \"rel\""
        );
        assert!(
            perr(r#"{"mounts":[{"destination":"/a/../etc","type":"tmpfs"}]}"#).contains("no ..")
        );
        assert!(perr(r#"{"mounts":[{"destination":"/","type":"tmpfs"}]}"#).contains("other than /"));
        assert_eq!(
            perr(r#"{"mounts":[{"destination":"/a"}]}"#),
            "init.json: mounts[0].type: is required (but for a bind mount)"
        );
        assert_eq!(
            perr(r#"{"mounts":[{"destination":"/a","source":"rel","options":["bind"]}]}"#),
            "init.json: mounts[0].source: of a bind mount must be an absolute path \"rel\""
        );
        assert_eq!(
            perr(r#"{"mounts":[{"destination":"/a","type":1}]}"#),
            "init.json: mounts[0].type: must be a string"
        );
        assert_eq!(
            perr(r#"{"mounts":[{"destination":"/a","type":"tmpfs","options":"ro"}]}"#),
            "init.json: mounts[0].options: must be an array of strings"
        );
        assert_eq!(
            perr(r#"{"mounts":[{"destination":"/a","type":"tmpfs","options":["ro",3]}]}"#),
            "init.json: mounts[0].options: must be an array of strings"
        );
        assert!(
            perr(r#"{"mounts":[{"destination":"/a\"b","type":"tmpfs"}]}"#)
                .contains("escapes are not supported")
        );
        assert!(
            perr(r#"{"mounts":[{"destination":"/a","type":"tmpfs","options":["\u0041"]}]}"#)
                .contains("escapes are not supported")
        );
        assert!(
            perr(r#"{"mounts":[{"destination":"/a","type":"tmpfs","options":["ro" "x"]}]}"#)
                .contains("expected ',' or ']' in options")
        );
        assert_eq!(
            perr(r#"{"mounts":[{"destination":"/a","type":"tmpfs","options":["rro"]}]}"#),
            "init.json: mounts[0].options: recursive attributes are for container mounts (use ro, nosuid... here) \"rro\""
        );
        assert_eq!(
            perr(r#"{"mounts":[{"destination":"/a","type":"tmpfs","options":["idmap"]}]}"#),
            "init.json: mounts[0].options[0]: id-mapped mounts are not supported yet \"idmap\""
        );
        assert_eq!(
            perr(r#"{"mounts":[{"destination":"/a","destination":"/b","type":"tmpfs"}]}"#),
            "init.json: mounts[0]: duplicate key \"destination\""
        );
        assert_eq!(
            perr(r#"{"mounts":{"destination":"/a"}}"#),
            "init.json: mounts: must be an array of mounts"
        );
        assert_eq!(
            perr(r#"{"mounts":["/a"]}"#),
            "init.json: mounts[0]: must be an object"
        );
        assert!(perr(r#"{"mounts":[{"destination":"/a","type":"tmpfs"} {}]}"#).contains("at byte"));
    }

    #[test]
    fn capacities() {
        let one = r#"{"destination":"/m","type":"tmpfs"}"#;
        let list = |n: usize| format!(r#"{{"mounts":[{}]}}"#, vec![one; n].join(","));
        assert_eq!(parse(&list(MOUNTS_MAX)).mounts.len(), MOUNTS_MAX);
        assert_eq!(
            perr(&list(MOUNTS_MAX + 3)),
            format!(
                "init.json: mounts: {} entries, limit {MOUNTS_MAX}",
                MOUNTS_MAX + 3
            )
        );
        let long = "x".repeat(MOUNTS_TEXT_MAX);
        let e = perr(&format!(
            r#"{{"mounts":[{{"destination":"/{long}","type":"tmpfs"}}]}}"#
        ));
        assert!(
            e.starts_with("init.json: mounts: ")
                && e.ends_with(&format!("limit {MOUNTS_TEXT_MAX}")),
            "{e}"
        );
    }

    #[test]
    fn an_error_keeps_the_defaults() {
        let mut o = Options::default();
        let bad = br#"{"hostname":"x","mounts":[{"destination":"/a","type":"tmpfs"},{"destination":"b"}]}"#;
        assert!(apply_json(&mut o, bad).is_err());
        assert!(o.mounts.is_empty());
        assert_eq!(o.hostname.as_str(), "husk");
    }

    #[test]
    fn targets_are_made() {
        let tmp = std::env::temp_dir().join(format!("husk-fstab-{}", std::process::id()));
        let dir = tmp.join("a/b");
        let c = std::ffi::CString::new(dir.to_str().unwrap()).unwrap();
        make_target(&c, false).unwrap();
        assert!(dir.is_dir());
        make_target(&c, false).unwrap();
        let f = std::ffi::CString::new(tmp.join("a/file").to_str().unwrap()).unwrap();
        make_target(&f, true).unwrap();
        assert!(tmp.join("a/file").is_file());
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
