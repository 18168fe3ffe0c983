//! The container verbs' command lines: parse the flags, call `container::*`.
//! (Parsing here, action there: the container code never sees argv.)

use super::args::{number, Parsed};
use super::commands::Command;
use super::Global;
use crate::container::{self, create::CreateOpts};
use crate::error::{Error, Result};

fn id<'a>(p: &Parsed<'a>) -> Result<&'a str> {
    let raw = p.positional(0).unwrap_or(b"");
    crate::state::id::check(raw)
}

fn create_opts<'a>(g: &Global<'_>, c: &Command, p: &Parsed<'a>) -> Result<CreateOpts<'a>> {
    Ok(CreateOpts {
        bundle: p.last(c.flags, "bundle").unwrap_or(b"."),
        pid_file: p.last(c.flags, "pid-file"),
        console_socket: p.last(c.flags, "console-socket"),
        no_pivot: p.has(c.flags, "no-pivot"),
        preserve_fds: match p.last(c.flags, "preserve-fds") {
            Some(v) => number(v, "--preserve-fds must be a number")?,
            None => 0,
        },
        listen_fds: listen_fds(g),
        no_new_keyring: p.has(c.flags, "no-new-keyring"),
        stdout: None,
        stdin: None,
        stderr: None,
        systemd_cgroup: g.systemd_cgroup,
        test_mode: false,
        // `run` without --detach sets it.
        attached: false,
    })
}

/// LISTEN_FDS of husk's own environment, when LISTEN_PID names husk (systemd socket
/// activation, as go-systemd's activation.Files that runc uses): those fds go to the
/// container first, with LISTEN_FDS and LISTEN_PID=1 in its environment.
fn listen_fds(g: &Global<'_>) -> u32 {
    let get = |k: &[u8]| {
        g.args
            .env()
            .find_map(|e| e.strip_prefix(k).and_then(|v| v.strip_prefix(b"=")))
    };
    let me = rustix::process::getpid().as_raw_nonzero().get();
    match (get(b"LISTEN_FDS"), get(b"LISTEN_PID")) {
        (Some(n), Some(pid)) if number::<i32>(pid, "LISTEN_PID").ok() == Some(me) => {
            number::<u32>(n, "LISTEN_FDS").unwrap_or(0)
        }
        _ => 0,
    }
}

pub fn create(g: &Global<'_>, c: &Command, p: &Parsed<'_>) -> Result<i32> {
    let o = create_opts(g, c, p)?;
    container::create::create(g.root, id(p)?, &o)?;
    Ok(0)
}

pub fn start(g: &Global<'_>, _c: &Command, p: &Parsed<'_>) -> Result<i32> {
    container::start::start(g.root, id(p)?)?;
    Ok(0)
}

pub fn run(g: &Global<'_>, c: &Command, p: &Parsed<'_>) -> Result<i32> {
    let detach = p.has(c.flags, "detach");
    let mut o = create_opts(g, c, p)?;
    o.attached = !detach;
    container::run::run(g.root, id(p)?, &o, detach, p.has(c.flags, "keep"))
}

pub fn kill(g: &Global<'_>, c: &Command, p: &Parsed<'_>) -> Result<i32> {
    let sig = match p.positional(1) {
        Some(s) => container::kill::parse_signal(s)?,
        None => 15,
    };
    container::kill::kill(g.root, id(p)?, sig, p.has(c.flags, "all"))?;
    Ok(0)
}

pub fn delete(g: &Global<'_>, c: &Command, p: &Parsed<'_>) -> Result<i32> {
    container::delete::delete(g.root, id(p)?, p.has(c.flags, "force"))?;
    Ok(0)
}

pub fn ps(g: &Global<'_>, c: &Command, p: &Parsed<'_>) -> Result<i32> {
    let json = match p.last(c.flags, "format") {
        None | Some(b"table") => false,
        Some(b"json") => true,
        Some(v) => return Err(Error::usage("--format must be table or json").value(v)),
    };
    container::ps::ps(g.root, id(p)?, json)?;
    Ok(0)
}

pub fn pause(g: &Global<'_>, _c: &Command, p: &Parsed<'_>) -> Result<i32> {
    container::pause::pause(g.root, id(p)?, true)?;
    Ok(0)
}

pub fn resume(g: &Global<'_>, _c: &Command, p: &Parsed<'_>) -> Result<i32> {
    container::pause::pause(g.root, id(p)?, false)?;
    Ok(0)
}

pub fn update(g: &Global<'_>, c: &Command, p: &Parsed<'_>) -> Result<i32> {
    let get = |name: &str| p.last(c.flags, name);
    container::update::update(g.root, id(p)?, p.last(c.flags, "resources"), &get)?;
    Ok(0)
}

pub fn events(g: &Global<'_>, c: &Command, p: &Parsed<'_>) -> Result<i32> {
    let interval = match p.last(c.flags, "interval") {
        Some(v) => crate::linux::cgroups::stats::duration_ms(v)
            .ok_or(Error::usage("--interval must be a duration such as 5s or 100ms").value(v))?,
        None => 5000,
    };
    container::events::events(g.root, id(p)?, p.has(c.flags, "stats"), interval)?;
    Ok(0)
}

pub fn exec(g: &Global<'_>, c: &Command, p: &Parsed<'_>) -> Result<i32> {
    use container::exec::{ExecOpts, Source};
    let f = c.flags;
    if p.last(f, "cgroup").is_some() {
        return Err(Error::unsupported(
            "--cgroup",
            "sub-cgroups for exec are not supported",
        ));
    }
    for (flag, what) in [("apparmor", "AppArmor"), ("process-label", "SELinux")] {
        if p.last(f, flag).is_some() {
            crate::warn!("--{flag}: {what} is not available here, ignored");
        }
    }
    let a = exec_args(f, p)?;
    let src = match p.last(f, "process") {
        Some(file) => Source::File(file),
        None => Source::Args(&a),
    };
    let o = ExecOpts {
        detach: p.has(f, "detach"),
        pid_file: p.last(f, "pid-file"),
        preserve_fds: match p.last(f, "preserve-fds") {
            Some(v) => number(v, "--preserve-fds must be a number")?,
            None => 0,
        },
        ignore_paused: p.has(f, "ignore-paused"),
        console_socket: p.last(f, "console-socket"),
    };
    container::exec::exec(g.root, id(p)?, &src, &o)
}

/// The exec command line's changes to the container's process (ignored with --process).
fn exec_args<'a>(f: &[super::args::Flag], p: &Parsed<'a>) -> Result<container::exec::ExecArgs<'a>> {
    let full = |what: &'static str| Error::capacity(what, 257, 256, "values");
    let mut a = container::exec::ExecArgs {
        cwd: p.last(f, "cwd"),
        user: p.last(f, "user"),
        no_new_privs: p.has(f, "no-new-privs"),
        tty: p.has(f, "tty"),
        ..Default::default()
    };
    let mut i = 1;
    while let Some(arg) = p.positional(i) {
        a.args.push(arg).map_err(|_| full("exec command"))?;
        i += 1;
    }
    for (list, flag) in [
        (&mut a.env, "env"),
        (&mut a.additional_gids, "additional-gids"),
        (&mut a.caps, "cap"),
    ] {
        for v in p.all(f, flag) {
            list.push(v).map_err(|_| full("exec option"))?;
        }
    }
    Ok(a)
}
