//! Formatting without a heap: a fixed stack buffer implementing `core::fmt::Write`, written
//! to a file descriptor with one write(2) per line. Overflow is marked, never silent.

use core::fmt::{self, Write};
use rustix::fd::{AsFd, BorrowedFd};

/// A fixed-capacity text buffer. Writing past the end keeps what fits (cut on a UTF-8
/// boundary) and sets `truncated`; [`Buf::finish_line`] then marks the cut with "...".
pub struct Buf<const N: usize> {
    bytes: [u8; N],
    len: usize,
    truncated: bool,
}

impl<const N: usize> Default for Buf<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Buf<N> {
    pub const fn new() -> Self {
        Buf {
            bytes: [0; N],
            len: 0,
            truncated: false,
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    pub fn as_str(&self) -> &str {
        // Only whole UTF-8 sequences are ever copied in (see write_str).
        core::str::from_utf8(self.as_bytes()).unwrap_or("")
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn truncated(&self) -> bool {
        self.truncated
    }

    pub fn clear(&mut self) {
        self.len = 0;
        self.truncated = false;
    }

    /// Append raw bytes (not necessarily UTF-8); false if they did not all fit.
    pub fn push_bytes(&mut self, b: &[u8]) -> bool {
        let room = N - self.len;
        let n = b.len().min(room);
        self.bytes[self.len..self.len + n].copy_from_slice(&b[..n]);
        self.len += n;
        if n < b.len() {
            self.truncated = true;
        }
        n == b.len()
    }

    /// End the text with '\n', replacing the tail with "...\n" if anything was cut, so a
    /// reader always sees a whole line and knows when it is incomplete.
    pub fn finish_line(&mut self) {
        if self.truncated || self.len == N {
            let mut keep = N.saturating_sub(4).min(self.len);
            while keep > 0 && (self.bytes[keep] & 0xC0) == 0x80 {
                keep -= 1;
            }
            self.len = keep;
            let tail: &[u8] = if N >= 4 { b"...\n" } else { b"\n" };
            let n = tail.len().min(N - self.len);
            self.bytes[self.len..self.len + n].copy_from_slice(&tail[..n]);
            self.len += n;
        } else {
            self.bytes[self.len] = b'\n';
            self.len += 1;
        }
    }

    /// write(2) the whole buffer to `fd`, retrying on short writes and EINTR.
    pub fn write_to(&self, fd: BorrowedFd<'_>) -> Result<(), rustix::io::Errno> {
        write_all(fd, self.as_bytes())
    }
}

impl<const N: usize> Write for Buf<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = N - self.len;
        if s.len() <= room {
            self.bytes[self.len..self.len + s.len()].copy_from_slice(s.as_bytes());
            self.len += s.len();
            return Ok(());
        }
        let mut cut = room;
        while cut > 0 && !s.is_char_boundary(cut) {
            cut -= 1;
        }
        self.bytes[self.len..self.len + cut].copy_from_slice(&s.as_bytes()[..cut]);
        self.len += cut;
        self.truncated = true;
        // Report success: the truncation is recorded and shown, and callers keep going.
        Ok(())
    }
}

/// Write all of `b` to `fd`.
pub fn write_all(fd: impl AsFd, mut b: &[u8]) -> Result<(), rustix::io::Errno> {
    while !b.is_empty() {
        match rustix::io::write(fd.as_fd(), b) {
            Ok(0) => return Err(rustix::io::Errno::IO),
            Ok(n) => b = &b[n..],
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Write `s` escaped as the inside of a JSON string.
pub fn json_escape(w: &mut impl Write, s: &str) -> fmt::Result {
    for c in s.chars() {
        match c {
            '"' => w.write_str("\\\"")?,
            '\\' => w.write_str("\\\\")?,
            '\n' => w.write_str("\\n")?,
            '\r' => w.write_str("\\r")?,
            '\t' => w.write_str("\\t")?,
            c if (c as u32) < 0x20 => write!(w, "\\u{:04x}", c as u32)?,
            c => w.write_char(c)?,
        }
    }
    Ok(())
}

/// Copy the JSON value `raw` to `w` laid out as Go's `json.MarshalIndent(v, "", "  ")`
/// lays out a value nested `depth` levels deep (runc prints `state` that way): one member
/// a line, two spaces a level, `": "` after a key, `{}` and `[]` when empty. With `pretty`
/// false, compact: no white space at all. Only the white space between tokens changes
/// (strings are copied as they are, escapes included), so text that was valid JSON stays
/// valid and text that was not stays as invalid as it was.
pub fn json_layout(w: &mut impl Write, raw: &str, depth: usize, pretty: bool) -> fmt::Result {
    let b = raw.as_bytes();
    let mut depth = depth;
    let newline = |w: &mut dyn Write, depth: usize| -> fmt::Result {
        if pretty {
            w.write_char('\n')?;
            for _ in 0..depth {
                w.write_str("  ")?;
            }
        }
        Ok(())
    };
    let is_space = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r');
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'"' => {
                let start = i;
                i += 1;
                while let Some(&c) = b.get(i) {
                    i += if c == b'\\' { 2 } else { 1 };
                    if c == b'"' {
                        break;
                    }
                }
                // Cut only at the closing quote (ASCII) or the end: a char boundary.
                i = i.min(b.len());
                w.write_str(raw.get(start..i).unwrap_or(""))?;
            }
            b'{' | b'[' => {
                w.write_char(c as char)?;
                i += 1;
                let close = if c == b'{' { b'}' } else { b']' };
                let next = b[i..].iter().position(|&c| !is_space(c)).map(|n| i + n);
                match next {
                    Some(n) if b[n] == close => {
                        w.write_char(close as char)?;
                        i = n + 1;
                    }
                    _ => {
                        depth += 1;
                        newline(w, depth)?;
                    }
                }
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(w, depth)?;
                w.write_char(c as char)?;
                i += 1;
            }
            b',' => {
                w.write_char(',')?;
                newline(w, depth)?;
                i += 1;
            }
            b':' => {
                w.write_str(if pretty { ": " } else { ":" })?;
                i += 1;
            }
            c if is_space(c) => i += 1,
            _ => {
                // A number, true, false or null: up to the next delimiter (ASCII).
                let start = i;
                while b
                    .get(i)
                    .is_some_and(|&c| !is_space(c) && !b",:{}[]\"".contains(&c))
                {
                    i += 1;
                }
                w.write_str(raw.get(start..i).unwrap_or(""))?;
            }
        }
    }
    Ok(())
}

/// `print!`-like helpers for stdout/stderr with a 4 KiB line buffer.
#[macro_export]
macro_rules! outln {
    ($fd:expr, $($arg:tt)*) => {{
        let mut b = $crate::out::Buf::<4096>::new();
        let _ = core::fmt::Write::write_fmt(&mut b, format_args!($($arg)*));
        b.finish_line();
        let _ = b.write_to($fd);
    }};
}

/// Text of any length written to a file descriptor through a buffer of N bytes, flushed
/// when full and by [`FdOut::finish`]: for output whose size the input decides (a state
/// whose annotations are laid out again), in constant memory and never cut.
pub struct FdOut<'f, const N: usize> {
    fd: BorrowedFd<'f>,
    buf: Buf<N>,
    error: Option<rustix::io::Errno>,
}

impl<'f, const N: usize> FdOut<'f, N> {
    pub fn new(fd: BorrowedFd<'f>) -> Self {
        FdOut {
            fd,
            buf: Buf::new(),
            error: None,
        }
    }

    fn flush(&mut self) {
        if self.error.is_none() {
            if let Err(e) = self.buf.write_to(self.fd) {
                self.error = Some(e);
            }
        }
        self.buf.clear();
    }

    /// Write out what is buffered; the first write error, if any.
    pub fn finish(mut self) -> Result<(), rustix::io::Errno> {
        self.flush();
        self.error.map_or(Ok(()), Err)
    }
}

impl<const N: usize> Write for FdOut<'_, N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut rest = s.as_bytes();
        while !rest.is_empty() {
            if self.buf.len() == N {
                self.flush();
            }
            let n = rest.len().min(N - self.buf.len());
            self.buf.push_bytes(&rest[..n]);
            rest = &rest[n..];
        }
        Ok(())
    }
}

/// Like [`Buf`], over a caller's slice (a large mapping): `core::fmt::Write` that records
/// an overflow instead of failing mid-way.
pub struct SliceBuf<'b> {
    buf: &'b mut [u8],
    len: usize,
    overflow: bool,
}

impl<'b> SliceBuf<'b> {
    pub fn new(buf: &'b mut [u8]) -> SliceBuf<'b> {
        SliceBuf {
            buf,
            len: 0,
            overflow: false,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether something did not fit.
    pub fn overflowed(&self) -> bool {
        self.overflow
    }
}

impl Write for SliceBuf<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        match self.buf.get_mut(self.len..self.len + s.len()) {
            Some(dst) => {
                dst.copy_from_slice(s.as_bytes());
                self.len += s.len();
                Ok(())
            }
            None => {
                self.overflow = true;
                Err(fmt::Error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fd_out_writes_text_longer_than_its_buffer_whole() {
        let (r, w) = rustix::pipe::pipe().unwrap();
        let mut o = FdOut::<8>::new(w.as_fd());
        let text = "0123456789abcdefghij\u{e9}klmnopqrstuvwxyz";
        for part in [&text[..3], &text[3..20], &text[20..]] {
            o.write_str(part).unwrap();
        }
        write!(o, "{}", 42).unwrap();
        o.finish().unwrap();
        drop(w);
        let mut got = [0u8; 64];
        let n = rustix::io::read(&r, &mut got).unwrap();
        assert_eq!(&got[..n], format!("{text}42").as_bytes());
    }

    #[test]
    fn truncation_is_marked_on_char_boundary() {
        let mut b = Buf::<8>::new();
        write!(b, "ab\u{e9}\u{e9}\u{e9}xyz").unwrap();
        assert!(b.truncated());
        b.finish_line();
        assert_eq!(b.as_str(), "ab\u{e9}...\n");
    }

    fn layout(raw: &str, depth: usize, pretty: bool) -> Buf<512> {
        let mut b = Buf::new();
        json_layout(&mut b, raw, depth, pretty).unwrap();
        b
    }

    #[test]
    fn json_layout_as_go_marshal_indent() {
        let odd = "{\n\t  \"a\" :\"x, y\",\"n\": { \"k\":[1, true,null ,\n{}],\"e\":[ ] },\r\n\"q\\\"{\":\"\\\\\" }";
        assert_eq!(
            layout(odd, 1, true).as_str(),
            "{\n    \"a\": \"x, y\",\n    \"n\": {\n      \"k\": [\n        1,\n        true,\n        null,\n        {}\n      ],\n      \"e\": []\n    },\n    \"q\\\"{\": \"\\\\\"\n  }"
        );
        assert_eq!(
            layout(odd, 1, false).as_str(),
            "{\"a\":\"x, y\",\"n\":{\"k\":[1,true,null,{}],\"e\":[]},\"q\\\"{\":\"\\\\\"}"
        );
        assert_eq!(layout("{ }", 0, true).as_str(), "{}");
        // Not JSON: copied without a panic, still not JSON.
        for bad in ["\"", "\"\\", "}}]", "{\"a\":\u{e9}\u{e9}", "[\u{e9}"] {
            layout(bad, 0, true);
        }
    }

    #[test]
    fn json_escapes() {
        let mut b = Buf::<64>::new();
        json_escape(&mut b, "a\"b\\c\n\u{1}").unwrap();
        assert_eq!(b.as_str(), "a\\\"b\\\\c\\n\\u0001");
    }
}
