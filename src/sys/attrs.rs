//! Raw process-attribute syscalls rustix does not offer in the shape husk needs: prctl with
//! plain integers, capget/capset (v3), setgroups from a `u32` slice, getcwd into a buffer,
//! prlimit64 by resource number, sched_setattr, ioprio_set, personality, close_range,
//! fcntl(F_SETFD) on a raw number, and rt_sigprocmask to unblock every signal.
//!
//! All of them act on the calling thread (husk is single-threaded: see the `sys` module).

use super::{arch, check, Errno};
use linux_raw_sys::general as g;

/// prctl(2) with integer arguments only (none of the options husk uses takes a pointer).
pub fn prctl(op: u32, a2: usize, a3: usize, a4: usize, a5: usize) -> Result<usize, Errno> {
    // SAFETY: the callers' options (PR_SET_KEEPCAPS, PR_CAPBSET_*, PR_CAP_AMBIENT,
    // PR_SET_NO_NEW_PRIVS, PR_SET_DUMPABLE, PR_GET_*) read only these integers.
    check(unsafe { arch::syscall5(g::__NR_prctl as usize, op as usize, a2, a3, a4, a5) })
}

/// The three capability sets of capget/capset as 64-bit masks (bit n = capability n).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CapSets {
    pub effective: u64,
    pub permitted: u64,
    pub inheritable: u64,
}

fn cap_header() -> g::__user_cap_header_struct {
    g::__user_cap_header_struct {
        version: g::_LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    }
}

const EMPTY_CAP_DATA: g::__user_cap_data_struct = g::__user_cap_data_struct {
    effective: 0,
    permitted: 0,
    inheritable: 0,
};

/// capget(2) of the calling thread (version 3: two 32-bit words per set).
pub fn capget() -> Result<CapSets, Errno> {
    let mut h = cap_header();
    let mut d = [EMPTY_CAP_DATA; 2];
    // SAFETY: `h` is a valid header and `d` the two data structs version 3 writes.
    check(unsafe {
        arch::syscall2(
            g::__NR_capget as usize,
            &mut h as *mut _ as usize,
            d.as_mut_ptr() as usize,
        )
    })?;
    let join = |lo: u32, hi: u32| lo as u64 | (hi as u64) << 32;
    Ok(CapSets {
        effective: join(d[0].effective, d[1].effective),
        permitted: join(d[0].permitted, d[1].permitted),
        inheritable: join(d[0].inheritable, d[1].inheritable),
    })
}

/// capset(2) of the calling thread.
pub fn capset(s: CapSets) -> Result<(), Errno> {
    let mut h = cap_header();
    let word = |m: u64, i: u32| (m >> (32 * i)) as u32;
    let d = [0, 1].map(|i| g::__user_cap_data_struct {
        effective: word(s.effective, i),
        permitted: word(s.permitted, i),
        inheritable: word(s.inheritable, i),
    });
    // SAFETY: `h` is a valid header and `d` the two data structs version 3 reads.
    check(unsafe {
        arch::syscall2(
            g::__NR_capset as usize,
            &mut h as *mut _ as usize,
            d.as_ptr() as usize,
        )
    })
    .map(drop)
}

/// setgroups(2) with 32-bit gids (setgroups32 on arm, where setgroups takes 16-bit ones).
pub fn setgroups(gids: &[u32]) -> Result<(), Errno> {
    #[cfg(target_arch = "arm")]
    let nr = g::__NR_setgroups32;
    #[cfg(not(target_arch = "arm"))]
    let nr = g::__NR_setgroups;
    // SAFETY: the kernel reads `gids.len()` u32 values from a live slice.
    check(unsafe { arch::syscall2(nr as usize, gids.len(), gids.as_ptr() as usize) }).map(drop)
}

/// prlimit64(0, resource, {soft, hard}, NULL): set a limit of the calling process.
pub fn setrlimit(resource: u32, soft: u64, hard: u64) -> Result<(), Errno> {
    let new = g::rlimit64 {
        rlim_cur: soft,
        rlim_max: hard,
    };
    // SAFETY: `new` is a live rlimit64 the kernel only reads; the old-limit pointer is NULL.
    check(unsafe {
        arch::syscall4(
            g::__NR_prlimit64 as usize,
            0,
            resource as usize,
            &new as *const _ as usize,
            0,
        )
    })
    .map(drop)
}

/// prlimit64(0, resource, NULL, &old): (soft, hard).
pub fn getrlimit(resource: u32) -> Result<(u64, u64), Errno> {
    let mut old = g::rlimit64 {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `old` is a live rlimit64 the kernel writes; the new-limit pointer is NULL.
    check(unsafe {
        arch::syscall4(
            g::__NR_prlimit64 as usize,
            0,
            resource as usize,
            0,
            &mut old as *mut _ as usize,
        )
    })?;
    Ok((old.rlim_cur, old.rlim_max))
}

/// `struct sched_attr` of sched_setattr(2), first version (48 bytes, no utilization clamps).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SchedAttr {
    pub size: u32,
    pub policy: u32,
    pub flags: u64,
    pub nice: i32,
    pub priority: u32,
    pub runtime: u64,
    pub deadline: u64,
    pub period: u64,
}

/// sched_setattr(0, attr, 0) for the calling thread.
pub fn sched_setattr(attr: &SchedAttr) -> Result<(), Errno> {
    let mut a = *attr;
    a.size = core::mem::size_of::<SchedAttr>() as u32;
    // SAFETY: `a` is a live, correctly sized sched_attr the kernel only reads.
    check(unsafe {
        arch::syscall3(
            g::__NR_sched_setattr as usize,
            0,
            &a as *const _ as usize,
            0,
        )
    })
    .map(drop)
}

/// ioprio_set(IOPRIO_WHO_PROCESS, 0, prio) for the calling process.
pub fn ioprio_set(prio: u32) -> Result<(), Errno> {
    const IOPRIO_WHO_PROCESS: usize = 1;
    // SAFETY: integer arguments only.
    check(unsafe {
        arch::syscall3(
            g::__NR_ioprio_set as usize,
            IOPRIO_WHO_PROCESS,
            0,
            prio as usize,
        )
    })
    .map(drop)
}

/// personality(2): set the execution domain; returns the previous one.
pub fn personality(persona: u32) -> Result<u32, Errno> {
    // SAFETY: integer argument only.
    check(unsafe { arch::syscall1(g::__NR_personality as usize, persona as usize) })
        .map(|v| v as u32)
}

/// keyctl(2) operations (include/uapi/linux/keyctl.h).
const KEYCTL_DESCRIBE: usize = 6;
const KEYCTL_SETPERM: usize = 5;
const KEYCTL_JOIN_SESSION_KEYRING: usize = 1;

/// keyctl(KEYCTL_JOIN_SESSION_KEYRING, name): join (or create) the session keyring
/// `name`; returns its serial.
pub fn keyctl_join_session(name: &core::ffi::CStr) -> Result<i32, Errno> {
    // SAFETY: `name` is a NUL-terminated string valid for the call; the kernel only reads it.
    let r = unsafe {
        arch::syscall2(
            g::__NR_keyctl as usize,
            KEYCTL_JOIN_SESSION_KEYRING,
            name.as_ptr() as usize,
        )
    };
    check(r).map(|v| v as i32)
}

/// keyctl(KEYCTL_DESCRIBE, key, buf): "type;uid;gid;perm;description" into `buf`;
/// returns the length the kernel wanted (NUL included), which may exceed `buf`.
pub fn keyctl_describe(key: i32, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`, valid for the call.
    let r = unsafe {
        arch::syscall4(
            g::__NR_keyctl as usize,
            KEYCTL_DESCRIBE,
            key as usize,
            buf.as_mut_ptr() as usize,
            buf.len(),
        )
    };
    check(r)
}

/// keyctl(KEYCTL_SETPERM, key, perm).
pub fn keyctl_setperm(key: i32, perm: u32) -> Result<(), Errno> {
    // SAFETY: integer arguments only.
    let r = unsafe {
        arch::syscall3(
            g::__NR_keyctl as usize,
            KEYCTL_SETPERM,
            key as usize,
            perm as usize,
        )
    };
    check(r).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sched_attr_is_version_0() {
        assert_eq!(core::mem::size_of::<SchedAttr>(), 48);
    }

    #[test]
    fn reads_own_state() {
        let c = capget().unwrap();
        assert_eq!(c.effective & !c.permitted, 0);
        let (soft, hard) = getrlimit(g::RLIMIT_NOFILE).unwrap();
        assert!(soft <= hard);
        // PR_GET_DUMPABLE.
        assert!(prctl(3, 0, 0, 0, 0).is_ok());
    }
}
