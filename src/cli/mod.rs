//! The runc command line (see cli-contract).

/// Entry of the `husk` binary. As PID 1 (an appliance's /init) it runs the machine.
// TODO(cli): also require argv[0]'s basename `init` or no command, per the CLI contract.
pub fn main(args: crate::sys::Args) -> i32 {
    if rustix::process::getpid().is_init() {
        return crate::init::boot(args);
    }
    0
}
