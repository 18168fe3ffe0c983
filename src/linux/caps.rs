//! Capability names as config.json spells them (`CAP_CHOWN`) and their kernel numbers, and
//! `process.capabilities` applied: run by the container process (or an exec'd process) after
//! pivot_root, while it still holds every capability, from
//! [`crate::linux::process::apply_identity`].
//!
//! References: capabilities(7), prctl(2) PR_CAPBSET_DROP and PR_CAP_AMBIENT, capset(2).

use crate::spec::process::Capabilities;
use crate::spec::{List, Str};
use crate::sys::attrs::{self as sp, CapSets};
use crate::sys::Errno;
use crate::{Error, Result};
use linux_raw_sys::general as g;
use linux_raw_sys::prctl as pr;

/// Every capability the kernel headers husk builds against know, in number order.
pub const CAPS: &[(&str, u32)] = &[
    ("CAP_CHOWN", g::CAP_CHOWN),
    ("CAP_DAC_OVERRIDE", g::CAP_DAC_OVERRIDE),
    ("CAP_DAC_READ_SEARCH", g::CAP_DAC_READ_SEARCH),
    ("CAP_FOWNER", g::CAP_FOWNER),
    ("CAP_FSETID", g::CAP_FSETID),
    ("CAP_KILL", g::CAP_KILL),
    ("CAP_SETGID", g::CAP_SETGID),
    ("CAP_SETUID", g::CAP_SETUID),
    ("CAP_SETPCAP", g::CAP_SETPCAP),
    ("CAP_LINUX_IMMUTABLE", g::CAP_LINUX_IMMUTABLE),
    ("CAP_NET_BIND_SERVICE", g::CAP_NET_BIND_SERVICE),
    ("CAP_NET_BROADCAST", g::CAP_NET_BROADCAST),
    ("CAP_NET_ADMIN", g::CAP_NET_ADMIN),
    ("CAP_NET_RAW", g::CAP_NET_RAW),
    ("CAP_IPC_LOCK", g::CAP_IPC_LOCK),
    ("CAP_IPC_OWNER", g::CAP_IPC_OWNER),
    ("CAP_SYS_MODULE", g::CAP_SYS_MODULE),
    ("CAP_SYS_RAWIO", g::CAP_SYS_RAWIO),
    ("CAP_SYS_CHROOT", g::CAP_SYS_CHROOT),
    ("CAP_SYS_PTRACE", g::CAP_SYS_PTRACE),
    ("CAP_SYS_PACCT", g::CAP_SYS_PACCT),
    ("CAP_SYS_ADMIN", g::CAP_SYS_ADMIN),
    ("CAP_SYS_BOOT", g::CAP_SYS_BOOT),
    ("CAP_SYS_NICE", g::CAP_SYS_NICE),
    ("CAP_SYS_RESOURCE", g::CAP_SYS_RESOURCE),
    ("CAP_SYS_TIME", g::CAP_SYS_TIME),
    ("CAP_SYS_TTY_CONFIG", g::CAP_SYS_TTY_CONFIG),
    ("CAP_MKNOD", g::CAP_MKNOD),
    ("CAP_LEASE", g::CAP_LEASE),
    ("CAP_AUDIT_WRITE", g::CAP_AUDIT_WRITE),
    ("CAP_AUDIT_CONTROL", g::CAP_AUDIT_CONTROL),
    ("CAP_SETFCAP", g::CAP_SETFCAP),
    ("CAP_MAC_OVERRIDE", g::CAP_MAC_OVERRIDE),
    ("CAP_MAC_ADMIN", g::CAP_MAC_ADMIN),
    ("CAP_SYSLOG", g::CAP_SYSLOG),
    ("CAP_WAKE_ALARM", g::CAP_WAKE_ALARM),
    ("CAP_BLOCK_SUSPEND", g::CAP_BLOCK_SUSPEND),
    ("CAP_AUDIT_READ", g::CAP_AUDIT_READ),
    ("CAP_PERFMON", g::CAP_PERFMON),
    ("CAP_BPF", g::CAP_BPF),
    ("CAP_CHECKPOINT_RESTORE", g::CAP_CHECKPOINT_RESTORE),
];

/// The highest capability number husk knows (`CAP_LAST_CAP` of its headers).
pub const CAP_LAST: u32 = g::CAP_CHECKPOINT_RESTORE;

/// `CAP_SYS_ADMIN` -> 21. Names are matched exactly, as runc does.
pub fn by_name(name: &str) -> Option<u32> {
    CAPS.iter().find(|(n, _)| *n == name).map(|&(_, v)| v)
}

/// 21 -> `CAP_SYS_ADMIN`.
pub fn name(cap: u32) -> Option<&'static str> {
    CAPS.iter().find(|&&(_, v)| v == cap).map(|&(n, _)| n)
}

/// The five sets of `process.capabilities` as masks for a kernel whose highest capability
/// is `last`; caps the config lists above `last` are in `unavailable` instead (runc ignores
/// them with a warning).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CapPlan {
    pub bounding: u64,
    pub effective: u64,
    pub permitted: u64,
    pub inheritable: u64,
    pub ambient: u64,
    pub unavailable: u64,
    pub last: u32,
}

/// Every capability number 0..=last as a mask.
pub fn all_caps(last: u32) -> u64 {
    if last >= 63 {
        u64::MAX
    } else {
        (1u64 << (last + 1)) - 1
    }
}

fn mask(set: &List<'_, Str<'_>>, path: &'static str, last: u32, plan: &mut CapPlan) -> Result<u64> {
    let mut m = 0u64;
    for (i, c) in set.iter().enumerate() {
        let c = c?;
        let n = c.as_plain().and_then(by_name).ok_or_else(|| {
            Error::spec(path, "unknown capability")
                .at(i)
                .value(c.raw().as_bytes())
        })?;
        if n > last || n > 63 {
            plan.unavailable |= 1u64 << n.min(63);
        } else {
            m |= 1u64 << n;
        }
    }
    Ok(m)
}

/// Compute the sets; an absent `process.capabilities` means every set empty (as runc).
pub fn plan(c: Option<&Capabilities<'_>>, last: u32) -> Result<CapPlan> {
    let mut p = CapPlan {
        last,
        ..CapPlan::default()
    };
    if let Some(c) = c {
        p.bounding = mask(&c.bounding, "process.capabilities.bounding[]", last, &mut p)?;
        p.effective = mask(
            &c.effective,
            "process.capabilities.effective[]",
            last,
            &mut p,
        )?;
        p.permitted = mask(
            &c.permitted,
            "process.capabilities.permitted[]",
            last,
            &mut p,
        )?;
        p.inheritable = mask(
            &c.inheritable,
            "process.capabilities.inheritable[]",
            last,
            &mut p,
        )?;
        p.ambient = mask(&c.ambient, "process.capabilities.ambient[]", last, &mut p)?;
    }
    Ok(p)
}

impl CapPlan {
    /// Capabilities to remove from the bounding set: every one the kernel knows and the
    /// config does not list.
    pub fn to_drop(&self) -> u64 {
        all_caps(self.last) & !self.bounding
    }

    /// What capset must install.
    pub fn sets(&self) -> CapSets {
        CapSets {
            effective: self.effective,
            permitted: self.permitted,
            inheritable: self.inheritable,
        }
    }

    /// Warn once about listed capabilities the running kernel does not know.
    pub fn warn_unavailable(&self) {
        if self.unavailable == 0 {
            return;
        }
        for n in 0..64u32 {
            if self.unavailable & (1u64 << n) != 0 {
                crate::warn!(
                    "ignoring capability {} unknown to the running kernel (last is {})",
                    name(n).unwrap_or("?"),
                    self.last
                );
            }
        }
    }
}

/// The highest capability the running kernel knows, probed with PR_CAPBSET_READ (which
/// answers EINVAL above it), so it works before /proc is mounted; the same number as
/// /proc/sys/kernel/cap_last_cap.
pub fn last_cap() -> u32 {
    (0..64u32)
        .rev()
        .find(|&n| sp::prctl(pr::PR_CAPBSET_READ, n as usize, 0, 0, 0) != Err(Errno::INVAL))
        .unwrap_or(CAP_LAST)
}

fn cap_err(call: &'static str, e: Errno, cap: u32) -> Error {
    Error::sys(call, e).path(name(cap).unwrap_or("?").as_bytes())
}

/// Remove from the bounding set every capability `plan` does not keep. Needs CAP_SETPCAP in
/// the effective set, so it runs before the uid changes.
pub fn drop_bounding(plan: &CapPlan) -> Result<()> {
    let drop = plan.to_drop();
    for n in 0..=plan.last.min(63) {
        if drop & (1u64 << n) == 0 {
            continue;
        }
        match sp::prctl(pr::PR_CAPBSET_READ, n as usize, 0, 0, 0) {
            Ok(0) => continue,
            Ok(_) => {}
            Err(e) => return Err(cap_err("prctl PR_CAPBSET_READ", e, n)),
        }
        sp::prctl(pr::PR_CAPBSET_DROP, n as usize, 0, 0, 0)
            .map_err(|e| cap_err("prctl PR_CAPBSET_DROP", e, n))?;
    }
    Ok(())
}

/// capset the effective, permitted and inheritable sets exactly as planned, then the
/// ambient set: cleared, then each listed capability raised (never one the config does not
/// list: CVE-2022-29162). EINVAL from the ambient calls (kernels before 4.3) is ignored with a
/// warning, as runc does.
pub fn apply_sets(plan: &CapPlan) -> Result<()> {
    sp::capset(plan.sets()).map_err(|e| Error::sys("capset", e))?;
    let amb = |op: u32, n: u32| sp::prctl(pr::PR_CAP_AMBIENT, op as usize, n as usize, 0, 0);
    match amb(pr::PR_CAP_AMBIENT_CLEAR_ALL, 0) {
        Ok(_) => {}
        Err(Errno::INVAL) => {
            if plan.ambient != 0 {
                crate::warn!("ambient capabilities are not supported by this kernel");
            }
            return Ok(());
        }
        Err(e) => return Err(Error::sys("prctl PR_CAP_AMBIENT_CLEAR_ALL", e)),
    }
    for n in 0..=plan.last.min(63) {
        if plan.ambient & (1u64 << n) != 0 {
            match amb(pr::PR_CAP_AMBIENT_RAISE, n) {
                Ok(_) | Err(Errno::INVAL) => {}
                Err(e) => return Err(cap_err("prctl PR_CAP_AMBIENT_RAISE", e, n)),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_dense_and_ordered() {
        for (i, &(n, v)) in CAPS.iter().enumerate() {
            assert_eq!(v as usize, i, "{n}");
            assert_eq!(by_name(n), Some(v));
            assert_eq!(name(v), Some(n));
        }
        assert_eq!(CAPS.len() as u32, CAP_LAST + 1);
        assert_eq!(by_name("CAP_SYS_ADMIN"), Some(21));
        assert_eq!(by_name("cap_sys_admin"), None);
    }
}

#[cfg(test)]
mod plan_tests {
    use super::*;
    extern crate std;

    fn caps_of(json: &str) -> CapPlan {
        let mut buf = std::format!(
            r#"{{"ociVersion":"1.0.2","process":{{"cwd":"/","args":["sh"],"capabilities":{json}}}}}"#
        )
        .into_bytes();
        let spec = crate::spec::parse(&mut buf).unwrap();
        let p = spec.process.as_ref().unwrap();
        plan(p.capabilities.as_ref(), 40).unwrap()
    }

    #[test]
    fn plan_masks_and_drop_set() {
        let p = caps_of(
            r#"{"bounding":["CAP_CHOWN","CAP_KILL"],"effective":["CAP_KILL"],
               "permitted":["CAP_KILL","CAP_CHOWN"],"inheritable":[],"ambient":["CAP_KILL"]}"#,
        );
        assert_eq!(p.bounding, 1 << 0 | 1 << 5);
        assert_eq!(p.effective, 1 << 5);
        assert_eq!(p.permitted, 1 << 5 | 1);
        assert_eq!(p.inheritable, 0);
        assert_eq!(p.ambient, 1 << 5);
        assert_eq!(p.to_drop(), all_caps(40) & !(1 << 0 | 1 << 5));
        assert_eq!(p.unavailable, 0);
    }

    #[test]
    fn caps_above_the_kernel_are_set_aside() {
        let mut buf = br#"{"ociVersion":"1.0.2","process":{"cwd":"/","args":["sh"],
            "capabilities":{"bounding":["CAP_BPF","CAP_CHOWN","CAP_CHECKPOINT_RESTORE"],
            "effective":["CAP_PERFMON"]}}}"#
            .to_vec();
        let spec = crate::spec::parse(&mut buf).unwrap();
        let c = spec.process.as_ref().unwrap().capabilities.as_ref();
        // A 5.4 kernel: CAP_AUDIT_READ (37) is the last.
        let p = plan(c, 37).unwrap();
        assert_eq!(p.bounding, 1);
        assert_eq!(p.effective, 0);
        assert_eq!(p.unavailable, 1 << 38 | 1 << 39 | 1 << 40);
        assert_eq!(p.to_drop(), all_caps(37) & !1);
        assert_eq!(all_caps(63), u64::MAX);
        assert_eq!(all_caps(0), 1);
    }

    #[test]
    fn absent_capabilities_mean_none() {
        let p = plan(None, 40).unwrap();
        assert_eq!(p.sets(), CapSets::default());
        assert_eq!(p.to_drop(), all_caps(40));
    }

    #[test]
    fn kernel_last_cap_matches_proc() {
        let s = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap").unwrap();
        assert_eq!(last_cap(), s.trim().parse::<u32>().unwrap());
    }
}
