//! Placeholder until the rootfs stage lands from its branch: chroot into the rootfs.
use crate::error::{Error, Result};
use crate::spec::Spec;
use core::ffi::CStr;

pub struct RootfsOpts {
    pub no_pivot: bool,
    pub new_userns: bool,
    pub new_cgroupns: bool,
}

pub fn setup(_spec: &Spec<'_>, rootfs: &CStr, _opts: &RootfsOpts) -> Result<()> {
    rustix::process::chroot(rootfs).map_err(|e| Error::sys("chroot", e).path(rootfs.to_bytes()))?;
    rustix::process::chdir("/").map_err(|e| Error::sys("chdir", e))
}
