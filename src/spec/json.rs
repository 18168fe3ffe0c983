//! The pre-pass: a strict, iterative RFC 8259 validator run over the buffer before serde.
//!
//! serde-json-core skips unknown values without checking them, recurses without limit
//! and names nothing in its errors. This pass fixes all three: it checks every byte,
//! keeps its own bounded stack, and follows the [`schema`](super::schema) so type,
//! required-field and capacity errors carry their JSON path. On the way it rewrites
//! harmless escaped strings decoded in place and records where lazy lists lie.

use super::limits::JSON_MAX_DEPTH;
use super::schema::{slot, Node, Ty};
use crate::{Error, Result};

/// Byte span of a lazy list or map and its element count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    pub start: u32,
    pub end: u32,
    pub len: u32,
}

/// What the pre-pass learnt: the lazy spans, by slot.
pub struct Spans {
    pub spans: [Option<Span>; slot::COUNT],
}

#[derive(Clone, Copy)]
struct Frame {
    node: Option<&'static Node>,
    obj: bool,
    count: u32,
    seen: u64,
    start: u32,
}

const EMPTY: Frame = Frame {
    node: None,
    obj: false,
    count: 0,
    seen: 0,
    start: 0,
};

struct Pass<'b> {
    buf: &'b mut [u8],
    pos: usize,
    /// Prefix of schema paths dropped in errors (stand-alone documents).
    strip: usize,
    stack: [Frame; JSON_MAX_DEPTH],
    depth: usize,
}

fn ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Run the pre-pass over `buf` with `root` as the document's schema.
pub fn check(buf: &mut [u8], root: &'static Node, strip: usize) -> Result<Spans> {
    if let Err(e) = core::str::from_utf8(buf) {
        return Err(Error::json("", "invalid UTF-8", e.valid_up_to()));
    }
    let mut p = Pass {
        buf,
        pos: 0,
        strip,
        stack: [EMPTY; JSON_MAX_DEPTH],
        depth: 0,
    };
    let mut spans = Spans {
        spans: [None; slot::COUNT],
    };
    p.run(root, &mut spans)?;
    Ok(spans)
}

impl Pass<'_> {
    fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    fn skip_ws(&mut self) -> Option<u8> {
        while let Some(b) = self.peek() {
            if !ws(b) {
                return Some(b);
            }
            self.pos += 1;
        }
        None
    }

    fn ctx(&self, node: Option<&'static Node>) -> &'static str {
        let n = node.or_else(|| self.stack[..self.depth].iter().rev().find_map(|f| f.node));
        let path = n.map_or("", |n| n.path);
        path.get(self.strip..).unwrap_or("")
    }

    /// Indices of the known arrays on the stack, outermost first.
    fn with_idx(&self, mut e: Error) -> Error {
        for f in &self.stack[..self.depth] {
            if let Some(n) = f.node {
                if n.ty == Ty::Arr && f.count > 0 {
                    e = e.at(f.count as usize - 1);
                }
            }
        }
        e
    }

    fn syntax(&self, node: Option<&'static Node>, msg: &'static str) -> Error {
        let at = self.pos;
        self.with_idx(Error::json(self.ctx(node), msg, at))
    }

    fn spec(&self, node: &'static Node, msg: &'static str) -> Error {
        self.with_idx(Error::spec(node.path.get(self.strip..).unwrap_or(""), msg))
    }

    fn run(&mut self, root: &'static Node, spans: &mut Spans) -> Result<()> {
        // `want`: the schema node of the value about to be read (None: unknown subtree).
        let mut want = Some(root);
        loop {
            // A value.
            let b = match self.skip_ws() {
                Some(b) => b,
                None => return Err(self.syntax(want, "unexpected end of input")),
            };
            match b {
                b'{' | b'[' => {
                    let obj = b == b'{';
                    if let Some(n) = want {
                        let ok = if obj {
                            matches!(n.ty, Ty::Obj | Ty::Map)
                        } else {
                            n.ty == Ty::Arr
                        };
                        if !ok {
                            return Err(self.spec(n, type_msg(n.ty)));
                        }
                    }
                    if self.depth == JSON_MAX_DEPTH {
                        return Err(self.syntax(want, "nesting too deep"));
                    }
                    self.stack[self.depth] = Frame {
                        node: want,
                        obj,
                        count: 0,
                        seen: 0,
                        start: self.pos as u32,
                    };
                    self.depth += 1;
                    self.pos += 1;
                    // First member or element, or an empty container.
                    let close = if obj { b'}' } else { b']' };
                    if self.skip_ws() == Some(close) {
                        self.pos += 1;
                        self.close(spans)?;
                    } else {
                        want = self.next_member()?;
                        continue;
                    }
                }
                b'"' => {
                    if let Some(n) = want {
                        if n.ty != Ty::Str {
                            return Err(self.spec(n, type_msg(n.ty)));
                        }
                    }
                    self.string(want)?;
                }
                b't' | b'f' | b'n' => {
                    let word: &[u8] = match b {
                        b't' => b"true",
                        b'f' => b"false",
                        _ => b"null",
                    };
                    if self.buf.get(self.pos..self.pos + word.len()) != Some(word) {
                        return Err(self.syntax(want, "invalid literal"));
                    }
                    if let Some(n) = want {
                        if b == b'n' {
                            if n.req {
                                return Err(self.spec(n, "must not be null"));
                            }
                        } else if n.ty != Ty::Bool {
                            return Err(self.spec(n, type_msg(n.ty)));
                        }
                    }
                    self.pos += word.len();
                }
                b'-' | b'0'..=b'9' => self.number(want)?,
                _ => return Err(self.syntax(want, "expected a value")),
            }
            // After a value: close containers or move to the next member.
            loop {
                if self.depth == 0 {
                    return match self.skip_ws() {
                        None => Ok(()),
                        Some(_) => Err(self.syntax(None, "trailing characters after the document")),
                    };
                }
                let f = self.stack[self.depth - 1];
                let close = if f.obj { b'}' } else { b']' };
                match self.skip_ws() {
                    Some(b',') => {
                        self.pos += 1;
                        want = self.next_member()?;
                        break;
                    }
                    Some(c) if c == close => {
                        self.pos += 1;
                        self.close(spans)?;
                    }
                    Some(_) => return Err(self.syntax(None, "expected ',' or a closing bracket")),
                    None => return Err(self.syntax(None, "unexpected end of input")),
                }
            }
        }
    }

    /// Start the next element (arrays) or read `"key":` (objects); returns the schema
    /// node of the value that follows.
    fn next_member(&mut self) -> Result<Option<&'static Node>> {
        let i = self.depth - 1;
        self.stack[i].count = self.stack[i].count.saturating_add(1);
        let f = self.stack[i];
        if !f.obj {
            return Ok(f.node.and_then(|n| n.kids.first()));
        }
        if self.skip_ws() != Some(b'"') {
            return Err(self.syntax(None, "expected a string key"));
        }
        let (ks, ke) = self.string(None)?;
        if self.skip_ws() != Some(b':') {
            return Err(self.syntax(None, "expected ':'"));
        }
        self.pos += 1;
        let Some(n) = f.node else { return Ok(None) };
        if n.ty == Ty::Map {
            return Ok(n.kids.first());
        }
        let key = &self.buf[ks..ke];
        for (k, kid) in n.kids.iter().enumerate() {
            if kid.key.as_bytes() == key {
                if f.seen & (1 << k) != 0 {
                    return Err(self.spec(kid, "duplicate key"));
                }
                self.stack[i].seen |= 1 << k;
                return Ok(Some(kid));
            }
        }
        Ok(None)
    }

    /// A container just closed: check it against the schema and record lazy spans.
    fn close(&mut self, spans: &mut Spans) -> Result<()> {
        let f = self.stack[self.depth - 1];
        if let Some(n) = f.node {
            if n.ty == Ty::Obj {
                for (k, kid) in n.kids.iter().enumerate() {
                    if kid.req && f.seen & (1 << k) == 0 {
                        return Err(self.spec(kid, "is required"));
                    }
                }
            }
            if n.cap > 0 && f.count as usize > n.cap {
                self.depth -= 1;
                let p = n.path.get(self.strip..).unwrap_or("");
                return Err(self.with_idx(Error::capacity(
                    p,
                    f.count as u64,
                    n.cap as u64,
                    "entries",
                )));
            }
            if n.slot > 0 {
                if let Some(s) = spans.spans.get_mut(n.slot as usize) {
                    *s = Some(Span {
                        start: f.start,
                        end: self.pos as u32,
                        len: f.count,
                    });
                }
            }
        }
        self.depth -= 1;
        Ok(())
    }

    /// Check a string at `pos` (on its quote); rewrite it decoded when that is harmless.
    /// Returns the content's span after any rewrite.
    fn string(&mut self, node: Option<&'static Node>) -> Result<(usize, usize)> {
        let start = self.pos + 1;
        let mut i = start;
        let mut escapes = false;
        // Does the decoded form need escaping again (", \ or a control character)?
        let mut keep = false;
        loop {
            let Some(&b) = self.buf.get(i) else {
                self.pos = i;
                return Err(self.syntax(node, "unterminated string"));
            };
            match b {
                b'"' => break,
                0..=0x1f => {
                    self.pos = i;
                    return Err(self.syntax(node, "control character in string"));
                }
                b'\\' => {
                    escapes = true;
                    let e = self.buf.get(i + 1).copied();
                    match e {
                        Some(b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            keep = true;
                            i += 2;
                        }
                        Some(b'/') => i += 2,
                        Some(b'u') => {
                            let Some(c) = self.hex(i + 2) else {
                                self.pos = i;
                                return Err(self.syntax(node, "invalid \\u escape"));
                            };
                            i += 6;
                            if (0xdc00..0xe000).contains(&c) {
                                self.pos = i - 6;
                                return Err(self.syntax(node, "unpaired surrogate in string"));
                            }
                            if (0xd800..0xdc00).contains(&c) {
                                let lo = if self.buf.get(i..i + 2) == Some(b"\\u") {
                                    self.hex(i + 2)
                                } else {
                                    None
                                };
                                match lo {
                                    Some(0xdc00..=0xdfff) => i += 6,
                                    _ => {
                                        self.pos = i - 6;
                                        return Err(
                                            self.syntax(node, "unpaired surrogate in string")
                                        );
                                    }
                                }
                            } else if c < 0x20 || c == 0x22 || c == 0x5c {
                                keep = true;
                            }
                        }
                        _ => {
                            self.pos = i;
                            return Err(self.syntax(node, "invalid escape in string"));
                        }
                    }
                }
                _ => i += 1,
            }
        }
        let end = i;
        self.pos = end + 1;
        if !escapes || keep {
            return Ok((start, end));
        }
        // Decode in place: the decoded form is never longer than the escaped one, so the
        // write position never passes the read position.
        let (mut r, mut w) = (start, start);
        let mut tmp = [0u8; 4];
        while r < end {
            let b = self.buf[r];
            if b != b'\\' {
                self.buf[w] = b;
                r += 1;
                w += 1;
                continue;
            }
            let c = match self.buf[r + 1] {
                b'u' => {
                    let hi = self.hex(r + 2).unwrap_or(0xfffd);
                    r += 6;
                    if (0xd800..0xdc00).contains(&hi) {
                        let lo = self.hex(r + 2).unwrap_or(0xdc00);
                        r += 6;
                        0x10000 + ((hi - 0xd800) << 10) + (lo.wrapping_sub(0xdc00) & 0x3ff)
                    } else {
                        hi
                    }
                }
                other => {
                    r += 2;
                    other as u32
                }
            };
            let s = char::from_u32(c)
                .unwrap_or('\u{fffd}')
                .encode_utf8(&mut tmp);
            self.buf[w..w + s.len()].copy_from_slice(s.as_bytes());
            w += s.len();
        }
        self.buf[w] = b'"';
        for b in &mut self.buf[w + 1..=end] {
            *b = b' ';
        }
        Ok((start, w))
    }

    fn hex(&self, at: usize) -> Option<u32> {
        let mut v = 0;
        for &c in self.buf.get(at..at + 4)? {
            v = v * 16 + (c as char).to_digit(16)?;
        }
        Some(v)
    }

    /// Check a number's grammar and, for integer fields, its range.
    fn number(&mut self, node: Option<&'static Node>) -> Result<()> {
        let neg = self.peek() == Some(b'-');
        if neg {
            self.pos += 1;
        }
        let digits = |p: &mut Self| {
            let s = p.pos;
            while matches!(p.peek(), Some(b'0'..=b'9')) {
                p.pos += 1;
            }
            p.pos - s
        };
        let int_start = self.pos;
        let n = digits(self);
        if n == 0 || (n > 1 && self.buf[int_start] == b'0') {
            return Err(self.syntax(node, "invalid number"));
        }
        let int_end = self.pos;
        let mut integer = true;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            integer = false;
            if digits(self) == 0 {
                return Err(self.syntax(node, "invalid number"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            integer = false;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(self.syntax(node, "invalid number"));
            }
        }
        let Some(n) = node else { return Ok(()) };
        let (lo, hi): (i128, i128) = match n.ty {
            Ty::U16 => (0, u16::MAX as i128),
            Ty::U32 => (0, u32::MAX as i128),
            Ty::U64 => (0, u64::MAX as i128),
            Ty::I32 => (i32::MIN as i128, i32::MAX as i128),
            Ty::I64 => (i64::MIN as i128, i64::MAX as i128),
            t => return Err(self.spec(n, type_msg(t))),
        };
        let mut v: i128 = 0;
        for &d in &self.buf[int_start..int_end] {
            v = v.saturating_mul(10).saturating_add((d - b'0') as i128);
        }
        if neg {
            v = -v;
        }
        // serde-json-core rejects any '-' for unsigned fields, "-0" included: so do we.
        if !integer || v < lo || v > hi || (neg && lo == 0) {
            return Err(self.spec(n, type_msg(n.ty)));
        }
        Ok(())
    }
}

fn type_msg(t: Ty) -> &'static str {
    match t {
        Ty::Obj | Ty::Map => "must be an object",
        Ty::Arr => "must be an array",
        Ty::Str => "must be a string",
        Ty::Bool => "must be a boolean",
        Ty::U16 => "must be an integer from 0 to 65535",
        Ty::U32 => "must be an integer from 0 to 4294967295",
        Ty::U64 => "must be an integer from 0 to 18446744073709551615",
        Ty::I32 => "must be a 32-bit signed integer",
        Ty::I64 => "must be a 64-bit signed integer",
    }
}

/// End of the JSON value starting at `i` in validated JSON (lazy lists walk with it).
pub(crate) fn value_end(b: &[u8], mut i: usize) -> usize {
    match b.get(i) {
        Some(b'"') => {
            i += 1;
            while let Some(&c) = b.get(i) {
                match c {
                    b'\\' => i += 2,
                    b'"' => return i + 1,
                    _ => i += 1,
                }
            }
            b.len()
        }
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            let mut in_str = false;
            while let Some(&c) = b.get(i) {
                i += 1;
                if in_str {
                    match c {
                        b'\\' => i += 1,
                        b'"' => in_str = false,
                        _ => {}
                    }
                } else {
                    match c {
                        b'"' => in_str = true,
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                return i;
                            }
                        }
                        _ => {}
                    }
                }
            }
            b.len()
        }
        _ => {
            while let Some(&c) = b.get(i) {
                if matches!(c, b',' | b']' | b'}') || ws(c) {
                    break;
                }
                i += 1;
            }
            i
        }
    }
}

/// Index of the first non-whitespace byte at or after `i`.
pub(crate) fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(|&c| ws(c)) {
        i += 1;
    }
    i
}
