//! The end of the machine, in order:
//!
//! 1. services (and a running onboot bundle) stop in reverse dependency order: a service
//!    gets its stop signal once nothing that depends on it still runs; SIGKILL when its
//!    stop timeout passes; each one ended is deleted (poststop hooks, cgroup removed);
//! 2. every process left gets SIGTERM, then after [`KILL_GRACE_MS`] SIGKILL, and is reaped;
//! 3. the log files are closed, then sync(2);
//! 4. every mount is unmounted, last mounted first (lazily when busy), and `/` remounted
//!    read-only;
//! 5. sync(2) again and reboot(2) with the requested command.
//!
//! Nothing is left running, so nothing writes to a filesystem when the power goes.

use super::limits::MOUNTINFO_MAX;
use super::order::{self, Indices};
use super::signals::Request;
use super::supervise::{now_ms, Machine};
use super::units::{dep_state, DepState, State};
use crate::cpath::CPath;
use crate::Error;
use rustix::io::Errno;
use rustix::mount::{unmount, UnmountFlags};

/// How long the processes left after the services get between SIGTERM and SIGKILL.
pub const KILL_GRACE_MS: u64 = 2000;
/// How long PID 1 waits for processes to be gone after SIGKILL (a process in
/// uninterruptible sleep may never go), before going on without them.
pub const KILL_WAIT_MS: u64 = 5000;

pub fn run(m: &mut Machine<'_>) -> ! {
    let req = m.request.unwrap_or(Request {
        power: m.opts.on_failure,
        immediate: false,
    });
    m.stopping = true;
    log_memory(req);
    report_waiting(m);
    stop_units(m);
    kill_remaining(m);
    if m.opts.test {
        crate::outln!(
            crate::sys::stdout(),
            "HUSK-DONE pass={} fail={} kernel_ms={} init_ms={}",
            m.tally.pass,
            m.tally.fail,
            m.started_ms,
            now_ms().saturating_sub(m.started_ms)
        );
    }
    crate::info!(
        "init: {} orphaned processes were reaped; closing logs",
        m.orphans
    );
    crate::log::set_tee(None);
    m.husk_log.close();
    for u in m.units.iter_mut() {
        u.log.close();
    }
    m.logdir = None;
    rustix::fs::sync();
    unmount_all();
    super::power::off(req.power)
}

/// The number of kB on the line `key` of a /proc file (0 if absent).
fn kb(text: &[u8], key: &[u8]) -> u64 {
    text.split(|&c| c == b'\n')
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| core::str::from_utf8(v).ok())
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// PID 1's own memory now, with everything still running (the benchmark reads this line).
/// smaps_rollup counts resident pages by walking the page tables; VmRSS and VmHWM can lag
/// by up to 64 page faults on Linux 6.1 (per-task counters synced in batches).
fn log_memory(req: Request) {
    crate::sys::mem::trim_stack();
    let mut a = [0u8; 2048];
    let mut b = [0u8; 2048];
    let status = crate::files::read_to(c"/proc/self/status", &mut a).unwrap_or(&mut []);
    let rollup = crate::files::read_to(c"/proc/self/smaps_rollup", &mut b).unwrap_or(&mut []);
    crate::info!(
        "init: shutdown: {}{}; PID 1 VmRSS {} kB, VmHWM {} kB, Rss {} kB (smaps_rollup)",
        req.power.name(),
        if req.immediate { " (immediate)" } else { "" },
        kb(status, b"VmRSS:"),
        kb(status, b"VmHWM:"),
        kb(rollup, b"Rss:")
    );
}

/// Step 1.
fn stop_units(m: &mut Machine<'_>) {
    for u in m.units.iter_mut() {
        if u.state == State::Backoff {
            crate::info!("{}: restart cancelled", u.name);
            u.state = State::Exited(-1);
        }
    }
    loop {
        let immediate = m.request.is_some_and(|r| r.immediate);
        let active: Indices = (0..m.units.len())
            .filter(|&i| m.units[i].active())
            .map(|i| i as u8)
            .collect();
        if active.is_empty() {
            return;
        }
        let deps = m.deps();
        for &i in active.iter() {
            let i = i as usize;
            let running = m.units[i].state == State::Running;
            let escalate = immediate && m.units[i].state == (State::Stopping { killed: false });
            if (running && order::can_stop(i as u8, &active, &deps)) || escalate {
                m.stop(i, immediate);
            }
        }
        m.wait();
    }
}

/// Step 2: SIGTERM to everything but PID 1, then SIGKILL, reaping all along.
fn kill_remaining(m: &mut Machine<'_>) {
    for (sig, wait) in [(15, KILL_GRACE_MS), (9, KILL_WAIT_MS)] {
        if m.reap() {
            return;
        }
        let _ = crate::sys::process::kill(-1, sig);
        crate::info!(
            "init: {} to every process left",
            if sig == 15 { "SIGTERM" } else { "SIGKILL" }
        );
        let end = now_ms().saturating_add(wait);
        loop {
            if m.reap() {
                return;
            }
            let now = now_ms();
            if now >= end {
                break;
            }
            m.poll_once((end - now).min(100) as i64);
        }
    }
    crate::warn!("init: processes are still there after SIGKILL (uninterruptible?)");
}

/// Services still waiting for a dependency's first start never ran: say so, once.
fn report_waiting(m: &Machine<'_>) {
    for (i, u) in m.units.iter().enumerate() {
        if u.state != State::Waiting {
            continue;
        }
        match dep_state(&m.units, i) {
            DepState::Wait(d) => crate::info!(
                "{}: not started: the machine stops while it waits for {}",
                u.name,
                m.units[d as usize].name
            ),
            _ => crate::info!("{}: not started: the machine stops", u.name),
        }
    }
}

/// Step 4: unmount what /proc/self/mountinfo lists, from the last line to the first (a
/// mount comes after its parent there), then remount `/` read-only.
fn unmount_all() {
    let mut buf = [0u8; MOUNTINFO_MAX];
    let info = match crate::files::read_file(c"/proc/self/mountinfo", &mut buf, "mountinfo") {
        Ok(t) => t,
        Err(e) => {
            crate::error!("init: {e}: nothing unmounted");
            remount_root_ro();
            return;
        }
    };
    let (mut done, mut lazy, mut failed) = (0, 0, 0);
    // Named in the log: a busy /dev (PID 1 holds the console) is harmless, a busy disk
    // filesystem is what an appliance's owner needs to know about.
    let mut busy = crate::out::Buf::<160>::new();
    for line in info.rsplit(|&c| c == b'\n') {
        // id parent maj:min root mountpoint ...
        let Some(mp) = line.split(|&c| c == b' ').nth(4) else {
            continue;
        };
        if mp == b"/" {
            continue;
        }
        let Ok(path) = unescape(mp) else { continue };
        match unmount(path.as_cstr(), UnmountFlags::empty()) {
            Ok(()) => done += 1,
            // Gone with a parent already, or never a mount point on its own.
            Err(Errno::INVAL | Errno::NOENT) => {}
            Err(Errno::BUSY) => match unmount(path.as_cstr(), UnmountFlags::DETACH) {
                Ok(()) => {
                    lazy += 1;
                    busy.push_bytes(if busy.is_empty() { b": " } else { b" " });
                    busy.push_bytes(path.as_bytes());
                }
                Err(_) => failed += 1,
            },
            Err(e) => {
                failed += 1;
                crate::warn!("init: {}", Error::sys("umount", e).path(path.as_bytes()));
            }
        }
    }
    let root = remount_root_ro();
    crate::info!(
        "init: unmounted {} filesystems ({} of them lazily, busy{}{}), {} failed; / {}",
        done + lazy,
        lazy,
        busy.as_str(),
        if busy.truncated() { "..." } else { "" },
        failed,
        root
    );
}

/// `/` read-only, so that nothing can write to it any more.
fn remount_root_ro() -> &'static str {
    use rustix::mount::{mount_remount, MountFlags};
    match mount_remount(c"/", MountFlags::RDONLY, c"") {
        Ok(()) => "remounted read-only",
        Err(_) => "left as it was (remount read-only refused)",
    }
}

/// A mountinfo path with its octal escapes (`\040` for a space) decoded.
fn unescape(p: &[u8]) -> crate::Result<CPath> {
    let mut out = [0u8; crate::cpath::PATH_MAX];
    let mut n = 0;
    let mut i = 0;
    while i < p.len() && n < out.len() {
        let c = p[i];
        let oct = p
            .get(i + 1..i + 4)
            .filter(|d| d[0] <= b'3' && d.iter().all(|x| (b'0'..=b'7').contains(x)));
        match (c, oct) {
            (b'\\', Some(d)) => {
                out[n] = (d[0] - b'0') * 64 + (d[1] - b'0') * 8 + (d[2] - b'0');
                i += 4;
            }
            _ => {
                out[n] = c;
                i += 1;
            }
        }
        n += 1;
    }
    CPath::from(&out[..n], "mountinfo")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_escapes() {
        assert_eq!(unescape(b"/mnt/a\\040b").unwrap().as_bytes(), b"/mnt/a b");
        assert_eq!(unescape(b"/x\\134y").unwrap().as_bytes(), b"/x\\y");
        assert_eq!(unescape(b"/plain").unwrap().as_bytes(), b"/plain");
    }
}
