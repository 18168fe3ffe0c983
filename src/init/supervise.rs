//! The supervisor: onboot bundles one after the other in name order, then the services in
//! dependency order, restarted per policy, until a signal asks for the end of the machine.
//!
//! One loop ([`Machine::wait`]) does everything that happens while containers run: poll(2)
//! on the signalfd (SIGCHLD and the power signals, see [`super::signals`]) and on every
//! container's output pipes, with the nearest deadline (a back-off restart, a SIGKILL after
//! a stop timeout) as its timeout. SIGCHLD means waitpid(-1, WNOHANG) until nothing is
//! left, so every zombie is reaped, orphans re-parented to PID 1 included; a reaped pid
//! that belongs to a container is that container's exit status, which is therefore never
//! lost (nothing else in PID 1 waits for any pid but its own hooks and helpers).
//!
//! Containers are made by the runtime's own `create` + `start` with the state root
//! [`STATE_ROOT`] (`/run/husk`, the CLI's default), so `husk list`, `state`, `kill` from a
//! console shell see and act on them; an ended one is `delete`d (poststop hooks, cgroup
//! removed) before it is started again.

use super::bundles::{OUTPUT_MAX, STATE_ROOT};
use super::config::Options;
use super::order::{self, Deps, Indices};
use super::output::{LineBufs, LogFile};
use super::policy::{next, Stage};
use super::signals::{self, Request};
use super::units::{dep_state, DepState, State, Units};
use super::Tally;
use crate::container;
use crate::out::Buf;
use crate::sys::mem::Zeroed;
use crate::sys::Errno;
use crate::{Error, Result};
use core::fmt::Write;
use rustix::event::{PollFd, PollFlags};
use rustix::fd::OwnedFd;
use rustix::process::WaitOptions;

/// Output streams: stdout, stderr.
pub(super) const STDOUT: u8 = 1;
pub(super) const STDERR: u8 = 2;
/// The signalfd's slot in the poll set.
const SIGNALS: u8 = u8::MAX;
/// The poll set: the signalfd and two output streams per bundle.
const POLL_MAX: usize = 1 + 2 * super::limits::BUNDLES_MAX;

pub struct Machine<'a> {
    pub opts: &'a Options,
    pub units: Units,
    pub sfd: OwnedFd,
    pub logdir: Option<OwnedFd>,
    pub husk_log: LogFile,
    pub(super) null: Option<OwnedFd>,
    /// The first request for the end of the machine.
    pub request: Option<Request>,
    /// Shutdown has begun: nothing restarts.
    pub stopping: bool,
    /// A service started for the first time or failed for good: the services waiting for
    /// it may start (or fail) now.
    pub(super) deps_changed: bool,
    pub tally: Tally,
    /// Test protocol: stdout of the running onboot bundle, for its result line.
    pub(super) capture: Zeroed<Buf<OUTPUT_MAX>>,
    /// Every stream's unfinished line (out of the stack, touched only as used).
    pub(super) lines: Zeroed<LineBufs>,
    pub(super) capturing: Option<usize>,
    /// Processes reaped that were no container's (orphans).
    pub orphans: u32,
    /// When PID 1 started (CLOCK_MONOTONIC ms).
    pub started_ms: u64,
}

pub fn now_ms() -> u64 {
    super::monotonic_ms()
}

impl<'a> Machine<'a> {
    /// The machine's state; its large buffers in anonymous mappings, so the stack holds
    /// little and only the pages used count.
    pub fn new(opts: &'a Options, sfd: OwnedFd, started_ms: u64) -> Result<Machine<'a>> {
        let mmap = |e| Error::sys("mmap", e);
        let null = rustix::fs::open(
            c"/dev/null",
            rustix::fs::OFlags::RDWR | rustix::fs::OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        )
        .ok();
        Ok(Machine {
            opts,
            units: Units::new(),
            sfd,
            logdir: None,
            husk_log: LogFile::default(),
            null,
            request: None,
            stopping: false,
            deps_changed: false,
            tally: Tally::default(),
            capture: Zeroed::new().map_err(mmap)?,
            lines: Zeroed::new().map_err(mmap)?,
            capturing: None,
            orphans: 0,
            started_ms,
        })
    }

    /// /run/log/husk, and husk's own lines copied into husk.log there.
    pub fn open_logs(&mut self) {
        if self.opts.log_max_bytes == 0 {
            return;
        }
        self.logdir = super::output::open_dir();
        self.husk_log = LogFile::open(self.logdir.as_ref(), "husk");
        crate::log::set_tee(self.husk_log.fd());
    }

    /// Read the bundle table and report the bundles that will not run.
    pub fn load(&mut self) {
        let dir = self.opts.bundles.as_bytes();
        match super::units::load(dir, self.opts.stop_timeout_ms, &mut self.units) {
            Ok(s) => {
                if s.too_many > 0 {
                    let total = self.units.len() as u64 + s.too_many as u64;
                    crate::error!(
                        "init: {} (the last {} in name order are not run)",
                        Error::capacity("bundles", total, self.units.capacity() as u64, "bundles"),
                        s.too_many
                    );
                    self.tally.fail += s.too_many;
                }
                if let Some((len, b, k)) = s.long_name {
                    crate::error!(
                        "init: {} (not run)",
                        Error::capacity(
                            "bundle name",
                            len as u64,
                            super::limits::NAME_MAX as u64,
                            "bytes"
                        )
                        .value(&b[..k])
                    );
                    self.tally.fail += 1;
                }
            }
            Err(e) if e.errno() == Some(Errno::NOENT) => {
                crate::info!("init: no bundles: {}", e);
            }
            Err(e) => {
                crate::error!("init: {}", e);
                self.tally.fail += 1;
            }
        }
        for i in 0..self.units.len() {
            if let (State::Invalid, Some(e)) = (self.units[i].state, self.units[i].error) {
                crate::error!("{}: not run: {}", self.units[i].name, e);
                self.result(i, -1, Some(&e), b"");
                // Required as far as its annotations were read before the error.
                if self.units[i].policy.required {
                    let name = self.units[i].name.clone();
                    self.required_failed(name.as_str());
                }
            }
        }
    }

    /// Run the onboot bundles one at a time, in name order; stop at a request or at the
    /// failure of a required one.
    pub fn run_onboot(&mut self) {
        for i in 0..self.units.len() {
            if self.request.is_some() {
                return;
            }
            let u = &self.units[i];
            if u.state != State::Pending || u.policy.stage != Stage::Onboot {
                continue;
            }
            self.start(i);
            while self.units[i].active() && self.request.is_none() {
                self.wait();
            }
        }
    }

    /// Start every service, dependencies first.
    pub fn start_services(&mut self) {
        let members: Indices = (0..self.units.len())
            .filter(|&i| {
                matches!(self.units[i].state, State::Pending | State::Waiting)
                    && self.units[i].is_service()
            })
            .map(|i| i as u8)
            .collect();
        let deps = self.deps();
        let (order, blocked) = order::start_order(&members, &deps);
        for &b in blocked.iter() {
            let cycle = order::find_cycle(b, &blocked, &deps);
            let mut path = Buf::<512>::new();
            for (k, &c) in cycle.iter().enumerate() {
                let _ = write!(
                    path,
                    "{}{}",
                    if k > 0 { " -> " } else { "" },
                    self.units[c as usize].name
                );
            }
            crate::error!(
                "{}: not started: org.husk.depends-on has a cycle: {}",
                self.units[b as usize].name,
                path.as_str()
            );
            self.failed(
                b as usize,
                Error::spec("annotations[\"org.husk.depends-on\"]", "dependency cycle"),
                b"",
            );
        }
        for &i in order.iter() {
            let i = i as usize;
            if self.request.is_some() {
                return;
            }
            match dep_state(&self.units, i) {
                DepState::Ready => {}
                DepState::Dead(d) => {
                    crate::error!(
                        "{}: not started: it depends on {}, which did not start",
                        self.units[i].name,
                        self.units[d as usize].name
                    );
                    self.failed(i, Error::state("a dependency did not start"), b"");
                    continue;
                }
                DepState::Wait(d) => {
                    if self.units[i].state != State::Waiting {
                        crate::info!(
                            "{}: waits for {}, which has not started yet",
                            self.units[i].name,
                            self.units[d as usize].name
                        );
                        self.units[i].state = State::Waiting;
                    }
                    continue;
                }
            }
            self.start(i);
            // Take what happened meanwhile (a quick exit, signals) without blocking.
            self.poll_once(0);
        }
    }

    /// Supervise until a request; when nothing runs or will restart, `on_idle` decides.
    pub fn supervise(&mut self) {
        loop {
            if self.request.is_some() {
                return;
            }
            if core::mem::take(&mut self.deps_changed) {
                self.start_services();
                continue;
            }
            let idle = self
                .units
                .iter()
                .all(|u| matches!(u.state, State::Exited(_) | State::Failed | State::Invalid));
            if idle {
                if let Some(power) = self.opts.on_idle {
                    crate::info!("init: nothing left to run: {}", power.name());
                    self.request = Some(Request {
                        power,
                        immediate: false,
                    });
                    return;
                }
            }
            self.wait();
        }
    }

    /// The dependency lists by table index.
    pub fn deps(&self) -> heapless::Vec<Deps, { super::limits::BUNDLES_MAX }> {
        self.units.iter().map(|u| u.deps.clone()).collect()
    }

    /// Send `sig` to the container's process.
    pub fn signal(&self, i: usize, sig: i32) {
        let Some(p) = &self.units[i].proc else { return };
        let r = match &p.pidfd {
            Some(fd) => crate::sys::process::pidfd_send_signal(fd, sig),
            None => crate::sys::process::kill(p.pid.as_raw_nonzero().get(), sig),
        };
        if let Err(e) = r {
            if e != Errno::SRCH {
                crate::warn!("{}: {}", self.units[i].name, Error::sys("kill", e));
            }
        }
    }

    /// Begin stopping `i`: its stop signal (SIGKILL if `immediate`), SIGKILL later.
    pub fn stop(&mut self, i: usize, immediate: bool) {
        let p = &self.units[i].policy;
        let (sig, timeout) = if immediate {
            (9, 0)
        } else {
            (p.stop_signal, p.stop_timeout_ms)
        };
        let mut n = Buf::<16>::new();
        signals::name(sig, &mut n);
        crate::info!(
            "{}: stopping with {} (SIGKILL after {} ms)",
            self.units[i].name,
            n.as_str(),
            timeout
        );
        self.signal(i, sig);
        let u = &mut self.units[i];
        u.state = State::Stopping { killed: sig == 9 };
        u.due_ms = now_ms().saturating_add(if sig == 9 {
            super::shutdown::KILL_WAIT_MS
        } else {
            timeout as u64
        });
    }

    /// One turn of the loop: wait for the next event or deadline and handle it.
    pub fn wait(&mut self) {
        let timeout = self.run_timers();
        // What a create or a delete needed (config parsing, hooks) is not kept resident
        // while PID 1 waits.
        crate::sys::mem::trim_stack();
        self.poll_once(timeout);
        self.run_timers();
        self.keep_husk_log();
    }

    /// Start back-off restarts and send SIGKILLs that are due; the time until the next
    /// deadline (-1: none), taken from the table as these left it: a restart that failed
    /// again backs off anew, and its new deadline must wake the poll.
    fn run_timers(&mut self) -> i64 {
        let now = now_ms();
        for i in 0..self.units.len() {
            let (state, due) = (self.units[i].state, self.units[i].due_ms);
            if due > now {
                continue;
            }
            match state {
                State::Backoff if !self.stopping => self.start(i),
                State::Stopping { killed: false } => {
                    crate::warn!(
                        "{}: still running {} ms after its stop signal: SIGKILL",
                        self.units[i].name,
                        self.units[i].policy.stop_timeout_ms
                    );
                    self.signal(i, 9);
                    self.units[i].state = State::Stopping { killed: true };
                    self.units[i].due_ms = now.saturating_add(super::shutdown::KILL_WAIT_MS);
                }
                State::Stopping { killed: true } => {
                    // Uninterruptible, say: the shutdown goes on without it (if it is
                    // ever reaped, it counts as an orphan).
                    crate::error!(
                        "{}: still there {} ms after SIGKILL: left behind",
                        self.units[i].name,
                        super::shutdown::KILL_WAIT_MS
                    );
                    self.units[i].state = State::Exited(-1);
                    self.close_output(i);
                }
                _ => {}
            }
        }
        next_deadline(&self.units, self.stopping, now_ms())
    }

    /// poll(2) once with `timeout_ms` (-1: none) and handle what is ready.
    pub fn poll_once(&mut self, timeout_ms: i64) {
        let mut ready: heapless::Vec<(u8, u8), POLL_MAX> = heapless::Vec::new();
        {
            let mut fds: heapless::Vec<PollFd<'_>, POLL_MAX> = heapless::Vec::new();
            let mut who: heapless::Vec<(u8, u8), POLL_MAX> = heapless::Vec::new();
            let _ = fds.push(PollFd::new(&self.sfd, PollFlags::IN));
            let _ = who.push((SIGNALS, 0));
            for (i, u) in self.units.iter().enumerate() {
                let Some(p) = &u.proc else { continue };
                for (s, fd) in [(STDOUT, &p.stdout), (STDERR, &p.stderr)] {
                    if let Some(fd) = fd {
                        let _ = fds.push(PollFd::new(fd, PollFlags::IN));
                        let _ = who.push((i as u8, s));
                    }
                }
            }
            let ts = (timeout_ms >= 0).then(|| rustix::time::Timespec {
                tv_sec: timeout_ms / 1000,
                tv_nsec: (timeout_ms % 1000) * 1_000_000,
            });
            match rustix::event::poll(&mut fds, ts.as_ref()) {
                Ok(_) | Err(Errno::INTR) => {}
                Err(e) => {
                    crate::warn!("init: {}", Error::sys("poll", e));
                    return;
                }
            }
            for (f, w) in fds.iter().zip(who.iter()) {
                if !f.revents().is_empty() {
                    let _ = ready.push(*w);
                }
            }
        }
        for (i, s) in ready {
            if i == SIGNALS {
                self.read_signals();
            } else {
                self.read_pipe(i as usize, s);
            }
        }
    }

    fn read_signals(&mut self) {
        loop {
            let sig = match crate::sys::process::read_signal(&self.sfd) {
                Ok(s) => s,
                Err(Errno::INTR) => continue,
                Err(_) => return,
            };
            match (sig, signals::request(sig)) {
                (17, _) => {
                    self.reap();
                }
                (_, Some(r)) => self.on_request(sig, r),
                _ => {
                    let mut n = Buf::<16>::new();
                    signals::name(sig, &mut n);
                    crate::info!("init: {} ignored", n.as_str());
                }
            }
        }
    }

    fn on_request(&mut self, sig: i32, r: Request) {
        let mut n = Buf::<16>::new();
        signals::name(sig, &mut n);
        match self.request {
            None => {
                crate::info!(
                    "init: {}: {}{}",
                    n.as_str(),
                    r.power.name(),
                    if r.immediate { " (immediate)" } else { "" }
                );
                self.request = Some(r);
            }
            Some(mut cur) if r.immediate && !cur.immediate => {
                crate::info!("init: {}: shutdown goes on immediately", n.as_str());
                cur.immediate = true;
                cur.power = r.power;
                self.request = Some(cur);
            }
            Some(_) => crate::info!("init: {}: shutdown already under way", n.as_str()),
        }
    }

    /// waitpid(-1, WNOHANG) until nothing is left to reap. True when PID 1 has no child
    /// at all any more (ECHILD): then no process is left on the machine, since every one
    /// descends from PID 1 and orphans are re-parented to it. (rustix's `wait` is pid -1;
    /// its `waitpid(None)` is pid 0, this process group only, which misses a container
    /// that made a session of its own, as one with a terminal does.)
    pub fn reap(&mut self) -> bool {
        loop {
            match rustix::process::wait(WaitOptions::NOHANG) {
                Ok(Some((pid, st))) => {
                    let Some(code) = container::run::exit_code(st) else {
                        continue;
                    };
                    let raw = pid.as_raw_nonzero().get();
                    match self
                        .units
                        .iter()
                        .position(|u| u.proc.as_ref().is_some_and(|p| p.pid == pid))
                    {
                        Some(i) => self.on_exit(i, code, st.terminating_signal()),
                        None => {
                            self.orphans += 1;
                            crate::debug!("init: reaped pid {} (status {})", raw, code);
                        }
                    }
                }
                Ok(None) => return false,
                Err(Errno::CHILD) => return true,
                Err(Errno::INTR) => {}
                Err(e) => {
                    crate::warn!("init: {}", Error::sys("waitpid", e));
                    return false;
                }
            }
        }
    }

    /// The container process of `i` ended with `code`.
    fn on_exit(&mut self, i: usize, code: i32, signal: Option<i32>) {
        let now = now_ms();
        let name = self.units[i].name.clone();
        match signal {
            Some(s) => {
                let mut n = Buf::<16>::new();
                signals::name(s, &mut n);
                crate::info!("{}: killed by {} (status {})", name, n.as_str(), code);
            }
            None => crate::info!("{}: exited with status {}", name, code),
        }
        // What it wrote last, then remove the container (which kills what it left behind
        // in its cgroup and runs the poststop hooks), then the rest of the output.
        self.drain(i);
        if let Err(e) = container::delete::delete(STATE_ROOT, name.as_str(), false) {
            crate::warn!("{}: {}", name, e);
        }
        self.drain(i);
        self.close_output(i);
        if self.units[i].policy.stage == Stage::Onboot {
            self.result(i, code, None, b"");
            self.capturing = None;
        }
        let u = &mut self.units[i];
        if self.stopping {
            u.state = State::Exited(code);
            return;
        }
        if u.policy.stage == Stage::Onboot {
            u.state = State::Exited(code);
            if code != 0 {
                crate::error!("{}: onboot bundle failed with status {}", name, code);
                if u.policy.required {
                    self.required_failed(name.as_str());
                }
            }
            return;
        }
        let ran = now.saturating_sub(u.started_ms);
        let decision = next(&u.policy, code, ran, u.restarts);
        self.apply_restart_policy(i, decision, State::Exited(code), true, now);
    }
}

/// The time until the earliest deadline in `units` (-1: none): a back-off restart (none
/// once the machine is stopping) or a stop timeout; 0 for one already due.
fn next_deadline(units: &[super::units::Unit], stopping: bool, now: u64) -> i64 {
    units
        .iter()
        .filter(|u| match u.state {
            State::Backoff => !stopping,
            State::Stopping { .. } => true,
            _ => false,
        })
        .fold(-1, |next, u| {
            min_timeout(next, u.due_ms.saturating_sub(now))
        })
}

fn min_timeout(cur: i64, ms: u64) -> i64 {
    let ms = ms.min(i64::MAX as u64) as i64;
    if cur < 0 {
        ms
    } else {
        cur.min(ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts() {
        assert_eq!(min_timeout(-1, 5), 5);
        assert_eq!(min_timeout(3, 5), 3);
        assert_eq!(min_timeout(9, 5), 5);
    }

    #[test]
    fn the_next_deadline_is_the_tables_after_acting() {
        let mut t = super::super::units::tests::table(&[
            (State::Running, 10, &[]),
            (State::Backoff, 0, &[]),
            (State::Stopping { killed: false }, 10, &[]),
            (State::Exited(0), 10, &[]),
        ]);
        t[1].due_ms = 1300;
        t[2].due_ms = 1500;
        t[3].due_ms = 1100;
        assert_eq!(next_deadline(&t, false, 1000), 300);
        // a restart that failed again when due backs off anew from now: woken then
        t[1].due_ms = 1000;
        assert_eq!(next_deadline(&t, false, 1000), 0);
        // stopping: no restart, the stop timeout still counts
        assert_eq!(next_deadline(&t, true, 1000), 500);
        t[2].state = State::Exited(143);
        assert_eq!(next_deadline(&t, true, 1000), -1);
    }
}
