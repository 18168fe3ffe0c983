//! hooks::run with real programs: /bin/sh scripts that record their stdin, args and env.

use husk::linux::hooks::{run, HookKind};
use std::fs;

struct Tmp(String);

impl Tmp {
    fn new(tag: &str) -> Tmp {
        let d = format!(
            "{}/husk-hooks-{tag}-{}",
            std::env::temp_dir().display(),
            std::process::id()
        );
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        Tmp(d)
    }
}

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Run the `createRuntime` hooks of a config whose `hooks` object is `hooks_json`.
fn run_hooks(hooks_json: &str, state: &[u8]) -> Result<(), String> {
    let mut buf = format!(
        r#"{{"ociVersion":"1.0.2","process":{{"cwd":"/","args":["sh"]}},"hooks":{hooks_json}}}"#
    )
    .into_bytes();
    let spec = husk::spec::parse(&mut buf).map_err(|e| format!("parse: {e}"))?;
    let hooks = spec.hooks.as_ref().unwrap();
    let list = HookKind::CreateRuntime.list(hooks);
    run(HookKind::CreateRuntime, &list, state).map_err(|e| format!("{e}"))
}

#[test]
fn hook_gets_state_args_and_env() {
    let t = Tmp::new("ok");
    let out = format!("{}/out", t.0);
    let state = br#"{"ociVersion":"1.3.0","id":"c1","status":"creating","pid":42,"bundle":"/b"}"#;
    let hooks = format!(
        r#"{{"createRuntime":[{{"path":"/bin/sh","args":["sh","-c","cat > {out}.stdin; echo \"$0|$1|$2\" > {out}.args; env > {out}.env","zero","one","two"],
            "env":["FOO=bar","X=a b"]}}]}}"#
    );
    run_hooks(&hooks, state).unwrap();
    assert_eq!(fs::read(format!("{out}.stdin")).unwrap(), state);
    assert_eq!(
        fs::read_to_string(format!("{out}.args")).unwrap(),
        "zero|one|two\n"
    );
    let env = fs::read_to_string(format!("{out}.env")).unwrap();
    let mut lines: Vec<&str> = env
        .lines()
        .filter(|l| !l.starts_with("PWD=") && !l.starts_with("SHLVL=") && !l.starts_with("_="))
        .collect();
    lines.sort();
    assert_eq!(lines, ["FOO=bar", "X=a b"], "{env}");
}

#[test]
fn big_state_and_no_args() {
    let t = Tmp::new("big");
    let script = format!("{}/hook.sh", t.0);
    let out = format!("{}/out", t.0);
    fs::write(
        &script,
        format!("#!/bin/sh\ncat > {out}\necho \"$0\" > {out}.argv0\n"),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    // Larger than the default 64 KiB pipe: the pipe is grown before the fork.
    let state = vec![b'x'; 200_000];
    run_hooks(
        &format!(r#"{{"createRuntime":[{{"path":"{script}"}}]}}"#),
        &state,
    )
    .unwrap();
    assert_eq!(fs::read(&out).unwrap().len(), state.len());
    assert_eq!(
        fs::read_to_string(format!("{out}.argv0")).unwrap(),
        format!("{script}\n")
    );
}

#[test]
fn hook_not_reading_stdin_is_fine() {
    run_hooks(
        r#"{"createRuntime":[{"path":"/bin/sh","args":["sh","-c","exit 0"]}]}"#,
        &[b'y'; 1000],
    )
    .unwrap();
}

#[test]
fn failures_are_named() {
    let e = run_hooks(
        r#"{"createRuntime":[{"path":"/bin/sh","args":["sh","-c","true"]},{"path":"/bin/sh","args":["sh","-c","exit 3"]}]}"#,
        b"{}",
    )
    .unwrap_err();
    assert_eq!(e, "hook createRuntime[1] /bin/sh: exit status 3");
    let e = run_hooks(
        r#"{"createRuntime":[{"path":"/bin/sh","args":["sh","-c","kill -9 $$"]}]}"#,
        b"{}",
    )
    .unwrap_err();
    assert_eq!(e, "hook createRuntime[0] /bin/sh: killed by signal 9");
    let e = run_hooks(r#"{"createRuntime":[{"path":"/nonexistent/hook"}]}"#, b"{}").unwrap_err();
    assert_eq!(
        e,
        "hook createRuntime[0] /nonexistent/hook: exec: ENOENT (no such file or directory)"
    );
    let t = Tmp::new("noexec");
    let plain = format!("{}/plain", t.0);
    fs::write(&plain, "#!/bin/sh\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&plain, fs::Permissions::from_mode(0o644)).unwrap();
    let e = run_hooks(
        &format!(r#"{{"createRuntime":[{{"path":"{plain}"}}]}}"#),
        b"{}",
    )
    .unwrap_err();
    assert_eq!(
        e,
        format!("hook createRuntime[0] {plain}: exec: EACCES (permission denied)")
    );
}

#[test]
fn timeout_kills_the_hook() {
    let start = std::time::Instant::now();
    let e = run_hooks(
        r#"{"createRuntime":[{"path":"/bin/sh","args":["sh","-c","sleep 30"],"timeout":1}]}"#,
        b"{}",
    )
    .unwrap_err();
    assert_eq!(e, "hook createRuntime[0] /bin/sh: timed out after 1s");
    let took = start.elapsed();
    assert!(
        took >= std::time::Duration::from_millis(900) && took < std::time::Duration::from_secs(10),
        "{took:?}"
    );
    // A hook finishing within its timeout is fine.
    run_hooks(
        r#"{"createRuntime":[{"path":"/bin/sh","args":["sh","-c","exit 0"],"timeout":5}]}"#,
        b"{}",
    )
    .unwrap();
}
