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
pub fn pivot_root(mask: SigMask, moved: bool, tally: &mut Tally) {
    let out = run_captured(mask, || {
        let r = try_pivot();
        let mut b = crate::out::Buf::<256>::new();
        let _ = write!(
            b,
            "{{\"check\":\"pivot_root\",\"root_moved\":{moved},\"ok\":{}",
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
    super::bundles::report(b"pivot-root", &out, tally);
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
