//! `process.scheduler`, `process.ioPriority`, `process.execCPUAffinity` and
//! `linux.personality`: run by the container process (or an exec'd one) after pivot_root,
//! before it drops privileges, from [`crate::linux::process::apply_attrs`]; the final CPU
//! affinity right before execve, from [`crate::linux::process::exec`].
//!
//! References: sched_setattr(2), ioprio_set(2), sched_setaffinity(2), personality(2).

use crate::spec::linux::Personality;
use crate::spec::process::{IoPriority, Scheduler};
use crate::spec::Str;
use crate::sys::attrs::{self as sp, SchedAttr};
use crate::{Error, Result};

const POLICIES: &[(&str, u32)] = &[
    ("SCHED_OTHER", 0),
    ("SCHED_FIFO", 1),
    ("SCHED_RR", 2),
    ("SCHED_BATCH", 3),
    ("SCHED_ISO", 4),
    ("SCHED_IDLE", 5),
    ("SCHED_DEADLINE", 6),
];

const FLAGS: &[(&str, u64)] = &[
    ("SCHED_FLAG_RESET_ON_FORK", 0x01),
    ("SCHED_FLAG_RECLAIM", 0x02),
    ("SCHED_FLAG_DL_OVERRUN", 0x04),
    ("SCHED_FLAG_KEEP_POLICY", 0x08),
    ("SCHED_FLAG_KEEP_PARAMS", 0x10),
    ("SCHED_FLAG_UTIL_CLAMP_MIN", 0x20),
    ("SCHED_FLAG_UTIL_CLAMP_MAX", 0x40),
];

const IOPRIO_CLASSES: &[(&str, u32)] = &[
    ("IOPRIO_CLASS_RT", 1),
    ("IOPRIO_CLASS_BE", 2),
    ("IOPRIO_CLASS_IDLE", 3),
];

fn lookup<T: Copy>(table: &[(&str, T)], s: Str<'_>, e: Error) -> Result<T> {
    table
        .iter()
        .find(|(n, _)| s.eq_str(n))
        .map(|&(_, v)| v)
        .ok_or_else(|| e.value(s.raw().as_bytes()))
}

/// The sched_attr `process.scheduler` asks for.
pub fn sched_attr(s: &Scheduler<'_>) -> Result<SchedAttr> {
    let policy = lookup(
        POLICIES,
        s.policy,
        Error::spec("process.scheduler.policy", "unknown scheduling policy"),
    )?;
    let mut flags = 0;
    for (i, f) in s.flags.iter().enumerate() {
        flags |= lookup(
            FLAGS,
            *f,
            Error::spec("process.scheduler.flags[]", "unknown scheduler flag").at(i),
        )?;
    }
    let priority = u32::try_from(s.priority.unwrap_or(0))
        .map_err(|_| Error::spec("process.scheduler.priority", "must not be negative"))?;
    Ok(SchedAttr {
        size: 0,
        policy,
        flags,
        nice: s.nice.unwrap_or(0),
        priority,
        runtime: s.runtime.unwrap_or(0),
        deadline: s.deadline.unwrap_or(0),
        period: s.period.unwrap_or(0),
    })
}

/// sched_setattr(2) for the calling process.
pub fn set_scheduler(s: &Scheduler<'_>) -> Result<()> {
    sp::sched_setattr(&sched_attr(s)?).map_err(|e| Error::sys("sched_setattr", e))
}

/// The ioprio value of `process.ioPriority`: class << 13 | priority.
pub fn ioprio(io: &IoPriority<'_>) -> Result<u32> {
    let class = lookup(
        IOPRIO_CLASSES,
        io.class,
        Error::spec("process.ioPriority.class", "unknown I/O priority class"),
    )?;
    let prio = io.priority.unwrap_or(0);
    if !(0..=7).contains(&prio) {
        return Err(Error::spec(
            "process.ioPriority.priority",
            "must be between 0 and 7",
        ));
    }
    Ok(class << 13 | prio as u32)
}

/// ioprio_set(2) for the calling process.
pub fn set_io_priority(io: &IoPriority<'_>) -> Result<()> {
    sp::ioprio_set(ioprio(io)?).map_err(|e| Error::sys("ioprio_set", e))
}

/// The most CPUs a list may name (CPU_SETSIZE of sched_setaffinity).
pub const CPUS_MAX: usize = 1024;

/// A set of CPU numbers below [`CPUS_MAX`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CpuMask(pub [u64; CPUS_MAX / 64]);

impl CpuMask {
    pub fn contains(&self, cpu: usize) -> bool {
        cpu < CPUS_MAX && self.0[cpu / 64] & (1 << (cpu % 64)) != 0
    }
}

/// Parse a cpu list such as `0-3,7` (spaces around items allowed, as runc trims them).
/// `what` names the field in errors.
pub fn parse_cpus(s: Str<'_>, what: &'static str) -> Result<CpuMask> {
    let bad = |msg| Error::spec(what, msg).value(s.raw().as_bytes());
    let mut m = CpuMask([0; CPUS_MAX / 64]);
    let mut bytes = s.bytes().peekable();
    loop {
        // One item: N or N-M.
        let num = |bytes: &mut core::iter::Peekable<_>| -> Result<usize> {
            while bytes.next_if_eq(&b' ').is_some() {}
            let mut v: usize = 0;
            let mut digits = 0;
            while let Some(d) = bytes.next_if(u8::is_ascii_digit) {
                v = v * 10 + (d - b'0') as usize;
                digits += 1;
                if v >= CPUS_MAX {
                    return Err(bad("CPU number above 1023"));
                }
            }
            while bytes.next_if_eq(&b' ').is_some() {}
            if digits == 0 {
                return Err(bad("invalid CPU list"));
            }
            Ok(v)
        };
        let lo = num(&mut bytes)?;
        let hi = if bytes.next_if_eq(&b'-').is_some() {
            num(&mut bytes)?
        } else {
            lo
        };
        if hi < lo {
            return Err(bad("invalid CPU range"));
        }
        for c in lo..=hi {
            m.0[c / 64] |= 1 << (c % 64);
        }
        match bytes.next() {
            None => break,
            Some(b',') => continue,
            Some(_) => return Err(bad("invalid CPU list")),
        }
    }
    Ok(m)
}

/// sched_setaffinity(0, cpus) from a cpu-list field.
pub fn set_affinity(s: Str<'_>, what: &'static str) -> Result<()> {
    let m = parse_cpus(s, what)?;
    let mut set = rustix::thread::CpuSet::new();
    for c in (0..CPUS_MAX.min(rustix::thread::CpuSet::MAX_CPU)).filter(|&c| m.contains(c)) {
        set.set(c);
    }
    rustix::thread::sched_setaffinity(None, &set)
        .map_err(|e| Error::sys("sched_setaffinity", e).path(s.raw().as_bytes()))
}

/// personality(2) for `linux.personality.domain` (`LINUX` or `LINUX32`). Its `flags` have
/// no defined names in the runtime-spec and are ignored with a warning, as runc does.
pub fn set_personality(p: &Personality<'_>) -> Result<()> {
    const PER_LINUX: u32 = 0x0000;
    const PER_LINUX32: u32 = 0x0008;
    let persona = lookup(
        &[("LINUX", PER_LINUX), ("LINUX32", PER_LINUX32)],
        p.domain,
        Error::spec("linux.personality.domain", "must be LINUX or LINUX32"),
    )?;
    if !p.flags.is_empty() {
        crate::warn!("linux.personality.flags are ignored");
    }
    sp::personality(persona)
        .map(drop)
        .map_err(|e| Error::sys("personality", e).path(p.domain.raw().as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::format;

    fn cpus(s: &str) -> Result<std::vec::Vec<usize>> {
        let m = parse_cpus(Str::from_raw(s), "process.execCPUAffinity.initial")?;
        Ok((0..CPUS_MAX).filter(|&c| m.contains(c)).collect())
    }

    #[test]
    fn cpu_lists() {
        assert_eq!(cpus("0-3,7").unwrap(), [0, 1, 2, 3, 7]);
        assert_eq!(cpus(" 1 , 5 - 6 ").unwrap(), [1, 5, 6]);
        assert_eq!(cpus("1023").unwrap(), [1023]);
        for (s, msg) in [
            ("", "invalid CPU list"),
            ("1,", "invalid CPU list"),
            ("a", "invalid CPU list"),
            ("3-1", "invalid CPU range"),
            ("1024", "CPU number above 1023"),
            ("99999999999999999999999", "CPU number above 1023"),
            ("1;2", "invalid CPU list"),
        ] {
            let e = cpus(s).unwrap_err();
            let want = if s.is_empty() {
                format!("process.execCPUAffinity.initial: {msg}")
            } else {
                format!("process.execCPUAffinity.initial: {msg} \"{s}\"")
            };
            assert_eq!(format!("{e}"), want);
        }
    }

    fn process(json: &str) -> std::vec::Vec<u8> {
        format!(r#"{{"ociVersion":"1.0.2","process":{{"cwd":"/","args":["sh"],{json}}}}}"#)
            .into_bytes()
    }

    #[test]
    fn scheduler_and_ioprio() {
        let mut buf = process(
            r#""scheduler":{"policy":"SCHED_DEADLINE","flags":["SCHED_FLAG_RESET_ON_FORK","SCHED_FLAG_RECLAIM"],
                "runtime":10,"deadline":20,"period":30},
               "ioPriority":{"class":"IOPRIO_CLASS_IDLE","priority":7}"#,
        );
        let spec = crate::spec::parse(&mut buf).unwrap();
        let p = spec.process.as_ref().unwrap();
        let a = sched_attr(p.scheduler.as_ref().unwrap()).unwrap();
        assert_eq!((a.policy, a.flags), (6, 3));
        assert_eq!((a.runtime, a.deadline, a.period), (10, 20, 30));
        assert_eq!(
            ioprio(p.io_priority.as_ref().unwrap()).unwrap(),
            3 << 13 | 7
        );
    }
}
