//! `husk features`: the runtime-spec features.md document. It claims only what this husk
//! really does, taken from the tables the code itself uses (mount options, namespaces,
//! capabilities); AppArmor, SELinux and idmap mounts say `false` until
//! they land (callers such as containerd decide from it, e.g. whether `rro` may be used).

use super::args::Parsed;
use super::commands::Command;
use super::Global;
use crate::error::Result;
use crate::out::Buf;
use core::fmt::Write;

/// Oldest config version husk accepts (every 1.x parses; see spec::validate).
pub const OCI_VERSION_MIN: &str = "1.0.0";

/// Hook kinds husk runs (container::create, child, start, delete).
pub const HOOKS: &[&str] = &[
    "prestart",
    "createRuntime",
    "createContainer",
    "startContainer",
    "poststart",
    "poststop",
];

fn list<'a>(out: &mut impl Write, items: impl IntoIterator<Item = &'a str>) {
    let _ = out.write_str("[");
    for (i, it) in items.into_iter().enumerate() {
        let _ = write!(out, "{}\"{it}\"", if i > 0 { "," } else { "" });
    }
    let _ = out.write_str("]");
}

pub fn render(out: &mut impl Write) {
    let _ = write!(
        out,
        "{{\"ociVersionMin\":\"{OCI_VERSION_MIN}\",\"ociVersionMax\":\"{}\",\"hooks\":",
        crate::OCI_VERSION
    );
    list(out, HOOKS.iter().copied());
    let _ = out.write_str(",\"mountOptions\":");
    list(out, crate::linux::mounts::supported_options());
    let _ = out.write_str(",\"linux\":{\"namespaces\":");
    list(
        out,
        crate::linux::namespaces::NAMESPACES.iter().map(|n| n.name),
    );
    let _ = out.write_str(",\"capabilities\":");
    list(out, crate::linux::caps::CAPS.iter().map(|(n, _)| *n));
    let _ = out.write_str(
        ",\"cgroup\":{\"v1\":false,\"v2\":true,\"systemd\":false,\"systemdUser\":false,\"rdma\":true},\
         \"seccomp\":",
    );
    crate::linux::seccomp::render_features(out);
    let _ = out.write_str(
        ",\"apparmor\":{\"enabled\":false},\"selinux\":{\"enabled\":false},\
         \"intelRdt\":{\"enabled\":false},\"mountExtensions\":{\"idmap\":{\"enabled\":false}}},\"annotations\":{",
    );
    let _ = write!(
        out,
        "\"io.github.husk.version\":\"{}\",\"io.github.husk.commit\":\"{}\"}}}}",
        crate::VERSION,
        crate::COMMIT
    );
}

pub fn run(_g: &Global<'_>, _c: &Command, _p: &Parsed<'_>) -> Result<i32> {
    let mut out = Buf::<4096>::new();
    render(&mut out);
    out.finish_line();
    let _ = out.write_to(crate::sys::stdout());
    Ok(0)
}
