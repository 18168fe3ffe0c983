//! reboot(2): the last call of PID 1. Never returns (PID 1 exiting panics the kernel).

use super::signals::Power;
use rustix::system::{reboot, RebootCommand};

/// sync(2), then reboot(2) with the command for `p`: RB_POWER_OFF (ACPI on x86_64 q35,
/// PSCI SYSTEM_OFF on arm/aarch64 virt), RB_AUTOBOOT, RB_HALT_SYSTEM. If power-off fails,
/// halt; if that returns too, sleep forever rather than exit.
pub fn off(p: Power) -> ! {
    rustix::fs::sync();
    let cmd = match p {
        Power::Poweroff => RebootCommand::PowerOff,
        Power::Reboot => RebootCommand::Restart,
        Power::Halt => RebootCommand::Halt,
    };
    let e = reboot(cmd);
    crate::error!("init: reboot({}): {:?}", p.name(), e);
    let _ = reboot(RebootCommand::Halt);
    loop {
        let t = rustix::time::Timespec {
            tv_sec: 3600,
            tv_nsec: 0,
        };
        let _ = rustix::thread::nanosleep(&t);
    }
}

/// Ctrl-Alt-Del sends SIGINT to PID 1 instead of rebooting at once (busybox init does the
/// same), so that it shuts down in order.
pub fn cad_to_signal() {
    if let Err(e) = reboot(RebootCommand::CadOff) {
        crate::warn!("init: {}", crate::Error::sys("reboot(CAD_OFF)", e));
    }
}
