//! The command table: every runc command (and husk's own `validate`), its flags and help.
//! Flags are runc's, so callers' command lines parse even where husk does not act on a flag.

use super::args::{Flag, Mode, Parsed};
use super::Global;
use crate::error::{Error, Result};

pub struct Command {
    pub name: &'static str,
    pub usage: &'static str,
    pub about: &'static str,
    pub flags: &'static [Flag],
    pub mode: Mode,
    pub min_args: usize,
    pub max_args: usize,
    /// Usage error when the argument count is wrong.
    pub arg_error: &'static str,
    pub run: fn(&Global<'_>, &Command, &Parsed<'_>) -> Result<i32>,
}

const HELP: Flag = Flag::switch(&["help", "h"], "show help");
const ONE_ID: &str = "requires exactly one argument: the container id";

/// Commands whose implementation belongs to a later version: they are recognised (so the
/// flags and help work) and fail with a clear message.
fn pending(_: &Global<'_>, c: &Command, _: &Parsed<'_>) -> Result<i32> {
    Err(Error::unsupported(
        c.name,
        "not implemented yet in this version of husk",
    ))
}

fn no_criu(_: &Global<'_>, c: &Command, _: &Parsed<'_>) -> Result<i32> {
    Err(Error::unsupported(
        c.name,
        "not supported: husk has no CRIU checkpoint/restore",
    ))
}

const CREATE_FLAGS: &[Flag] = &[
    Flag::value(
        &["bundle", "b"],
        "DIR",
        "bundle directory (default: current directory)",
    ),
    Flag::value(
        &["console-socket"],
        "PATH",
        "unix socket that receives the pty master",
    ),
    Flag::value(&["pid-file"], "PATH", "write the container's host pid here"),
    Flag::switch(&["no-pivot"], "use MS_MOVE + chroot instead of pivot_root"),
    Flag::switch(&["no-new-keyring"], "do not create a session keyring"),
    Flag::value(
        &["preserve-fds"],
        "N",
        "pass N extra fds (from 3) to the container",
    ),
    HELP,
];

const RUN_FLAGS: &[Flag] = &[
    Flag::value(
        &["bundle", "b"],
        "DIR",
        "bundle directory (default: current directory)",
    ),
    Flag::value(
        &["console-socket"],
        "PATH",
        "unix socket that receives the pty master",
    ),
    Flag::switch(&["detach", "d"], "do not wait for the container"),
    Flag::switch(&["keep"], "do not delete the container after it exits"),
    Flag::value(&["pid-file"], "PATH", "write the container's host pid here"),
    Flag::switch(&["no-subreaper"], "accepted for compatibility"),
    Flag::switch(&["no-pivot"], "use MS_MOVE + chroot instead of pivot_root"),
    Flag::switch(&["no-new-keyring"], "do not create a session keyring"),
    Flag::value(
        &["preserve-fds"],
        "N",
        "pass N extra fds (from 3) to the container",
    ),
    HELP,
];

const EXEC_FLAGS: &[Flag] = &[
    Flag::value(
        &["console-socket"],
        "PATH",
        "unix socket that receives the pty master",
    ),
    Flag::value(
        &["pidfd-socket"],
        "PATH",
        "unix socket that receives a pidfd",
    ),
    Flag::value(&["cwd"], "DIR", "working directory"),
    Flag::value(
        &["env", "e"],
        "K=V",
        "set an environment variable (repeatable)",
    ),
    Flag::switch(&["tty", "t"], "allocate a pseudo-terminal"),
    Flag::value(&["user", "u"], "UID[:GID]", "user to run as"),
    Flag::value(
        &["additional-gids", "g"],
        "GID",
        "additional group (repeatable)",
    ),
    Flag::value(&["process", "p"], "FILE", "runtime-spec Process JSON"),
    Flag::switch(&["detach", "d"], "do not wait for the process"),
    Flag::value(&["pid-file"], "PATH", "write the process's host pid here"),
    Flag::value(&["process-label"], "LABEL", "SELinux label"),
    Flag::value(&["apparmor"], "PROFILE", "AppArmor profile"),
    Flag::switch(&["no-new-privs"], "set no_new_privs"),
    Flag::value(&["cap", "c"], "CAP", "add a capability (repeatable)"),
    Flag::value(&["preserve-fds"], "N", "pass N extra fds (from 3)"),
    Flag::value(&["cgroup"], "PATH", "sub-cgroup to join"),
    Flag::switch(&["ignore-paused"], "allow exec into a paused container"),
    HELP,
];

const UPDATE_FLAGS: &[Flag] = &[
    Flag::value(
        &["resources", "r"],
        "FILE",
        "LinuxResources JSON (- for stdin)",
    ),
    Flag::value(
        &["blkio-weight"],
        "N",
        "block IO weight, 10..1000 (io.weight)",
    ),
    Flag::value(&["cpu-period"], "N", "CPU CFS period in us (cpu.max)"),
    Flag::value(
        &["cpu-quota"],
        "N",
        "CPU CFS quota in us, -1 unlimited (cpu.max)",
    ),
    Flag::value(&["cpu-burst"], "N", "CPU burst in us (cpu.max.burst)"),
    Flag::value(&["cpu-share"], "N", "CPU shares (cpu.weight)"),
    Flag::value(
        &["cpu-rt-period"],
        "N",
        "refused: cgroup v2 has no real-time controls",
    ),
    Flag::value(
        &["cpu-rt-runtime"],
        "N",
        "refused: cgroup v2 has no real-time controls",
    ),
    Flag::value(&["cpuset-cpus"], "LIST", "CPUs allowed (cpuset.cpus)"),
    Flag::value(
        &["cpuset-mems"],
        "LIST",
        "memory nodes allowed (cpuset.mems)",
    ),
    Flag::value(
        &["memory"],
        "BYTES",
        "memory limit, e.g. 64m, -1 unlimited (memory.max)",
    ),
    Flag::value(
        &["memory-reservation"],
        "BYTES",
        "memory soft limit (memory.low)",
    ),
    Flag::value(
        &["memory-swap"],
        "BYTES",
        "memory+swap limit, -1 unlimited (memory.swap.max)",
    ),
    Flag::value(
        &["pids-limit"],
        "N",
        "maximum number of processes (pids.max)",
    ),
    Flag::value(&["l3-cache-schema"], "S", "refused: no Intel RDT"),
    Flag::value(&["mem-bw-schema"], "S", "refused: no Intel RDT"),
    HELP,
];

pub static COMMANDS: &[Command] = &[
    Command {
        name: "create",
        usage: "[OPTIONS] ID",
        about: "create a container from a bundle; it waits for start",
        flags: CREATE_FLAGS,
        mode: Mode::Interleaved,
        min_args: 1,
        max_args: 1,
        arg_error: ONE_ID,
        run: super::lifecycle::create,
    },
    Command {
        name: "start",
        usage: "ID",
        about: "run the user process of a created container",
        flags: &[HELP],
        mode: Mode::Interleaved,
        min_args: 1,
        max_args: 1,
        arg_error: ONE_ID,
        run: super::lifecycle::start,
    },
    Command {
        name: "run",
        usage: "[OPTIONS] ID",
        about: "create and start a container",
        flags: RUN_FLAGS,
        mode: Mode::Interleaved,
        min_args: 1,
        max_args: 1,
        arg_error: ONE_ID,
        run: super::lifecycle::run,
    },
    Command {
        name: "state",
        usage: "ID",
        about: "print a container's state as JSON",
        flags: &[HELP],
        mode: Mode::Interleaved,
        min_args: 1,
        max_args: 1,
        arg_error: ONE_ID,
        run: super::state::run,
    },
    Command {
        name: "kill",
        usage: "[--all] ID [SIGNAL]",
        about: "send a signal (default SIGTERM) to a container",
        flags: &[
            Flag::switch(&["all", "a"], "signal every process of the container"),
            HELP,
        ],
        mode: Mode::Interleaved,
        min_args: 1,
        max_args: 2,
        arg_error: "requires the container id and optionally a signal",
        run: super::lifecycle::kill,
    },
    Command {
        name: "delete",
        usage: "[--force] ID",
        about: "delete a stopped container (--force: any container)",
        flags: &[
            Flag::switch(&["force", "f"], "kill the container first if it runs"),
            HELP,
        ],
        mode: Mode::Interleaved,
        min_args: 1,
        max_args: 1,
        arg_error: ONE_ID,
        run: super::lifecycle::delete,
    },
    Command {
        name: "list",
        usage: "[--format table|json] [--quiet]",
        about: "list the containers under --root",
        flags: &[
            Flag::value(
                &["format", "f"],
                "table|json",
                "output format (default table)",
            ),
            Flag::switch(&["quiet", "q"], "print only ids"),
            HELP,
        ],
        mode: Mode::Interleaved,
        min_args: 0,
        max_args: 0,
        arg_error: "takes no arguments",
        run: super::list::run,
    },
    Command {
        name: "ps",
        usage: "[--format table|json] ID",
        about: "list a container's processes",
        flags: &[
            Flag::value(&["format", "f"], "table|json", "output format"),
            HELP,
        ],
        mode: Mode::StopAfter(1),
        min_args: 1,
        max_args: 64,
        arg_error: ONE_ID,
        run: super::lifecycle::ps,
    },
    Command {
        name: "exec",
        usage: "[OPTIONS] ID [COMMAND [ARGS...]]",
        about: "run a process in a running container",
        flags: EXEC_FLAGS,
        mode: Mode::StopAfter(2),
        min_args: 1,
        max_args: 256,
        arg_error: "requires the container id and a command or --process",
        run: super::lifecycle::exec,
    },
    Command {
        name: "pause",
        usage: "ID",
        about: "freeze every process of a container",
        flags: &[HELP],
        mode: Mode::Interleaved,
        min_args: 1,
        max_args: 1,
        arg_error: ONE_ID,
        run: super::lifecycle::pause,
    },
    Command {
        name: "resume",
        usage: "ID",
        about: "thaw a paused container",
        flags: &[HELP],
        mode: Mode::Interleaved,
        min_args: 1,
        max_args: 1,
        arg_error: ONE_ID,
        run: super::lifecycle::resume,
    },
    Command {
        name: "update",
        usage: "[--resources FILE|-] [FLAGS] ID",
        about: "change a container's resource limits",
        flags: UPDATE_FLAGS,
        mode: Mode::Interleaved,
        min_args: 1,
        max_args: 1,
        arg_error: ONE_ID,
        run: super::lifecycle::update,
    },
    Command {
        name: "events",
        usage: "[--stats] [--interval D] ID",
        about: "print container events and statistics as JSON",
        flags: &[
            Flag::value(&["interval"], "DURATION", "time between stats (default 5s)"),
            Flag::switch(&["stats"], "print statistics once and exit"),
            HELP,
        ],
        mode: Mode::Interleaved,
        min_args: 1,
        max_args: 1,
        arg_error: ONE_ID,
        run: super::lifecycle::events,
    },
    Command {
        name: "spec",
        usage: "[--bundle DIR] [--rootless]",
        about: "write a default config.json (as runc spec does)",
        flags: &[
            Flag::value(
                &["bundle", "b"],
                "DIR",
                "where to write config.json (default: current directory)",
            ),
            Flag::switch(
                &["rootless"],
                "a config for a non-root user (user namespace, mappings)",
            ),
            HELP,
        ],
        mode: Mode::Interleaved,
        min_args: 0,
        max_args: 0,
        arg_error: "takes no arguments",
        run: super::spec::run,
    },
    Command {
        name: "features",
        usage: "",
        about: "print what this husk supports (runtime-spec features.md JSON)",
        flags: &[HELP],
        mode: Mode::Interleaved,
        min_args: 0,
        max_args: 0,
        arg_error: "takes no arguments",
        run: super::features::run,
    },
    Command {
        name: "validate",
        usage: "[--bundle DIR]",
        about: "check a bundle's config.json and rootfs, printing every problem",
        flags: &[
            Flag::value(
                &["bundle", "b"],
                "DIR",
                "bundle directory (default: current directory)",
            ),
            HELP,
        ],
        mode: Mode::Interleaved,
        min_args: 0,
        max_args: 0,
        arg_error: "takes no arguments",
        run: super::validate::run,
    },
    Command {
        name: "init",
        usage: "[OPTIONS] [--] COMMAND [ARGS...]",
        about: "run COMMAND as a container's init (forwards signals, reaps zombies)",
        flags: super::init_cmd::FLAGS,
        // init parses its own options, getopt style as tini (`-sg`, `-e143`).
        mode: Mode::Raw,
        min_args: 0,
        max_args: super::args::MAX_POSITIONALS,
        arg_error: "",
        run: super::init_cmd::run,
    },
    Command {
        name: "checkpoint",
        usage: "[OPTIONS] ID",
        about: "not supported (no CRIU)",
        flags: &[],
        mode: Mode::Raw,
        min_args: 0,
        max_args: 256,
        arg_error: "",
        run: no_criu,
    },
    Command {
        name: "restore",
        usage: "[OPTIONS] ID",
        about: "not supported (no CRIU)",
        flags: &[],
        mode: Mode::Raw,
        min_args: 0,
        max_args: 256,
        arg_error: "",
        run: no_criu,
    },
];
