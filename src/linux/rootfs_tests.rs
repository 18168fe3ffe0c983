//! The step plan (pure data), then the real `setup` in forked children (root only).

use super::*;
use std::vec::Vec;

fn steps(json: &str, opts: RootfsOpts) -> Vec<Step> {
    let mut b = json.as_bytes().to_vec();
    let spec = crate::spec::parse(&mut b).unwrap();
    plan(&spec, &opts).unwrap().into_iter().collect()
}

const MIN: &str = r#"{"ociVersion":"1.0.0","root":{"path":"r"}}"#;

#[test]
fn plan_minimal() {
    let rp = g::MS_PRIVATE | g::MS_REC;
    assert_eq!(
        steps(MIN, RootfsOpts::default()),
        [
            Step::RootSlave,
            Step::RootPropagation(rp),
            Step::ParentPrivate,
            Step::BindRootfs,
            Step::Mounts,
            Step::Devices,
            Step::PivotRoot,
            Step::NewRootPropagation(rp),
        ]
    );
}

#[test]
fn plan_full() {
    let j = r#"{"ociVersion":"1.0.0","root":{"path":"r","readonly":true},
      "mounts":[{"destination":"/dev","type":"bind","source":"/dev","options":["rbind"]}],
      "linux":{"rootfsPropagation":"rshared","sysctl":{"net.ipv4.ip_forward":"1"},
        "maskedPaths":["/proc/kcore"],"readonlyPaths":["/proc/sys"]}}"#;
    let o = RootfsOpts {
        no_pivot: true,
        ..Default::default()
    };
    let rs = g::MS_SHARED | g::MS_REC;
    assert_eq!(
        steps(j, o),
        [
            Step::RootSlave,
            Step::RootPropagation(rs),
            Step::ParentPrivate,
            Step::BindRootfs,
            Step::Mounts,
            Step::MoveRoot,
            Step::NewRootPropagation(rs),
            Step::Sysctl,
            Step::ReadonlyPaths,
            Step::MaskedPaths,
            Step::RootReadonly,
        ]
    );
}

#[test]
fn propagation_names() {
    for (n, f) in [
        ("private", g::MS_PRIVATE),
        ("rslave", g::MS_SLAVE | g::MS_REC),
        ("unbindable", g::MS_UNBINDABLE),
        ("runbindable", g::MS_UNBINDABLE | g::MS_REC),
        ("", g::MS_PRIVATE | g::MS_REC),
    ] {
        let j = std::format!(
            r#"{{"ociVersion":"1.0.0","root":{{"path":"r"}},"linux":{{"rootfsPropagation":"{n}"}}}}"#
        );
        assert_eq!(
            steps(&j, RootfsOpts::default())[1],
            Step::RootPropagation(f),
            "{n}"
        );
    }
    let mut b =
        br#"{"ociVersion":"1.0.0","root":{"path":"r"},"linux":{"rootfsPropagation":"bogus"}}"#
            .to_vec();
    let spec = crate::spec::parse(&mut b).unwrap();
    assert!(plan(&spec, &RootfsOpts::default()).is_err());
}

// ---------------------------------------------------------------------------------------
// Root tests: the real `setup` in a forked child with its own mount (and ipc, uts, net)
// namespaces. The parent checks the result through /proc/<child>/root and
// /proc/<child>/mountinfo while the child waits; then it kills the child. The child only
// makes syscalls (no allocation: the harness's other threads may hold the allocator lock).

use crate::sys::clone::{fork, Forked};
use rustix::process::{Pid, Signal};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::string::{String, ToString};
use std::sync::Mutex;

/// Root tests run one at a time: a child forked by one test must not inherit another's
/// pipe ends.
static SERIAL: Mutex<()> = Mutex::new(());
const REPORT: usize = 512;

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

struct Buf {
    b: [u8; REPORT],
    n: usize,
}

impl core::fmt::Write for Buf {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for &c in s.as_bytes() {
            if self.n < REPORT {
                self.b[self.n] = c;
                self.n += 1;
            }
        }
        Ok(())
    }
}

/// A container child that ran `setup`: `Ok` while it waits to be inspected.
struct Child {
    pid: Pid,
}

impl Child {
    fn root(&self) -> PathBuf {
        PathBuf::from(std::format!("/proc/{}/root", self.pid.as_raw_nonzero()))
    }

    /// (mount point, fstype, per-mount options, super options, source) of every mount.
    fn mounts(&self) -> Vec<(String, String, String, String, String)> {
        let t = std::fs::read_to_string(std::format!(
            "/proc/{}/mountinfo",
            self.pid.as_raw_nonzero()
        ))
        .unwrap();
        t.lines()
            .map(|l| {
                let (a, b) = l.split_once(" - ").unwrap();
                let a: Vec<&str> = a.split(' ').collect();
                let b: Vec<&str> = b.split(' ').collect();
                (
                    a[4].to_string(),
                    b[0].to_string(),
                    a[5].to_string(),
                    b[2].to_string(),
                    b[1].to_string(),
                )
            })
            .collect()
    }

    fn mount(&self, at: &str) -> (String, String, String, String, String) {
        let m = self.mounts();
        m.iter()
            .rev()
            .find(|x| x.0 == at)
            .cloned()
            .unwrap_or_else(|| panic!("no mount on {at}: {m:#?}"))
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = rustix::process::kill_process(self.pid, Signal::KILL);
        let _ = rustix::process::waitpid(Some(self.pid), rustix::process::WaitOptions::empty());
    }
}

/// Fork, unshare, run `setup`; the child then reads `probe` (a path in the container) and
/// reports "OK <first bytes>" or the error text.
fn run(
    json: &str,
    rootfs: &Path,
    opts: RootfsOpts,
    probe: &CStr,
) -> (Child, Result<String, String>) {
    run_pre(json, rootfs, opts, probe, None)
}

/// As `run`, with a tmpfs mounted on `pre` (a host path) in the child's namespace first.
fn run_pre(
    json: &str,
    rootfs: &Path,
    opts: RootfsOpts,
    probe: &CStr,
    pre: Option<&Path>,
) -> (Child, Result<String, String>) {
    let pre = pre.map(|p| CPath::from(p.as_os_str().as_encoded_bytes(), "t").unwrap());
    let mut b = json.as_bytes().to_vec();
    let spec = crate::spec::parse(&mut b).unwrap();
    let rootfs = CPath::from(rootfs.as_os_str().as_encoded_bytes(), "t").unwrap();
    let (r, w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).unwrap();
    match fork().unwrap() {
        Forked::Child => {
            drop(r);
            let mut out = Buf {
                b: [0; REPORT],
                n: 0,
            };
            use core::fmt::Write;
            #[allow(deprecated)]
            let un = rustix::thread::unshare(
                rustix::thread::UnshareFlags::NEWNS
                    | rustix::thread::UnshareFlags::NEWIPC
                    | rustix::thread::UnshareFlags::NEWUTS
                    | rustix::thread::UnshareFlags::NEWNET,
            );
            let pre_mount = |()| match &pre {
                Some(p) => rustix::mount::mount(
                    c"tmpfs",
                    p.as_cstr(),
                    c"tmpfs",
                    rustix::mount::MountFlags::empty(),
                    None,
                ),
                None => Ok(()),
            };
            match un
                .and_then(pre_mount)
                .map_err(|e| Error::sys("unshare", e))
                .and_then(|()| setup(&spec, rootfs.as_cstr(), &opts))
            {
                Ok(_) => {
                    let _ = out.write_str("OK ");
                    if let Ok(f) = rustix::fs::open(probe, OFlags::RDONLY, Mode::empty()) {
                        let mut p = [0u8; 64];
                        let n = rustix::io::read(&f, &mut p).unwrap_or(0);
                        let _ = out.write_str(core::str::from_utf8(&p[..n]).unwrap_or("?"));
                    }
                }
                Err(e) => {
                    let _ = write!(out, "{e}");
                }
            }
            let _ = rustix::io::write(&w, &out.b);
            loop {
                let _ = rustix::thread::nanosleep(&rustix::thread::Timespec {
                    tv_sec: 60,
                    tv_nsec: 0,
                });
            }
        }
        Forked::Parent { pid, .. } => {
            drop(w);
            let mut rep = [0u8; REPORT];
            let mut got = 0;
            while got < REPORT {
                match rustix::io::read(&r, &mut rep[got..]) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got += n,
                }
            }
            let end = rep.iter().position(|&c| c == 0).unwrap_or(got);
            let text = String::from_utf8_lossy(&rep[..end]).into_owned();
            let res = match text.strip_prefix("OK ") {
                Some(p) => Ok(p.to_string()),
                None => Err(text),
            };
            (Child { pid }, res)
        }
    }
}

/// A fresh directory tree for one test, removed on drop.
struct Tmp(PathBuf);

impl Tmp {
    fn new(tag: &str) -> Tmp {
        let p = std::env::temp_dir().join(std::format!("husk-rootfs-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Tmp(p)
    }
    fn dir(&self, rel: &str) -> PathBuf {
        let p = self.0.join(rel);
        std::fs::create_dir_all(&p).unwrap();
        p
    }
}

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn host_mountinfo() -> usize {
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .count()
}

fn entries(p: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(p)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

macro_rules! need_root {
    () => {
        if !is_root() {
            std::eprintln!("skipped: needs root");
            return;
        }
    };
}

const FULL: &str = r#"{"ociVersion":"1.0.2","root":{"path":"rootfs","readonly":true},
"mounts":[
 {"destination":"/proc","type":"proc","source":"proc"},
 {"destination":"/dev","type":"tmpfs","source":"tmpfs","options":["nosuid","strictatime","mode=755","size=65536k"]},
 {"destination":"/dev/pts","type":"devpts","source":"devpts","options":["nosuid","noexec","newinstance","ptmxmode=0666","mode=0620"]},
 {"destination":"/dev/shm","type":"tmpfs","source":"shm","options":["nosuid","noexec","nodev","mode=1777","size=65536k"]},
 {"destination":"/dev/mqueue","type":"mqueue","source":"mqueue","options":["nosuid","noexec","nodev"]},
 {"destination":"/sys","type":"sysfs","source":"sysfs","options":["nosuid","noexec","nodev","ro"]},
 {"destination":"/sys/fs/cgroup","type":"cgroup","source":"cgroup","options":["nosuid","noexec","nodev","relatime","ro"]},
 {"destination":"/data/ro","type":"bind","source":"@DATA@","options":["rbind","ro","nosuid"]},
 {"destination":"/data/file","type":"bind","source":"@FILE@","options":["bind"]},
 {"destination":"/data/rro","type":"bind","source":"@RRO@","options":["rbind","rro"]},
 {"destination":"/t","type":"tmpfs","source":"tmpfs","options":["rnoexec","size=1m","private"]}
],
"linux":{"namespaces":[{"type":"mount"}],
 "sysctl":{"kernel.shm_rmid_forced":"1"},
 "devices":[{"path":"/dev/fuse","type":"c","major":10,"minor":229,"fileMode":432,"uid":1,"gid":2}],
 "maskedPaths":["/proc/kcore","/proc/timer_list","/proc/keys","/proc/acpi","/proc/nonexistent","/sys/firmware"],
 "readonlyPaths":["/proc/sys","/proc/bus"]}}"#;

#[test]
fn full_setup() {
    need_root!();
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let t = Tmp::new("full");
    let rootfs = t.dir("rootfs");
    for d in ["proc", "sys", "dev", "etc", "tmp"] {
        t.dir(&std::format!("rootfs/{d}"));
    }
    let data = t.dir("data");
    std::fs::write(data.join("hello"), b"hi").unwrap();
    let file = t.0.join("file");
    std::fs::write(&file, b"file").unwrap();
    let rro = t.dir("rro");
    // A submount under the rro source: rro must reach it.
    let sub = t.dir("rro/sub");
    let json = FULL
        .replace("@DATA@", data.to_str().unwrap())
        .replace("@FILE@", file.to_str().unwrap())
        .replace("@RRO@", rro.to_str().unwrap());
    let before = host_mountinfo();
    let (c, res) = run_pre(
        &json,
        &rootfs,
        RootfsOpts::default(),
        c"/proc/sys/kernel/shm_rmid_forced",
        Some(&sub),
    );
    let out = res.unwrap_or_else(|e| panic!("setup failed: {e}"));
    assert_eq!(
        out.trim(),
        "1",
        "sysctl written in the container's ipc namespace"
    );
    let root = c.root();

    // pivot_root: the child's / is the rootfs; host files are gone.
    assert!(!root.join("work").exists() && !root.join("usr").exists());
    assert!(root.join("etc").is_dir());
    assert!(
        c.mounts().iter().all(|m| !m.0.contains("husk-rootfs")),
        "{:#?}",
        c.mounts()
    );

    let has =
        |m: &(String, String, String, String, String), o: &str| m.2.split(',').any(|x| x == o);
    let m = c.mount("/proc");
    assert_eq!(m.1, "proc");
    let m = c.mount("/dev");
    assert_eq!(m.1, "tmpfs");
    assert!(has(&m, "nosuid") && m.3.contains("mode=755"), "{m:?}");
    assert_eq!(c.mount("/dev/pts").1, "devpts");
    let m = c.mount("/dev/shm");
    assert!(
        has(&m, "nodev") && has(&m, "noexec") && m.3.contains("size=65536k"),
        "{m:?}"
    );
    assert_eq!(c.mount("/dev/mqueue").1, "mqueue");
    let m = c.mount("/sys");
    assert!(m.1 == "sysfs" && has(&m, "ro"), "{m:?}");
    let m = c.mount("/sys/fs/cgroup");
    assert!(
        m.1 == "cgroup2" && has(&m, "ro"),
        "cgroup means cgroup2, read-only: {m:?}"
    );
    let m = c.mount("/data/ro");
    assert!(has(&m, "ro") && has(&m, "nosuid"), "{m:?}");
    assert_eq!(std::fs::read(root.join("data/ro/hello")).unwrap(), b"hi");
    assert!(
        root.join("data/file").is_file(),
        "a file source gets a file destination"
    );
    assert_eq!(std::fs::read(root.join("data/file")).unwrap(), b"file");
    assert!(has(&c.mount("/data/rro"), "ro"));
    let m = c.mount("/data/rro/sub");
    assert!(
        m.1 == "tmpfs" && has(&m, "ro"),
        "rro reaches submounts: {m:?}"
    );
    assert!(!has(&c.mount("/data/ro"), "noexec"));
    let m = c.mount("/t");
    assert!(
        m.1 == "tmpfs" && has(&m, "noexec") && m.3.contains("size=1024k"),
        "{m:?}"
    );

    // Devices, with the right numbers and modes, and the symlinks.
    for (n, maj, min) in [
        ("null", 1, 3),
        ("zero", 1, 5),
        ("full", 1, 7),
        ("random", 1, 8),
        ("urandom", 1, 9),
        ("tty", 5, 0),
    ] {
        let md = std::fs::symlink_metadata(root.join("dev").join(n)).unwrap();
        assert!(md.file_type().is_char_device(), "{n}");
        assert_eq!(md.rdev(), rustix::fs::makedev(maj, min), "{n}");
        assert_eq!(md.mode() & 0o7777, 0o666, "{n}");
    }
    let fuse = std::fs::symlink_metadata(root.join("dev/fuse")).unwrap();
    assert_eq!(
        (fuse.rdev(), fuse.mode() & 0o7777, fuse.uid(), fuse.gid()),
        (rustix::fs::makedev(10, 229), 0o660, 1, 2)
    );
    let link = |n: &str| std::fs::read_link(root.join("dev").join(n)).unwrap();
    assert_eq!(link("fd"), Path::new("/proc/self/fd"));
    assert_eq!(link("stdin"), Path::new("/proc/self/fd/0"));
    assert_eq!(link("stdout"), Path::new("/proc/self/fd/1"));
    assert_eq!(link("stderr"), Path::new("/proc/self/fd/2"));
    assert_eq!(link("ptmx"), Path::new("pts/ptmx"));
    if Path::new("/proc/kcore").exists() {
        assert_eq!(link("core"), Path::new("/proc/kcore"));
    }

    // Masked: files read empty, directories are empty and read-only; missing ones skipped.
    for f in ["kcore", "timer_list", "keys"] {
        let p = root.join("proc").join(f);
        if Path::new("/proc").join(f).exists() {
            assert_eq!(std::fs::read(&p).unwrap(), b"", "{f}");
            assert!(
                c.mounts().iter().any(|m| m.0 == std::format!("/proc/{f}")),
                "{f}"
            );
        } else {
            assert!(!p.exists(), "a missing masked path is skipped: {f}");
        }
    }
    if root.join("proc/acpi").exists() {
        assert!(entries(&root.join("proc/acpi")).is_empty());
        assert!(has(&c.mount("/proc/acpi"), "ro"));
    }
    if root.join("sys/firmware").exists() {
        assert!(entries(&root.join("sys/firmware")).is_empty());
    }
    // Read-only paths: opening for write fails before anything is written.
    let e = std::fs::OpenOptions::new()
        .write(true)
        .open(root.join("proc/sys/kernel/domainname"))
        .unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc_erofs()), "{e}");
    assert!(has(&c.mount("/proc/sys"), "ro"));
    // root.readonly.
    let e = std::fs::write(root.join("newfile"), b"x").unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc_erofs()), "{e}");
    assert!(has(&c.mount("/"), "ro"));
    // /dev stays writable (its own tmpfs).
    std::fs::write(root.join("dev/shm/x"), b"x").unwrap();
    drop(c);
    assert_eq!(host_mountinfo(), before, "no mount leaked to the host");
}

fn libc_erofs() -> i32 {
    Errno::ROFS.raw_os_error()
}

#[path = "rootfs_tests_hostile.rs"]
mod hostile;

#[test]
fn plan_terminal_after_pivot_before_readonly() {
    let j = r#"{"ociVersion":"1.0.0","root":{"path":"r","readonly":true},
      "process":{"terminal":true,"args":["a"],"cwd":"/"}}"#;
    let rp = g::MS_PRIVATE | g::MS_REC;
    assert_eq!(
        steps(j, RootfsOpts::default()),
        [
            Step::RootSlave,
            Step::RootPropagation(rp),
            Step::ParentPrivate,
            Step::BindRootfs,
            Step::Mounts,
            Step::Devices,
            Step::Cwd,
            Step::PivotRoot,
            Step::NewRootPropagation(rp),
            Step::Console,
            Step::RootReadonly,
        ]
    );
}
