//! `update [--resources FILE|-] [FLAGS] ID`: change a running container's cgroup limits.
//! The document (a LinuxResources JSON, `-` for stdin) is read first, then runc's flags
//! override its fields; both go through the same conversions as create
//! (`linux::cgroups::resources`), with memory.checkBeforeUpdate honoured.

use crate::error::{Error, Result};
use crate::linux::cgroups::resources;
use crate::spec::resources::{BlockIo, Cpu, Memory, Pids, Resources};
use crate::spec::str::Str;
use crate::state::file;
use crate::state::{id, Store};

/// Largest --resources document.
const DOC_MAX: usize = 64 * 1024;

/// A byte count as runc's flags take it (docker's RAMInBytes): `N`, `Nk`, `Nm`, `Ng`,
/// `Nt` (binary multiples; an optional trailing `b`, any case), or `-1` for unlimited.
pub fn bytes(flag: &'static str, v: &[u8]) -> Result<i64> {
    if v == b"-1" {
        return Ok(-1);
    }
    let bad = || Error::usage(flag).value(v);
    let lower = |c: &u8| c.to_ascii_lowercase();
    let mut end = v.len();
    if end > 1 && v.last().map(lower) == Some(b'b') {
        end -= 1;
    }
    let (digits, mul): (&[u8], u64) = match v[..end].last().map(lower) {
        Some(b'k') => (&v[..end - 1], 1 << 10),
        Some(b'm') => (&v[..end - 1], 1 << 20),
        Some(b'g') => (&v[..end - 1], 1 << 30),
        Some(b't') => (&v[..end - 1], 1 << 40),
        _ => (&v[..end], 1),
    };
    let n = crate::cli::args::number::<u64>(digits, flag).map_err(|_| bad())?;
    n.checked_mul(mul)
        .filter(|&n| n <= i64::MAX as u64)
        .map(|n| n as i64)
        .ok_or_else(bad)
}

fn signed(flag: &'static str, v: &[u8]) -> Result<i64> {
    match v.strip_prefix(b"-") {
        Some(d) => crate::cli::args::number::<u32>(d, flag).map(|n| -(n as i64)),
        None => crate::cli::args::number::<u64>(v, flag)
            .and_then(|n| i64::try_from(n).map_err(|_| Error::usage(flag).value(v))),
    }
}

/// A cpu or memory-node list (`0-3,5`): digits, `,` and `-` only.
fn list<'a>(flag: &'static str, v: &'a [u8]) -> Result<Str<'a>> {
    if v.iter()
        .all(|c| c.is_ascii_digit() || *c == b',' || *c == b'-')
    {
        // Only ASCII without quotes or backslashes: the raw JSON body is the text.
        Ok(Str::from_raw(core::str::from_utf8(v).unwrap_or("")))
    } else {
        Err(Error::usage(flag).value(v))
    }
}

fn mem<'b>(r: &'b mut Resources<'_>) -> &'b mut Memory {
    r.memory.get_or_insert_with(Memory::default)
}

fn cpu<'b, 'a>(r: &'b mut Resources<'a>) -> &'b mut Cpu<'a> {
    r.cpu.get_or_insert_with(Cpu::default)
}

/// Apply runc's update flags over `r`. `get(name)` is the flag's last value.
pub fn overlay<'a>(r: &mut Resources<'a>, get: &dyn Fn(&str) -> Option<&'a [u8]>) -> Result<()> {
    for f in ["l3-cache-schema", "mem-bw-schema"] {
        if get(f).is_some() {
            return Err(Error::unsupported(
                "update",
                "Intel RDT (--l3-cache-schema, --mem-bw-schema) is not supported",
            ));
        }
    }
    if let Some(v) = get("memory") {
        mem(r).limit = Some(bytes("--memory: invalid value", v)?);
    }
    if let Some(v) = get("memory-reservation") {
        mem(r).reservation = Some(bytes("--memory-reservation: invalid value", v)?);
    }
    if let Some(v) = get("memory-swap") {
        mem(r).swap = Some(bytes("--memory-swap: invalid value", v)?);
    }
    if let Some(v) = get("cpu-share") {
        cpu(r).shares = Some(crate::cli::args::number(v, "--cpu-share: invalid value")?);
    }
    if let Some(v) = get("cpu-quota") {
        cpu(r).quota = Some(signed("--cpu-quota: invalid value", v)?);
    }
    if let Some(v) = get("cpu-period") {
        cpu(r).period = Some(crate::cli::args::number(v, "--cpu-period: invalid value")?);
    }
    if let Some(v) = get("cpu-burst") {
        cpu(r).burst = Some(crate::cli::args::number(v, "--cpu-burst: invalid value")?);
    }
    if let Some(v) = get("cpu-rt-period") {
        cpu(r).realtime_period = Some(crate::cli::args::number(
            v,
            "--cpu-rt-period: invalid value",
        )?);
    }
    if let Some(v) = get("cpu-rt-runtime") {
        cpu(r).realtime_runtime = Some(signed("--cpu-rt-runtime: invalid value", v)?);
    }
    if let Some(v) = get("cpuset-cpus") {
        cpu(r).cpus = Some(list("--cpuset-cpus: invalid list", v)?);
    }
    if let Some(v) = get("cpuset-mems") {
        cpu(r).mems = Some(list("--cpuset-mems: invalid list", v)?);
    }
    if let Some(v) = get("pids-limit") {
        r.pids = Some(Pids {
            limit: Some(signed("--pids-limit: invalid value", v)?),
        });
    }
    if let Some(v) = get("blkio-weight") {
        let w: u16 = crate::cli::args::number(v, "--blkio-weight: invalid value")?;
        if w != 0 && !(10..=1000).contains(&w) {
            return Err(Error::usage("--blkio-weight must be 10..1000").value(v));
        }
        r.block_io.get_or_insert_with(BlockIo::default).weight = Some(w);
    }
    Ok(())
}

pub fn update<'g>(
    root: &[u8],
    id: &str,
    doc: Option<&[u8]>,
    get: &dyn Fn(&str) -> Option<&'g [u8]>,
) -> Result<()> {
    let id = id::check(id.as_bytes())?;
    let store = Store::open(root, false)?;
    let mut sbuf = [0u8; file::STATE_MAX_BYTES];
    // The lock is held while the limits are written: two updates do not interleave.
    let super::Loaded {
        st, entry: _lock, ..
    } = super::load(&store, id, &mut sbuf, super::Verb::Live)?;
    let mut cg = super::cgroup_of(&st).ok_or(Error::state("container has no cgroup"))?;
    let mut region = crate::sys::mem::Region::new(DOC_MAX).map_err(|e| Error::sys("mmap", e))?;
    let mut r = match doc {
        None => Resources::default(),
        Some(path) => {
            let text = if path == b"-" {
                let n = crate::files::read_fd(crate::sys::stdin(), &mut region)
                    .map_err(|e| Error::sys("read stdin", e))?;
                &mut region[..n]
            } else {
                let p = crate::cpath::CPath::from(path, "--resources")?;
                crate::files::read_file(p.as_cstr(), &mut region, "--resources")?
            };
            crate::spec::parse_resources(text)?
        }
    };
    let mut first = None;
    crate::spec::validate_resources(&r, &mut |e| {
        first.get_or_insert(e);
    });
    if let Some(e) = first {
        return Err(e);
    }
    overlay(&mut r, &|k| get(k))?;
    resources::apply(&r, &mut cg, true)?;
    // A new device list replaces the filter husk attached at create.
    if !r.devices.is_empty() {
        crate::linux::cgroups::devices::apply(cg.fd(), &r.devices)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_values() {
        assert_eq!(bytes("x", b"-1").unwrap(), -1);
        assert_eq!(bytes("x", b"1024").unwrap(), 1024);
        assert_eq!(bytes("x", b"16m").unwrap(), 16 << 20);
        assert_eq!(bytes("x", b"16MB").unwrap(), 16 << 20);
        assert_eq!(bytes("x", b"2g").unwrap(), 2 << 30);
        assert_eq!(bytes("x", b"1k").unwrap(), 1024);
        assert_eq!(bytes("x", b"1t").unwrap(), 1 << 40);
        assert_eq!(bytes("x", b"5b").unwrap(), 5);
        for bad in [&b""[..], b"m", b"-2", b"1x", b"99999999999t", b"b", b"1.5g"] {
            assert!(bytes("x", bad).is_err(), "{:?}", core::str::from_utf8(bad));
        }
    }

    fn flags<'a>(r: &mut Resources<'a>, kv: &'a [(&'a str, &'a str)]) -> Result<()> {
        overlay(r, &|k| {
            kv.iter().find(|(n, _)| *n == k).map(|(_, v)| v.as_bytes())
        })
    }

    #[test]
    fn update_flags() {
        let mut r = Resources::default();
        let kv = [
            ("memory", "16m"),
            ("memory-swap", "32m"),
            ("memory-reservation", "8m"),
            ("cpu-share", "512"),
            ("cpu-quota", "-1"),
            ("cpu-period", "100000"),
            ("cpu-burst", "10"),
            ("cpuset-cpus", "0-1,3"),
            ("cpuset-mems", "0"),
            ("pids-limit", "10"),
            ("blkio-weight", "500"),
        ];
        flags(&mut r, &kv).unwrap();
        let m = r.memory.as_ref().unwrap();
        assert_eq!(
            (m.limit, m.swap, m.reservation),
            (Some(16 << 20), Some(32 << 20), Some(8 << 20))
        );
        let c = r.cpu.as_ref().unwrap();
        assert_eq!(
            (c.shares, c.quota, c.period, c.burst),
            (Some(512), Some(-1), Some(100000), Some(10))
        );
        assert_eq!(c.cpus.unwrap().raw(), "0-1,3");
        assert_eq!(r.pids.unwrap().limit, Some(10));
        assert_eq!(r.block_io.as_ref().unwrap().weight, Some(500));
        for (k, v) in [
            ("memory", "lots"),
            ("cpu-share", "-1"),
            ("cpuset-cpus", "0\",\"x"),
            ("blkio-weight", "5"),
            ("pids-limit", "x"),
            ("l3-cache-schema", "L3:0=f"),
        ] {
            let kv = [(k, v)];
            assert!(flags(&mut Resources::default(), &kv).is_err(), "{k}={v}");
        }
    }

    #[test]
    fn flags_override_document() {
        let mut doc = br#"{"memory":{"limit":1000,"reservation":10},"pids":{"limit":5}}"#.to_vec();
        let mut r = crate::spec::parse_resources(&mut doc).unwrap();
        flags(&mut r, &[("memory", "2000")]).unwrap();
        let m = r.memory.as_ref().unwrap();
        assert_eq!((m.limit, m.reservation), (Some(2000), Some(10)));
        assert_eq!(r.pids.unwrap().limit, Some(5));
    }
}
