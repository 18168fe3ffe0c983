//! Built-in checks of test mode (`husk.test`), reported like bundles.

use super::bundles::run_captured;
use super::Tally;
use crate::sys::process::SigMask;
use crate::Error;
use core::fmt::Write;
use rustix::mount::{
    mount, mount_change, unmount, MountFlags, MountPropagationFlags, UnmountFlags,
};

/// `pivot-root`: in a child, unshare(CLONE_NEWNS), make every mount private, mount a tmpfs
/// and pivot_root(".", ".") into it as runc does, then detach the old root. This fails with
/// EINVAL on an initramfs root, so it proves [`super::switch`] did its job.
pub fn pivot_root(mask: SigMask, root: super::switch::Root, tally: &mut Tally) {
    use super::switch::Root;
    let (moved, seen, copied) = match root {
        Root::Kept => (false, "kept", false),
        Root::Moved { mountinfo, copied } => {
            (true, if mountinfo { "mountinfo" } else { "statfs" }, copied)
        }
    };
    let out = run_captured(mask, || {
        let r = try_pivot();
        let mut b = crate::out::Buf::<256>::new();
        let _ = write!(
            b,
            "{{\"check\":\"pivot_root\",\"root_moved\":{moved},\"root_copied\":{copied},\"initramfs_seen_by\":\"{seen}\",\"ok\":{}",
            r.is_ok()
        );
        if let Err(e) = r {
            let _ = b.write_str(",\"error\":\"");
            let _ = crate::out::json_escape(
                &mut b,
                {
                    let mut t = crate::out::Buf::<128>::new();
                    let _ = write!(t, "{e}");
                    t
                }
                .as_str(),
            );
            let _ = b.write_str("\"");
        }
        let _ = b.write_str("}");
        b.finish_line();
        let _ = b.write_to(crate::sys::stdout());
        if r.is_ok() {
            0
        } else {
            1
        }
    });
    super::bundles::report(b"pivot-root", &out, true, tally);
}

fn try_pivot() -> crate::Result<()> {
    let dir = c"/run/husk-pivot";
    crate::sys::process::unshare(linux_raw_sys::general::CLONE_NEWNS)
        .map_err(|e| Error::sys("unshare", e))?;
    mount_change(
        c"/",
        MountPropagationFlags::REC | MountPropagationFlags::PRIVATE,
    )
    .map_err(|e| Error::sys("mount --make-rprivate", e).path(b"/"))?;
    match rustix::fs::mkdir(dir, rustix::fs::Mode::from_bits_truncate(0o700)) {
        Ok(()) | Err(rustix::io::Errno::EXIST) => {}
        Err(e) => return Err(Error::sys("mkdir", e).path(dir.to_bytes())),
    }
    mount(c"tmpfs", dir, c"tmpfs", MountFlags::empty(), None)
        .map_err(|e| Error::sys("mount", e).path(dir.to_bytes()))?;
    rustix::process::chdir(dir).map_err(|e| Error::sys("chdir", e))?;
    rustix::process::pivot_root(c".", c".").map_err(|e| Error::sys("pivot_root", e).path(b"."))?;
    unmount(c".", UnmountFlags::DETACH).map_err(|e| Error::sys("umount2", e).path(b"."))?;
    rustix::process::chdir(c"/").map_err(|e| Error::sys("chdir", e))?;
    Ok(())
}

/// `cgroup`: cgroup2 is mounted and every available controller is enabled for the root's
/// children (cgroup.subtree_control lists the same names as cgroup.controllers).
pub fn cgroup(tally: &mut Tally) {
    let mut o = super::bundles::Outcome::new();
    let mut a = [0u8; 512];
    let mut b = [0u8; 512];
    let avail = crate::files::read_to(c"/sys/fs/cgroup/cgroup.controllers", &mut a);
    let on = crate::files::read_to(c"/sys/fs/cgroup/cgroup.subtree_control", &mut b);
    let ok = match (avail, on) {
        (Ok(x), Ok(y)) => {
            let x = x.trim_ascii();
            let y = y.trim_ascii();
            let all = x
                .split(|&c| c == b' ')
                .all(|w| y.split(|&c| c == b' ').any(|v| v == w));
            let _ = o.out.write_str("{\"check\":\"cgroup\",\"controllers\":\"");
            let _ = crate::out::json_escape(&mut o.out, core::str::from_utf8(x).unwrap_or("?"));
            let _ = o.out.write_str("\",\"subtree_control\":\"");
            let _ = crate::out::json_escape(&mut o.out, core::str::from_utf8(y).unwrap_or("?"));
            let _ = write!(o.out, "\",\"ok\":{all}}}");
            all
        }
        (Err(e), _) | (_, Err(e)) => {
            let _ = write!(
                o.out,
                "{{\"check\":\"cgroup\",\"ok\":false,\"error\":\"{}\"}}",
                crate::error::ErrnoText(e)
            );
            false
        }
    };
    o.code = if ok { 0 } else { 1 };
    super::bundles::report(b"cgroup", &o, true, tally);
}
