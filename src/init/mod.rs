//! husk as PID 1 of an appliance (catatonit/tini order, one function per step).
//!
//! Steps, in run order: block signals; leave the initramfs for a tmpfs root ([`switch`]);
//! mount the pseudo filesystems and cgroup2, open the console ([`mounts`]); read the
//! settings ([`cmdline`], [`config`]); hostname, loopback, root mode; the signalfd; in test
//! mode the built-in checks ([`checks`], [`cglive`]); read the bundles ([`units`]); run
//! the onboot bundles, then supervise the services ([`supervise`]) until a signal asks for
//! the end ([`signals`]); stop everything in order and power off ([`shutdown`],
//! [`power`]). init.json's own mounts ([`fstab`]) come after the modules, before the
//! bundles.
//!
//! Two error regimes, as in catatonit: a failure before the supervisor starts is fatal
//! (logged, then the machine powers off, since PID 1 may never exit); from then on every
//! failure is logged and the machine goes on (a required bundle that fails shuts it down
//! in order).
//!
//! Test protocol on the console (read by qemu-tests/run): `HUSK-RESULT <name> exit=<code>
//! <json>` per onboot bundle, per bundle that cannot run, and per built-in check;
//! `HUSK-DONE pass=<n> fail=<n> kernel_ms=<n> init_ms=<n>` at shutdown (when PID 1
//! started, and how long it ran until then); `HUSK-FATAL <error>` if a fatal step failed.

#![deny(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod bundles;
pub mod cglive;
pub mod checks;
pub mod cmdline;
pub mod config;
pub mod fstab;
pub mod limits;
pub mod minit;
pub mod modules;
pub mod mounts;
pub mod order;
pub mod output;
pub mod policy;
pub mod power;
pub mod restart;
pub mod shutdown;
pub mod signals;
pub mod start;
pub mod streams;
pub mod supervise;
pub mod switch;
pub mod units;

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
    let started_us = monotonic_us();
    let started = started_us / 1000;
    let mask = fatal_on_err(block_signals());
    // Pin no mount: everything below works on absolute paths.
    let _ = rustix::process::chdir(c"/");
    // A session of its own, as busybox init makes (the console's foreground is ours).
    let _ = rustix::process::setsid();
    let moved = fatal_on_err(switch::leave_initramfs());
    let kept = fatal_on_err(mounts::mount_all());
    mounts::ensure_console();
    power::cad_to_signal();
    let cmd = cmdline::read();
    let (opts, cfg_err) = config::load(&cmd);
    crate::log::set_level(if opts.debug {
        crate::log::Level::Debug
    } else {
        crate::log::Level::Info
    });
    let sfd = fatal_on_err(
        crate::sys::process::signalfd_nonblocking(SigMask(signals::watched()))
            .map_err(|e| crate::Error::sys("signalfd", e)),
    );
    let mut m = fatal_on_err(supervise::Machine::new(&opts, sfd, started));
    m.open_logs();
    crate::info!(
        "init: husk {} as PID 1, started {}.{:03} ms after the kernel; root {}; bundles in {}",
        crate::VERSION,
        started,
        started_us % 1000,
        match moved {
            switch::Root::Kept => "kept (not an initramfs)",
            switch::Root::Moved { copied: false, .. } => "the initramfs (a tmpfs), bound onto /",
            switch::Root::Moved { copied: true, .. } => "copied from the initramfs to a tmpfs",
        },
        opts.bundles.as_str()
    );
    if kept > 0 && moved == switch::Root::Kept {
        crate::info!("init: {} filesystems were mounted already, kept", kept);
    }
    if let Some(e) = cfg_err {
        crate::error!("init: {} (init.json ignored, defaults used)", e);
    }
    if let Some(u) = &cmd.unknown {
        crate::warn!("init: unknown kernel option {} ignored", u.as_str());
    }
    if moved == switch::Root::Kept {
        mounts::root_mode(opts.root);
    }
    mounts::enable_controllers();
    if let Some(list) = &cmd.modules {
        // Before any bundle: their limits may name a device a module provides.
        modules::load(list.as_str());
    }
    // The machine's own filesystems (init.json `mounts`): after the modules, which may
    // provide one, and before any bundle, which may use one.
    fstab::mount_all(&opts.mounts);
    mounts::set_hostname(opts.hostname.as_bytes());
    if opts.loopback {
        mounts::loopback();
    }
    if opts.test && opts.checks {
        checks::pivot_root(mask, moved, &mut m.tally);
        checks::cgroup(&mut m.tally);
        cglive::check(mask, opts.bundles.as_bytes(), &mut m.tally);
    }
    m.load();
    m.run_onboot();
    if m.request.is_none() {
        m.start_services();
        m.supervise();
    }
    shutdown::run(&mut m)
}

/// CLOCK_MONOTONIC in milliseconds: time since the kernel started, near enough.
pub fn monotonic_ms() -> u64 {
    monotonic_us() / 1000
}

/// CLOCK_MONOTONIC in microseconds (the boot benchmark compares PID 1's start with the
/// service's first output to the microsecond).
pub fn monotonic_us() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    (t.tv_sec as u64) * 1_000_000 + (t.tv_nsec as u64) / 1000
}

/// Block every signal but the fault signals (catatonit: "before anything else"); the
/// container processes clear the mask for themselves.
fn block_signals() -> crate::Result<SigMask> {
    crate::sys::process::block_all_but_faults().map_err(|e| crate::Error::sys("rt_sigprocmask", e))
}

/// Before the supervisor runs, an error ends the boot: log it, then power off.
fn fatal_on_err<T>(r: crate::Result<T>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => {
            crate::outln!(crate::sys::stdout(), "HUSK-FATAL {}", e);
            crate::error!("init: {}", e);
            power::off(signals::Power::Poweroff)
        }
    }
}
