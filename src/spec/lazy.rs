//! Out-of-line lists and maps, and the small inline vector used inside one element.
//!
//! A [`List`] is only a byte span of the validated buffer: elements are parsed one at a
//! time when iterated, so a 1000-entry list costs no stack. serde skips the value and
//! `parse` fills the span in from the pre-pass afterwards.

use super::json::{skip_ws, value_end, Span};
use super::str::Str;
use crate::{Error, Result};
use core::fmt;
use core::marker::PhantomData;
use serde::de::{Deserialize, Deserializer, IgnoredAny, SeqAccess, Visitor};

/// A JSON array kept as text and parsed lazily.
pub struct List<'a, T> {
    raw: &'a str,
    len: u32,
    /// Pattern of the elements for errors: `linux.seccomp.syscalls[]`.
    path: &'static str,
    /// Index of the enclosing element for lists inside a lazy element (`NO_OUTER`: none).
    outer: u32,
    _t: PhantomData<T>,
}

const NO_OUTER: u32 = u32::MAX;

/// Lists nested in a lazily parsed element find their span in the element's own text.
pub trait Nested<'a> {
    /// `text` is the element's JSON, `idx` its index in the enclosing list.
    fn fill_nested(&mut self, _text: &'a str, _idx: usize) {}
}

macro_rules! no_nested {
    ($($t:ty),*) => { $(impl<'a> Nested<'a> for $t {})* };
}
no_nested!(Str<'a>, u32);

/// Point `list` at the array under top-level `key` of the JSON object `obj`.
pub(crate) fn nested<'a, T>(
    list: &mut List<'a, T>,
    obj: &'a str,
    key: &str,
    path: &'static str,
    idx: usize,
) {
    list.path = path;
    list.outer = idx as u32;
    let b = obj.as_bytes();
    let mut i = skip_ws(b, 0) + 1;
    while b.get(i).is_some() {
        let ks = skip_ws(b, i);
        if b.get(ks) != Some(&b'"') {
            return;
        }
        let ke = value_end(b, ks);
        let vs = skip_ws(b, skip_ws(b, ke) + 1);
        let ve = value_end(b, vs);
        if b.get(ks + 1..ke.saturating_sub(1)) == Some(key.as_bytes()) && b.get(vs) == Some(&b'[') {
            list.raw = obj.get(vs..ve).unwrap_or("");
            let mut n = 0u32;
            let mut p = vs + 1;
            loop {
                let s = skip_ws(b, p);
                if matches!(b.get(s), None | Some(b']')) || s >= ve {
                    break;
                }
                n += 1;
                let e = skip_ws(b, value_end(b, s));
                p = e + 1;
            }
            list.len = n;
            return;
        }
        let next = skip_ws(b, ve);
        i = next + 1;
    }
}

impl<T> Clone for List<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for List<'_, T> {}

impl<T> Default for List<'_, T> {
    fn default() -> Self {
        List {
            raw: "",
            len: 0,
            path: "",
            outer: NO_OUTER,
            _t: PhantomData,
        }
    }
}

impl<T> fmt::Debug for List<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "List({} entries)", self.len)
    }
}

impl<'de: 'a, 'a, T> Deserialize<'de> for List<'a, T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        IgnoredAny::deserialize(d)?;
        Ok(List::default())
    }
}

impl<'a, T: Deserialize<'a> + Nested<'a>> List<'a, T> {
    /// Attach the span the pre-pass recorded (`None`: absent or null, stays empty).
    pub(crate) fn fill(&mut self, text: &'a str, span: Option<Span>, path: &'static str) {
        self.path = path;
        if let Some(s) = span {
            self.raw = text.get(s.start as usize..s.end as usize).unwrap_or("");
            self.len = s.len;
        }
    }

    /// The array's text, brackets included ("" when absent).
    pub fn raw(&self) -> &'a str {
        self.raw
    }

    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Parse each element in turn; an error names `path[N]`.
    pub fn iter(&self) -> ListIter<'a, T> {
        ListIter {
            b: self.raw.as_bytes(),
            pos: 1,
            n: 0,
            path: self.path,
            outer: self.outer,
            _t: PhantomData,
        }
    }
}

/// Iterator over a [`List`]'s elements.
pub struct ListIter<'a, T> {
    b: &'a [u8],
    pos: usize,
    n: usize,
    path: &'static str,
    outer: u32,
    _t: PhantomData<T>,
}

impl<'a, T: Deserialize<'a> + Nested<'a>> Iterator for ListIter<'a, T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        let start = skip_ws(self.b, self.pos);
        if matches!(self.b.get(start), None | Some(b']')) {
            return None;
        }
        let end = value_end(self.b, start);
        let n = self.n;
        self.n += 1;
        let next = skip_ws(self.b, end);
        self.pos = if self.b.get(next) == Some(&b',') {
            next + 1
        } else {
            next
        };
        let elem = self.b.get(start..end).unwrap_or(&[]);
        let text = core::str::from_utf8(elem).unwrap_or("");
        Some(match serde_json_core::from_slice::<T>(elem) {
            Ok((mut v, _)) => {
                v.fill_nested(text, n);
                Ok(v)
            }
            Err(_) => {
                let e = Error::spec(self.path, "invalid value");
                let e = if self.outer == NO_OUTER {
                    e
                } else {
                    e.at(self.outer as usize)
                };
                Err(e.at(n))
            }
        })
    }
}

/// A JSON object with free-form keys (annotations, sysctl...), kept as text.
pub struct Map<'a, V> {
    raw: &'a str,
    len: u32,
    path: &'static str,
    _v: PhantomData<V>,
}

impl<V> Clone for Map<'_, V> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<V> Copy for Map<'_, V> {}

impl<V> Default for Map<'_, V> {
    fn default() -> Self {
        Map {
            raw: "",
            len: 0,
            path: "",
            _v: PhantomData,
        }
    }
}

impl<V> fmt::Debug for Map<'_, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Map({} entries)", self.len)
    }
}

impl<'de: 'a, 'a, V> Deserialize<'de> for Map<'a, V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        IgnoredAny::deserialize(d)?;
        Ok(Map::default())
    }
}

impl<'a, V: Deserialize<'a> + Nested<'a>> Map<'a, V> {
    pub(crate) fn fill(&mut self, text: &'a str, span: Option<Span>, path: &'static str) {
        self.path = path;
        if let Some(s) = span {
            self.raw = text.get(s.start as usize..s.end as usize).unwrap_or("");
            self.len = s.len;
        }
    }

    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The map's JSON path, for errors.
    pub fn path(&self) -> &'static str {
        self.path
    }

    /// (key, value) pairs in document order; an error names the map and the key.
    pub fn iter(&self) -> MapIter<'a, V> {
        MapIter {
            b: self.raw.as_bytes(),
            pos: 1,
            path: self.path,
            _v: PhantomData,
        }
    }

    /// The value of the first entry whose decoded key is `key`.
    pub fn get(&self, key: &str) -> Option<Result<V>> {
        self.iter().find_map(|r| match r {
            Ok((k, v)) if k.eq_str(key) => Some(Ok(v)),
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        })
    }
}

/// Iterator over a [`Map`]'s entries.
pub struct MapIter<'a, V> {
    b: &'a [u8],
    pos: usize,
    path: &'static str,
    _v: PhantomData<V>,
}

impl<'a, V: Deserialize<'a> + Nested<'a>> Iterator for MapIter<'a, V> {
    type Item = Result<(Str<'a>, V)>;

    fn next(&mut self) -> Option<Self::Item> {
        let ks = skip_ws(self.b, self.pos);
        if self.b.get(ks) != Some(&b'"') {
            return None;
        }
        let ke = value_end(self.b, ks);
        let key =
            core::str::from_utf8(self.b.get(ks + 1..ke.saturating_sub(1).max(ks + 1))?).ok()?;
        let vs = skip_ws(self.b, skip_ws(self.b, ke) + 1);
        let ve = value_end(self.b, vs);
        let next = skip_ws(self.b, ve);
        self.pos = if self.b.get(next) == Some(&b',') {
            next + 1
        } else {
            next
        };
        let key = Str::from_raw(key);
        let val = self.b.get(vs..ve).unwrap_or(&[]);
        Some(match serde_json_core::from_slice::<V>(val) {
            Ok((v, _)) => Ok((key, v)),
            Err(_) => Err(Error::spec(self.path, "invalid value").value(key.raw().as_bytes())),
        })
    }
}

/// A short list stored inline, for lists inside one lazily parsed element.
#[derive(Clone, Debug)]
pub struct Inline<T, const N: usize>(pub heapless::Vec<T, N>);

impl<T, const N: usize> Default for Inline<T, N> {
    fn default() -> Self {
        Inline(heapless::Vec::new())
    }
}

impl<T, const N: usize> core::ops::Deref for Inline<T, N> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<'de, T: Deserialize<'de>, const N: usize> Deserialize<'de> for Inline<T, N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        struct V<T, const N: usize>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>, const N: usize> Visitor<'de> for V<T, N> {
            type Value = Inline<T, N>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array")
            }
            fn visit_none<E: serde::de::Error>(self) -> core::result::Result<Self::Value, E> {
                Ok(Inline(heapless::Vec::new()))
            }
            fn visit_some<D: Deserializer<'de>>(
                self,
                d: D,
            ) -> core::result::Result<Self::Value, D::Error> {
                d.deserialize_seq(self)
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> core::result::Result<Self::Value, A::Error> {
                let mut v = heapless::Vec::new();
                while let Some(x) = a.next_element()? {
                    // The pre-pass enforces N with a named error; this is the backstop.
                    v.push(x)
                        .map_err(|_| serde::de::Error::invalid_length(N + 1, &self))?;
                }
                Ok(Inline(v))
            }
        }
        d.deserialize_option(V::<T, N>(PhantomData))
    }
}
