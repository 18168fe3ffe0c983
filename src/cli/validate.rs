//! `husk validate [--bundle DIR]`: check a bundle before running it and print every
//! problem found, one per line, not just the first; on success print what was parsed.
//! Exit 0 when there is no problem, 1 otherwise.

use super::args::Parsed;
use super::commands::Command;
use super::Global;
use crate::cpath::CPath;
use crate::error::{Error, Result};
use crate::spec::{self, Spec, Str};
use core::fmt::Write;
use rustix::fs::{self, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;

pub fn run(_g: &Global<'_>, c: &Command, p: &Parsed<'_>) -> Result<i32> {
    let bundle = p.last(c.flags, "bundle").unwrap_or(b".");
    let mut path = CPath::from(bundle, "--bundle")?;
    path.join(b"config.json", "--bundle")?;
    let mut region =
        crate::sys::mem::Region::new(spec::CONFIG_MAX_BYTES).map_err(|e| Error::sys("mmap", e))?;
    let buf = crate::files::read_file(path.as_cstr(), &mut region, "config.json")?;
    // A document that does not parse has one problem, named by the parser.
    let spec = spec::parse(buf)?;
    let mut problems = 0usize;
    let mut warnings = 0usize;
    {
        let mut report = |e: Error| {
            problems += 1;
            crate::outln!(crate::sys::stderr(), "husk: {e}");
        };
        spec::validate(&spec, &mut report);
        check_bundle(bundle, &spec, &mut report);
    }
    spec::support(&spec, lsm_enabled(), &mut |level, e| match level {
        spec::Level::Error => {
            problems += 1;
            crate::outln!(crate::sys::stderr(), "husk: {e}");
        }
        spec::Level::Warning => {
            warnings += 1;
            crate::outln!(crate::sys::stderr(), "husk: warning: {e}");
        }
    });
    if problems > 0 {
        crate::outln!(
            crate::sys::stderr(),
            "husk: validate: {problems} problem{} found",
            if problems == 1 { "" } else { "s" }
        );
        return Ok(1);
    }
    summary(path.as_bytes(), &spec);
    if warnings > 0 {
        crate::outln!(
            crate::sys::stderr(),
            "husk: validate: {warnings} warning{}",
            if warnings == 1 { "" } else { "s" }
        );
    }
    Ok(0)
}

/// AppArmor or SELinux active on this kernel: labels in the config would then matter.
fn lsm_enabled() -> bool {
    let mut b = [0u8; 8];
    let apparmor = crate::files::read_file(
        c"/sys/module/apparmor/parameters/enabled",
        &mut b,
        "apparmor",
    )
    .map(|v| v.first() == Some(&b'Y'))
    .unwrap_or(false);
    apparmor || fs::access("/sys/fs/selinux/enforce", fs::Access::EXISTS).is_ok()
}

/// Checks that need the bundle's files: the root filesystem exists and the process's
/// program is in it.
fn check_bundle(bundle: &[u8], spec: &Spec<'_>, report: &mut dyn FnMut(Error)) {
    let Some(root) = &spec.root else { return };
    let mut tmp = [0u8; crate::cpath::PATH_MAX];
    let Ok(rel) = root.path.decode_into(&mut tmp) else {
        return;
    };
    let rp = if rel.starts_with('/') {
        CPath::from(rel.as_bytes(), "root.path")
    } else {
        CPath::from(bundle, "--bundle").and_then(|mut p| {
            p.join(rel.as_bytes(), "root.path")?;
            Ok(p)
        })
    };
    let rp = match rp {
        Ok(p) => p,
        Err(e) => return report(e),
    };
    let rootfs = match fs::open(
        rp.as_cstr(),
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        Ok(fd) => fd,
        Err(e) => {
            report(
                Error::spec("root.path", "is not a directory in the bundle")
                    .path(rp.as_bytes())
                    .with_errno(e),
            );
            return;
        }
    };
    let Some(process) = &spec.process else { return };
    let Some(Ok(arg0)) = process.args.iter().next() else {
        return;
    };
    let mut a0 = [0u8; crate::cpath::PATH_MAX];
    let Ok(prog) = arg0.decode_into(&mut a0) else {
        return;
    };
    if prog.contains('/') {
        // Resolved inside the rootfs: an absolute symlink in the image cannot point the check
        // at a host file.
        if let Err(e) = exists_in(&rootfs, prog.as_bytes()) {
            report(
                Error::spec("process.args[]", "program not found in the rootfs")
                    .at(0)
                    .value(prog.as_bytes())
                    .with_errno(e),
            );
        }
        return;
    }
    let path_var = env_path(process.env.iter().filter_map(|e| e.ok()));
    let mut found = false;
    let mut tmpb = [0u8; 4096];
    let path_var = path_var
        .as_ref()
        .and_then(|p| p.decode_into(&mut tmpb).ok())
        .unwrap_or("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    for dir in path_var.split(':').filter(|d| d.starts_with('/')) {
        let mut cand = CPath::new();
        if cand
            .join(dir.as_bytes(), "PATH")
            .and_then(|c| c.join(prog.as_bytes(), "process.args[0]"))
            .is_ok()
            && exists_in(&rootfs, cand.as_bytes()).is_ok()
        {
            found = true;
            break;
        }
    }
    if !found {
        report(
            Error::spec(
                "process.args[]",
                "executable file not found in $PATH of the rootfs",
            )
            .at(0)
            .value(prog.as_bytes()),
        );
    }
}

/// The value of PATH in the process's environment (as the container will see it).
fn env_path<'a>(env: impl Iterator<Item = Str<'a>>) -> Option<Str<'a>> {
    env.filter(|e| e.starts_with("PATH="))
        .last()
        .and_then(|e| e.raw().strip_prefix("PATH=").map(Str::from_raw))
}

fn exists_in(root: &rustix::fd::OwnedFd, path: &[u8]) -> core::result::Result<(), Errno> {
    let p = CPath::from(path, "path").map_err(|_| Errno::NAMETOOLONG)?;
    fs::openat2(
        root,
        p.as_cstr(),
        OFlags::PATH | OFlags::CLOEXEC,
        Mode::empty(),
        ResolveFlags::IN_ROOT,
    )
    .map(|_| ())
}

/// What a runtime would do with this bundle, in a few lines.
fn summary(config: &[u8], spec: &Spec<'_>) {
    let mut b = crate::out::Buf::<4096>::new();
    let _ = write!(
        b,
        "{}: valid\n  ociVersion {}\n",
        core::str::from_utf8(config).unwrap_or("config.json"),
        spec.oci_version
    );
    if let Some(r) = &spec.root {
        let _ = writeln!(
            b,
            "  root       {}{}",
            r.path,
            if r.readonly == Some(true) {
                " (read-only)"
            } else {
                ""
            }
        );
    }
    if let Some(p) = &spec.process {
        let _ = b.write_str("  process   ");
        for a in p.args.iter().flatten() {
            let _ = write!(b, " {a}");
        }
        let (uid, gid) = p.user.as_ref().map(|u| (u.uid, u.gid)).unwrap_or((0, 0));
        let _ = writeln!(
            b,
            "\n  cwd        {}   user {uid}:{gid}   env {} entries",
            p.cwd,
            p.env.len()
        );
    }
    if let Some(h) = &spec.hostname {
        let _ = writeln!(b, "  hostname   {h}");
    }
    let _ = writeln!(b, "  mounts     {}", spec.mounts.len());
    if let Some(l) = &spec.linux {
        let _ = b.write_str("  namespaces");
        for ns in l.namespaces.iter() {
            let _ = write!(
                b,
                " {}{}",
                ns.typ,
                if ns.path.is_some() { "(join)" } else { "" }
            );
        }
        let _ = b.write_str("\n");
        if let Some(s) = &l.seccomp {
            let _ = writeln!(
                b,
                "  seccomp    default {}, {} rules",
                s.default_action,
                s.syscalls.len()
            );
        }
    }
    if b.truncated() {
        b.finish_line();
    }
    let _ = b.write_to(crate::sys::stdout());
}
