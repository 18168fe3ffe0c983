//! `husk.*` options from /proc/cmdline (the kernel keeps dotted options from init's argv).
//!
//! - `husk.bundles=DIR`: where the bundles are (default `/etc/husk/bundles`)
//! - `husk.debug`: debug logging
//! - `husk.test`: test mode (built-in checks print result lines too)

use crate::out::Buf;
use core::fmt::Write;

pub const DEFAULT_BUNDLES: &str = "/etc/husk/bundles";

pub struct Options {
    pub bundles: Buf<256>,
    pub debug: bool,
    pub test: bool,
}

/// Read the options; an unreadable /proc/cmdline gives the defaults (with a warning).
pub fn read() -> Options {
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

pub fn parse(text: &[u8]) -> Options {
    let mut o = Options {
        bundles: Buf::new(),
        debug: false,
        test: false,
    };
    for w in text
        .split(|c| c.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
    {
        match w {
            b"husk.debug" => o.debug = true,
            b"husk.test" => o.test = true,
            _ => {
                if let Some(d) = w.strip_prefix(b"husk.bundles=") {
                    o.bundles.clear();
                    o.bundles.push_bytes(d);
                }
            }
        }
    }
    if o.bundles.is_empty() || o.bundles.truncated() {
        o.bundles.clear();
        let _ = o.bundles.write_str(DEFAULT_BUNDLES);
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options() {
        let o = parse(b"console=ttyS0 husk.test quiet husk.bundles=/b\n");
        assert!(o.test && !o.debug);
        assert_eq!(o.bundles.as_bytes(), b"/b");
        let o = parse(b"");
        assert_eq!(o.bundles.as_bytes(), DEFAULT_BUNDLES.as_bytes());
    }
}
