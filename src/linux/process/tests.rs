//! Unit tests of the container-process stage that need no privileges.

use super::*;
extern crate std;
use std::format;
use std::os::unix::fs::PermissionsExt;
use std::string::String;
use std::vec::Vec;

fn with_process<R>(json: &str, f: impl FnOnce(&Process<'_>) -> R) -> R {
    let mut buf =
        format!(r#"{{"ociVersion":"1.0.2","process":{{"cwd":"/",{json}}}}}"#).into_bytes();
    let spec = crate::spec::parse(&mut buf).unwrap();
    f(spec.process.as_ref().unwrap())
}

struct TempDir(String);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let d = format!(
            "{}/husk-proc-{tag}-{}",
            std::env::temp_dir().display(),
            std::process::id()
        );
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        TempDir(d)
    }

    fn file(&self, name: &str, mode: u32) -> String {
        let p = format!("{}/{name}", self.0);
        if let Some(parent) = std::path::Path::new(&p).parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn lookup(name: &str, path: Option<&str>) -> core::result::Result<String, String> {
    let mut out = CPath::new();
    match resolve(name.as_bytes(), path.map(str::as_bytes), &mut out) {
        Ok(()) => Ok(String::from_utf8(out.as_bytes().to_vec()).unwrap()),
        Err(e) => Err(format!("{e}")),
    }
}

#[test]
fn path_lookup_follows_go() {
    let t = TempDir::new("path");
    let a = format!("{}/a", t.0);
    let b = format!("{}/b", t.0);
    t.file("a/tool", 0o644); // not executable: skipped
    let good = t.file("b/tool", 0o755);
    std::fs::create_dir_all(format!("{b}/dir")).unwrap();
    let path = format!("{a}:{b}");
    assert_eq!(lookup("tool", Some(&path)).unwrap(), good);
    assert_eq!(
        lookup("missing", Some(&path)).unwrap_err(),
        "exec: \"missing\": executable file not found in $PATH"
    );
    // A directory is never a program.
    assert!(lookup("dir", Some(&path)).is_err());
    let dir = format!("{b}/dir");
    assert_eq!(
        lookup(&dir, None).unwrap_err(),
        format!("exec {dir}: EACCES (permission denied)")
    );
    // A name with a slash is used as is, and must be executable.
    assert_eq!(lookup(&good, None).unwrap(), good);
    let plain = format!("{a}/tool");
    assert_eq!(
        lookup(&plain, None).unwrap_err(),
        format!("exec {plain}: EACCES (permission denied)")
    );
    assert_eq!(
        lookup("/nonexistent/x", None).unwrap_err(),
        "exec /nonexistent/x: ENOENT (no such file or directory)"
    );
    assert!(lookup("", Some(&path))
        .unwrap_err()
        .contains("executable file not found"));
    // The default PATH finds sh.
    assert!(lookup("sh", None).unwrap().ends_with("/sh"));
    // An empty PATH entry is the current directory.
    let mut out = CPath::new();
    assert!(resolve(b"nothing-here-xyz", Some(b":"), &mut out).is_err());
}

#[test]
fn env_path_is_the_last_entry() {
    with_process(
        r#""args":["sh"],"env":["A=1","PATH=/x","PATH=/y:/z","PATHX=no"]"#,
        |p| {
            let mut env: Zeroed<EnvVec> = Zeroed::new().unwrap();
            fill(&p.env, &mut env, "process.env").unwrap();
            assert_eq!(env.len(), 4);
            assert_eq!(path_of(&env), Some(&b"/y:/z"[..]));
        },
    );
    with_process(r#""args":["sh"],"env":["A=1"]"#, |p| {
        let mut env: Zeroed<EnvVec> = Zeroed::new().unwrap();
        fill(&p.env, &mut env, "process.env").unwrap();
        assert_eq!(path_of(&env), None);
    });
}

#[test]
fn fill_decodes_and_names_capacities() {
    with_process(r#""args":["a\"b","\u00e9\n"]"#, |p| {
        let mut v: CStrVec<4, 64> = CStrVec::new();
        fill(&p.args, &mut v, "process.args").unwrap();
        assert_eq!(v.get(0), Some(&b"a\"b"[..]));
        assert_eq!(v.get(1), Some("é\n".as_bytes()));
    });
    with_process(r#""args":["a\u0000b"]"#, |p| {
        let mut v: CStrVec<4, 64> = CStrVec::new();
        let e = fill(&p.args, &mut v, "process.args").unwrap_err();
        assert_eq!(
            format!("{e}"),
            "process.args: an entry contains a NUL byte \"a\\u0000b\""
        );
    });
    with_process(r#""args":["a","b","c"]"#, |p| {
        let mut v: CStrVec<2, 64> = CStrVec::new();
        let e = fill(&p.args, &mut v, "process.args").unwrap_err();
        assert_eq!(format!("{e}"), "process.args: 3 entries, limit 2");
    });
    with_process(r#""args":["aaaa","bbbb"]"#, |p| {
        let mut v: CStrVec<4, 8> = CStrVec::new();
        let e = fill(&p.args, &mut v, "process.args").unwrap_err();
        assert_eq!(format!("{e}"), "process.args: 10 bytes, limit 8");
    });
    // The real capacities: 4096 entries, 256 KiB.
    let many: Vec<String> = (0..4096).map(|i| format!("\"{i}\"")).collect();
    with_process(&format!(r#""args":[{}]"#, many.join(",")), |p| {
        let mut v: Zeroed<ArgVec> = Zeroed::new().unwrap();
        fill(&p.args, &mut v, "process.args").unwrap();
        assert_eq!(v.len(), 4096);
    });
    let big = "x".repeat(100_000);
    with_process(&format!(r#""args":["{big}","{big}","{big}"]"#), |p| {
        let mut v: Zeroed<ArgVec> = Zeroed::new().unwrap();
        let e = fill(&p.args, &mut v, "process.args").unwrap_err();
        assert_eq!(format!("{e}"), "process.args: 300003 bytes, limit 262144");
    });
}

#[test]
fn fd_names() {
    assert_eq!(parse_fd(b"0"), Some(0));
    assert_eq!(parse_fd(b"2147483647"), Some(i32::MAX as u32));
    assert_eq!(parse_fd(b"2147483648"), None);
    assert_eq!(parse_fd(b"."), None);
    assert_eq!(parse_fd(b""), None);
}
