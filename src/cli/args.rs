//! Command-line parsing shared by every command: runc's conventions, no heap.
//!
//! Accepted forms, as runc (urfave/cli) accepts them: `--flag value`, `--flag=value`,
//! `-f value`, single-dash long names (`-bundle`), boolean flags with `=true|false`,
//! options before or after positional arguments (`create ID --bundle B`), and `--` to end
//! options.

use crate::error::{Error, Result};
use heapless::Vec;

/// Most occurrences of options one command line may hold (repeatable flags such as
/// `exec --env` count each time).
pub const MAX_OPTIONS: usize = 128;
/// Most positional arguments (`exec ID CMD ARGS...` is the longest user).
pub const MAX_POSITIONALS: usize = 256;

/// One flag a command accepts.
#[derive(Clone, Copy)]
pub struct Flag {
    /// Long name without dashes, then aliases (one-letter ones are the short forms).
    pub names: &'static [&'static str],
    /// Takes a value (`--bundle B`) rather than being a switch (`--detach`).
    pub value: bool,
    /// Placeholder for the value in help (`DIR`), empty for switches.
    pub meta: &'static str,
    pub help: &'static str,
}

impl Flag {
    pub const fn switch(names: &'static [&'static str], help: &'static str) -> Flag {
        Flag {
            names,
            value: false,
            meta: "",
            help,
        }
    }

    pub const fn value(
        names: &'static [&'static str],
        meta: &'static str,
        help: &'static str,
    ) -> Flag {
        Flag {
            names,
            value: true,
            meta,
            help,
        }
    }
}

/// A parsed command line: which flags were given, with their values, in order, and the
/// positional arguments.
pub struct Parsed<'a> {
    opts: Vec<(u8, &'a [u8]), MAX_OPTIONS>,
    pub positionals: Vec<&'a [u8], MAX_POSITIONALS>,
}

impl<'a> Parsed<'a> {
    /// Whether flag `name` (its long name) was given; `--flag=false` counts as not given.
    pub fn has(&self, flags: &[Flag], name: &str) -> bool {
        match self.last(flags, name) {
            None => false,
            Some(v) => v != b"false",
        }
    }

    /// The last value of flag `name`.
    pub fn last(&self, flags: &[Flag], name: &str) -> Option<&'a [u8]> {
        let i = index_of(flags, name)?;
        self.opts
            .iter()
            .rev()
            .find(|(f, _)| *f as usize == i)
            .map(|(_, v)| *v)
    }

    /// Every value of a repeatable flag, in order.
    pub fn all<'s>(&'s self, flags: &[Flag], name: &str) -> impl Iterator<Item = &'a [u8]> + 's {
        let i = index_of(flags, name).map(|i| i as u8);
        self.opts
            .iter()
            .filter(move |(f, _)| Some(*f) == i)
            .map(|(_, v)| *v)
    }

    pub fn positional(&self, i: usize) -> Option<&'a [u8]> {
        self.positionals.get(i).copied()
    }
}

fn index_of(flags: &[Flag], name: &str) -> Option<usize> {
    flags.iter().position(|f| f.names[0] == name)
}

/// How parsing treats the first non-option argument.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Options may come anywhere (runc's commands).
    Interleaved,
    /// Stop at the first positional: the rest belongs to it (global flags before the
    /// command; `exec ID CMD --cmd-flag`, where options after CMD are the command's own).
    StopAtPositional,
    /// Options until `after` positionals have been seen, then everything is positional.
    StopAfter(usize),
    /// No option parsing at all: every argument is positional (commands husk refuses
    /// whatever their flags are, such as `checkpoint`).
    Raw,
}

/// Parse `args` against `flags`.
pub fn parse<'a>(
    args: &mut dyn Iterator<Item = &'a [u8]>,
    flags: &[Flag],
    mode: Mode,
) -> Result<Parsed<'a>> {
    let mut p = Parsed {
        opts: Vec::new(),
        positionals: Vec::new(),
    };
    let mut only_positional = false;
    while let Some(a) = args.next() {
        let stop = match mode {
            Mode::Interleaved => false,
            Mode::StopAtPositional => !p.positionals.is_empty(),
            Mode::StopAfter(n) => p.positionals.len() >= n,
            Mode::Raw => true,
        };
        if only_positional || stop || a.len() < 2 || a[0] != b'-' {
            push_pos(&mut p, a)?;
            if mode == Mode::StopAtPositional {
                only_positional = true;
            }
            continue;
        }
        if a == b"--" {
            only_positional = true;
            continue;
        }
        let body = if a.starts_with(b"--") {
            &a[2..]
        } else {
            &a[1..]
        };
        let (name, inline) = match body.iter().position(|&c| c == b'=') {
            Some(eq) => (&body[..eq], Some(&body[eq + 1..])),
            None => (body, None),
        };
        let Some(fi) = flags
            .iter()
            .position(|f| f.names.iter().any(|n| n.as_bytes() == name))
        else {
            return Err(Error::usage("unknown option").value(a));
        };
        let f = &flags[fi];
        let v: &[u8] = if f.value {
            match inline {
                Some(v) => v,
                None => args
                    .next()
                    .ok_or_else(|| Error::usage("option needs a value").value(a))?,
            }
        } else {
            match inline {
                None | Some(b"true") => b"true",
                Some(b"false") => b"false",
                Some(_) => {
                    return Err(
                        Error::usage("switch takes no value other than true or false").value(a),
                    )
                }
            }
        };
        p.opts.push((fi as u8, v)).map_err(|_| {
            Error::capacity(
                "command line options",
                MAX_OPTIONS as u64 + 1,
                MAX_OPTIONS as u64,
                "options",
            )
        })?;
    }
    Ok(p)
}

fn push_pos<'a>(p: &mut Parsed<'a>, a: &'a [u8]) -> Result<()> {
    p.positionals.push(a).map_err(|_| {
        Error::capacity(
            "command line arguments",
            MAX_POSITIONALS as u64 + 1,
            MAX_POSITIONALS as u64,
            "arguments",
        )
    })
}

/// Parse a decimal number argument, naming the option in the error.
pub fn number<T: TryFrom<u64>>(v: &[u8], what: &'static str) -> Result<T> {
    let mut n: u64 = 0;
    if v.is_empty() {
        return Err(Error::usage(what).value(v));
    }
    for &c in v {
        if !c.is_ascii_digit() {
            return Err(Error::usage(what).value(v));
        }
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add((c - b'0') as u64))
            .ok_or_else(|| Error::usage(what).value(v))?;
    }
    T::try_from(n).map_err(|_| Error::usage(what).value(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FLAGS: &[Flag] = &[
        Flag::value(&["bundle", "b"], "DIR", ""),
        Flag::switch(&["detach", "d"], ""),
        Flag::value(&["env", "e"], "K=V", ""),
    ];

    fn run<'a>(v: &'a [&'a str], mode: Mode) -> Result<Parsed<'a>> {
        let mut it = v.iter().map(|s| s.as_bytes());
        parse(&mut it, FLAGS, mode)
    }

    #[test]
    fn all_flag_forms() {
        let p = run(
            &[
                "create",
                "--bundle=/b",
                "-d",
                "id",
                "-e",
                "A=1",
                "--env",
                "B=2",
            ],
            Mode::Interleaved,
        )
        .unwrap();
        assert_eq!(p.last(FLAGS, "bundle"), Some(&b"/b"[..]));
        assert!(p.has(FLAGS, "detach"));
        assert_eq!(p.all(FLAGS, "env").count(), 2);
        assert_eq!(&p.positionals[..], &[&b"create"[..], &b"id"[..]]);
        let p = run(&["-bundle", "x", "--detach=false"], Mode::Interleaved).unwrap();
        assert_eq!(p.last(FLAGS, "bundle"), Some(&b"x"[..]));
        assert!(!p.has(FLAGS, "detach"));
    }

    #[test]
    fn stop_modes() {
        let p = run(&["-d", "id", "sh", "-c", "--env"], Mode::StopAfter(2)).unwrap();
        assert_eq!(p.positionals.len(), 4);
        let p = run(&["-d", "cmd", "-e", "x"], Mode::StopAtPositional).unwrap();
        assert_eq!(p.positionals.len(), 3);
        assert_eq!(p.all(FLAGS, "env").count(), 0);
    }

    #[test]
    fn errors() {
        extern crate std;
        use std::string::ToString;
        assert_eq!(
            run(&["--nope"], Mode::Interleaved)
                .err()
                .unwrap()
                .to_string(),
            "unknown option \"--nope\""
        );
        assert_eq!(
            run(&["--bundle"], Mode::Interleaved)
                .err()
                .unwrap()
                .to_string(),
            "option needs a value \"--bundle\""
        );
        assert_eq!(
            run(&["--detach=yes"], Mode::Interleaved)
                .err()
                .unwrap()
                .exit_code(),
            2
        );
        assert_eq!(number::<u32>(b"42", "bad").unwrap(), 42);
        assert!(number::<u8>(b"300", "bad").is_err());
        assert!(number::<u32>(b"4x", "bad").is_err());
    }
}
