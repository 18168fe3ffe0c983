//! husk as PID 1 (the appliance init). Implemented on the qemu branch; this stub keeps the
//! CLI's entry point stable.

/// Whether this process is the kernel's first process, started as `/init` (or with no
/// command): then husk boots the machine instead of acting as a runtime.
pub fn is_pid1_boot(args: &crate::sys::Args) -> bool {
    rustix::process::getpid().is_init() && args.len() <= 1
}

pub fn boot(_args: crate::sys::Args) -> i32 {
    crate::error!("init: not implemented");
    1
}
