//! bpf(2), the few commands the cgroup v2 device filter needs: load a
//! BPF_PROG_TYPE_CGROUP_DEVICE program, attach it to a cgroup, list and detach the programs
//! already there.
//!
//! linux-raw-sys 0.12 has no `bpf` module (only `__NR_bpf`), so the constants and the parts
//! of `union bpf_attr` used here are written out from include/uapi/linux/bpf.h. Each
//! command gets its own `#[repr(C)]` struct holding exactly the leading fields of its
//! member of the union; the kernel accepts a shorter attr and treats the rest as zero.

use super::{arch, check, Errno};
use linux_raw_sys::general::__NR_bpf;
use rustix::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

/// The kernel's limit on a classic program's length (`BPF_MAXINSNS`).
pub const BPF_MAXINSNS: usize = 4096;

// enum bpf_cmd.
const BPF_PROG_LOAD: usize = 5;
const BPF_PROG_ATTACH: usize = 8;
const BPF_PROG_DETACH: usize = 9;
const BPF_PROG_GET_FD_BY_ID: usize = 13;
const BPF_PROG_QUERY: usize = 16;

/// enum bpf_prog_type: BPF_PROG_TYPE_CGROUP_DEVICE.
pub const BPF_PROG_TYPE_CGROUP_DEVICE: u32 = 15;
/// enum bpf_attach_type: BPF_CGROUP_DEVICE.
pub const BPF_CGROUP_DEVICE: u32 = 6;
/// Attach flags.
pub const BPF_F_ALLOW_MULTI: u32 = 1 << 1;
pub const BPF_F_REPLACE: u32 = 1 << 2;

/// `struct bpf_cgroup_dev_ctx.access_type`: low 16 bits the device type...
pub const BPF_DEVCG_DEV_BLOCK: u32 = 1;
pub const BPF_DEVCG_DEV_CHAR: u32 = 2;
/// ...high 16 bits the access.
pub const BPF_DEVCG_ACC_MKNOD: u32 = 1;
pub const BPF_DEVCG_ACC_READ: u32 = 2;
pub const BPF_DEVCG_ACC_WRITE: u32 = 4;

/// The most programs one cgroup holds for one attach type (`BPF_CGROUP_MAX_PROGS`).
pub const MAX_PROGS: usize = 64;

/// `struct bpf_insn`: opcode, dst_reg:4 / src_reg:4 (bitfields, in memory order), offset,
/// immediate.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Insn {
    pub code: u8,
    regs: u8,
    pub off: i16,
    pub imm: i32,
}

impl Insn {
    pub const fn new(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
        // C bitfields are allocated from the low bits on little-endian ABIs and from the
        // high bits on big-endian ones; dst_reg is declared first.
        #[cfg(target_endian = "little")]
        let regs = (dst & 0xf) | ((src & 0xf) << 4);
        #[cfg(target_endian = "big")]
        let regs = ((dst & 0xf) << 4) | (src & 0xf);
        Insn {
            code,
            regs,
            off,
            imm,
        }
    }

    pub const fn dst(&self) -> u8 {
        #[cfg(target_endian = "little")]
        let r = self.regs & 0xf;
        #[cfg(target_endian = "big")]
        let r = self.regs >> 4;
        r
    }

    pub const fn src(&self) -> u8 {
        #[cfg(target_endian = "little")]
        let r = self.regs >> 4;
        #[cfg(target_endian = "big")]
        let r = self.regs & 0xf;
        r
    }
}

/// `bpf_attr` for BPF_PROG_LOAD (up to `prog_name`).
#[repr(C)]
#[derive(Default)]
struct ProgLoad {
    prog_type: u32,
    insn_cnt: u32,
    insns: u64,
    license: u64,
    log_level: u32,
    log_size: u32,
    log_buf: u64,
    kern_version: u32,
    prog_flags: u32,
    prog_name: [u8; 16],
}

/// `bpf_attr` for BPF_PROG_ATTACH / BPF_PROG_DETACH (up to `replace_bpf_fd`).
#[repr(C)]
#[derive(Default)]
struct ProgAttach {
    target_fd: u32,
    attach_bpf_fd: u32,
    attach_type: u32,
    attach_flags: u32,
    replace_bpf_fd: u32,
}

/// `bpf_attr` for BPF_PROG_QUERY (up to `prog_cnt`, padded to 8 bytes as the union is).
#[repr(C)]
#[derive(Default)]
struct ProgQuery {
    target_fd: u32,
    attach_type: u32,
    query_flags: u32,
    attach_flags: u32,
    prog_ids: u64,
    prog_cnt: u32,
    _pad: u32,
}

/// `bpf_attr` for BPF_PROG_GET_FD_BY_ID.
#[repr(C)]
#[derive(Default)]
struct GetFdById {
    prog_id: u32,
    next_id: u32,
    open_flags: u32,
}

/// bpf(cmd, attr, sizeof attr).
///
/// # Safety
/// `attr` must be the struct matching `cmd`, and every pointer stored in it must be valid
/// for the access the kernel makes through it for the duration of the call.
unsafe fn bpf<T>(cmd: usize, attr: &mut T) -> Result<usize, Errno> {
    // SAFETY: the caller's contract; `attr` itself is a live, exclusive reference of the
    // size passed.
    let r = unsafe {
        arch::syscall3(
            __NR_bpf as usize,
            cmd,
            attr as *mut T as usize,
            core::mem::size_of::<T>(),
        )
    };
    check(r)
}

/// BPF_PROG_LOAD a BPF_PROG_TYPE_CGROUP_DEVICE program. `license` must end in a NUL.
pub fn load_cgroup_device(insns: &[Insn], license: &core::ffi::CStr) -> Result<OwnedFd, Errno> {
    let mut name = [0u8; 16];
    name[..4].copy_from_slice(b"husk");
    let mut a = ProgLoad {
        prog_type: BPF_PROG_TYPE_CGROUP_DEVICE,
        insn_cnt: insns.len() as u32,
        insns: insns.as_ptr() as u64,
        license: license.as_ptr() as u64,
        prog_name: name,
        ..ProgLoad::default()
    };
    // SAFETY: `insns` (insn_cnt entries of the kernel's layout) and the NUL-terminated
    // `license` outlive the call and are only read; there is no log buffer.
    let fd = unsafe { bpf(BPF_PROG_LOAD, &mut a)? };
    // SAFETY: BPF_PROG_LOAD returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// BPF_PROG_ATTACH `prog` to the cgroup `cgroup` as a device filter, with `flags`
/// (BPF_F_ALLOW_MULTI, BPF_F_REPLACE with `replace` the program to swap out).
pub fn attach_cgroup_device(
    cgroup: BorrowedFd<'_>,
    prog: BorrowedFd<'_>,
    flags: u32,
    replace: Option<BorrowedFd<'_>>,
) -> Result<(), Errno> {
    let mut a = ProgAttach {
        target_fd: cgroup.as_raw_fd() as u32,
        attach_bpf_fd: prog.as_raw_fd() as u32,
        attach_type: BPF_CGROUP_DEVICE,
        attach_flags: flags,
        replace_bpf_fd: replace.map_or(0, |f| f.as_raw_fd() as u32),
    };
    // SAFETY: the attr holds only descriptor numbers, no pointers.
    unsafe { bpf(BPF_PROG_ATTACH, &mut a).map(|_| ()) }
}

/// BPF_PROG_DETACH the device filter `prog` from the cgroup `cgroup`.
pub fn detach_cgroup_device(cgroup: BorrowedFd<'_>, prog: BorrowedFd<'_>) -> Result<(), Errno> {
    let mut a = ProgAttach {
        target_fd: cgroup.as_raw_fd() as u32,
        attach_bpf_fd: prog.as_raw_fd() as u32,
        attach_type: BPF_CGROUP_DEVICE,
        ..ProgAttach::default()
    };
    // SAFETY: the attr holds only descriptor numbers, no pointers.
    unsafe { bpf(BPF_PROG_DETACH, &mut a).map(|_| ()) }
}

/// BPF_PROG_QUERY the device filters attached to `cgroup` itself (not inherited ones):
/// their ids go to `ids`, the count is returned. ENOSPC if `ids` is too short.
pub fn query_cgroup_device(cgroup: BorrowedFd<'_>, ids: &mut [u32]) -> Result<usize, Errno> {
    let mut a = ProgQuery {
        target_fd: cgroup.as_raw_fd() as u32,
        attach_type: BPF_CGROUP_DEVICE,
        prog_ids: ids.as_mut_ptr() as u64,
        prog_cnt: ids.len() as u32,
        ..ProgQuery::default()
    };
    // SAFETY: `ids` is writable for `prog_cnt` u32s for the call; the kernel writes at most
    // that many.
    unsafe { bpf(BPF_PROG_QUERY, &mut a)? };
    Ok((a.prog_cnt as usize).min(ids.len()))
}

/// BPF_PROG_GET_FD_BY_ID: a descriptor for the loaded program `id`.
pub fn prog_fd_by_id(id: u32) -> Result<OwnedFd, Errno> {
    let mut a = GetFdById {
        prog_id: id,
        ..GetFdById::default()
    };
    // SAFETY: the attr holds only numbers, no pointers.
    let fd = unsafe { bpf(BPF_PROG_GET_FD_BY_ID, &mut a)? };
    // SAFETY: the kernel returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{offset_of, size_of};

    #[test]
    fn layouts_match_the_uapi() {
        assert_eq!(size_of::<Insn>(), 8);
        let i = Insn::new(0x61, 3, 1, -2, 7);
        assert_eq!((i.dst(), i.src(), i.off, i.imm), (3, 1, -2, 7));
        assert_eq!(offset_of!(ProgLoad, insns), 8);
        assert_eq!(offset_of!(ProgLoad, license), 16);
        assert_eq!(offset_of!(ProgLoad, log_buf), 32);
        assert_eq!(offset_of!(ProgLoad, prog_flags), 44);
        assert_eq!(offset_of!(ProgLoad, prog_name), 48);
        assert_eq!(size_of::<ProgAttach>(), 20);
        assert_eq!(offset_of!(ProgQuery, prog_ids), 16);
        assert_eq!(offset_of!(ProgQuery, prog_cnt), 24);
        assert_eq!(size_of::<GetFdById>(), 12);
    }
}
