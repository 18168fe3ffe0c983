//! mount_setattr(2), which rustix does not offer: change the attributes (read-only, nosuid,
//! atime...) of a mount, optionally of every mount below it (AT_RECURSIVE). Linux >= 5.12;
//! older kernels answer ENOSYS and callers fall back to a `MS_REMOUNT | MS_BIND`.

use super::{arch, check, Errno};
use core::ffi::CStr;
use linux_raw_sys::general::{__NR_mount_setattr, mount_attr, AT_EMPTY_PATH, AT_RECURSIVE};
use rustix::fd::{AsRawFd, BorrowedFd};

/// What to change: `MOUNT_ATTR_*` bits to set and to clear, and an optional propagation
/// (`MS_SHARED`, `MS_PRIVATE`, `MS_SLAVE` or `MS_UNBINDABLE`; 0 leaves it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Attr {
    pub set: u64,
    pub clr: u64,
    pub propagation: u64,
}

/// `mount_setattr(fd, "", AT_EMPTY_PATH [| AT_RECURSIVE], attr)`: change the mount `fd`
/// refers to (an O_PATH fd of a mount's root, or an open_tree/fsmount fd).
pub fn mount_setattr(fd: BorrowedFd<'_>, recursive: bool, attr: Attr) -> Result<(), Errno> {
    let mut a = mount_attr {
        attr_set: attr.set,
        attr_clr: attr.clr,
        propagation: attr.propagation,
        userns_fd: 0,
    };
    let mut flags = AT_EMPTY_PATH;
    if recursive {
        flags |= AT_RECURSIVE;
    }
    let empty: &CStr = c"";
    // SAFETY: `empty` is a NUL-terminated string and `a` a correctly sized mount_attr, both
    // alive for the call; the kernel only reads them. `fd` is a borrowed, open descriptor.
    let r = unsafe {
        arch::syscall5(
            __NR_mount_setattr as usize,
            fd.as_raw_fd() as usize,
            empty.as_ptr() as usize,
            flags as usize,
            &mut a as *mut mount_attr as usize,
            core::mem::size_of::<mount_attr>(),
        )
    };
    check(r).map(|_| ())
}
