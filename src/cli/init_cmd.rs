//! `husk init [OPTIONS] [--] COMMAND [ARGS...]`: the command line of husk as a container's
//! init (the work is in `init::minit`).
//!
//! Callers and names: Podman's `--init` bind-mounts the init binary (`--init-path`) at
//! `/run/podman-init` and runs `/run/podman-init -- CMD...`; Docker's `--init` mounts it at
//! `/sbin/docker-init` and runs `/sbin/docker-init -- CMD...` (older Docker: `/dev/init --`)
//! and asks the host copy for `--version`, which it parses as tini's `tini version X`.
//! So husk is `husk init` when argv[0]'s basename is one of [`INIT_NAMES`], or `init` with
//! `--` as the first argument; images also call tini by name with tini's options.
//!
//! Options are tini's, getopt style (`-sg`, `-e 143`, `-e143`, `-pSIGKILL`), plus
//! `-k/--keep-fds`; they end at `--` or at the first argument that is not an option (so
//! CMD's own options are never taken as husk's). tini's environment variables are honoured:
//! `TINI_SUBREAPER`, `TINI_KILL_PROCESS_GROUP` (as `-s`, `-g`), `TINI_VERBOSITY=N`; and
//! `HUSK_INIT_KEEP_FDS` (as `-k`: for callers that cannot add options, such as Podman).

use super::args::Flag;
use super::commands::Command;
use super::Global;
use crate::error::{Error, Result};
use crate::init::minit::{self, Opts};
use crate::sys::Args;

/// argv[0] basenames under which husk is `husk init` without the word `init`.
pub const INIT_NAMES: &[&[u8]] = &[
    b"docker-init",
    b"podman-init",
    b"tini",
    b"tini-static",
    b"catatonit",
    b"husk-init",
];

pub const FLAGS: &[Flag] = &[
    Flag::switch(
        &["group", "g"],
        "forward signals to the child's process group",
    ),
    Flag::switch(
        &["subreaper", "s"],
        "fail if husk init cannot be a subreaper (it tries whenever not PID 1)",
    ),
    Flag::value(
        &["pdeathsig", "p"],
        "SIGNAL",
        "signal husk init gets when its parent dies (e.g. SIGKILL)",
    ),
    Flag::value(
        &["expect", "e"],
        "CODE",
        "exit 0 when the child exits with CODE, 0..255 (repeatable)",
    ),
    Flag::switch(
        &["keep-fds", "k"],
        "pass inherited fds above 2 to the child (default: closed)",
    ),
    Flag::switch(&["warn-reap", "w"], "warn for every orphan reaped"),
    Flag::switch(&["verbose", "v"], "log more (repeat up to 3 times)"),
    Flag::switch(
        &["version", "V"],
        "print a tini-style version line (docker info reads it)",
    ),
    Flag::switch(&["help", "h"], "show help"),
];

/// Where husk init's own arguments start when husk is called by an init name
/// ([`INIT_NAMES`], or `init` followed by `--`) or as `husk init` with no global option
/// before it; None for every other command line.
pub fn direct_start(args: &Args) -> Option<usize> {
    let argv0 = args.get(0).unwrap_or(b"");
    let base = argv0.rsplit(|&c| c == b'/').next().unwrap_or(argv0);
    if INIT_NAMES.contains(&base) || (base == b"init" && args.get(1) == Some(b"--")) {
        return Some(1);
    }
    (args.get(1) == Some(b"init")).then_some(2)
}

/// `husk init` reached without the command table (see [`direct_start`]).
pub fn main(args: Args, start: usize) -> i32 {
    match run_from(&args, start) {
        Ok(code) => code,
        Err(e) => {
            crate::error!("{e}");
            e.exit_code()
        }
    }
}

/// The command table's entry: the table parses nothing for `init` (Mode::Raw), so its
/// positionals are exactly the arguments after the word `init`.
pub fn run(g: &Global<'_>, _: &Command, p: &super::args::Parsed<'_>) -> Result<i32> {
    let start = g.args.len().saturating_sub(p.positionals.len());
    run_from(&g.args, start)
}

/// The usage line printed with every usage error (tini prints its usage too).
const USAGE: &str = "usage: husk init [OPTIONS] [--] COMMAND [ARGS...]";

fn run_from(args: &Args, start: usize) -> Result<i32> {
    let mut o = Opts::default();
    let mut verbosity = None;
    env_opts(args, &mut o, &mut verbosity);
    let cmd = match parse(args, start, &mut o, &mut verbosity) {
        Ok(Some(cmd)) => cmd,
        Ok(None) => return Ok(0),
        Err(e) if e.kind == crate::error::Kind::Usage => {
            crate::error!("{e} ({USAGE})");
            return Ok(e.exit_code());
        }
        Err(e) => return Err(e),
    };
    if let Some(v) = verbosity {
        use crate::log::Level;
        let level = [Level::Error, Level::Warn, Level::Info, Level::Debug];
        crate::log::set_level(level[v.min(3) as usize]);
    }
    Ok(minit::run(&o, args, cmd))
}

/// tini's environment variables (present = on, whatever the value).
fn env_opts(args: &Args, o: &mut Opts, verbosity: &mut Option<u32>) {
    let env = |n: &[u8]| minit::env_value(args, n);
    o.subreaper |= env(b"TINI_SUBREAPER").is_some();
    o.group |= env(b"TINI_KILL_PROCESS_GROUP").is_some();
    o.keep_fds |= env(b"HUSK_INIT_KEEP_FDS").is_some();
    if let Some(v) = env(b"TINI_VERBOSITY") {
        *verbosity = super::args::number(v, "").ok();
    }
}

/// Parse the options from `args[start..]` into `o`; the index of COMMAND, or None when
/// `--help` or `--version` was answered.
fn parse(
    args: &Args,
    start: usize,
    o: &mut Opts,
    verbosity: &mut Option<u32>,
) -> Result<Option<usize>> {
    let mut i = start;
    while let Some(a) = args.get(i) {
        i += 1;
        if a == b"--" {
            break;
        }
        if a.len() < 2 || a[0] != b'-' {
            i -= 1;
            break;
        }
        // A long option (`--keep-fds`, `--expect=3`) or a cluster of short ones (`-sgv`,
        // `-e3`, `-e 3`).
        let mut rest = &a[1..];
        while let Some(opt) = next_option(&mut rest, a)? {
            let (f, inline) = opt;
            let value = if !f.value {
                None
            } else if let Some(v) = inline {
                Some(v)
            } else {
                let v = args
                    .get(i)
                    .ok_or_else(|| usage("option needs a value", a))?;
                i += 1;
                Some(v)
            };
            if !apply(f, value, o, verbosity)? {
                return Ok(None);
            }
        }
    }
    if i >= args.len() {
        return Err(usage("requires a command to run", b""));
    }
    Ok(Some(i))
}

type Opt<'a> = (&'static Flag, Option<&'a [u8]>);

/// The next option of `rest` (what follows the first `-` of `arg`), and its inline value.
fn next_option<'a>(rest: &mut &'a [u8], arg: &'a [u8]) -> Result<Option<Opt<'a>>> {
    if rest.is_empty() {
        return Ok(None);
    }
    if let Some(long) = rest.strip_prefix(b"-") {
        *rest = &[];
        let (name, inline) = match long.iter().position(|&c| c == b'=') {
            Some(eq) => (&long[..eq], Some(&long[eq + 1..])),
            None => (long, None),
        };
        let f = FLAGS
            .iter()
            .find(|f| f.names.iter().any(|n| n.len() > 1 && n.as_bytes() == name))
            .ok_or_else(|| usage("unknown option", arg))?;
        if inline.is_some() && !f.value {
            return Err(usage("option takes no value", arg));
        }
        return Ok(Some((f, inline)));
    }
    let (c, tail) = match rest.split_first() {
        Some((c, tail)) => (*c, tail),
        None => return Ok(None),
    };
    let f = FLAGS
        .iter()
        .find(|f| f.names.iter().any(|n| n.as_bytes() == [c]))
        .ok_or_else(|| usage("unknown option", arg))?;
    if f.value {
        *rest = &[];
        return Ok(Some((f, (!tail.is_empty()).then_some(tail))));
    }
    *rest = tail;
    Ok(Some((f, None)))
}

/// Record one option; false when it was `--help` or `--version` (answered here).
fn apply(f: &Flag, v: Option<&[u8]>, o: &mut Opts, verbosity: &mut Option<u32>) -> Result<bool> {
    let v = v.unwrap_or(b"");
    match f.names[0] {
        "group" => o.group = true,
        "subreaper" => o.subreaper = true,
        "keep-fds" => o.keep_fds = true,
        "warn-reap" => o.warn_reap = true,
        "verbose" => *verbosity = Some(verbosity.unwrap_or(1) + 1),
        "pdeathsig" => {
            let s =
                crate::container::kill::parse_signal(v).map_err(|_| usage("invalid signal", v))?;
            if rustix::process::Signal::from_named_raw(s).is_none() {
                return Err(usage("invalid signal", v));
            }
            o.pdeathsig = Some(s);
        }
        "expect" => {
            let code: u8 = super::args::number(v, "")
                .map_err(|_| usage("-e needs an exit code from 0 to 255", v))?;
            o.expect_code(code);
        }
        "version" => {
            // Docker's `docker info` parses `tini version X[ - git.C]`; catatonit answers
            // the same way. A commit is left out: old Docker slices its own by its length.
            crate::outln!(crate::sys::stdout(), "tini version {}_husk", crate::VERSION);
            return Ok(false);
        }
        "help" => {
            if let Some(c) = super::commands::COMMANDS.iter().find(|c| c.name == "init") {
                super::print_command_help(c);
            }
            return Ok(false);
        }
        _ => {}
    }
    Ok(true)
}

fn usage(msg: &'static str, v: &[u8]) -> Error {
    let mut e = Error::usage(msg).value(v);
    e.ctx = "init";
    e
}
