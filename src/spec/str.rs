//! `Str`: a JSON string as it sits in the buffer, escapes possibly still inside.
//!
//! The pre-pass has already rewritten every string whose decoded form is harmless, so
//! most `Str`s are plain; the rest (holding `"`, `\` or control characters) decode on use.
//! The pre-pass also checked every escape, so decoding here cannot fail.

use core::fmt;
use serde::de::{Deserialize, Deserializer, Visitor};

/// A JSON string value or key, borrowed from the config buffer without its quotes.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct Str<'a>(&'a str);

impl<'a> Str<'a> {
    /// Wrap raw JSON string content (the pre-pass must have validated it).
    pub const fn from_raw(raw: &'a str) -> Str<'a> {
        Str(raw)
    }

    /// The bytes between the quotes, escapes included.
    pub fn raw(&self) -> &'a str {
        self.0
    }

    /// The string itself when it holds no escape (the common case after the pre-pass).
    pub fn as_plain(&self) -> Option<&'a str> {
        if self.0.as_bytes().contains(&b'\\') {
            None
        } else {
            Some(self.0)
        }
    }

    /// The decoded characters.
    pub fn chars(&self) -> Chars<'a> {
        Chars {
            rest: self.0.as_bytes(),
            pending: None,
        }
    }

    /// The decoded UTF-8 bytes.
    pub fn bytes(&self) -> impl Iterator<Item = u8> + 'a {
        self.chars().flat_map(|c| {
            let mut b = [0u8; 4];
            let n = c.encode_utf8(&mut b).len();
            b.into_iter().take(n)
        })
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Does the decoded string equal `s`?
    pub fn eq_str(&self, s: &str) -> bool {
        match self.as_plain() {
            Some(p) => p == s,
            None => self.chars().eq(s.chars()),
        }
    }

    /// Does the decoded string start with `s`?
    pub fn starts_with(&self, s: &str) -> bool {
        match self.as_plain() {
            Some(p) => p.starts_with(s),
            None => {
                let mut c = self.chars();
                s.chars().all(|x| c.next() == Some(x))
            }
        }
    }

    /// Does the decoded string contain the character `x`?
    pub fn contains(&self, x: char) -> bool {
        match self.as_plain() {
            Some(p) => p.contains(x),
            None => self.chars().any(|c| c == x),
        }
    }

    /// Length in bytes of the decoded UTF-8.
    pub fn decoded_len(&self) -> usize {
        match self.as_plain() {
            Some(p) => p.len(),
            None => self.chars().map(char::len_utf8).sum(),
        }
    }

    /// Decode into `buf`; an error naming the length when `buf` is too small.
    pub fn decode_into<'b>(&self, buf: &'b mut [u8]) -> crate::Result<&'b str> {
        let need = self.decoded_len();
        if need > buf.len() {
            return Err(crate::Error::capacity(
                "string",
                need as u64,
                buf.len() as u64,
                "bytes",
            ));
        }
        let mut n = 0;
        for c in self.chars() {
            n += c.encode_utf8(&mut buf[n..]).len();
        }
        core::str::from_utf8(&buf[..n]).map_err(|_| crate::Error::spec("string", "invalid UTF-8"))
    }
}

/// Iterator over the decoded characters of a [`Str`].
pub struct Chars<'a> {
    rest: &'a [u8],
    pending: Option<char>,
}

fn hex4(b: &[u8]) -> Option<u32> {
    let mut v = 0u32;
    for &c in b.get(..4)? {
        v = v * 16 + (c as char).to_digit(16)?;
    }
    Some(v)
}

impl Iterator for Chars<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        if let Some(c) = self.pending.take() {
            return Some(c);
        }
        let (&b, tail) = self.rest.split_first()?;
        if b != b'\\' {
            // Plain UTF-8: take one whole character.
            let n = match b {
                0..=0x7f => 1,
                0xc0..=0xdf => 2,
                0xe0..=0xef => 3,
                _ => 4,
            };
            let (ch, tail) = self.rest.split_at(n.min(self.rest.len()));
            self.rest = tail;
            return core::str::from_utf8(ch)
                .ok()
                .and_then(|s| s.chars().next())
                .or(Some('\u{fffd}'));
        }
        let (&e, tail) = tail.split_first().unwrap_or((&b'?', &[]));
        self.rest = tail;
        Some(match e {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = hex4(tail).unwrap_or(0xfffd);
                self.rest = tail.get(4..).unwrap_or(&[]);
                if (0xd800..0xdc00).contains(&hi) && self.rest.starts_with(b"\\u") {
                    let lo = hex4(&self.rest[2..]).unwrap_or(0);
                    if (0xdc00..0xe000).contains(&lo) {
                        self.rest = self.rest.get(6..).unwrap_or(&[]);
                        let c = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
                        return Some(char::from_u32(c).unwrap_or('\u{fffd}'));
                    }
                }
                char::from_u32(hi).unwrap_or('\u{fffd}')
            }
            _ => '\u{fffd}',
        })
    }
}

impl fmt::Display for Str<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write;
        match self.as_plain() {
            Some(p) => f.write_str(p),
            None => self.chars().try_for_each(|c| f.write_char(c)),
        }
    }
}

impl fmt::Debug for Str<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", self.0)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(core::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Str<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Str<'a>, E> {
                Ok(Str(v))
            }
            fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Str<'a>, E> {
                // Only a deserializer that copies could get here: husk never builds one.
                Err(E::custom("string not borrowed from the buffer"))
            }
        }
        // deserialize_str, not newtype: serde-json-core's map keys only support str.
        d.deserialize_str(V(core::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::string::String;

    #[test]
    fn decodes_escapes_and_pairs() {
        let s = Str::from_raw(r#"a\"b\\c\/\n\u00e9\ud83d\ude00z"#);
        let d: String = s.chars().collect();
        assert_eq!(d, "a\"b\\c/\né😀z");
        assert_eq!(s.decoded_len(), d.len());
        assert!(s.eq_str(&d));
        assert!(s.starts_with("a\"b"));
        assert!(!s.starts_with("a\"c"));
        let mut buf = [0u8; 32];
        assert_eq!(s.decode_into(&mut buf).unwrap(), d);
        let mut small = [0u8; 4];
        assert!(s.decode_into(&mut small).is_err());
        assert_eq!(std::format!("{s}"), d);
        assert_eq!(s.bytes().collect::<std::vec::Vec<u8>>(), d.as_bytes());
        assert!(s.as_plain().is_none());
        assert_eq!(Str::from_raw("plain").as_plain(), Some("plain"));
    }
}
