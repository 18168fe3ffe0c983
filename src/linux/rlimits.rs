//! `process.rlimits[].type` names (`RLIMIT_NOFILE`) and the resource numbers of prlimit(2),
//! and the limits applied: run by the container process after pivot_root, before it drops
//! privileges (raising a hard limit needs CAP_SYS_RESOURCE), from
//! [`crate::linux::process::apply_attrs`].
//!
//! Reference: prlimit(2), getrlimit(2).

use crate::spec::process::Rlimit;
use crate::spec::List;
use crate::{Error, Result};
use linux_raw_sys::general as g;

/// `RLIM_INFINITY` of prlimit64.
pub const INFINITY: u64 = u64::MAX;

/// Every resource limit of the generic Linux numbering (the same on x86_64, aarch64, arm).
pub const RLIMITS: &[(&str, u32)] = &[
    ("RLIMIT_CPU", g::RLIMIT_CPU),
    ("RLIMIT_FSIZE", g::RLIMIT_FSIZE),
    ("RLIMIT_DATA", g::RLIMIT_DATA),
    ("RLIMIT_STACK", g::RLIMIT_STACK),
    ("RLIMIT_CORE", g::RLIMIT_CORE),
    ("RLIMIT_RSS", g::RLIMIT_RSS),
    ("RLIMIT_NPROC", g::RLIMIT_NPROC),
    ("RLIMIT_NOFILE", g::RLIMIT_NOFILE),
    ("RLIMIT_MEMLOCK", g::RLIMIT_MEMLOCK),
    ("RLIMIT_AS", g::RLIMIT_AS),
    ("RLIMIT_LOCKS", g::RLIMIT_LOCKS),
    ("RLIMIT_SIGPENDING", g::RLIMIT_SIGPENDING),
    ("RLIMIT_MSGQUEUE", g::RLIMIT_MSGQUEUE),
    ("RLIMIT_NICE", g::RLIMIT_NICE),
    ("RLIMIT_RTPRIO", g::RLIMIT_RTPRIO),
    ("RLIMIT_RTTIME", g::RLIMIT_RTTIME),
];

/// `RLIMIT_NOFILE` -> 7.
pub fn by_name(name: &str) -> Option<u32> {
    RLIMITS.iter().find(|(n, _)| *n == name).map(|&(_, v)| v)
}

/// 7 -> `RLIMIT_NOFILE`.
pub fn name(res: u32) -> Option<&'static str> {
    RLIMITS.iter().find(|&&(_, v)| v == res).map(|&(n, _)| n)
}

/// (resource number, soft, hard) of `process.rlimits[i]`.
pub fn mapping(r: &Rlimit<'_>, i: usize) -> Result<(u32, u64, u64)> {
    let n = r.typ.as_plain().and_then(by_name).ok_or_else(|| {
        Error::spec("process.rlimits[].type", "unknown resource limit")
            .at(i)
            .value(r.typ.raw().as_bytes())
    })?;
    if r.soft > r.hard {
        return Err(
            Error::spec("process.rlimits[]", "soft limit above hard limit")
                .at(i)
                .value(r.typ.raw().as_bytes()),
        );
    }
    Ok((n, r.soft, r.hard))
}

/// Set every limit of `process.rlimits` on the calling process, in order.
pub fn apply(list: &List<'_, Rlimit<'_>>) -> Result<()> {
    for (i, r) in list.iter().enumerate() {
        let (n, soft, hard) = mapping(&r?, i)?;
        crate::sys::attrs::setrlimit(n, soft, hard)
            .map_err(|e| Error::sys("setrlimit", e).path(name(n).unwrap_or("?").as_bytes()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_round_trips() {
        for (i, &(n, v)) in RLIMITS.iter().enumerate() {
            assert_eq!(v as usize, i);
            assert_eq!(by_name(n), Some(v));
            assert_eq!(name(v), Some(n));
        }
        assert_eq!(by_name("RLIMIT_NOFILE"), Some(7));
        assert_eq!(by_name("NOFILE"), None);
    }
}

#[cfg(test)]
mod apply_tests {
    use super::*;
    extern crate std;

    #[test]
    fn maps_entries_and_rejects_inverted() {
        let mut buf = br#"{"ociVersion":"1.0.2","process":{"cwd":"/","args":["sh"],"rlimits":[
            {"type":"RLIMIT_NOFILE","soft":1024,"hard":4096},
            {"type":"RLIMIT_CORE","soft":18446744073709551615,"hard":18446744073709551615},
            {"type":"RLIMIT_NPROC","soft":10,"hard":5}]}}"#
            .to_vec();
        let spec = crate::spec::parse(&mut buf).unwrap();
        let l = spec.process.as_ref().unwrap().rlimits;
        let got: std::vec::Vec<_> = l
            .iter()
            .enumerate()
            .map(|(i, r)| mapping(&r.unwrap(), i))
            .collect();
        assert_eq!(got[0].unwrap(), (7, 1024, 4096));
        assert_eq!(got[1].unwrap(), (4, INFINITY, INFINITY));
        let e = got[2].unwrap_err();
        assert_eq!(
            std::format!("{e}"),
            "process.rlimits[2]: soft limit above hard limit \"RLIMIT_NPROC\""
        );
    }
}
