//! husk as PID 1 of an appliance image (catatonit/tini order, one function per step).
//!
//! Steps, in run order: block signals; leave the initramfs for a tmpfs root ([`switch`]);
//! mount the pseudo filesystems and cgroup2 ([`mounts`]); read `husk.*` kernel options
//! ([`cmdline`]); in test mode prove pivot_root works ([`checks`]); run every bundle under
//! `husk.bundles` in name order ([`bundles`]); reap, sync, power off ([`power`]).
//!
//! Two error regimes, as in catatonit: a failure before the bundles run is fatal (logged,
//! then the machine powers off, since PID 1 may never exit); from then on every failure is
//! a warning or a failed result line, and the boot continues.
//!
//! Console protocol (read by qemu-tests/run): `HUSK-RESULT <name> exit=<code> <json>` per
//! bundle or check, `HUSK-DONE pass=<n> fail=<n> kernel_ms=<n> init_ms=<n>` at the end
//! (when PID 1 started, and how long it took until then), `HUSK-FATAL <error>` if a
//! fatal step failed.

#![deny(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod bundles;
pub mod cglive;
pub mod checks;
pub mod cmdline;
pub mod minit;
pub mod mounts;
pub mod power;
pub mod switch;

use crate::sys::process::SigMask;

/// What the bundles and checks added up to.
#[derive(Default, Clone, Copy)]
pub struct Tally {
    pub pass: u32,
    pub fail: u32,
}

/// Whether this process is the kernel's first process, started as `init` (argv[0]'s
/// basename: the kernel also passes unknown boot options as arguments) or with no command:
/// then husk boots the machine instead of acting as a runtime.
pub fn is_pid1_boot(args: &crate::sys::Args) -> bool {
    let argv0 = args.get(0).unwrap_or(b"");
    let base = argv0.rsplit(|&c| c == b'/').next().unwrap_or(argv0);
    rustix::process::getpid().is_init() && (args.len() <= 1 || base == b"init")
}

/// Run the machine: never returns (PID 1 must not exit; the last step powers off).
pub fn boot(_args: crate::sys::Args) -> i32 {
    let started = monotonic_ms();
    let mask = fatal_on_err(block_signals());
    // Pin no mount: everything below works on absolute paths.
    let _ = rustix::process::chdir(c"/");
    let moved = fatal_on_err(switch::leave_initramfs());
    fatal_on_err(mounts::mount_all());
    mounts::ensure_console();
    mounts::enable_controllers();
    let opts = cmdline::read();
    if opts.debug {
        crate::log::set_level(crate::log::Level::Debug);
    }
    mounts::set_hostname();
    let mut tally = Tally::default();
    if opts.test {
        checks::pivot_root(mask, moved, &mut tally);
        checks::cgroup(&mut tally);
        cglive::check(mask, opts.bundles.as_bytes(), &mut tally);
    }
    bundles::run_all(opts.bundles.as_bytes(), opts.test, &mut tally);
    crate::outln!(
        crate::sys::stdout(),
        "HUSK-DONE pass={} fail={} kernel_ms={} init_ms={}",
        tally.pass,
        tally.fail,
        started,
        monotonic_ms().saturating_sub(started)
    );
    power::reap_all();
    power::off()
}

/// CLOCK_MONOTONIC in milliseconds: time since the kernel started, near enough.
fn monotonic_ms() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    (t.tv_sec as u64) * 1000 + (t.tv_nsec as u64) / 1_000_000
}

/// Block every signal but the fault signals (catatonit: "before anything else"); the old
/// mask is restored in each child before execve.
fn block_signals() -> crate::Result<SigMask> {
    crate::sys::process::block_all_but_faults().map_err(|e| crate::Error::sys("rt_sigprocmask", e))
}

/// Before the bundles run, an error ends the boot: log it, then power off.
fn fatal_on_err<T>(r: crate::Result<T>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => {
            crate::outln!(crate::sys::stdout(), "HUSK-FATAL {}", e);
            crate::error!("init: {}", e);
            power::off()
        }
    }
}
