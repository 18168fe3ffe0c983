//! What the container tests share: a bundle whose rootfs holds only the static husk-probe,
//! driven through the husk binary, and the probe's JSON report.
#![allow(dead_code)]

use json::JsonValue;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

pub const HUSK: &str = env!("CARGO_BIN_EXE_husk");
pub const PROBE: &str = env!("CARGO_BIN_EXE_husk-probe");

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub struct Env {
    pub dir: PathBuf,
}

impl Env {
    pub fn new(name: &str) -> Env {
        let dir = std::env::temp_dir().join(format!("husk-life-{}-{}", name, std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("bundle/rootfs")).unwrap();
        std::fs::copy(PROBE, dir.join("bundle/rootfs/husk-probe")).unwrap();
        Env { dir }
    }

    pub fn bundle(&self) -> PathBuf {
        self.dir.join("bundle")
    }

    pub fn root(&self) -> PathBuf {
        self.dir.join("state")
    }

    /// config.json from `husk spec`, with the process args replaced and no terminal.
    pub fn config(&self, args: &[&str], edit: impl FnOnce(&mut JsonValue)) {
        let cfg = self.bundle().join("config.json");
        let _ = std::fs::remove_file(&cfg);
        let o = Command::new(HUSK)
            .args(["spec", "--bundle"])
            .arg(self.bundle())
            .output()
            .unwrap();
        assert!(o.status.success());
        let mut v = json::parse(&std::fs::read_to_string(&cfg).unwrap()).unwrap();
        v["process"]["terminal"] = false.into();
        v["process"]["args"] =
            JsonValue::from(args.iter().map(|s| JsonValue::from(*s)).collect::<Vec<_>>());
        // The device cgroup is not enforced yet (a warning); drop it so stderr stays empty.
        v["linux"].remove("resources");
        edit(&mut v);
        std::fs::write(&cfg, v.dump()).unwrap();
    }

    pub fn husk(&self, args: &[&str]) -> Output {
        Command::new(HUSK)
            .arg("--root")
            .arg(self.root())
            .args(args)
            .output()
            .unwrap()
    }

    /// For `create` (and `start`): the container process inherits husk's stdio, as under
    /// containerd and conmon, so a pipe would stay open until it exits. stdout goes to
    /// /dev/null, stderr to a file that is read back.
    pub fn husk_detached(&self, args: &[&str]) -> Output {
        let errf = self
            .dir
            .join(format!("stderr-{}", args.join("-").replace('/', "_").len()));
        let f = std::fs::File::create(&errf).unwrap();
        let st = Command::new(HUSK)
            .arg("--root")
            .arg(self.root())
            .args(args)
            .stdout(Stdio::null())
            .stderr(f)
            .status()
            .unwrap();
        let stderr = std::fs::read(&errf).unwrap();
        Output {
            status: st,
            stdout: Vec::new(),
            stderr,
        }
    }

    /// `create` with a pid file; asserts it succeeded and returns the container's pid.
    pub fn create(&self, id: &str) -> String {
        self.create_with(&[], id)
    }

    /// `create` with a pid file and `extra` flags; asserts it succeeded and returns the
    /// container's pid.
    pub fn create_with(&self, extra: &[&str], id: &str) -> String {
        let b = self.bundle();
        let pidfile = self.dir.join(format!("{id}.pid"));
        let mut args = vec![
            "create",
            "--bundle",
            b.to_str().unwrap(),
            "--pid-file",
            pidfile.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        args.push(id);
        let o = self.husk_detached(&args);
        assert!(o.status.success(), "{}", text(&o.stderr));
        std::fs::read_to_string(&pidfile).unwrap()
    }

    pub fn run(&self, id: &str) -> Output {
        let b = self.bundle();
        self.husk(&["run", "--bundle", b.to_str().unwrap(), id])
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        // A failed test may leave containers: kill them before removing their files.
        if let Ok(ids) = std::fs::read_dir(self.root()) {
            for id in ids.flatten() {
                let _ = self.husk(&["delete", "--force", id.file_name().to_str().unwrap_or("")]);
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn report(o: &Output) -> JsonValue {
    let out = text(&o.stdout);
    let line = out
        .lines()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("no report: {out} / {}", text(&o.stderr)));
    json::parse(line).unwrap()
}
