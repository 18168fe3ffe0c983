//! husk's seccomp compiler next to libseccomp as runc drives it: the profiles both
//! compile, the C helper (targets/seccomp/export-libseccomp.c) that builds runc's filter
//! and exports its BPF, and husk's own program for the same profile. Shared by
//! tests/seccomp_libseccomp.rs and examples/seccomp_bench.rs (included with `#[path]`).
#![allow(dead_code)]

#[path = "docker_profile.rs"]
mod docker_profile;

use husk::linux::seccomp::tables::Arch;
use husk::sys::seccomp::{Insn, Program, BPF_MAXINSNS};
use json::JsonValue;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// Compile the C helper into `dir` (once per process). Panics, naming `just setup`, when
/// the C compiler, pkg-config or libseccomp-dev is missing: a comparison that cannot run
/// must fail, not pass.
pub fn helper(dir: &Path) -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let src = Path::new(REPO).join("targets/seccomp/export-libseccomp.c");
            let out = dir.join("export-libseccomp");
            std::fs::create_dir_all(dir).unwrap();
            let flags = Command::new("pkg-config")
                .args(["--cflags", "--libs", "libseccomp"])
                .output();
            let flags = match flags {
                Ok(o) if o.status.success() && Path::new("/usr/include/seccomp.h").exists() => {
                    String::from_utf8(o.stdout).unwrap()
                }
                _ => panic!(
                    "libseccomp-dev (or pkg-config) is missing: run `just setup` \
                     (targets/setup.sh installs gcc, pkg-config and libseccomp-dev)"
                ),
            };
            let st = Command::new("cc")
                .args(["-O2", "-Wall", "-Wextra", "-Werror", "-o"])
                .arg(&out)
                .arg(&src)
                .args(flags.split_whitespace())
                .status()
                .unwrap_or_else(|e| panic!("cc: {e}: run `just setup` to install gcc"));
            assert!(st.success(), "cc {} failed", src.display());
            out
        })
        .clone()
}

/// A config.json around a `linux.seccomp` object (text).
pub fn config(seccomp: &str) -> Vec<u8> {
    format!(
        r#"{{"ociVersion":"1.2.0","root":{{"path":"rootfs"}},"process":{{"args":["sh"],"cwd":"/"}},"linux":{{"seccomp":{seccomp}}}}}"#
    )
    .into_bytes()
}

/// The `linux.seccomp` object of a config.json, as text.
pub fn seccomp_of(config: &str) -> String {
    json::parse(config).unwrap()["linux"]["seccomp"].dump()
}

/// A program of either compiler.
pub struct Prog {
    pub insns: Vec<Insn>,
}

impl Prog {
    pub fn run(&self, nr: u32, arch: u32, args: &[u64; 6]) -> (u32, usize) {
        husk::linux::seccomp::interp::run(&self.insns, nr, arch, args)
            .unwrap_or_else(|e| panic!("invalid program: {e}"))
    }
}

/// husk's program for `seccomp` (OCI JSON text) on a `native` kernel, and the names it
/// reported as unknown.
pub fn husk_compile(seccomp: &str, native: Arch) -> Result<(Prog, Vec<String>), String> {
    let mut buf = config(seccomp);
    let spec = husk::spec::parse(&mut buf).map_err(|e| e.to_string())?;
    let s = spec.linux.as_ref().unwrap().seccomp.as_ref().unwrap();
    let mut prog = new_program();
    let mut unknown = Vec::new();
    husk::linux::seccomp::compile(s, native, &mut prog, &mut |n| unknown.push(n.to_string()))
        .map_err(|e| e.to_string())?;
    Ok((
        Prog {
            insns: prog.code().to_vec(),
        },
        unknown,
    ))
}

pub fn new_program() -> Box<Program> {
    let zero = Insn {
        code: 0,
        jt: 0,
        jf: 0,
        k: 0,
    };
    Box::new(Program {
        len: 0,
        insns: [zero; BPF_MAXINSNS],
    })
}

/// The helper's input for `seccomp` (OCI JSON text): one `rule` line per syscall name,
/// as runc's specconv makes one rule per name.
pub fn helper_input(seccomp: &str, native: Arch) -> String {
    let v = json::parse(seccomp).unwrap();
    let errno = |e: &JsonValue| e.as_u64().map_or("-".to_string(), |n| n.to_string());
    let mut s = format!("native {}\n", native.name());
    s += &format!(
        "default {} {}\n",
        v["defaultAction"],
        errno(&v["defaultErrnoRet"])
    );
    for a in v["architectures"].members() {
        s += &format!("arch {a}\n");
    }
    for r in v["syscalls"].members() {
        let mut args = format!("{}", r["args"].len());
        for a in r["args"].members() {
            args += &format!(
                " {} {} {} {}",
                a["index"],
                a["op"],
                a["value"].as_u64().unwrap(),
                a["valueTwo"].as_u64().unwrap_or(0)
            );
        }
        for n in r["names"].members() {
            s += &format!(
                "rule {n} {} {} {args}\n",
                r["action"],
                errno(&r["errnoRet"])
            );
        }
    }
    s
}

/// What the helper (runc on libseccomp) made of a profile.
pub enum Lib {
    Built {
        prog: Prog,
        /// Names libseccomp does not know (runc skips them).
        unknown: Vec<String>,
        /// With `runs`: the median and the fastest build, ns.
        median_ns: Option<u64>,
        min_ns: Option<u64>,
    },
    /// A libseccomp call failed, so runc would fail the container: the call or syscall
    /// name, and libseccomp's return code.
    Refused { what: String, rc: i32 },
}

/// Run the helper on `seccomp` for `native`; with `runs`, also time that many builds.
pub fn libseccomp(dir: &Path, seccomp: &str, native: Arch, runs: Option<u32>) -> Lib {
    use std::sync::atomic::{AtomicU32, Ordering};
    static SEQ: AtomicU32 = AtomicU32::new(0);
    let helper = helper(dir);
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    let base = dir.join(format!("libseccomp-{}-{seq}", std::process::id()));
    let (input, bpf) = (base.with_extension("in"), base.with_extension("bpf"));
    std::fs::write(&input, helper_input(seccomp, native)).unwrap();
    let mut cmd = Command::new(&helper);
    cmd.arg(&input).arg(&bpf);
    if let Some(n) = runs {
        cmd.arg(n.to_string());
    }
    let o = cmd.output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let _ = std::fs::remove_file(&input);
    let mut unknown = Vec::new();
    let (mut median_ns, mut min_ns) = (None, None);
    for l in out.lines() {
        let w: Vec<&str> = l.split_whitespace().collect();
        match w.as_slice() {
            ["unknown", n] => unknown.push(n.to_string()),
            ["refused", what, rc] => {
                return Lib::Refused {
                    what: what.to_string(),
                    rc: rc.parse().unwrap(),
                }
            }
            ["median_ns", n] => median_ns = Some(n.parse().unwrap()),
            ["min_ns", n] => min_ns = Some(n.parse().unwrap()),
            _ => {}
        }
    }
    assert!(
        o.status.success(),
        "{}: {:?}\n{out}{}",
        helper.display(),
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    let raw = std::fs::read(&bpf).unwrap();
    let _ = std::fs::remove_file(&bpf);
    let insns = raw
        .chunks_exact(8)
        .map(|c| Insn {
            code: u16::from_ne_bytes([c[0], c[1]]),
            jt: c[2],
            jf: c[3],
            k: u32::from_ne_bytes([c[4], c[5], c[6], c[7]]),
        })
        .collect();
    Lib::Built {
        prog: Prog { insns },
        unknown,
        median_ns,
        min_ns,
    }
}

/// libseccomp's syscall table for `arch`: (number, first name) pairs.
pub fn libseccomp_table(dir: &Path, arch: Arch) -> Vec<(u32, String)> {
    let o = Command::new(helper(dir))
        .args(["--table", arch.name()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (nr, name) = l.split_once(' ').unwrap();
            (nr.parse().unwrap(), name.to_string())
        })
        .collect()
}

#[allow(unused_imports)]
pub use docker_profile::{ADMIN_CAPS, DOCKER_CAPS};

/// [`docker_profile::convert`] for a husk ABI.
pub fn convert(profile: &str, arch: Arch, caps: &[&str]) -> String {
    docker_profile::convert(profile, arch.name(), caps)
}

pub fn data(name: &str) -> String {
    std::fs::read_to_string(Path::new(REPO).join("tests/data").join(name)).unwrap()
}
