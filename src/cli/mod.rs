//! The runc command line: global flags, the command table, `--help` and `--version`.
//!
//! The contract callers rely on is ../shared/notes/cli-contract.md: every command and flag
//! of runc is recognised; commands that later versions implement fail with a clear message.
//! Parsing is in `args`; each command's action is in its own file.

pub mod args;
mod commands;
mod features;
mod init_cmd;
mod lifecycle;
mod list;
mod spec;
mod state;
mod validate;

use crate::error::{Error, Result};
use crate::sys::Args;
use crate::{error, log};
use args::{Flag, Mode, Parsed};
use commands::{Command, COMMANDS};
use core::fmt::Write;

/// Options given before the command, shared by every command.
pub struct Global<'a> {
    /// State directory (`--root`), default [`DEFAULT_ROOT`].
    pub root: &'a [u8],
    pub systemd_cgroup: bool,
    pub debug: bool,
    /// The process's environment (for PATH lookups and the like).
    pub args: Args,
}

/// runc's default is /run/runc; husk keeps its own directory so both can coexist.
pub const DEFAULT_ROOT: &[u8] = b"/run/husk";

const GLOBAL_FLAGS: &[Flag] = &[
    Flag::value(&["root"], "DIR", "state directory (default /run/husk)"),
    Flag::value(&["log"], "FILE", "also write log lines to FILE"),
    Flag::value(
        &["log-format"],
        "text|json",
        "format of the --log lines (default text)",
    ),
    Flag::switch(&["debug"], "log debug messages"),
    Flag::switch(
        &["systemd-cgroup"],
        "cgroupsPath is slice:prefix:name (mapped to cgroupfs)",
    ),
    Flag::value(
        &["cgroup-manager"],
        "cgroupfs|systemd|disabled",
        "accepted for conmon",
    ),
    Flag::value(
        &["rootless"],
        "true|false|auto",
        "accepted for compatibility",
    ),
    Flag::value(
        &["criu"],
        "PATH",
        "accepted for compatibility (husk has no checkpointing)",
    ),
    Flag::switch(&["help", "h"], "show help"),
    Flag::switch(&["version", "v"], "print the version"),
];

/// The husk binary's entry: parse, run one command, map the outcome to an exit status.
pub fn main(args: Args) -> i32 {
    crate::sys::ensure_stdio();
    // First: an init name with arguments is a container's init even as PID 1, never the
    // machine's boot (old Docker runs `/dev/init -- CMD`).
    if let Some(start) = init_cmd::direct_start(&args) {
        return init_cmd::main(args, start);
    }
    if crate::init::is_pid1_boot(&args) {
        return crate::init::boot(args);
    }
    match run(args) {
        Ok(code) => code,
        Err(e) => {
            if e.kind != crate::error::Kind::Reported {
                error!("{e}");
            }
            e.exit_code()
        }
    }
}

fn run(args: Args) -> Result<i32> {
    let mut it = (1..args.len()).filter_map(|i| args.get(i));
    let g = args::parse(&mut it, GLOBAL_FLAGS, Mode::StopAtPositional)?;
    setup_log(&g)?;
    if g.has(GLOBAL_FLAGS, "version") {
        print_version();
        return Ok(0);
    }
    let Some(name) = g.positional(0) else {
        if g.has(GLOBAL_FLAGS, "help") {
            print_main_help();
            return Ok(0);
        }
        return Err(Error::usage("no command given (see husk --help)"));
    };
    if name == b"help" {
        return help_for(g.positional(1));
    }
    let Some(cmd) = COMMANDS.iter().find(|c| c.name.as_bytes() == name) else {
        return Err(Error::usage("unknown command (see husk --help)").value(name));
    };
    let global = Global {
        root: g.last(GLOBAL_FLAGS, "root").unwrap_or(DEFAULT_ROOT),
        systemd_cgroup: g.has(GLOBAL_FLAGS, "systemd-cgroup"),
        debug: g.has(GLOBAL_FLAGS, "debug"),
        args,
    };
    let mut rest = g.positionals[1..].iter().copied();
    let p = args::parse(&mut rest, cmd.flags, cmd.mode).map_err(|e| with_cmd(e, cmd))?;
    if p.has(cmd.flags, "help") {
        print_command_help(cmd);
        return Ok(0);
    }
    let n = p.positionals.len();
    if n < cmd.min_args || n > cmd.max_args {
        return Err(with_cmd(Error::usage(cmd.arg_error), cmd));
    }
    (cmd.run)(&global, cmd, &p)
}

fn with_cmd(mut e: Error, cmd: &Command) -> Error {
    if e.ctx.is_empty() {
        e.ctx = cmd.name;
    }
    e
}

fn setup_log(g: &Parsed<'_>) -> Result<()> {
    if g.has(GLOBAL_FLAGS, "debug") {
        log::set_level(log::Level::Debug);
    }
    match g.last(GLOBAL_FLAGS, "log-format") {
        None | Some(b"text") => {}
        Some(b"json") => log::set_json(true),
        Some(v) => return Err(Error::usage("--log-format must be text or json").value(v)),
    }
    if let Some(path) = g.last(GLOBAL_FLAGS, "log") {
        use rustix::fs::{open, Mode as FMode, OFlags};
        let fd = open(
            path,
            OFlags::WRONLY | OFlags::CREATE | OFlags::APPEND | OFlags::CLOEXEC,
            FMode::from_raw_mode(0o644),
        )
        .map_err(|e| Error::sys("open log file", e).path(path))?;
        log::set_fd(fd);
    }
    Ok(())
}

fn print_version() {
    crate::outln!(
        crate::sys::stdout(),
        "husk version {}\ncommit: {}\nspec: {}",
        crate::VERSION,
        crate::COMMIT,
        crate::OCI_VERSION
    );
}

fn print_main_help() {
    let mut b = crate::out::Buf::<4096>::new();
    let _ = write!(
        b,
        "husk {}: a tiny OCI runtime (runc-compatible) and PID 1\n\nUsage: husk [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]\n\nCommands:\n",
        crate::VERSION
    );
    for c in COMMANDS {
        let _ = writeln!(b, "  {:<11}{}", c.name, c.about);
    }
    let _ = b.write_str("\nGlobal options:\n");
    write_flags(&mut b, GLOBAL_FLAGS);
    let _ = b.write_str("\nRun 'husk COMMAND --help' for a command's options.");
    b.finish_line();
    let _ = b.write_to(crate::sys::stdout());
}

fn help_for(name: Option<&[u8]>) -> Result<i32> {
    match name {
        None => print_main_help(),
        Some(n) => match COMMANDS.iter().find(|c| c.name.as_bytes() == n) {
            Some(c) => print_command_help(c),
            None => return Err(Error::usage("unknown command (see husk --help)").value(n)),
        },
    }
    Ok(0)
}

fn print_command_help(c: &Command) {
    let mut b = crate::out::Buf::<4096>::new();
    let _ = write!(b, "Usage: husk {} {}\n\n{}\n", c.name, c.usage, c.about);
    if !c.flags.is_empty() {
        let _ = b.write_str("\nOptions:\n");
        write_flags(&mut b, c.flags);
    }
    b.finish_line();
    let _ = b.write_to(crate::sys::stdout());
}

fn write_flags(b: &mut impl Write, flags: &[Flag]) {
    for f in flags {
        let mut name = crate::out::Buf::<64>::new();
        for (i, n) in f.names.iter().enumerate() {
            let dash = if n.len() == 1 { "-" } else { "--" };
            let _ = write!(name, "{}{dash}{n}", if i > 0 { ", " } else { "" });
        }
        if f.value {
            let _ = write!(name, " {}", f.meta);
        }
        let _ = writeln!(b, "  {:<40} {}", name.as_str(), f.help);
    }
}
