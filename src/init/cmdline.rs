//! `husk.*` options from /proc/cmdline (the kernel keeps dotted options away from init's
//! argv, so they are read here):
//!
//! - `husk.bundles=DIR`: where the bundles are (default `/etc/husk/bundles`)
//! - `husk.config=FILE`: the init.json to read (default `/etc/husk/init.json`)
//! - `husk.debug`: debug logging
//! - `husk.test`: test protocol (`HUSK-RESULT` per onboot bundle, `HUSK-DONE`; power off
//!   once idle)
//! - `husk.checks`: with `husk.test`, run the built-in checks first
//! - `husk.modules=NAME[,NAME...]`: kernel modules to load, in order, from
//!   `/lib/modules/NAME.ko` (no dependency resolution: list dependencies first), before
//!   any bundle runs; e.g. a block driver a bundle's `blockIO` limits name
//!
//! Unknown `husk.*` words are reported (a warning) and otherwise ignored.

use crate::out::Buf;

pub struct Cmdline {
    pub bundles: Option<Buf<256>>,
    pub config: Option<Buf<256>>,
    pub debug: bool,
    pub test: bool,
    pub checks: bool,
    /// `husk.modules=`: comma-separated module names.
    pub modules: Option<Buf<256>>,
    /// The first unknown `husk.` word, for a warning.
    pub unknown: Option<Buf<64>>,
}

/// Read the options; an unreadable /proc/cmdline gives the defaults (with a warning).
pub fn read() -> Cmdline {
    let mut buf = [0u8; 4096];
    let text = match crate::files::read_to(c"/proc/cmdline", &mut buf) {
        Ok(t) => t,
        Err(e) => {
            crate::warn!("init: /proc/cmdline: {}", e);
            &[][..]
        }
    };
    parse(text)
}

fn path(v: &[u8]) -> Option<Buf<256>> {
    let mut b = Buf::new();
    (!v.is_empty() && b.push_bytes(v)).then_some(b)
}

pub fn parse(text: &[u8]) -> Cmdline {
    let mut o = Cmdline {
        bundles: None,
        config: None,
        debug: false,
        test: false,
        checks: false,
        modules: None,
        unknown: None,
    };
    for w in text
        .split(|c| c.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
    {
        match w {
            b"husk.debug" => o.debug = true,
            b"husk.test" => o.test = true,
            b"husk.checks" => o.checks = true,
            _ => {
                if let Some(d) = w.strip_prefix(b"husk.bundles=") {
                    o.bundles = path(d);
                } else if let Some(d) = w.strip_prefix(b"husk.config=") {
                    o.config = path(d);
                } else if let Some(d) = w.strip_prefix(b"husk.modules=") {
                    o.modules = path(d);
                } else if w.starts_with(b"husk.") && o.unknown.is_none() {
                    let mut b = Buf::new();
                    b.push_bytes(w);
                    o.unknown = Some(b);
                }
            }
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options() {
        let o = parse(b"console=ttyS0 husk.test quiet husk.bundles=/b husk.config=/c.json\n");
        assert!(o.test && !o.debug && !o.checks);
        assert_eq!(o.bundles.unwrap().as_bytes(), b"/b");
        assert_eq!(o.config.unwrap().as_bytes(), b"/c.json");
        assert!(o.unknown.is_none());
        let o = parse(b"husk.modules=configfs,null_blk");
        assert_eq!(o.modules.unwrap().as_str(), "configfs,null_blk");
        let o = parse(b"husk.bundles= husk.chekcs");
        assert!(o.bundles.is_none());
        assert_eq!(o.unknown.unwrap().as_bytes(), b"husk.chekcs");
    }
}
