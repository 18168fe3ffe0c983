//! Per-bundle policy, read from config.json `annotations` (no file format of husk's own):
//! every key in the `org.husk.` namespace, checked strictly (an unknown `org.husk.` key is
//! an error, to catch typos); other annotations belong to others and are ignored.
//!
//! | key | values | default |
//! |---|---|---|
//! | `org.husk.stage` | `onboot` (run to completion, in name order, before services) or `service` | `service` |
//! | `org.husk.required` | `true`/`false`: if it fails for good, the boot stops and the machine shuts down | `false` |
//! | `org.husk.restart` | `no`, `on-failure` (exit status not 0, killed, or its create or start failed), `always` (services only) | `no` |
//! | `org.husk.restart-max` | consecutive restarts before giving up, or `unlimited` | `5` |
//! | `org.husk.restart-delay` | first back-off delay (doubles each restart) | `100ms` |
//! | `org.husk.restart-delay-max` | longest back-off delay | `30s` |
//! | `org.husk.depends-on` | comma-separated service names started before this one, stopped after it | none |
//! | `org.husk.stop-signal` | signal name or number sent first at shutdown | `SIGTERM` |
//! | `org.husk.stop-timeout` | time between the stop signal and SIGKILL | init.json `stop_timeout`, else `10s` |
//! | `org.husk.stdio` | `log` (stdin /dev/null; stdout and stderr to the console with a `[name]` prefix and to the log file) or `console` (all three the console itself, unprefixed: a shell) | `log` |
//!
//! Durations are a number and a unit: `ms`, `s`, `m` or `h` (`500ms`, `10s`).
//!
//! Back-off as Docker does it: a run that lasted at least [`RUN_RESETS_BACKOFF_MS`] resets
//! the delay and the count of consecutive restarts.

use super::limits::{DEPENDS_MAX, NAME_MAX};
use crate::{Error, Result};

/// A bundle name (its directory's name, also its container id).
pub type Name = heapless::String<NAME_MAX>;

/// A run at least this long counts as a success for the back-off: the next restart starts
/// again from the first delay, and the consecutive count from zero.
pub const RUN_RESETS_BACKOFF_MS: u64 = 10_000;

/// When a bundle runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Onboot,
    Service,
}

/// When a service that ended is started again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Restart {
    No,
    OnFailure,
    Always,
}

/// Where a container's stdin, stdout and stderr go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stdio {
    Log,
    Console,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub stage: Stage,
    pub required: bool,
    pub restart: Restart,
    /// None: unlimited.
    pub restart_max: Option<u32>,
    pub restart_delay_ms: u32,
    pub restart_delay_max_ms: u32,
    pub depends_on: heapless::Vec<Name, DEPENDS_MAX>,
    pub stop_signal: i32,
    pub stop_timeout_ms: u32,
    pub stdio: Stdio,
}

/// The annotation keys, with the error context each one's mistakes are reported under.
const KEYS: &[(&str, &str)] = &[
    ("org.husk.stage", "annotations[\"org.husk.stage\"]"),
    ("org.husk.required", "annotations[\"org.husk.required\"]"),
    ("org.husk.restart", "annotations[\"org.husk.restart\"]"),
    (
        "org.husk.restart-max",
        "annotations[\"org.husk.restart-max\"]",
    ),
    (
        "org.husk.restart-delay",
        "annotations[\"org.husk.restart-delay\"]",
    ),
    (
        "org.husk.restart-delay-max",
        "annotations[\"org.husk.restart-delay-max\"]",
    ),
    (
        "org.husk.depends-on",
        "annotations[\"org.husk.depends-on\"]",
    ),
    (
        "org.husk.stop-signal",
        "annotations[\"org.husk.stop-signal\"]",
    ),
    (
        "org.husk.stop-timeout",
        "annotations[\"org.husk.stop-timeout\"]",
    ),
    ("org.husk.stdio", "annotations[\"org.husk.stdio\"]"),
];

/// The namespace husk reads.
pub const PREFIX: &str = "org.husk.";

impl Policy {
    /// The defaults; `stop_timeout_ms` comes from init.json.
    pub fn new(stop_timeout_ms: u32) -> Policy {
        Policy {
            stage: Stage::Service,
            required: false,
            restart: Restart::No,
            restart_max: Some(5),
            restart_delay_ms: 100,
            restart_delay_max_ms: 30_000,
            depends_on: heapless::Vec::new(),
            stop_signal: 15,
            stop_timeout_ms,
            stdio: Stdio::Log,
        }
    }

    /// Apply one `org.husk.*` annotation (`key` with its prefix).
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let Some(&(k, ctx)) = KEYS.iter().find(|(k, _)| *k == key) else {
            return Err(
                Error::spec("annotations", "unknown husk annotation (see README)")
                    .value(key.as_bytes()),
            );
        };
        let bad = |msg| Error::spec(ctx, msg).value(value.as_bytes());
        match k {
            "org.husk.stage" => {
                self.stage = match value {
                    "onboot" => Stage::Onboot,
                    "service" => Stage::Service,
                    _ => return Err(bad("must be onboot or service")),
                }
            }
            "org.husk.required" => {
                self.required = boolean(value).ok_or(bad("must be true or false"))?
            }
            "org.husk.restart" => {
                self.restart = match value {
                    "no" => Restart::No,
                    "on-failure" => Restart::OnFailure,
                    "always" => Restart::Always,
                    _ => return Err(bad("must be no, on-failure or always")),
                }
            }
            "org.husk.restart-max" => {
                self.restart_max = match value {
                    "unlimited" => None,
                    v => Some(
                        number(v)
                            .and_then(|n| u32::try_from(n).ok())
                            .ok_or(bad("must be a number or unlimited"))?,
                    ),
                }
            }
            "org.husk.restart-delay" => self.restart_delay_ms = duration(value).map_err(bad)?,
            "org.husk.restart-delay-max" => {
                self.restart_delay_max_ms = duration(value).map_err(bad)?
            }
            "org.husk.depends-on" => {
                self.depends_on.clear();
                for n in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                    if crate::state::id::check(n.as_bytes()).is_err() || n.len() > NAME_MAX {
                        return Err(Error::spec(ctx, "not a bundle name").value(n.as_bytes()));
                    }
                    if self.depends_on.iter().any(|d| d == n) {
                        return Err(Error::spec(ctx, "names a bundle twice").value(n.as_bytes()));
                    }
                    let mut name = Name::new();
                    let _ = name.push_str(n);
                    self.depends_on.push(name).map_err(|_| {
                        Error::capacity(ctx, count(value), DEPENDS_MAX as u64, "entries")
                    })?;
                }
            }
            "org.husk.stop-signal" => {
                self.stop_signal = crate::container::kill::parse_signal(value.as_bytes())
                    .map_err(|_| bad("must be a signal name or number"))?
            }
            "org.husk.stop-timeout" => self.stop_timeout_ms = duration(value).map_err(bad)?,
            "org.husk.stdio" => {
                self.stdio = match value {
                    "log" => Stdio::Log,
                    "console" => Stdio::Console,
                    _ => return Err(bad("must be log or console")),
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Checks across keys, once all are set. `name` is the bundle's own.
    pub fn check(&self, name: &str) -> Result<()> {
        if self.stage == Stage::Onboot && self.restart != Restart::No {
            return Err(Error::spec(
                "annotations[\"org.husk.restart\"]",
                "must be no for an onboot bundle (it runs once, to completion)",
            ));
        }
        if self.stage == Stage::Onboot && !self.depends_on.is_empty() {
            return Err(Error::spec(
                "annotations[\"org.husk.depends-on\"]",
                "is for services (onboot bundles run in name order)",
            ));
        }
        if self.depends_on.iter().any(|d| d == name) {
            return Err(Error::spec(
                "annotations[\"org.husk.depends-on\"]",
                "names the bundle itself",
            )
            .value(name.as_bytes()));
        }
        if self.restart_delay_max_ms < self.restart_delay_ms {
            return Err(Error::spec(
                "annotations[\"org.husk.restart-delay-max\"]",
                "is shorter than org.husk.restart-delay",
            ));
        }
        Ok(())
    }

    /// The back-off before restart number `n` (1 for the first): the first delay doubled
    /// n-1 times, at most the maximum.
    pub fn delay_ms(&self, n: u32) -> u32 {
        let shift = n.saturating_sub(1).min(31);
        let d = (self.restart_delay_ms as u64) << shift;
        d.min(self.restart_delay_max_ms as u64) as u32
    }
}

/// What to do when a service's container ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Start it again after `delay_ms`; this is consecutive restart number `n`.
    Restart { n: u32, delay_ms: u32 },
    /// Its policy does not restart it (status 0 with on-failure, or restart no).
    Done,
    /// It failed and has used up its restarts.
    GiveUp,
}

/// The decision after a service ended with `code` (0 success; 128+N killed by N) after a
/// run of `ran_ms`, having been restarted `consecutive` times in a row before.
pub fn next(p: &Policy, code: i32, ran_ms: u64, consecutive: u32) -> Next {
    let failed = code != 0;
    let wanted = match p.restart {
        Restart::No => false,
        Restart::OnFailure => failed,
        Restart::Always => true,
    };
    if !wanted {
        return Next::Done;
    }
    let prior = if ran_ms >= RUN_RESETS_BACKOFF_MS {
        0
    } else {
        consecutive
    };
    if p.restart_max.is_some_and(|m| prior >= m) {
        return if failed { Next::GiveUp } else { Next::Done };
    }
    let n = prior + 1;
    Next::Restart {
        n,
        delay_ms: p.delay_ms(n),
    }
}

/// The status a start that failed counts as: not 0, so a failure (no process ever ran,
/// so it cannot clash with an exit status, which is 0 to 255).
pub const START_FAILED: i32 = -1;

/// The decision after a service's container could not be created or started, having been
/// restarted `consecutive` times in a row before: a failed run of no length (see
/// [`super::restart`]), so `on-failure` and `always` start it again with the same
/// back-off and count, and `no` leaves it failed.
pub fn after_start_failure(p: &Policy, consecutive: u32) -> Next {
    next(p, START_FAILED, 0, consecutive)
}

fn boolean(v: &str) -> Option<bool> {
    match v {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

fn number(v: &str) -> Option<u64> {
    if v.is_empty() || v.len() > 19 || !v.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    v.parse().ok()
}

fn count(list: &str) -> u64 {
    list.split(',').filter(|n| !n.trim().is_empty()).count() as u64
}

/// `500ms`, `10s`, `2m`, `1h` in milliseconds (at most u32::MAX, about 49 days).
pub fn duration(v: &str) -> core::result::Result<u32, &'static str> {
    let digits = v.bytes().take_while(u8::is_ascii_digit).count();
    let (num, unit) = v.split_at(digits);
    let n = number(num).ok_or("must be a number with a unit: 500ms, 10s, 2m, 1h")?;
    let scale = match unit {
        "ms" => 1,
        "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return Err("needs a unit: ms, s, m or h (500ms, 10s)"),
    };
    n.checked_mul(scale)
        .and_then(|ms| u32::try_from(ms).ok())
        .ok_or("is too long (at most 1193h)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> Policy {
        Policy::new(10_000)
    }

    fn err(key: &str, value: &str) -> String {
        let mut x = p();
        format!("{}", x.set(key, value).unwrap_err())
    }

    #[test]
    fn defaults() {
        let x = p();
        assert_eq!(x.stage, Stage::Service);
        assert_eq!(x.restart, Restart::No);
        assert_eq!(x.restart_max, Some(5));
        assert_eq!((x.restart_delay_ms, x.restart_delay_max_ms), (100, 30_000));
        assert_eq!((x.stop_signal, x.stop_timeout_ms), (15, 10_000));
        assert_eq!(x.stdio, Stdio::Log);
        assert!(!x.required && x.depends_on.is_empty());
    }

    #[test]
    fn every_key() {
        let mut x = p();
        for (k, v) in [
            ("org.husk.stage", "onboot"),
            ("org.husk.required", "true"),
            ("org.husk.restart", "on-failure"),
            ("org.husk.restart-max", "unlimited"),
            ("org.husk.restart-delay", "250ms"),
            ("org.husk.restart-delay-max", "2m"),
            ("org.husk.depends-on", " db , cache,"),
            ("org.husk.stop-signal", "SIGINT"),
            ("org.husk.stop-timeout", "3s"),
            ("org.husk.stdio", "console"),
        ] {
            x.set(k, v).unwrap();
        }
        assert_eq!(x.stage, Stage::Onboot);
        assert!(x.required);
        assert_eq!(x.restart, Restart::OnFailure);
        assert_eq!(x.restart_max, None);
        assert_eq!((x.restart_delay_ms, x.restart_delay_max_ms), (250, 120_000));
        assert_eq!(x.depends_on.as_slice(), ["db", "cache"]);
        assert_eq!((x.stop_signal, x.stop_timeout_ms), (2, 3000));
        assert_eq!(x.stdio, Stdio::Console);
        x.set("org.husk.stop-signal", "9").unwrap();
        x.set("org.husk.restart-max", "0").unwrap();
        assert_eq!((x.stop_signal, x.restart_max), (9, Some(0)));
    }

    #[test]
    fn bad_values_name_the_key() {
        assert_eq!(
            err("org.husk.restart", "sometimes"),
            "annotations[\"org.husk.restart\"]: must be no, on-failure or always \"sometimes\""
        );
        assert_eq!(
            err("org.husk.restrat", "no"),
            "annotations: unknown husk annotation (see README) \"org.husk.restrat\""
        );
        assert_eq!(
            err("org.husk.stop-timeout", "10"),
            "annotations[\"org.husk.stop-timeout\"]: needs a unit: ms, s, m or h (500ms, 10s) \"10\""
        );
        assert!(err("org.husk.stop-timeout", "5000h").contains("too long"));
        assert!(err("org.husk.stop-timeout", "-1s").contains("must be a number"));
        assert!(err("org.husk.required", "yes").contains("true or false"));
        assert!(err("org.husk.restart-max", "-1").contains("number or unlimited"));
        assert!(err("org.husk.stop-signal", "SIGFOO").contains("signal"));
        assert!(err("org.husk.depends-on", "a,../b").contains("not a bundle name"));
        assert!(err("org.husk.depends-on", "a,a").contains("twice"));
        assert_eq!(
            err("org.husk.depends-on", "a,b,c,d,e,f,g,h,i"),
            "annotations[\"org.husk.depends-on\"]: 9 entries, limit 8"
        );
    }

    #[test]
    fn cross_checks() {
        let mut x = p();
        x.set("org.husk.stage", "onboot").unwrap();
        x.set("org.husk.restart", "always").unwrap();
        assert!(format!("{}", x.check("a").unwrap_err()).contains("onboot"));
        let mut x = p();
        x.set("org.husk.depends-on", "a").unwrap();
        assert!(format!("{}", x.check("a").unwrap_err()).contains("itself"));
        let mut x = p();
        x.set("org.husk.restart-delay", "1s").unwrap();
        x.set("org.husk.restart-delay-max", "500ms").unwrap();
        assert!(x.check("a").is_err());
        assert!(p().check("a").is_ok());
    }

    #[test]
    fn backoff_doubles_up_to_the_maximum() {
        let mut x = p();
        x.set("org.husk.restart-delay-max", "1s").unwrap();
        let d: Vec<u32> = (1..=6).map(|n| x.delay_ms(n)).collect();
        assert_eq!(d, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(x.delay_ms(200), 1000);
        x.set("org.husk.restart-delay-max", "1193h").unwrap();
        assert_eq!(x.delay_ms(u32::MAX), 4_294_800_000);
    }

    #[test]
    fn restart_decisions() {
        let mut x = p();
        assert_eq!(next(&x, 1, 0, 0), Next::Done); // restart no
        x.set("org.husk.restart", "on-failure").unwrap();
        x.set("org.husk.restart-max", "3").unwrap();
        assert_eq!(next(&x, 0, 0, 0), Next::Done);
        assert_eq!(
            next(&x, 3, 0, 0),
            Next::Restart {
                n: 1,
                delay_ms: 100
            }
        );
        assert_eq!(
            next(&x, 137, 0, 2),
            Next::Restart {
                n: 3,
                delay_ms: 400
            }
        );
        assert_eq!(next(&x, 3, 0, 3), Next::GiveUp);
        // a long run starts the count and the delay again
        assert_eq!(
            next(&x, 3, RUN_RESETS_BACKOFF_MS, 3),
            Next::Restart {
                n: 1,
                delay_ms: 100
            }
        );
        x.set("org.husk.restart", "always").unwrap();
        assert_eq!(
            next(&x, 0, 0, 1),
            Next::Restart {
                n: 2,
                delay_ms: 200
            }
        );
        assert_eq!(next(&x, 0, 0, 3), Next::Done);
        x.set("org.husk.restart-max", "unlimited").unwrap();
        assert_eq!(
            next(&x, 1, 0, 1000),
            Next::Restart {
                n: 1001,
                delay_ms: 30_000
            }
        );
    }

    #[test]
    fn a_failed_start_is_restarted_as_a_failed_run() {
        let mut x = p();
        // restart no: failed for good at once
        assert_eq!(after_start_failure(&x, 0), Next::Done);
        x.set("org.husk.restart", "on-failure").unwrap();
        x.set("org.husk.restart-max", "2").unwrap();
        assert_eq!(
            after_start_failure(&x, 0),
            Next::Restart {
                n: 1,
                delay_ms: 100
            }
        );
        // the same back-off and count as exits: consecutive failures of either kind add up
        assert_eq!(
            next(&x, 3, 0, 0),
            after_start_failure(&x, 0),
            "an exit and a failed start are alike"
        );
        assert_eq!(
            after_start_failure(&x, 1),
            Next::Restart {
                n: 2,
                delay_ms: 200
            }
        );
        assert_eq!(after_start_failure(&x, 2), Next::GiveUp);
        // always: a failed start is never a success that ends the restarts
        x.set("org.husk.restart", "always").unwrap();
        assert_eq!(after_start_failure(&x, 2), Next::GiveUp);
        x.set("org.husk.restart-max", "unlimited").unwrap();
        assert_eq!(
            after_start_failure(&x, 40),
            Next::Restart {
                n: 41,
                delay_ms: 30_000
            }
        );
    }

    #[test]
    fn durations() {
        assert_eq!(duration("0ms"), Ok(0));
        assert_eq!(duration("15s"), Ok(15_000));
        assert_eq!(duration("1h"), Ok(3_600_000));
        assert!(duration("s").is_err());
        assert!(duration("1.5s").is_err());
        assert!(duration("10 s").is_err());
    }
}
