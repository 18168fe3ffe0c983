//! Which signal to PID 1 asks for which end of the machine: busybox init's meanings (its
//! `halt`, `poweroff` and `reboot` applets send them), plus systemd's real-time ones.
//!
//! | signal | busybox init | systemd | husk |
//! |---|---|---|---|
//! | SIGUSR1 | halt | reopen D-Bus | halt |
//! | SIGUSR2 | poweroff | dump state | poweroff |
//! | SIGTERM | reboot | re-execute itself | reboot |
//! | SIGPWR | halt | start sigpwr.target | halt |
//! | SIGINT (ctrl-alt-del, the kernel sends it once CAD is disabled) | run the `ctrlaltdel` entries (reboot) | start ctrl-alt-del.target (reboot) | reboot |
//! | SIGRTMIN+3 / +4 / +5 | - | halt / poweroff / reboot | halt / poweroff / reboot |
//! | SIGRTMIN+13 / +14 / +15 | - | immediate halt / poweroff / reboot | the same, immediately |
//!
//! Where busybox and systemd differ, husk follows busybox: systemd's meanings (D-Bus,
//! state dumps, re-exec) have no counterpart in husk. "Immediately" skips the orderly
//! stop of services: everything gets SIGKILL, then sync, unmount, reboot(2).
//! SIGRTMIN is 34 as programs see it (glibc; `kill -RTMIN+4 1`).

use crate::sys::process::sig_bit;

/// The three ends of a machine, as reboot(2) names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Power {
    Halt,
    Poweroff,
    Reboot,
}

impl Power {
    pub fn name(self) -> &'static str {
        match self {
            Power::Halt => "halt",
            Power::Poweroff => "poweroff",
            Power::Reboot => "reboot",
        }
    }

    /// `halt`, `poweroff`, `reboot` (init.json).
    pub fn parse(s: &str) -> Option<Power> {
        [Power::Halt, Power::Poweroff, Power::Reboot]
            .into_iter()
            .find(|p| p.name() == s)
    }
}

/// A request to end the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    pub power: Power,
    /// Skip the orderly stop of services.
    pub immediate: bool,
}

const RTMIN: i32 = 34;

/// The request signal `sig` makes, if any (SIGCHLD, SIGHUP... make none).
pub fn request(sig: i32) -> Option<Request> {
    let (power, immediate) = match sig {
        10 => (Power::Halt, false),     // SIGUSR1
        12 => (Power::Poweroff, false), // SIGUSR2
        15 => (Power::Reboot, false),   // SIGTERM
        30 => (Power::Halt, false),     // SIGPWR
        2 => (Power::Reboot, false),    // SIGINT: ctrl-alt-del
        s if s == RTMIN + 3 => (Power::Halt, false),
        s if s == RTMIN + 4 => (Power::Poweroff, false),
        s if s == RTMIN + 5 => (Power::Reboot, false),
        s if s == RTMIN + 13 => (Power::Halt, true),
        s if s == RTMIN + 14 => (Power::Poweroff, true),
        s if s == RTMIN + 15 => (Power::Reboot, true),
        _ => return None,
    };
    Some(Request { power, immediate })
}

/// The signals PID 1 reads from its signalfd: every request signal, SIGCHLD, and SIGHUP
/// (logged and otherwise ignored: there is no configuration to re-read while running).
pub fn watched() -> u64 {
    let mut m = sig_bit(17) | sig_bit(1);
    for s in 1..=64 {
        if request(s).is_some() {
            m |= sig_bit(s);
        }
    }
    m
}

/// `SIGTERM`, `SIGRTMIN+4`, or the number.
pub fn name(sig: i32, out: &mut crate::out::Buf<16>) {
    use core::fmt::Write;
    if let Some((n, _)) = crate::container::kill::SIGNALS
        .iter()
        .find(|(_, v)| *v == sig)
    {
        let _ = write!(out, "SIG{n}");
    } else if (RTMIN..=64).contains(&sig) {
        let _ = write!(out, "SIGRTMIN+{}", sig - RTMIN);
    } else {
        let _ = write!(out, "{sig}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(p: Power, immediate: bool) -> Option<Request> {
        Some(Request {
            power: p,
            immediate,
        })
    }

    #[test]
    fn busybox_mapping() {
        assert_eq!(request(10), req(Power::Halt, false));
        assert_eq!(request(12), req(Power::Poweroff, false));
        assert_eq!(request(15), req(Power::Reboot, false));
        assert_eq!(request(30), req(Power::Halt, false));
        assert_eq!(request(2), req(Power::Reboot, false));
    }

    #[test]
    fn systemd_realtime_mapping() {
        assert_eq!(request(37), req(Power::Halt, false));
        assert_eq!(request(38), req(Power::Poweroff, false));
        assert_eq!(request(39), req(Power::Reboot, false));
        assert_eq!(request(47), req(Power::Halt, true));
        assert_eq!(request(48), req(Power::Poweroff, true));
        assert_eq!(request(49), req(Power::Reboot, true));
    }

    #[test]
    fn other_signals_request_nothing() {
        for s in [1, 3, 9, 17, 28, 34, 36, 40, 64] {
            assert_eq!(request(s), None, "{s}");
        }
        let w = watched();
        for s in [1, 2, 10, 12, 15, 17, 30, 37, 38, 39, 47, 48, 49] {
            assert!(w & sig_bit(s) != 0, "{s}");
        }
        assert_eq!(w & sig_bit(9), 0);
    }

    #[test]
    fn names() {
        let mut b = crate::out::Buf::<16>::new();
        name(15, &mut b);
        assert_eq!(b.as_str(), "SIGTERM");
        let mut b = crate::out::Buf::<16>::new();
        name(38, &mut b);
        assert_eq!(b.as_str(), "SIGRTMIN+4");
        assert_eq!(Power::parse("halt"), Some(Power::Halt));
        assert_eq!(Power::parse("off"), None);
    }
}
