//! `events --stats`: the cgroup's counters as runc's stats event, field for field.
//!
//! The shape is runc's `types.Event{type, id, data}` with `data` a `types.Stats`
//! (types/events.go), encoded as Go's encoding/json does it for runc 1.2 and 1.3: struct
//! fields in declaration order, `omitempty` numbers, strings and lists left out when zero
//! or empty (structs never are), map keys sorted, a nil list as `null`. The values follow
//! runc's cgroup v2 reader (opencontainers/cgroups fs2: statCpu, statMemory, statPids,
//! statIo, statHugeTlb, statPSI):
//!
//! - `cpu`: cpu.stat, times in nanoseconds (the file has microseconds); `psi` from
//!   cpu.pressure when the kernel has PSI.
//! - `cpuset`: always zero on v2 (runc reads nothing there).
//! - `memory`: memory.current/max/peak, `cache` = `file` of memory.stat, `raw` = all of
//!   memory.stat; `swap` is memory+swap as v1 reported it (limit `max` stays max);
//!   `kernel`, `kernelTCP` zero; failcnt 0 (runc does not count it on v2).
//! - `pids`: pids.current and pids.max (`max` is 0, left out); without the pids
//!   controller the number of lines of cgroup.procs.
//! - `blkio`: io.stat rbytes/wbytes as `ioServiceBytesRecursive`, rios/wios as
//!   `ioServicedRecursive`, op `Read`/`Write`; `psi` from io.pressure.
//! - `hugetlb`: per page size, hugetlb.SIZE.rsvd.current (or .current without
//!   reservation accounting) and the `max` line of its .events as failcnt.
//! - `intel_rdt` `{}`, `network_interfaces` `null`.
//!
//! runc's memory.events counts (`event_count`) are not in a released runc and are left out.

use super::Cgroup;
use core::fmt::Write;
use rustix::fs::{self, Mode, OFlags};

/// Where the counters come from: a cgroup directory (or, in tests, a table of files).
pub trait Source {
    /// A file's content, None if it cannot be read.
    fn file<'b>(&self, name: &[u8], buf: &'b mut [u8]) -> Option<&'b [u8]>;
    /// Call `f` with the name of every file in the directory.
    fn names(&self, f: &mut dyn FnMut(&[u8]));
}

impl Source for Cgroup {
    fn file<'b>(&self, name: &[u8], buf: &'b mut [u8]) -> Option<&'b [u8]> {
        self.read(name, buf).ok()
    }
    fn names(&self, f: &mut dyn FnMut(&[u8])) {
        // A fresh descriptor: reading the directory moves its offset.
        let Ok(d) = fs::openat(
            &self.dir,
            c".",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        ) else {
            return;
        };
        let mut buf = [core::mem::MaybeUninit::<u8>::uninit(); 4096];
        let mut it = fs::RawDir::new(&d, &mut buf);
        while let Some(Ok(ent)) = it.next() {
            f(ent.file_name().to_bytes());
        }
    }
}

/// The number on the `key N` line of a flat-keyed file.
pub fn key(text: &[u8], key: &[u8]) -> Option<u64> {
    text.split(|&c| c == b'\n').find_map(|l| {
        let v = l.strip_prefix(key)?.strip_prefix(b" ")?;
        crate::cli::args::number::<u64>(v.trim_ascii(), "value").ok()
    })
}

/// A single-value file: a number, or `max` as `max_as`.
pub fn value(text: &[u8], max_as: u64) -> Option<u64> {
    let t = text.trim_ascii();
    if t == b"max" {
        return Some(max_as);
    }
    crate::cli::args::number::<u64>(t, "value").ok()
}

/// A single-value file's number (`max` as u64::MAX, as runc's GetCgroupParamUint).
fn num(src: &dyn Source, name: &[u8]) -> Option<u64> {
    let mut b = [0u8; 32];
    value(src.file(name, &mut b)?, u64::MAX)
}

/// A JSON object being written: keys in order, commas between them.
struct Obj<'w> {
    w: &'w mut dyn Write,
    first: bool,
}

impl<'w> Obj<'w> {
    fn open(w: &'w mut dyn Write) -> Self {
        let _ = w.write_str("{");
        Obj { w, first: true }
    }
    /// Start member `k`; the caller writes its value to the returned writer.
    fn key(&mut self, k: &str) -> &mut dyn Write {
        let _ = write!(self.w, "{}\"{k}\":", if self.first { "" } else { "," });
        self.first = false;
        &mut *self.w
    }
    fn num(&mut self, k: &str, v: u64) {
        let _ = write!(self.key(k), "{v}");
    }
    /// An `omitempty` number: left out when 0.
    fn num_nz(&mut self, k: &str, v: u64) {
        if v != 0 {
            self.num(k, v);
        }
    }
    fn raw(&mut self, k: &str, v: &str) {
        let _ = self.key(k).write_str(v);
    }
    fn close(self) {
        let _ = self.w.write_str("}");
    }
}

/// The stats event of container `id`, one line (no newline).
pub fn render(src: &dyn Source, id: &str, out: &mut dyn Write) {
    let mut ev = Obj::open(out);
    ev.raw("type", "\"stats\"");
    let _ = write!(ev.key("id"), "\"{id}\"");
    let mut data = Obj::open(ev.key("data"));
    cpu(src, data.key("cpu"));
    data.raw(
        "cpuset",
        "{\"cpu_exclusive\":0,\"mem_hardwall\":0,\"mem_exclusive\":0,\"memory_migrate\":0,\
         \"memory_spread_page\":0,\"memory_spread_slab\":0,\"memory_pressure\":0,\
         \"sched_load_balance\":0,\"sched_relax_domain_level\":0}",
    );
    memory(src, data.key("memory"));
    pids(src, data.key("pids"));
    blkio(src, data.key("blkio"));
    hugetlb(src, data.key("hugetlb"));
    data.raw("intel_rdt", "{}");
    data.raw("network_interfaces", "null");
    data.close();
    ev.close();
}

fn cpu(src: &dyn Source, w: &mut dyn Write) {
    let mut b = [0u8; 4096];
    let stat = src.file(b"cpu.stat", &mut b).unwrap_or(&[]);
    let k = |n: &[u8]| key(stat, n).unwrap_or(0);
    let mut o = Obj::open(w);
    let mut u = Obj::open(o.key("usage"));
    u.num_nz("total", k(b"usage_usec").wrapping_mul(1000));
    u.num("kernel", k(b"system_usec").wrapping_mul(1000));
    u.num("user", k(b"user_usec").wrapping_mul(1000));
    u.close();
    let mut t = Obj::open(o.key("throttling"));
    t.num_nz("periods", k(b"nr_periods"));
    t.num_nz("throttledPeriods", k(b"nr_throttled"));
    t.num_nz("throttledTime", k(b"throttled_usec").wrapping_mul(1000));
    t.close();
    psi(src, b"cpu.pressure", &mut o);
    o.close();
}

/// runc's MemoryEntry: limit, usage (omitempty), max (omitempty), failcnt.
fn memory_entry(w: &mut dyn Write, limit: u64, usage: u64, max: u64) {
    let mut o = Obj::open(w);
    o.num("limit", limit);
    o.num_nz("usage", usage);
    o.num_nz("max", max);
    o.num("failcnt", 0);
    o.close();
}

fn memory(src: &dyn Source, w: &mut dyn Write) {
    let mut m = [0u8; 8192];
    let stat = src.file(b"memory.stat", &mut m);
    // runc stops at the first file it cannot read: no memory.stat, nothing; no
    // memory.current, no usage or swap.
    let usage = stat.and_then(|_| num(src, b"memory.current"));
    let (mem, swap) = match usage {
        Some(u) => {
            let limit = num(src, b"memory.max").unwrap_or(0);
            let peak = num(src, b"memory.peak").unwrap_or(0);
            // No memory.swap.current (no swap accounting): swap-only data is zero.
            let (su, sl) = match num(src, b"memory.swap.current") {
                Some(su) => (su, num(src, b"memory.swap.max").unwrap_or(0)),
                None => (0, 0),
            };
            let sl = if sl == u64::MAX {
                sl
            } else {
                sl.wrapping_add(limit)
            };
            ((limit, u, peak), (sl, su.wrapping_add(u)))
        }
        None => ((0, 0, 0), (0, 0)),
    };
    let stat = stat.unwrap_or(&[]);
    let mut o = Obj::open(w);
    o.num_nz("cache", key(stat, b"file").unwrap_or(0));
    memory_entry(o.key("usage"), mem.0, mem.1, mem.2);
    memory_entry(o.key("swap"), swap.0, swap.1, 0);
    memory_entry(o.key("kernel"), 0, 0, 0);
    memory_entry(o.key("kernelTCP"), 0, 0, 0);
    let mut raw = stat
        .split(|&c| c == b'\n')
        .filter_map(|l| {
            let i = l.iter().position(|&c| c == b' ')?;
            let (name, v) = (&l[..i], &l[i + 1..]);
            let v = crate::cli::args::number::<u64>(v.trim_ascii(), "value").ok()?;
            let name = core::str::from_utf8(name).ok()?;
            name.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'_')
                .then_some((name, v))
        })
        .peekable();
    if raw.peek().is_some() {
        // A Go map: keys in sorted order. memory.stat has some 60 keys; picking the next
        // smallest each time needs no buffer for them.
        let mut r = Obj::open(o.key("raw"));
        let mut last: Option<&str> = None;
        loop {
            let next = raw
                .clone()
                .filter(|(n, _)| last.is_none_or(|l| *n > l))
                .min_by(|a, b| a.0.cmp(b.0));
            let Some((n, v)) = next else { break };
            r.num(n, v);
            last = Some(n);
        }
        r.close();
    }
    psi(src, b"memory.pressure", &mut o);
    o.close();
}

fn pids(src: &dyn Source, w: &mut dyn Write) {
    let (current, limit) = match num(src, b"pids.current") {
        Some(c) => (c, num(src, b"pids.max").filter(|&m| m != u64::MAX)),
        None => {
            // No pids controller: runc counts the lines of cgroup.procs.
            let mut b = [0u8; 64 * 1024];
            let n = src
                .file(b"cgroup.procs", &mut b)
                .map_or(0, |t| t.iter().filter(|&&c| c == b'\n').count());
            (n as u64, None)
        }
    };
    let mut o = Obj::open(w);
    o.num_nz("current", current);
    o.num_nz("limit", limit.unwrap_or(0));
    o.close();
}

/// Call `f(major, minor, op, value)` for each `r`/`w` key of each io.stat line, `op`
/// `Read` or `Write`, in file order.
pub fn io_each(text: &[u8], r: &[u8], w: &[u8], f: &mut dyn FnMut(u64, u64, &str, u64)) {
    for line in text.split(|&c| c == b'\n') {
        let mut fields = line.split(|&c| c == b' ').filter(|x| !x.is_empty());
        let Some(dev) = fields.next() else { continue };
        let Some(i) = dev.iter().position(|&c| c == b':') else {
            continue;
        };
        let (Ok(maj), Ok(min)) = (
            crate::cli::args::number::<u64>(&dev[..i], "major"),
            crate::cli::args::number::<u64>(&dev[i + 1..], "minor"),
        ) else {
            continue;
        };
        for kv in fields {
            let Some(i) = kv.iter().position(|&c| c == b'=') else {
                continue;
            };
            let (k, v) = (&kv[..i], &kv[i + 1..]);
            let op = if k == r {
                "Read"
            } else if k == w {
                "Write"
            } else {
                continue;
            };
            let v = crate::cli::args::number::<u64>(v, "value").unwrap_or(0);
            f(maj, min, op, v);
        }
    }
}

/// One `omitempty` list of runc's BlkioEntry (`{major,minor,op,value}`, zeros left out).
fn io_list(o: &mut Obj<'_>, name: &str, text: &[u8], r: &[u8], w: &[u8]) {
    let mut n = 0;
    io_each(text, r, w, &mut |_, _, _, _| n += 1);
    if n == 0 {
        return;
    }
    let out = o.key(name);
    let _ = out.write_str("[");
    let mut first = true;
    io_each(text, r, w, &mut |maj, min, op, v| {
        if !first {
            let _ = out.write_str(",");
        }
        first = false;
        let mut e = Obj::open(&mut *out);
        e.num_nz("major", maj);
        e.num_nz("minor", min);
        let _ = write!(e.key("op"), "\"{op}\"");
        e.num_nz("value", v);
        e.close();
    });
    let _ = out.write_str("]");
}

fn blkio(src: &dyn Source, w: &mut dyn Write) {
    let mut b = [0u8; 8192];
    let io = src.file(b"io.stat", &mut b).unwrap_or(&[]);
    let mut o = Obj::open(w);
    io_list(&mut o, "ioServiceBytesRecursive", io, b"rbytes", b"wbytes");
    io_list(&mut o, "ioServicedRecursive", io, b"rios", b"wios");
    psi(src, b"io.pressure", &mut o);
    o.close();
}

/// The page size of a `hugetlb.SIZE.current` file name (`2MB`).
fn hugetlb_size(name: &[u8]) -> Option<&[u8]> {
    let s = name.strip_prefix(b"hugetlb.")?.strip_suffix(b".current")?;
    (!s.is_empty() && s.iter().all(|c| c.is_ascii_alphanumeric())).then_some(s)
}

fn hugetlb(src: &dyn Source, w: &mut dyn Write) {
    // Sizes come from the cgroup's own files: the kernel names them as runc does from
    // /sys/kernel/mm/hugepages (`2MB`, `1GB`, `64KB`), and they exist only where the
    // controller is enabled (runc's reads fail, and it reports none, elsewhere).
    let mut o = Obj::open(w);
    let mut last: Option<[u8; 16]> = None;
    loop {
        let mut next: Option<[u8; 16]> = None;
        src.names(&mut |n| {
            let Some(s) = hugetlb_size(n).filter(|s| s.len() < 16) else {
                return;
            };
            let mut k = [0u8; 16];
            k[..s.len()].copy_from_slice(s);
            // Sorted as Go sorts map keys (bytewise); NUL padding keeps shorter first.
            if last.is_none_or(|l| k > l) && next.is_none_or(|x| k < x) {
                next = Some(k);
            }
        });
        let Some(k) = next else { break };
        last = Some(k);
        let size = &k[..k.iter().position(|&c| c == 0).unwrap_or(k.len())];
        let size = core::str::from_utf8(size).unwrap_or("");
        let mut f = crate::out::Buf::<64>::new();
        let _ = write!(f, "hugetlb.{size}.rsvd.current");
        let rsvd = num(src, f.as_bytes()).is_some();
        let prefix_end = if rsvd { ".rsvd" } else { "" };
        f.clear();
        let _ = write!(f, "hugetlb.{size}{prefix_end}.current");
        let usage = num(src, f.as_bytes()).unwrap_or(0);
        f.clear();
        let _ = write!(f, "hugetlb.{size}{prefix_end}.events");
        let mut e = [0u8; 128];
        let failcnt = src
            .file(f.as_bytes(), &mut e)
            .and_then(|t| key(t, b"max"))
            .unwrap_or(0);
        let mut h = Obj::open(o.key(size));
        h.num_nz("usage", usage);
        h.num("failcnt", failcnt);
        h.close();
    }
    o.close();
}

/// Go's encoding of a float64 the kernel printed with two decimals (`1.50` -> `1.5`,
/// `0.00` -> `0`).
fn psi_float(w: &mut dyn Write, v: &[u8]) {
    let v = match v.iter().position(|&c| c == b'.') {
        Some(_) => {
            let t = v.trim_ascii_end();
            let mut end = t.len();
            while end > 0 && t[end - 1] == b'0' {
                end -= 1;
            }
            if end > 0 && t[end - 1] == b'.' {
                end -= 1;
            }
            &t[..end]
        }
        None => v,
    };
    let _ = w.write_str(core::str::from_utf8(v).unwrap_or("0"));
}

/// `psi` of runc's Cpu, Memory and Blkio: `{"some":{avg10,avg60,avg300,total},"full":..}`
/// from a *.pressure file; left out when the file is missing or unreadable (no PSI).
fn psi(src: &dyn Source, file: &[u8], o: &mut Obj<'_>) {
    let mut b = [0u8; 512];
    let Some(text) = src.file(file, &mut b).filter(|t| !t.is_empty()) else {
        return;
    };
    let mut p = Obj::open(o.key("psi"));
    for kind in ["some", "full"] {
        let line = text
            .split(|&c| c == b'\n')
            .find_map(|l| l.strip_prefix(kind.as_bytes())?.strip_prefix(b" "));
        let mut d = Obj::open(p.key(kind));
        for f in ["avg10", "avg60", "avg300"] {
            let v = line
                .and_then(|l| {
                    l.split(|&c| c == b' ')
                        .find_map(|kv| kv.strip_prefix(f.as_bytes())?.strip_prefix(b"="))
                })
                .filter(|v| v.iter().all(|c| c.is_ascii_digit() || *c == b'.') && !v.is_empty())
                .unwrap_or(b"0");
            psi_float(d.key(f), v);
        }
        let total = line
            .and_then(|l| {
                l.split(|&c| c == b' ')
                    .find_map(|kv| kv.strip_prefix(b"total=".as_slice()))
            })
            .and_then(|v| crate::cli::args::number::<u64>(v.trim_ascii(), "total").ok())
            .unwrap_or(0);
        d.num("total", total);
        d.close();
    }
    p.close();
}

/// The number of OOM kills so far (memory.events `oom_kill`).
pub fn oom_kills(cg: &Cgroup) -> u64 {
    let mut e = [0u8; 512];
    key(
        cg.read(b"memory.events", &mut e).unwrap_or(&[]),
        b"oom_kill",
    )
    .unwrap_or(0)
}

/// A Go-style duration (`5s`, `100ms`, `1m`, `2h`, `500us`) in milliseconds (at least 1).
pub fn duration_ms(v: &[u8]) -> Option<u64> {
    let split = v.iter().position(|c| !c.is_ascii_digit())?;
    let n = crate::cli::args::number::<u64>(&v[..split], "duration").ok()?;
    let ms = match &v[split..] {
        b"ms" => n,
        b"s" => n.checked_mul(1000)?,
        b"m" => n.checked_mul(60_000)?,
        b"h" => n.checked_mul(3_600_000)?,
        b"us" | b"\xc2\xb5s" => n / 1000,
        b"ns" => n / 1_000_000,
        _ => return None,
    };
    Some(ms.max(1))
}

#[cfg(test)]
mod tests;
