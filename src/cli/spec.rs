//! `husk spec [--bundle DIR] [--rootless]`: write the default config.json `runc spec` writes
//! (same fields, values and order, tab-indented like Go's json.MarshalIndent), so bundles
//! made for runc and for husk start from the same file. The one difference: the hostname is
//! "husk".

use super::args::Parsed;
use super::commands::Command;
use super::Global;
use crate::cpath::CPath;
use crate::error::{Error, Result};
use crate::out::Buf;
use core::fmt::Write;
use rustix::fs::{self, Mode, OFlags};

/// Largest default config (it is about 3 KiB).
const SPEC_MAX: usize = 8192;

pub fn run(_g: &Global<'_>, c: &Command, p: &Parsed<'_>) -> Result<i32> {
    let bundle = p.last(c.flags, "bundle").unwrap_or(b".");
    let rootless = p.has(c.flags, "rootless");
    let cgroupns = cgroup2_unified();
    let ids = (
        rustix::process::geteuid().as_raw(),
        rustix::process::getegid().as_raw(),
    );
    let mut out = Buf::<SPEC_MAX>::new();
    render(&mut out, rootless, cgroupns, ids);
    let mut path = CPath::from(bundle, "--bundle")?;
    path.join(b"config.json", "--bundle")?;
    // O_EXCL: like runc, never overwrite an existing config.
    let f = fs::open(
        path.as_cstr(),
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o666),
    )
    .map_err(|e| match e {
        rustix::io::Errno::EXIST => {
            Error::state("config.json exists in the bundle; remove it first").value(path.as_bytes())
        }
        e => Error::sys("create", e).path(path.as_bytes()),
    })?;
    crate::out::write_all(&f, out.as_bytes())
        .map_err(|e| Error::sys("write", e).path(path.as_bytes()))?;
    Ok(0)
}

/// runc adds a cgroup namespace when the host has the unified cgroup v2 hierarchy.
// f_type's width differs per arch (i64 on x86_64, u32 on arm): the cast is needed there.
#[allow(clippy::unnecessary_cast)]
fn cgroup2_unified() -> bool {
    const CGROUP2_SUPER_MAGIC: i64 = 0x6367_7270;
    rustix::fs::statfs("/sys/fs/cgroup")
        .map(|s| s.f_type as i64 == CGROUP2_SUPER_MAGIC)
        .unwrap_or(false)
}

fn list(out: &mut impl Write, indent: &str, items: &[&str]) {
    let _ = out.write_str("[");
    for (i, it) in items.iter().enumerate() {
        let _ = write!(
            out,
            "\n{indent}\t\"{it}\"{}",
            if i + 1 < items.len() { "," } else { "" }
        );
    }
    let _ = write!(out, "\n{indent}]");
}

struct M {
    dest: &'static str,
    typ: &'static str,
    src: &'static str,
    opts: &'static [&'static str],
}

const MOUNTS: &[M] = &[
    M {
        dest: "/proc",
        typ: "proc",
        src: "proc",
        opts: &[],
    },
    M {
        dest: "/dev",
        typ: "tmpfs",
        src: "tmpfs",
        opts: &["nosuid", "strictatime", "mode=755", "size=65536k"],
    },
    M {
        dest: "/dev/pts",
        typ: "devpts",
        src: "devpts",
        opts: &[
            "nosuid",
            "noexec",
            "newinstance",
            "ptmxmode=0666",
            "mode=0620",
            "gid=5",
        ],
    },
    M {
        dest: "/dev/shm",
        typ: "tmpfs",
        src: "shm",
        opts: &["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
    },
    M {
        dest: "/dev/mqueue",
        typ: "mqueue",
        src: "mqueue",
        opts: &["nosuid", "noexec", "nodev"],
    },
    M {
        dest: "/sys",
        typ: "sysfs",
        src: "sysfs",
        opts: &["nosuid", "noexec", "nodev", "ro"],
    },
    M {
        dest: "/sys/fs/cgroup",
        typ: "cgroup",
        src: "cgroup",
        opts: &["nosuid", "noexec", "nodev", "relatime", "ro"],
    },
];

/// The rootless form replaces /sys by a read-only rbind of the host's and drops uid=/gid=
/// mount options (runc's ToRootless).
const ROOTLESS_SYS: M = M {
    dest: "/sys",
    typ: "none",
    src: "/sys",
    opts: &["rbind", "nosuid", "noexec", "nodev", "ro"],
};

pub fn render(out: &mut impl Write, rootless: bool, cgroupns: bool, ids: (u32, u32)) {
    const CAPS: &[&str] = &["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];
    let _ = write!(
        out,
        "{{\n\t\"ociVersion\": \"{}\",\n\t\"process\": {{\n\t\t\"terminal\": true,\n\t\t\"user\": {{\n\t\t\t\"uid\": 0,\n\t\t\t\"gid\": 0\n\t\t}},\n\t\t\"args\": ",
        crate::OCI_VERSION
    );
    list(out, "\t\t", &["sh"]);
    let _ = out.write_str(",\n\t\t\"env\": ");
    list(
        out,
        "\t\t",
        &[
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "TERM=xterm",
        ],
    );
    let _ = out.write_str(",\n\t\t\"cwd\": \"/\",\n\t\t\"capabilities\": {");
    for (i, set) in ["bounding", "effective", "permitted"].iter().enumerate() {
        let _ = write!(out, "\n\t\t\t\"{set}\": ");
        list(out, "\t\t\t", CAPS);
        if i < 2 {
            let _ = out.write_str(",");
        }
    }
    let _ = out.write_str(
        "\n\t\t},\n\t\t\"rlimits\": [\n\t\t\t{\n\t\t\t\t\"type\": \"RLIMIT_NOFILE\",\n\t\t\t\t\"hard\": 1024,\n\t\t\t\t\"soft\": 1024\n\t\t\t}\n\t\t],\n\t\t\"noNewPrivileges\": true\n\t},\n\t\"root\": {\n\t\t\"path\": \"rootfs\",\n\t\t\"readonly\": true\n\t},\n\t\"hostname\": \"husk\",\n\t\"mounts\": [",
    );
    for (i, m) in MOUNTS.iter().enumerate() {
        let m = if rootless && m.dest == "/sys" {
            &ROOTLESS_SYS
        } else {
            m
        };
        let _ = write!(out, "\n\t\t{{\n\t\t\t\"destination\": \"{}\",\n\t\t\t\"type\": \"{}\",\n\t\t\t\"source\": \"{}\"", m.dest, m.typ, m.src);
        let mut opts: heapless::Vec<&str, 8> = heapless::Vec::new();
        for o in m.opts {
            if !(rootless && (o.starts_with("uid=") || o.starts_with("gid="))) {
                let _ = opts.push(o);
            }
        }
        if !opts.is_empty() {
            let _ = out.write_str(",\n\t\t\t\"options\": ");
            list(out, "\t\t\t", &opts);
        }
        let _ = write!(
            out,
            "\n\t\t}}{}",
            if i + 1 < MOUNTS.len() { "," } else { "" }
        );
    }
    let _ = out.write_str("\n\t],\n\t\"linux\": {");
    if rootless {
        for kind in ["uidMappings", "gidMappings"] {
            let host = if kind == "uidMappings" { ids.0 } else { ids.1 };
            let _ = write!(out, "\n\t\t\"{kind}\": [\n\t\t\t{{\n\t\t\t\t\"containerID\": 0,\n\t\t\t\t\"hostID\": {host},\n\t\t\t\t\"size\": 1\n\t\t\t}}\n\t\t],");
        }
    } else {
        let _ = out.write_str("\n\t\t\"resources\": {\n\t\t\t\"devices\": [\n\t\t\t\t{\n\t\t\t\t\t\"allow\": false,\n\t\t\t\t\t\"access\": \"rwm\"\n\t\t\t\t}\n\t\t\t]\n\t\t},");
    }
    let _ = out.write_str("\n\t\t\"namespaces\": [");
    let mut ns: heapless::Vec<&str, 8> = heapless::Vec::new();
    for n in ["pid", "network", "ipc", "uts", "mount"] {
        if !(rootless && n == "network") {
            let _ = ns.push(n);
        }
    }
    if cgroupns {
        let _ = ns.push("cgroup");
    }
    if rootless {
        let _ = ns.push("user");
    }
    for (i, n) in ns.iter().enumerate() {
        let _ = write!(
            out,
            "\n\t\t\t{{\n\t\t\t\t\"type\": \"{n}\"\n\t\t\t}}{}",
            if i + 1 < ns.len() { "," } else { "" }
        );
    }
    let _ = out.write_str("\n\t\t],\n\t\t\"maskedPaths\": ");
    list(
        out,
        "\t\t",
        &[
            "/proc/acpi",
            "/proc/asound",
            "/proc/kcore",
            "/proc/keys",
            "/proc/latency_stats",
            "/proc/timer_list",
            "/proc/timer_stats",
            "/proc/sched_debug",
            "/sys/firmware",
            "/proc/scsi",
            "/sys/devices/virtual/tpm",
        ],
    );
    let _ = out.write_str(",\n\t\t\"readonlyPaths\": ");
    list(
        out,
        "\t\t",
        &[
            "/proc/bus",
            "/proc/fs",
            "/proc/irq",
            "/proc/sys",
            "/proc/sysrq-trigger",
        ],
    );
    let _ = out.write_str("\n\t}\n}");
}
