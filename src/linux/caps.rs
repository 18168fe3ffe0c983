//! Capability names as config.json spells them (`CAP_CHOWN`) and their kernel numbers.

use linux_raw_sys::general as g;

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
