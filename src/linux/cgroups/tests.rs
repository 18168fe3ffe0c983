use super::*;

fn place(p: Option<&str>, systemd: bool) -> Result<std::string::String> {
    placement(
        p.map(str::as_bytes),
        systemd,
        b"c1",
        b"/user.slice/sess.scope",
    )
    .map(|b| b.as_str().to_string())
}

#[test]
fn cgroupfs_paths() {
    assert_eq!(place(Some("/a/b"), false).unwrap(), "/a/b");
    assert_eq!(place(Some("//a/./b/"), false).unwrap(), "/a/b");
    assert_eq!(
        place(Some("a/b"), false).unwrap(),
        "/user.slice/sess.scope/a/b"
    );
    assert_eq!(
        place(None, false).unwrap(),
        "/user.slice/sess.scope/husk/c1"
    );
    assert_eq!(
        place(Some(""), false).unwrap(),
        "/user.slice/sess.scope/husk/c1"
    );
    assert!(place(Some("/a/../b"), false).is_err());
    assert!(place(Some("../b"), false).is_err());
    assert!(place(Some("/"), false).is_err());
    assert_eq!(
        placement(None, false, b"c1", b"/").unwrap().as_str(),
        "/husk/c1"
    );
}

#[test]
fn systemd_paths() {
    assert_eq!(
        place(Some("system.slice:docker:abc"), true).unwrap(),
        "/system.slice/docker-abc.scope"
    );
    assert_eq!(
        place(Some("user-1000.slice:runc:x"), true).unwrap(),
        "/user.slice/user-1000.slice/runc-x.scope"
    );
    assert_eq!(
        place(Some("a-b-c.slice:p:n"), true).unwrap(),
        "/a.slice/a-b.slice/a-b-c.slice/p-n.scope"
    );
    assert_eq!(
        place(Some(":p:n"), true).unwrap(),
        "/system.slice/p-n.scope"
    );
    assert_eq!(place(Some("-.slice:p:n"), true).unwrap(), "/p-n.scope");
    assert_eq!(
        place(Some("a.slice:p:b.slice"), true).unwrap(),
        "/a.slice/b.slice"
    );
    assert_eq!(place(None, true).unwrap(), "/system.slice/husk-c1.scope");
    for bad in [
        "a:b",
        "a:b:c:d",
        "x:p:n",
        "a--b.slice:p:n",
        "-a.slice:p:n",
        "a/b.slice:p:n",
        "a.slice:p:",
        "a.slice:p:x/y",
    ] {
        assert!(place(Some(bad), true).is_err(), "{bad}");
    }
}

#[test]
fn own() {
    assert_eq!(
        own_cgroup(b"12:pids:/x\n0::/user.slice/a.scope\n"),
        Some(&b"/user.slice/a.scope"[..])
    );
    assert_eq!(own_cgroup(b"0::/init.scope\n"), Some(&b"/"[..]));
    assert_eq!(own_cgroup(b"0::/\n"), Some(&b"/"[..]));
    assert_eq!(own_cgroup(b"1:name=systemd:/\n"), None);
}
