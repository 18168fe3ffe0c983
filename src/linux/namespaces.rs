//! `linux.namespaces[].type` names, their `CLONE_NEW*` flags and their `/proc/self/ns` names.

use linux_raw_sys::general as g;

/// One namespace type: config.json name, clone flag, entry under `/proc/<pid>/ns/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ns {
    pub name: &'static str,
    pub flag: u32,
    pub proc_name: &'static str,
}

/// Every namespace type of runtime-spec v1.3, in the order runc joins them (user first).
pub const NAMESPACES: &[Ns] = &[
    Ns {
        name: "user",
        flag: g::CLONE_NEWUSER,
        proc_name: "user",
    },
    Ns {
        name: "pid",
        flag: g::CLONE_NEWPID,
        proc_name: "pid",
    },
    Ns {
        name: "network",
        flag: g::CLONE_NEWNET,
        proc_name: "net",
    },
    Ns {
        name: "ipc",
        flag: g::CLONE_NEWIPC,
        proc_name: "ipc",
    },
    Ns {
        name: "uts",
        flag: g::CLONE_NEWUTS,
        proc_name: "uts",
    },
    Ns {
        name: "mount",
        flag: g::CLONE_NEWNS,
        proc_name: "mnt",
    },
    Ns {
        name: "cgroup",
        flag: g::CLONE_NEWCGROUP,
        proc_name: "cgroup",
    },
    Ns {
        name: "time",
        flag: g::CLONE_NEWTIME,
        proc_name: "time",
    },
];

/// `network` -> its entry.
pub fn by_name(name: &str) -> Option<&'static Ns> {
    NAMESPACES.iter().find(|n| n.name == name)
}

/// `CLONE_NEWNET` -> its entry.
pub fn by_flag(flag: u32) -> Option<&'static Ns> {
    NAMESPACES.iter().find(|n| n.flag == flag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        assert_eq!(by_name("network").map(|n| n.proc_name), Some("net"));
        assert_eq!(by_name("mount").map(|n| n.flag), Some(0x20000));
        assert_eq!(by_flag(g::CLONE_NEWTIME).map(|n| n.name), Some("time"));
        assert!(by_name("net").is_none());
        let mut all = 0;
        for n in NAMESPACES {
            assert_eq!(all & n.flag, 0);
            all |= n.flag;
        }
    }
}
