//! Starting a bundle's container (create + start, husk's log lines captured for the
//! reason of a failure), the end of a bundle that never ran, and the test protocol's
//! result line. Part of [`super::supervise::Machine`]; runs in PID 1.

use super::bundles::{report_parts, LOG_MAX, STATE_ROOT};
use super::output::LogFile;
use super::policy::{Stage, Stdio};
use super::signals::Request;
use super::supervise::{now_ms, Machine};
use super::units::{Proc, State};
use crate::container::{self, create::CreateOpts};
use crate::cpath::CPath;
use crate::out::Buf;
use crate::{Error, Result};
use core::fmt::Write;
use rustix::fd::{AsFd, OwnedFd};

impl Machine<'_> {
    /// Create and start the container of bundle `i`.
    pub(super) fn start(&mut self, i: usize) {
        let name = self.units[i].name.clone();
        let mut log = Buf::<LOG_MAX>::new();
        match self.create(i, name.as_str(), &mut log) {
            Ok(proc) => {
                relog(name.as_str(), log.as_bytes());
                let pid = proc.pid.as_raw_nonzero().get();
                let u = &mut self.units[i];
                u.proc = Some(proc);
                u.state = State::Running;
                // A first start may let services that wait for this one start.
                self.deps_changed |= !u.has_run() && u.is_service();
                u.started_ms = now_ms();
                if u.policy.stdio == Stdio::Log && u.log.fd().is_none() {
                    u.log = LogFile::open(self.logdir.as_ref(), name.as_str());
                }
                if self.opts.test && u.policy.stage == Stage::Onboot {
                    self.capture.clear();
                    self.capturing = Some(i);
                }
                crate::info!("{}: started (pid {})", name, pid);
            }
            Err(e) => {
                let text = joined(&e, log.as_bytes());
                crate::error!("{}: cannot start: {}", name, text.as_str());
                self.start_failed(i, e, log.as_bytes());
            }
        }
    }

    /// Mark `i` as never started (a result line in tests, with what husk logged while
    /// trying), and stop the boot if it was required.
    pub(super) fn failed(&mut self, i: usize, e: Error, log: &[u8]) {
        self.result(i, -1, Some(&e), log);
        let u = &mut self.units[i];
        u.state = State::Failed;
        u.error = Some(e);
        // Services waiting for this one will not start either: they are told so.
        self.deps_changed |= u.is_service();
        if u.policy.required {
            let name = u.name.clone();
            self.required_failed(name.as_str());
        }
    }

    pub(super) fn required_failed(&mut self, name: &str) {
        let power = self.opts.on_failure;
        crate::error!(
            "init: boot stopped: required bundle {} failed: {}",
            name,
            power.name()
        );
        self.request.get_or_insert(Request {
            power,
            immediate: false,
        });
    }

    /// create + start with husk's log lines captured (the reason of a failure, or
    /// warnings to pass on).
    pub(super) fn create(&mut self, i: usize, name: &str, log: &mut Buf<LOG_MAX>) -> Result<Proc> {
        let (log_r, log_w) = pipe(true)?;
        let console = self.units[i].policy.stdio == Stdio::Console;
        let pipes = if console {
            Ok(None)
        } else {
            pipe(false).and_then(|o| Ok(Some((o, pipe(false)?))))
        };
        let pipes = pipes?;
        let r = (|| {
            let mut bundle = CPath::from(self.opts.bundles.as_bytes(), "bundle")?;
            bundle.join(name.as_bytes(), "bundle")?;
            let opts = CreateOpts {
                bundle: bundle.as_bytes(),
                pid_file: None,
                console_socket: None,
                no_pivot: false,
                preserve_fds: 0,
                stdin: if console {
                    None
                } else {
                    self.null.as_ref().map(|f| f.as_fd())
                },
                stdout: pipes.as_ref().map(|((_, w), _)| w.as_fd()),
                stderr: pipes.as_ref().map(|(_, (_, w))| w.as_fd()),
                systemd_cgroup: false,
                listen_fds: 0,
                no_new_keyring: false,
                test_mode: self.opts.test,
                // PID 1 relays a process.terminal's output: the master comes back here.
                attached: true,
            };
            crate::log::set_capture(Some(log_w.as_fd()));
            let r = container::create::create(STATE_ROOT, name, &opts).and_then(|c| {
                match container::start::start(STATE_ROOT, name) {
                    Ok(()) => Ok(c),
                    Err(e) => {
                        let _ = container::delete::delete(STATE_ROOT, name, true);
                        Err(e)
                    }
                }
            });
            crate::log::set_capture(None);
            r
        })();
        drain_into(&log_r, log);
        let c = r?;
        // Only the container holds the write ends now. With process.terminal its output
        // comes through the terminal's master instead (EIO there is the end).
        let (stdout, stderr) = match (c.console, pipes) {
            (Some(m), _) => {
                let ready = rustix::io::ioctl_fionbio(&m, true)
                    .map_err(|e| Error::sys("ioctl FIONBIO", e))
                    .and_then(|()| crate::linux::console::clear_onlcr(m.as_fd()));
                if let Err(e) = ready {
                    let _ = container::delete::delete(STATE_ROOT, name, true);
                    return Err(e);
                }
                (Some(m), None)
            }
            (None, Some(((or, _), (er, _)))) => (Some(or), Some(er)),
            (None, None) => (None, None),
        };
        Ok(Proc {
            pid: c.pid,
            pidfd: c.pidfd,
            stdout,
            stderr,
        })
    }

    /// Print the test protocol's result line of bundle `i` (onboot bundles, and any bundle
    /// that could not run).
    pub(super) fn result(&mut self, i: usize, code: i32, e: Option<&Error>, log: &[u8]) {
        let u = &self.units[i];
        if !self.opts.test || (e.is_none() && u.policy.stage != Stage::Onboot) {
            if e.is_some() {
                self.tally.fail += 1;
            }
            return;
        }
        let out = if self.capturing == Some(i) {
            self.capture.as_bytes()
        } else {
            b""
        };
        report_parts(
            u.name.as_bytes(),
            code,
            e,
            log,
            out,
            self.capture.truncated(),
            false,
            &mut self.tally,
        );
    }
}

/// A CLOEXEC pipe whose read end does not block; `both`: neither does the write end (a
/// log capture must never block PID 1; a container's output pipe blocks the container).
fn pipe(both: bool) -> Result<(OwnedFd, OwnedFd)> {
    let (r, w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
        .map_err(|e| Error::sys("pipe2", e))?;
    rustix::io::ioctl_fionbio(&r, true).map_err(|e| Error::sys("ioctl FIONBIO", e))?;
    if both {
        rustix::io::ioctl_fionbio(&w, true).map_err(|e| Error::sys("ioctl FIONBIO", e))?;
    }
    Ok((r, w))
}

fn drain_into<const N: usize>(r: &OwnedFd, out: &mut Buf<N>) {
    let mut chunk = [0u8; 1024];
    loop {
        match rustix::io::read(r, &mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                out.push_bytes(&chunk[..n]);
            }
        }
    }
}

/// The error, then each line husk logged while trying (`husk: ` dropped), joined by "; "
/// (an error that was logged already prints as nothing: then the lines alone).
pub fn joined(e: &Error, log: &[u8]) -> Buf<{ LOG_MAX + 256 }> {
    let mut t = Buf::new();
    let _ = write!(t, "{e}");
    for line in log.split(|&c| c == b'\n') {
        let line = line.strip_prefix(b"husk: ").unwrap_or(line).trim_ascii();
        if !line.is_empty() {
            if !t.is_empty() {
                t.push_bytes(b"; ");
            }
            t.push_bytes(line);
        }
    }
    t
}

/// Log again, with the bundle's name, the lines husk logged (captured) while starting it.
fn relog(name: &str, log: &[u8]) {
    for line in log.split(|&c| c == b'\n') {
        let Some(l) = line.strip_prefix(b"husk: ") else {
            continue;
        };
        let (lvl, text) = if let Some(t) = l.strip_prefix(b"warning: ") {
            (crate::log::Level::Warn, t)
        } else if let Some(t) = l.strip_prefix(b"info: ") {
            (crate::log::Level::Info, t)
        } else if let Some(t) = l.strip_prefix(b"debug: ") {
            (crate::log::Level::Debug, t)
        } else {
            (crate::log::Level::Error, l)
        };
        let text = core::str::from_utf8(text).unwrap_or("(not UTF-8)");
        crate::log::emit(lvl, format_args!("{}: {}", name, text));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joined_log_lines() {
        let e = Error::state("boom");
        let t = joined(&e, b"husk: create: x\n\nhusk: warning: y\n");
        assert_eq!(t.as_str(), "boom; create: x; warning: y");
        // the child's error, reported in its own line already
        let t = joined(&Error::reported(), b"husk: create: mounts[1]: ENOENT\n");
        assert_eq!(t.as_str(), "create: mounts[1]: ENOENT");
    }
}
