//! `process.rlimits[].type` names (`RLIMIT_NOFILE`) and the resource numbers of prlimit(2).

use linux_raw_sys::general as g;

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
