//! Containers' output while they run: one chunk read per wake-up, split into console lines
//! and copied to the log file (and, for an onboot bundle under `husk.test`, its result
//! line); the rest read when a container ends. Part of [`super::supervise::Machine`]; runs
//! in PID 1.

use super::output::console_line;
use super::supervise::{Machine, STDERR, STDOUT};
use crate::sys::Errno;
use crate::Error;

/// Bytes read from one pipe per wake-up (so one noisy container cannot starve the rest).
const CHUNK: usize = 4096;

impl Machine<'_> {
    /// Read one chunk from a container's output pipe.
    pub(super) fn read_pipe(&mut self, i: usize, s: u8) {
        let mut chunk = [0u8; CHUNK];
        let Some(p) = &self.units[i].proc else { return };
        let Some(fd) = (if s == STDOUT { &p.stdout } else { &p.stderr }) else {
            return;
        };
        match rustix::io::read(fd, &mut chunk) {
            // EIO: a terminal master whose every slave holder is gone.
            Ok(0) | Err(Errno::IO) => self.end_stream(i, s),
            Ok(n) => self.output(i, s, &chunk[..n]),
            Err(Errno::AGAIN | Errno::INTR) => {}
            Err(e) => {
                crate::warn!("{}: {}", self.units[i].name, Error::sys("read output", e));
                self.end_stream(i, s);
            }
        }
    }

    /// Everything the pipes of `i` hold now (bounded: a writer left behind may go on).
    pub(super) fn drain(&mut self, i: usize) {
        for s in [STDOUT, STDERR] {
            for _ in 0..64 {
                let mut chunk = [0u8; CHUNK];
                let Some(p) = &self.units[i].proc else { return };
                let Some(fd) = (if s == STDOUT { &p.stdout } else { &p.stderr }) else {
                    break;
                };
                match rustix::io::read(fd, &mut chunk) {
                    Ok(0) => {
                        self.end_stream(i, s);
                        break;
                    }
                    Ok(n) => self.output(i, s, &chunk[..n]),
                    Err(Errno::INTR) => {}
                    Err(_) => break,
                }
            }
        }
    }

    /// A stream ended: show its unfinished line and close it.
    pub(super) fn end_stream(&mut self, i: usize, s: u8) {
        let u = &mut self.units[i];
        let name = u.name.as_str();
        let (lines, k) = if s == STDOUT {
            (&mut u.out_lines, 2 * i)
        } else {
            (&mut u.err_lines, 2 * i + 1)
        };
        if let Some(buf) = self.lines.get(k) {
            lines.flush(buf, &mut |p, c| {
                console_line(crate::sys::stdout(), name, p, c)
            });
        }
        if let Some(p) = &mut u.proc {
            if s == STDOUT {
                p.stdout = None;
            } else {
                p.stderr = None;
            }
        }
    }

    pub(super) fn close_output(&mut self, i: usize) {
        self.end_stream(i, STDOUT);
        self.end_stream(i, STDERR);
        self.units[i].proc = None;
    }

    /// Output of `i` on stream `s`: the console, its log file, the test capture.
    pub(super) fn output(&mut self, i: usize, s: u8, data: &[u8]) {
        let max = self.opts.log_max_bytes;
        let u = &mut self.units[i];
        let name = u.name.as_str();
        if u.log.fd().is_some() {
            let stamp = super::output::stamp_now();
            u.log
                .write(self.logdir.as_ref(), name, max, stamp.as_bytes(), data);
        }
        let (lines, k) = if s == STDOUT {
            (&mut u.out_lines, 2 * i)
        } else {
            (&mut u.err_lines, 2 * i + 1)
        };
        if let Some(buf) = self.lines.get_mut(k) {
            lines.feed(buf, data, &mut |p, c| {
                console_line(crate::sys::stdout(), name, p, c)
            });
        }
        if s == STDOUT && self.capturing == Some(i) {
            self.capture.push_bytes(data);
        }
    }

    /// Rotate husk.log when it reached its cap (husk's logger writes it directly).
    pub(super) fn keep_husk_log(&mut self) {
        let max = self.opts.log_max_bytes;
        if max > 0 && self.husk_log.check_size(self.logdir.as_ref(), "husk", max) {
            crate::log::set_tee(self.husk_log.fd());
        }
    }
}
