//! The end of a boot: reap what is left, sync, power off.

use rustix::process::{waitpid, WaitOptions};
use rustix::system::{reboot, RebootCommand};

/// waitpid(-1, WNOHANG) until nothing is left to reap (0 or ECHILD): no zombie survives.
pub fn reap_all() -> u32 {
    let mut n = 0;
    while let Ok(Some(_)) = waitpid(None, WaitOptions::NOHANG) {
        n += 1;
    }
    n
}

/// sync(2), then reboot(2) RB_POWER_OFF (ACPI on x86_64 q35, PSCI SYSTEM_OFF on arm/aarch64
/// virt: QEMU exits either way); if that returns, RB_AUTOBOOT (with `-no-reboot` QEMU exits
/// too); if even that fails, sleep forever rather than exit (the kernel would panic).
pub fn off() -> ! {
    rustix::fs::sync();
    let e = reboot(RebootCommand::PowerOff);
    crate::error!("reboot(POWER_OFF): {:?}", e);
    let _ = reboot(RebootCommand::Restart);
    loop {
        let t = rustix::time::Timespec {
            tv_sec: 3600,
            tv_nsec: 0,
        };
        let _ = rustix::thread::nanosleep(&t);
    }
}
