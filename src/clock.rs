//! Wall-clock time as RFC 3339 (`2026-11-29T17:00:00.123456789Z`), for log lines and the
//! `created` field of the state, without a libc or time zone database (always UTC); and
//! time since boot as the kernel's log prefix (`[   12.345678]`), for PID 1's log files.

use core::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rfc3339 {
    pub secs: i64,
    pub nanos: u32,
}

impl Rfc3339 {
    pub fn now() -> Rfc3339 {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::Realtime);
        Rfc3339 {
            secs: t.tv_sec,
            nanos: t.tv_nsec as u32,
        }
    }
}

/// CLOCK_MONOTONIC as the kernel prints its own lines' time (`[   12.345678]`: seconds
/// right-aligned in 5 columns, microseconds). PID 1's log files use it rather than the
/// wall clock: an appliance often boots with no battery-backed clock and sets the time
/// late (NTP) or never, so wall-clock stamps would jump or read 1970, while this clock
/// starts with the kernel, never jumps, and lines up with `dmesg` (printk's clock does not
/// count suspended time either).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Uptime {
    pub secs: u64,
    pub micros: u32,
}

impl Uptime {
    pub fn now() -> Uptime {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
        Uptime {
            secs: t.tv_sec as u64,
            micros: (t.tv_nsec / 1000) as u32,
        }
    }
}

impl fmt::Display for Uptime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{:5}.{:06}]", self.secs, self.micros)
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (Howard Hinnant's
/// civil_from_days).
pub fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.secs.div_euclid(86_400);
        let s = self.secs.rem_euclid(86_400);
        let (y, mo, d) = civil(days);
        write!(
            f,
            "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}",
            s / 3600,
            s / 60 % 60,
            s % 60
        )?;
        if self.nanos != 0 {
            write!(f, ".{:09}", self.nanos)?;
        }
        f.write_str("Z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::format;

    #[test]
    fn uptime_as_the_kernel_prints_it() {
        let u = |secs, micros| format!("{}", Uptime { secs, micros });
        assert_eq!(u(0, 0), "[    0.000000]");
        assert_eq!(u(12, 345_678), "[   12.345678]");
        assert_eq!(u(99_999, 999_999), "[99999.999999]");
        // a machine up for more than 27 hours: the field widens, as the kernel's does
        assert_eq!(u(123_456, 1), "[123456.000001]");
        let now = format!("{}", Uptime::now());
        assert!(
            now.starts_with('[') && now.ends_with(']') && now.len() >= 14,
            "{now}"
        );
    }

    #[test]
    fn formats_known_instants() {
        assert_eq!(
            format!("{}", Rfc3339 { secs: 0, nanos: 0 }),
            "1970-01-01T00:00:00Z"
        );
        assert_eq!(
            format!(
                "{}",
                Rfc3339 {
                    secs: 951_782_400,
                    nanos: 5
                }
            ),
            "2000-02-29T00:00:00.000000005Z"
        );
        assert_eq!(
            format!(
                "{}",
                Rfc3339 {
                    secs: 1_795_971_600,
                    nanos: 0
                }
            ),
            "2026-11-29T17:00:00Z"
        );
    }
}
