//! `events --stats`: the cgroup's counters as runc's stats event (types/events.go):
//! `{"type":"stats","id":ID,"data":{"cpu":{"usage":{..},"throttling":{..}},
//! "memory":{"cache","usage":{..},"swap":{..},"raw":{..}},"pids":{..},"blkio":{..}}}`.
//! CPU times are nanoseconds (cpu.stat has microseconds); an unlimited limit is
//! u64::MAX for memory and 0 for pids, as runc reports them; swap is memory+swap, as v1.

use super::Cgroup;
use crate::out::Buf;
use core::fmt::Write;

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

fn file<'b>(cg: &Cgroup, name: &[u8], buf: &'b mut [u8]) -> &'b [u8] {
    cg.read(name, buf).unwrap_or(&[])
}

fn num(cg: &Cgroup, name: &[u8], max_as: u64) -> u64 {
    let mut b = [0u8; 32];
    value(file(cg, name, &mut b), max_as).unwrap_or(0)
}

/// io.stat lines (`MAJ:MIN rbytes=N wbytes=N rios=N wios=N ...`) as runc's blkio entries
/// for the keys `r` and `w` (`rbytes`/`wbytes` or `rios`/`wios`).
pub fn io_entries<const N: usize>(text: &[u8], r: &[u8], w: &[u8], out: &mut Buf<N>) {
    let mut first = true;
    for line in text.split(|&c| c == b'\n') {
        let mut f = line.split(|&c| c == b' ').filter(|x| !x.is_empty());
        let Some(dev) = f.next() else { continue };
        let Some((maj, min)) = dev
            .iter()
            .position(|&c| c == b':')
            .map(|i| (&dev[..i], &dev[i + 1..]))
        else {
            continue;
        };
        let (Ok(maj), Ok(min)) = (
            crate::cli::args::number::<u64>(maj, "major"),
            crate::cli::args::number::<u64>(min, "minor"),
        ) else {
            continue;
        };
        for kv in f {
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
            let _ = write!(
                out,
                "{}{{\"major\":{maj},\"minor\":{min},\"op\":\"{op}\",\"value\":{v}}}",
                if first { "" } else { "," }
            );
            first = false;
        }
    }
}

/// The stats event of container `id` whose cgroup is `cg`, one line.
pub fn render<const N: usize>(cg: &Cgroup, id: &str, out: &mut Buf<N>) {
    let mut b = [0u8; 4096];
    let cpu = file(cg, b"cpu.stat", &mut b);
    let k = |n: &[u8]| key(cpu, n).unwrap_or(0);
    let _ = write!(
        out,
        "{{\"type\":\"stats\",\"id\":\"{id}\",\"data\":{{\"cpu\":{{\"usage\":{{\"total\":{},\"kernel\":{},\"user\":{}}},\
         \"throttling\":{{\"periods\":{},\"throttled_periods\":{},\"throttled_time\":{}}}}},",
        k(b"usage_usec") * 1000,
        k(b"system_usec") * 1000,
        k(b"user_usec") * 1000,
        k(b"nr_periods"),
        k(b"nr_throttled"),
        k(b"throttled_usec") * 1000,
    );
    let usage = num(cg, b"memory.current", 0);
    let limit = num(cg, b"memory.max", u64::MAX);
    let peak = num(cg, b"memory.peak", 0);
    let mut e = [0u8; 512];
    let failcnt = key(file(cg, b"memory.events", &mut e), b"max").unwrap_or(0);
    let swap = num(cg, b"memory.swap.current", 0);
    let swap_max = num(cg, b"memory.swap.max", u64::MAX);
    let mut m = [0u8; 8192];
    let stat = file(cg, b"memory.stat", &mut m);
    let _ = write!(
        out,
        "\"memory\":{{\"cache\":{},\"usage\":{{\"limit\":{limit},\"usage\":{usage},\"max\":{peak},\"failcnt\":{failcnt}}},\
         \"swap\":{{\"limit\":{},\"usage\":{},\"failcnt\":0}},\"raw\":{{",
        key(stat, b"file").unwrap_or(0),
        limit.saturating_add(swap_max),
        usage.saturating_add(swap),
    );
    let mut first = true;
    for line in stat.split(|&c| c == b'\n') {
        let Some(i) = line.iter().position(|&c| c == b' ') else {
            continue;
        };
        let (name, v) = (&line[..i], &line[i + 1..]);
        let Ok(v) = crate::cli::args::number::<u64>(v, "value") else {
            continue;
        };
        if !name.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_') {
            continue;
        }
        let _ = write!(out, "{}\"", if first { "" } else { "," });
        out.push_bytes(name);
        let _ = write!(out, "\":{v}");
        first = false;
    }
    let _ = write!(
        out,
        "}}}},\"pids\":{{\"current\":{},\"limit\":{}}},\"blkio\":{{\"ioServiceBytesRecursive\":[",
        num(cg, b"pids.current", 0),
        num(cg, b"pids.max", 0),
    );
    let mut io = [0u8; 4096];
    let io = file(cg, b"io.stat", &mut io);
    io_entries(io, b"rbytes", b"wbytes", out);
    let _ = out.write_str("],\"ioServicedRecursive\":[");
    io_entries(io, b"rios", b"wios", out);
    let _ = out.write_str("]}}}");
}

/// The number of OOM kills so far (memory.events `oom_kill`).
pub fn oom_kills(cg: &Cgroup) -> u64 {
    let mut e = [0u8; 512];
    key(file(cg, b"memory.events", &mut e), b"oom_kill").unwrap_or(0)
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
mod tests {
    use super::*;

    #[test]
    fn flat_keys_and_values() {
        let t = b"usage_usec 100\nuser_usec 60\nnr_throttled 3\n";
        assert_eq!(key(t, b"usage_usec"), Some(100));
        assert_eq!(key(t, b"nr_throttled"), Some(3));
        assert_eq!(key(t, b"usage"), None);
        assert_eq!(key(b"", b"x"), None);
        assert_eq!(value(b"max\n", 7), Some(7));
        assert_eq!(value(b"42\n", 7), Some(42));
        assert_eq!(value(b"junk", 7), None);
    }

    #[test]
    fn io_stat() {
        let t = b"8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n253:1 rbytes=5 wbytes=0 rios=9 wios=0\n";
        let mut b = Buf::<1024>::new();
        io_entries(t, b"rbytes", b"wbytes", &mut b);
        assert_eq!(
            b.as_str(),
            "{\"major\":8,\"minor\":0,\"op\":\"Read\",\"value\":100},{\"major\":8,\"minor\":0,\"op\":\"Write\",\"value\":200},\
             {\"major\":253,\"minor\":1,\"op\":\"Read\",\"value\":5},{\"major\":253,\"minor\":1,\"op\":\"Write\",\"value\":0}"
        );
        let mut b = Buf::<64>::new();
        io_entries(b"garbage\n:\n1:x rbytes=1\n", b"rbytes", b"wbytes", &mut b);
        assert_eq!(b.as_str(), "");
    }

    #[test]
    fn durations() {
        assert_eq!(duration_ms(b"5s"), Some(5000));
        assert_eq!(duration_ms(b"100ms"), Some(100));
        assert_eq!(duration_ms(b"2m"), Some(120_000));
        assert_eq!(duration_ms(b"1h"), Some(3_600_000));
        assert_eq!(duration_ms(b"10us"), Some(1));
        for bad in [&b""[..], b"5", b"s", b"5x", b"-1s", b"1.5s"] {
            assert_eq!(duration_ms(bad), None);
        }
    }
}
