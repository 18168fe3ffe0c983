//! PID 1's settings: defaults, then `/etc/husk/init.json` (optional), then the kernel
//! command line (`husk.*`, see [`super::cmdline`]), which wins.
//!
//! init.json is one JSON object, flat but for `mounts`; every key is optional, an unknown
//! key or a value of the wrong type makes the whole file an error (logged; the defaults
//! are used):
//!
//! | key | value | default |
//! |---|---|---|
//! | `hostname` | the machine's hostname | first line of /etc/hostname, else `husk` |
//! | `bundles` | directory whose subdirectories are the OCI bundles | `/etc/husk/bundles` |
//! | `debug` | `true`: debug logging | `false` |
//! | `loopback` | `false`: leave `lo` down | `true` |
//! | `root` | on a real root filesystem: `keep` it as mounted, remount it `rw` or `ro` | `keep` |
//! | `log_max_bytes` | size of a log file under /run/log/husk before it is rotated to `.1`; `0`: no log files | `262144` |
//! | `stop_timeout` | default `org.husk.stop-timeout` (duration: `10s`, `500ms`) | `10s` |
//! | `on_idle` | when no bundle runs or will restart: `stay`, `halt`, `poweroff`, `reboot` | `stay` (`poweroff` with `husk.test`) |
//! | `on_failure` | when a required bundle fails: `halt`, `poweroff`, `reboot` | `poweroff` |
//! | `mounts` | filesystems mounted before any bundle: OCI mounts (see [`super::fstab`]) | none |

use super::cmdline::Cmdline;
use super::fstab::FsTab;
use super::limits::INIT_JSON_MAX;
use super::policy::duration;
use super::signals::Power;
use crate::out::Buf;
use crate::{Error, Result};
use core::fmt::Write;

pub const DEFAULT_CONFIG: &str = "/etc/husk/init.json";
pub const DEFAULT_BUNDLES: &str = "/etc/husk/bundles";
pub const DEFAULT_HOSTNAME: &str = "husk";

/// What to do with a root filesystem that is not the initramfs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RootMode {
    Keep,
    Rw,
    Ro,
}

pub struct Options {
    pub bundles: Buf<256>,
    pub hostname: Buf<64>,
    pub debug: bool,
    pub test: bool,
    pub checks: bool,
    pub loopback: bool,
    pub root: RootMode,
    pub log_max_bytes: u32,
    pub stop_timeout_ms: u32,
    /// None: stay up.
    pub on_idle: Option<Power>,
    pub on_failure: Power,
    /// init.json `mounts`.
    pub mounts: FsTab,
}

impl Default for Options {
    fn default() -> Options {
        let mut o = Options {
            bundles: Buf::new(),
            hostname: Buf::new(),
            debug: false,
            test: false,
            checks: false,
            loopback: true,
            root: RootMode::Keep,
            log_max_bytes: 256 * 1024,
            stop_timeout_ms: 10_000,
            on_idle: None,
            on_failure: Power::Poweroff,
            mounts: FsTab::default(),
        };
        let _ = o.bundles.write_str(DEFAULT_BUNDLES);
        let _ = o.hostname.write_str(DEFAULT_HOSTNAME);
        o
    }
}

/// The keys of init.json, with their error contexts.
const KEYS: &[(&str, &str)] = &[
    ("hostname", "init.json: hostname"),
    ("bundles", "init.json: bundles"),
    ("debug", "init.json: debug"),
    ("loopback", "init.json: loopback"),
    ("root", "init.json: root"),
    ("log_max_bytes", "init.json: log_max_bytes"),
    ("stop_timeout", "init.json: stop_timeout"),
    ("on_idle", "init.json: on_idle"),
    ("on_failure", "init.json: on_failure"),
    ("mounts", "init.json: mounts"),
];

/// A JSON value of the flat object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Value<'a> {
    Str(&'a str),
    Num(u64),
    Bool(bool),
}

/// Apply the text of init.json to `o` (its `mounts` replace any `o` has). On error `o` is
/// left as it was.
pub fn apply_json(o: &mut Options, text: &[u8]) -> Result<()> {
    let mut next = Options {
        bundles: Buf::new(),
        hostname: Buf::new(),
        mounts: FsTab::default(),
        ..*o
    };
    next.bundles.push_bytes(o.bundles.as_bytes());
    next.hostname.push_bytes(o.hostname.as_bytes());
    let mut seen = 0u32;
    let mut p = Parser { b: text, pos: 0 };
    p.object(&mut |key, p| {
        let i = KEYS.iter().position(|(k, _)| *k == key).ok_or(
            Error::spec(
                "init.json",
                "unknown key (accepted: hostname, bundles, debug, loopback, root, \
                 log_max_bytes, stop_timeout, on_idle, on_failure, mounts)",
            )
            .value(key.as_bytes()),
        )?;
        if seen & (1 << i) != 0 {
            return Err(Error::spec("init.json", "duplicate key").value(key.as_bytes()));
        }
        seen |= 1 << i;
        if key == "mounts" {
            return super::fstab::parse(p, &mut next.mounts);
        }
        let value = p.value()?;
        set(&mut next, i, value)
    })?;
    *o = next;
    Ok(())
}

fn set(o: &mut Options, i: usize, v: Value<'_>) -> Result<()> {
    let (key, ctx) = KEYS[i];
    let string = |what| match v {
        Value::Str(s) => Ok(s),
        _ => Err(Error::spec(ctx, what)),
    };
    let boolean = || match v {
        Value::Bool(b) => Ok(b),
        _ => Err(Error::spec(ctx, "must be true or false")),
    };
    match key {
        "hostname" => {
            let s = string("must be a string")?;
            let ok = !s.is_empty()
                && s.len() <= 64
                && s.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.');
            if !ok {
                return Err(
                    Error::spec(ctx, "must be 1 to 64 letters, digits, '-' or '.'")
                        .value(s.as_bytes()),
                );
            }
            o.hostname.clear();
            let _ = o.hostname.write_str(s);
        }
        "bundles" => {
            let s = string("must be a string")?;
            if !s.starts_with('/') || s.len() >= 256 {
                return Err(
                    Error::spec(ctx, "must be an absolute path (under 256 bytes)")
                        .value(s.as_bytes()),
                );
            }
            o.bundles.clear();
            let _ = o.bundles.write_str(s);
        }
        "debug" => o.debug = boolean()?,
        "loopback" => o.loopback = boolean()?,
        "root" => {
            o.root = match string("must be keep, rw or ro")? {
                "keep" => RootMode::Keep,
                "rw" => RootMode::Rw,
                "ro" => RootMode::Ro,
                s => return Err(Error::spec(ctx, "must be keep, rw or ro").value(s.as_bytes())),
            }
        }
        "log_max_bytes" => match v {
            Value::Num(n) if n <= u32::MAX as u64 => o.log_max_bytes = n as u32,
            _ => {
                return Err(Error::spec(
                    ctx,
                    "must be a number of bytes (0: no log files)",
                ))
            }
        },
        "stop_timeout" => {
            let s = string("must be a duration string (\"10s\")")?;
            o.stop_timeout_ms = duration(s).map_err(|m| Error::spec(ctx, m).value(s.as_bytes()))?;
        }
        "on_idle" => {
            let s = string("must be stay, halt, poweroff or reboot")?;
            o.on_idle = match s {
                "stay" => None,
                s => Some(Power::parse(s).ok_or(
                    Error::spec(ctx, "must be stay, halt, poweroff or reboot").value(s.as_bytes()),
                )?),
            };
        }
        "on_failure" => {
            let s = string("must be halt, poweroff or reboot")?;
            o.on_failure = Power::parse(s)
                .ok_or(Error::spec(ctx, "must be halt, poweroff or reboot").value(s.as_bytes()))?;
        }
        _ => {}
    }
    Ok(())
}

/// Apply the kernel command line on top.
pub fn apply_cmdline(o: &mut Options, c: &Cmdline) {
    if let Some(b) = &c.bundles {
        o.bundles.clear();
        o.bundles.push_bytes(b.as_bytes());
    }
    o.debug |= c.debug;
    o.test = c.test;
    o.checks = c.checks;
    if c.test && o.on_idle.is_none() {
        // A test boot ends by itself once its bundles are done.
        o.on_idle = Some(Power::Poweroff);
    }
}

/// Everything, read from the machine: defaults, /etc/hostname, init.json (at `husk.config`
/// or the default path), the command line. A broken init.json is returned as the error
/// next to the options without it.
pub fn load(c: &Cmdline) -> (Options, Option<Error>) {
    let mut o = Options::default();
    let mut buf = [0u8; 256];
    if let Ok(h) = crate::files::read_to(c"/etc/hostname", &mut buf) {
        let line = h.split(|&b| b == b'\n').next().unwrap_or(b"").trim_ascii();
        if !line.is_empty() && line.len() <= 64 {
            o.hostname.clear();
            o.hostname.push_bytes(line);
        }
    }
    let mut err = None;
    let path = c
        .config
        .as_ref()
        .map_or(DEFAULT_CONFIG.as_bytes(), |p| p.as_bytes());
    let mut text = [0u8; INIT_JSON_MAX];
    match crate::cpath::CPath::from(path, "husk.config")
        .and_then(|p| crate::files::read_file(p.as_cstr(), &mut text, "init.json"))
    {
        Ok(t) => {
            let n = t.len();
            if let Err(e) = apply_json(&mut o, &text[..n]) {
                err = Some(e);
            }
        }
        Err(e) if e.errno() == Some(rustix::io::Errno::NOENT) => {}
        Err(e) => err = Some(e),
    }
    apply_cmdline(&mut o, c);
    (o, err)
}

/// A strict parser of one object: string keys, values string, unsigned integer or
/// boolean (the caller reads `mounts`' array itself, see [`super::fstab`]); strings without
/// escapes (decoding in place is not possible on a shared slice, so they are refused).
pub struct Parser<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    pub fn err(&self, msg: &'static str) -> Error {
        Error::json("init.json", msg, self.pos)
    }

    fn ws(&mut self) {
        while self
            .b
            .get(self.pos)
            .is_some_and(|c| c.is_ascii_whitespace())
        {
            self.pos += 1;
        }
    }

    /// The next byte after white space, not consumed.
    pub fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.pos).copied()
    }

    pub fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.b.get(self.pos) == Some(&c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub fn string(&mut self) -> Result<&'a str> {
        if !self.eat(b'"') {
            return Err(self.err("expected a string"));
        }
        let start = self.pos;
        loop {
            match self.b.get(self.pos) {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => break,
                Some(b'\\') => return Err(self.err("escapes are not supported in init.json")),
                Some(c) if *c < 0x20 => return Err(self.err("control character in a string")),
                Some(_) => self.pos += 1,
            }
        }
        let s = core::str::from_utf8(&self.b[start..self.pos])
            .map_err(|_| self.err("invalid UTF-8"))?;
        self.pos += 1;
        Ok(s)
    }

    fn value(&mut self) -> Result<Value<'a>> {
        self.ws();
        match self.b.get(self.pos) {
            Some(b'"') => Ok(Value::Str(self.string()?)),
            Some(b't') if self.b[self.pos..].starts_with(b"true") => {
                self.pos += 4;
                Ok(Value::Bool(true))
            }
            Some(b'f') if self.b[self.pos..].starts_with(b"false") => {
                self.pos += 5;
                Ok(Value::Bool(false))
            }
            Some(c) if c.is_ascii_digit() => {
                let start = self.pos;
                while self.b.get(self.pos).is_some_and(u8::is_ascii_digit) {
                    self.pos += 1;
                }
                let digits = core::str::from_utf8(&self.b[start..self.pos]).unwrap_or("");
                let n = digits.parse().map_err(|_| self.err("number too large"))?;
                if self
                    .b
                    .get(self.pos)
                    .is_some_and(|c| matches!(c, b'.' | b'e' | b'E'))
                {
                    return Err(self.err("only whole numbers are accepted"));
                }
                Ok(Value::Num(n))
            }
            _ => Err(self.err("expected a string, a whole number, true or false")),
        }
    }

    /// The object, calling `f` with each key and the parser at its value (which `f` reads).
    fn object(&mut self, f: &mut dyn FnMut(&'a str, &mut Parser<'a>) -> Result<()>) -> Result<()> {
        if !self.eat(b'{') {
            return Err(self.err("expected an object"));
        }
        if !self.eat(b'}') {
            loop {
                let key = self.string()?;
                if !self.eat(b':') {
                    return Err(self.err("expected ':'"));
                }
                f(key, self)?;
                if self.eat(b',') {
                    continue;
                }
                if self.eat(b'}') {
                    break;
                }
                return Err(self.err("expected ',' or '}'"));
            }
        }
        self.ws();
        if self.pos != self.b.len() {
            return Err(self.err("trailing characters after the object"));
        }
        Ok(())
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// init.json text applied to the defaults (also fstab.rs's tests).
    pub(in crate::init) fn parse(t: &str) -> Options {
        let mut o = Options::default();
        apply_json(&mut o, t.as_bytes()).unwrap();
        o
    }

    /// The error init.json text gives, as it is logged.
    pub(in crate::init) fn perr(t: &str) -> String {
        let mut o = Options::default();
        format!("{}", apply_json(&mut o, t.as_bytes()).unwrap_err())
    }

    #[test]
    fn every_key() {
        let o = parse(
            r#"{"hostname":"box-1","bundles":"/data/b","debug":true,"loopback":false,
                "root":"ro","log_max_bytes":0,"stop_timeout":"3s","on_idle":"reboot",
                "on_failure":"halt"}"#,
        );
        assert_eq!(o.hostname.as_str(), "box-1");
        assert_eq!(o.bundles.as_str(), "/data/b");
        assert!(o.debug && !o.loopback);
        assert_eq!(o.root, RootMode::Ro);
        assert_eq!((o.log_max_bytes, o.stop_timeout_ms), (0, 3000));
        assert_eq!(
            (o.on_idle, o.on_failure),
            (Some(Power::Reboot), Power::Halt)
        );
        assert_eq!(parse(r#"{"on_idle":"stay"}"#).on_idle, None);
        let d = parse(" {} ");
        assert_eq!(d.bundles.as_str(), DEFAULT_BUNDLES);
        assert_eq!(d.hostname.as_str(), "husk");
        assert_eq!(d.stop_timeout_ms, 10_000);
    }

    #[test]
    fn errors_are_clear() {
        assert_eq!(
            perr(r#"{"hostnmae":"x"}"#),
            "init.json: unknown key (accepted: hostname, bundles, debug, loopback, root, \
             log_max_bytes, stop_timeout, on_idle, on_failure, mounts) \"hostnmae\""
        );
        assert_eq!(
            perr(r#"{"debug":"yes"}"#),
            "init.json: debug: must be true or false"
        );
        assert_eq!(
            perr(r#"{"debug":true,"debug":false}"#),
            "init.json: duplicate key \"debug\""
        );
        assert!(perr(r#"{"bundles":"rel"}"#).contains("absolute"));
        assert!(perr(r#"{"hostname":"a b"}"#).contains("letters"));
        assert!(perr(r#"{"stop_timeout":"10"}"#).contains("unit"));
        assert!(perr(r#"{"log_max_bytes":1.5}"#).contains("whole"));
        assert!(perr(r#"{"log_max_bytes":-1}"#).contains("expected"));
        assert!(perr(r#"{"debug":true"#).contains("at byte"));
        assert!(perr(r#"{"on_idle":"off"}"#).contains("stay"));
        assert!(perr(r#"{} x"#).contains("trailing"));
        assert!(perr(r#"{"hostname":"a\"b"}"#).contains("escapes"));
        assert!(perr(r#"{"debug":{}}"#).contains("expected"));
        assert!(perr(r#"{"nested":{}}"#).contains("unknown key"));
        assert!(perr("[]").contains("object"));
    }

    #[test]
    fn an_error_leaves_the_options_alone() {
        let mut o = Options::default();
        assert!(apply_json(&mut o, br#"{"hostname":"x","nope":1}"#).is_err());
        assert_eq!(o.hostname.as_str(), "husk");
    }

    #[test]
    fn command_line_wins() {
        let mut o = parse(r#"{"bundles":"/a"}"#);
        let c = super::super::cmdline::parse(b"husk.bundles=/b husk.test");
        apply_cmdline(&mut o, &c);
        assert_eq!(o.bundles.as_str(), "/b");
        assert!(o.test && !o.checks);
        assert_eq!(o.on_idle, Some(Power::Poweroff));
    }
}
