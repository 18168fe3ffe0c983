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

/// setns(2) into the namespace `fd` (opened from `linux.namespaces[].path`), checking it is
/// of the expected type. Runs in the runtime (pid, time: they apply to children only) or in
/// the container process (the others, user first).
pub fn join(fd: &impl rustix::fd::AsFd, kind: &Ns) -> crate::Result<()> {
    use rustix::thread::{move_into_link_name_space, LinkNameSpaceType as T};
    let t = match kind.flag {
        g::CLONE_NEWUSER => T::User,
        g::CLONE_NEWPID => T::ProcessID,
        g::CLONE_NEWNET => T::Network,
        g::CLONE_NEWIPC => T::InterProcessCommunication,
        g::CLONE_NEWUTS => T::HostNameAndNISDomainName,
        g::CLONE_NEWNS => T::Mount,
        g::CLONE_NEWCGROUP => T::ControlGroup,
        _ => T::Time,
    };
    move_into_link_name_space(fd.as_fd(), Some(t))
        .map_err(|e| crate::Error::sys("setns", e).value(kind.name.as_bytes()))
}

/// Write `/proc/PID/uid_map` and `gid_map` of a container process that has a new user
/// namespace, from `linux.uidMappings`/`gidMappings`. Runs in the runtime, before the
/// container process goes on (it waits for the Go message).
pub fn write_id_maps(pid: rustix::process::Pid, spec: &crate::spec::Spec<'_>) -> crate::Result<()> {
    use core::fmt::Write;
    let Some(linux) = &spec.linux else {
        return Ok(());
    };
    for (file, list, what) in [
        ("uid_map", &linux.uid_mappings, "linux.uidMappings"),
        ("gid_map", &linux.gid_mappings, "linux.gidMappings"),
    ] {
        if list.is_empty() {
            continue;
        }
        // The kernel takes the whole map in one write of at most one page.
        let mut text = crate::out::Buf::<4096>::new();
        for m in list.iter() {
            let m = m?;
            let _ = writeln!(text, "{} {} {}", m.container_id, m.host_id, m.size);
        }
        if text.truncated() {
            return Err(crate::Error::capacity(
                what,
                list.len() as u64,
                4096,
                "bytes of map text",
            ));
        }
        let mut path = crate::out::Buf::<64>::new();
        let _ = write!(path, "/proc/{}/{file}", pid.as_raw_nonzero().get());
        let p = crate::cpath::CPath::from(path.as_bytes(), what)?;
        let f = rustix::fs::open(
            p.as_cstr(),
            rustix::fs::OFlags::WRONLY | rustix::fs::OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        )
        .map_err(|e| crate::Error::sys("open", e).path(path.as_bytes()))?;
        crate::out::write_all(&f, text.as_bytes())
            .map_err(|e| crate::Error::sys("write", e).path(path.as_bytes()))?;
    }
    Ok(())
}

/// A new time namespace for the process's future (execve and children), with
/// `linux.timeOffsets` written to `/proc/self/timens_offsets` before anything enters it.
/// Runs in the container process while /proc is still the runtime's; execve moves the
/// process into the namespace (Linux >= 5.11; on older kernels only its children are in it).
pub fn new_time_ns(spec: &crate::spec::Spec<'_>) -> crate::Result<()> {
    use core::fmt::Write;
    crate::sys::process::unshare(g::CLONE_NEWTIME)
        .map_err(|e| crate::Error::sys("unshare CLONE_NEWTIME", e))?;
    let Some(linux) = &spec.linux else {
        return Ok(());
    };
    if linux.time_offsets.is_empty() {
        return Ok(());
    }
    let mut text = crate::out::Buf::<128>::new();
    for entry in linux.time_offsets.iter() {
        let (clock, off) = entry?;
        // The validator allows only these two keys.
        let name = if clock.eq_str("monotonic") {
            "monotonic"
        } else {
            "boottime"
        };
        let _ = writeln!(
            text,
            "{name} {} {}",
            off.secs.unwrap_or(0),
            off.nanosecs.unwrap_or(0)
        );
    }
    let f = rustix::fs::open(
        c"/proc/self/timens_offsets",
        rustix::fs::OFlags::WRONLY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .map_err(|e| crate::Error::sys("open", e).path(b"/proc/self/timens_offsets"))?;
    crate::out::write_all(&f, text.as_bytes())
        .map_err(|e| crate::Error::sys("write timens_offsets", e).value(text.as_bytes()))
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
