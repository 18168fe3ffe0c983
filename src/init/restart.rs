//! A service's restart policy applied, after its container exited or after its create or
//! start failed (a hook failed, a bind mount's source is not there yet): both are runs
//! that ended, with the same back-off, the same count of restarts in a row and over the
//! boot, and the same log lines. A failed start counts as a failed run of no length, as
//! systemd (`Restart=on-failure` covers a command that could not be run) and the kubelet
//! (a container that cannot be created backs off as one that crashes) count it; it
//! fails for good (no restart policy, or its restarts ran out) as an exit would, and a
//! required one then stops the boot (init.json `on_failure`). Part of
//! [`super::supervise::Machine`]; runs in PID 1.

use super::policy::{after_start_failure, Next, Restart};
use super::supervise::{now_ms, Machine};
use super::units::State;
use crate::out::Buf;
use crate::Error;
use core::fmt::Write;

impl Machine<'_> {
    /// Service `i` could not be created or started (`e`, with what husk logged while
    /// trying): restart it per its policy, or mark it failed for good.
    pub(super) fn start_failed(&mut self, i: usize, e: Error, log: &[u8]) {
        let u = &self.units[i];
        if u.is_service() && !self.stopping {
            let decision = after_start_failure(&u.policy, u.restarts);
            match decision {
                Next::Restart { .. } => {
                    return self.apply_restart_policy(i, decision, State::Failed, false, now_ms())
                }
                // The "gave up" line; `failed` below does the rest.
                Next::GiveUp => {
                    self.apply_restart_policy(i, decision, State::Failed, false, now_ms())
                }
                Next::Done => {}
            }
        }
        // Failed for good: the error kept, the result line, a required one stops the boot.
        self.failed(i, e, log);
    }

    /// Act on `decision` for service `i`, which ended (`end`: its state if it is not
    /// restarted; `required_check`: whether a required one ending this way stops the boot
    /// here, which [`Machine::failed`] does itself for a failed start).
    pub(super) fn apply_restart_policy(
        &mut self,
        i: usize,
        decision: Next,
        end: State,
        required_check: bool,
        now: u64,
    ) {
        let u = &mut self.units[i];
        let name = u.name.clone();
        match decision {
            Next::Restart { n, delay_ms } => {
                u.restarts = n;
                u.total_restarts += 1;
                u.state = State::Backoff;
                u.due_ms = now.saturating_add(delay_ms as u64);
                let mut max = Buf::<16>::new();
                match u.policy.restart_max {
                    Some(m) => {
                        let _ = write!(max, "{m}");
                    }
                    None => {
                        let _ = max.write_str("unlimited");
                    }
                }
                crate::info!(
                    "{}: restart {} of {} in a row in {} ms ({} in all)",
                    name,
                    n,
                    max.as_str(),
                    delay_ms,
                    u.total_restarts
                );
            }
            Next::Done => {
                u.state = end;
                let failed = matches!(end, State::Exited(c) if c != 0);
                if required_check && failed && u.policy.restart == Restart::No && u.policy.required
                {
                    self.required_failed(name.as_str());
                }
            }
            Next::GiveUp => {
                u.state = end;
                crate::error!(
                    "{}: gave up after {} restarts in a row ({} in all)",
                    name,
                    u.restarts,
                    u.total_restarts
                );
                if required_check && u.policy.required {
                    self.required_failed(name.as_str());
                }
            }
        }
    }
}
