//! Hostile rootfs images and configs: setup fails or keeps everything inside the rootfs;
//! the host is checked to be untouched.

use super::*;

/// `/etc -> <host dir>` (absolute) and `/up -> ../../../..`: mounts through them land inside
/// the rootfs, the host directory gets nothing (CVE-2018/19-18837, 2024-45310).
#[test]
fn hostile_symlinked_destinations_stay_inside() {
    need_root!();
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let t = Tmp::new("hostile-dest");
    let rootfs = t.dir("rootfs");
    let host = t.dir("host-target");
    std::os::unix::fs::symlink(&host, rootfs.join("etc")).unwrap();
    std::os::unix::fs::symlink("../../../..", rootfs.join("up")).unwrap();
    let file = t.0.join("file");
    std::fs::write(&file, b"f").unwrap();
    let json = std::format!(
        r#"{{"ociVersion":"1.0.0","root":{{"path":"rootfs"}},"mounts":[
        {{"destination":"/etc/sub","type":"tmpfs","source":"tmpfs"}},
        {{"destination":"/etc/passwd","type":"bind","source":"{f}"}},
        {{"destination":"/up/escape","type":"tmpfs","source":"tmpfs"}},
        {{"destination":"/up/tmp/husk-escape-{pid}","type":"tmpfs","source":"tmpfs"}}]}}"#,
        f = file.display(),
        pid = std::process::id()
    );
    let before = host_mountinfo();
    let (c, res) = run(&json, &rootfs, RootfsOpts::default(), c"/x");
    res.unwrap_or_else(|e| panic!("setup failed: {e}"));
    assert!(
        entries(&host).is_empty(),
        "host target untouched: {:?}",
        entries(&host)
    );
    assert!(!Path::new(&std::format!("/tmp/husk-escape-{}", std::process::id())).exists());
    assert!(!Path::new("/escape").exists());
    // Inside: the absolute link resolved within the rootfs.
    let inner = host.strip_prefix("/").unwrap();
    assert!(
        rootfs.join(inner).join("sub").is_dir(),
        "created inside the rootfs"
    );
    let r = c.root();
    // (Read through the resolved path: from the host, /proc/<pid>/root/etc would follow the
    // absolute link from the host's /.)
    assert_eq!(std::fs::read(r.join(inner).join("passwd")).unwrap(), b"f");
    assert!(c
        .mounts()
        .iter()
        .any(|m| m.0 == std::format!("/{}/sub", inner.display())));
    assert!(c.mounts().iter().any(|m| m.0 == "/escape"));
    drop(c);
    assert_eq!(host_mountinfo(), before);
}

/// The image's /dev is a symlink to a host directory: devices and links are created inside
/// the rootfs (CVE-2026-41579); the host directory stays empty.
#[test]
fn hostile_dev_symlink() {
    need_root!();
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let t = Tmp::new("hostile-dev");
    let rootfs = t.dir("rootfs");
    let host = t.dir("host-dev");
    std::os::unix::fs::symlink(&host, rootfs.join("dev")).unwrap();
    let json = r#"{"ociVersion":"1.0.0","root":{"path":"rootfs"},
      "linux":{"devices":[{"path":"/dev/xx","type":"c","major":1,"minor":3}]}}"#;
    let (c, res) = run(json, &rootfs, RootfsOpts::default(), c"/x");
    res.unwrap_or_else(|e| panic!("setup failed: {e}"));
    drop(c);
    assert!(
        entries(&host).is_empty(),
        "host /dev target untouched: {:?}",
        entries(&host)
    );
    let inner = rootfs.join(host.strip_prefix("/").unwrap());
    let md = std::fs::symlink_metadata(inner.join("null")).unwrap();
    assert!(md.file_type().is_char_device());
    assert!(std::fs::symlink_metadata(inner.join("xx"))
        .unwrap()
        .file_type()
        .is_char_device());
}

/// /proc or /sys in the image is a symlink (to a host directory, or to a directory of the
/// image): refused (CVE-2019-19921), nothing mounted or created on the host.
#[test]
fn hostile_proc_sys_symlinks_refused() {
    need_root!();
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for (name, typ) in [("proc", "proc"), ("sys", "sysfs")] {
        let t = Tmp::new(&std::format!("hostile-{name}"));
        let rootfs = t.dir("rootfs");
        let host = t.dir("host");
        std::os::unix::fs::symlink(&host, rootfs.join(name)).unwrap();
        let json = std::format!(
            r#"{{"ociVersion":"1.0.0","root":{{"path":"rootfs"}},
            "mounts":[{{"destination":"/{name}","type":"{typ}","source":"{typ}"}}]}}"#
        );
        let before = host_mountinfo();
        let (c, res) = run(&json, &rootfs, RootfsOpts::default(), c"/x");
        let e = res.unwrap_err();
        assert!(
            e.starts_with("mounts[0]: create destination") && e.contains("ELOOP"),
            "{e}"
        );
        drop(c);
        assert!(entries(&host).is_empty());
        assert_eq!(host_mountinfo(), before);
        // A relative link inside the image is refused as well.
        std::fs::remove_file(rootfs.join(name)).unwrap();
        t.dir(&std::format!("rootfs/real{name}"));
        std::os::unix::fs::symlink(std::format!("real{name}"), rootfs.join(name)).unwrap();
        let (c, res) = run(&json, &rootfs, RootfsOpts::default(), c"/x");
        assert!(res.unwrap_err().contains("ELOOP"));
        drop(c);
    }
}

/// A bind of a non-procfs source under /proc is refused (a fake /proc file).
#[test]
fn bind_over_proc_refused() {
    need_root!();
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let t = Tmp::new("procbind");
    let rootfs = t.dir("rootfs");
    t.dir("rootfs/proc");
    let f = t.0.join("fake");
    std::fs::write(&f, b"0").unwrap();
    let json = std::format!(
        r#"{{"ociVersion":"1.0.0","root":{{"path":"rootfs"}},"mounts":[
        {{"destination":"/proc","type":"proc","source":"proc"}},
        {{"destination":"/proc/sys/kernel/core_pattern","type":"bind","source":"{}"}}]}}"#,
        f.display()
    );
    let (c, res) = run(&json, &rootfs, RootfsOpts::default(), c"/x");
    let e = res.unwrap_err();
    assert!(e.starts_with("mounts[1]: bind source is not procfs"), "{e}");
    drop(c);
    // lxcfs-style files are allowed.
    let json = json.replace("/proc/sys/kernel/core_pattern", "/proc/meminfo");
    let (c, res) = run(&json, &rootfs, RootfsOpts::default(), c"/proc/meminfo");
    assert_eq!(res.unwrap(), "0");
    drop(c);
}

/// Errors name the mounts[] index, the call, the destination and the errno.
#[test]
fn error_names_mount() {
    need_root!();
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let t = Tmp::new("err");
    let rootfs = t.dir("rootfs");
    let json = r#"{"ociVersion":"1.0.0","root":{"path":"rootfs"},"mounts":[
        {"destination":"/proc","type":"proc","source":"proc"},
        {"destination":"/x","type":"nosuchfs","source":"none"}]}"#;
    let (c, res) = run(json, &rootfs, RootfsOpts::default(), c"/x");
    assert_eq!(
        res.unwrap_err(),
        "mounts[1]: mount nosuchfs on /x: ENODEV (no such device)"
    );
    drop(c);
}

/// no_pivot: MS_MOVE + chroot; the container's / is still the rootfs.
#[test]
fn no_pivot_moves_root() {
    need_root!();
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let t = Tmp::new("nopivot");
    let rootfs = t.dir("rootfs");
    std::fs::write(rootfs.join("marker"), b"inside").unwrap();
    let json = r#"{"ociVersion":"1.0.0","root":{"path":"rootfs","readonly":true}}"#;
    let o = RootfsOpts {
        no_pivot: true,
        ..Default::default()
    };
    let (c, res) = run(json, &rootfs, o, c"/marker");
    assert_eq!(res.unwrap(), "inside");
    assert!(c.root().join("dev/null").exists());
    assert!(!c.root().join("work").exists());
    drop(c);
}
