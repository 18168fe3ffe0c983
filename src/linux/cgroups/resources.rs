//! `linux.resources` (and `update`) to cgroup v2 files, with runc's conversions:
//!
//! | field | file | value |
//! |---|---|---|
//! | memory.limit | memory.max | bytes, -1 `max` |
//! | memory.reservation | memory.low | bytes, -1 `max` |
//! | memory.swap (memory+swap, v1 style) | memory.swap.max | swap - limit, -1 `max` |
//! | cpu.shares | cpu.weight | `ceil(10^((l*l + 125*l) / 612 - 7/34))`, l = log2(shares) (runc, crun) |
//! | cpu.quota, cpu.period | cpu.max | `QUOTA PERIOD` (quota <= 0: `max`) |
//! | cpu.burst | cpu.max.burst | us |
//! | cpu.idle | cpu.idle | 0/1 |
//! | cpu.cpus, cpu.mems | cpuset.cpus, cpuset.mems | as given |
//! | pids.limit | pids.max | > 0 as is, else `max` |
//! | blockIO.weight | io.bfq.weight (BFQ loaded) or io.weight | as is, or `1 + (weight - 10) * 9999 / 990` |
//! | blockIO.weightDevice[] | io.bfq.weight or io.weight | `MAJ:MIN W` (as is, or converted) |
//! | blockIO.throttle*Device[] | io.max | `MAJ:MIN rbps=N` (wbps, riops, wiops; 0: `max`) |
//! | hugepageLimits[] | hugetlb.SIZE.max, hugetlb.SIZE.rsvd.max (if the kernel has it) | bytes |
//! | rdma.DEV | rdma.max | `DEV hca_handle=N hca_object=M` |
//! | unified.KEY | KEY | as given (KEY must exist) |
//!
//! Refused, as cgroup v2 has no such knob: cpu.realtimeRuntime/realtimePeriod,
//! memory.swappiness. Ignored with a warning (runc ignores them on v2): memory.kernel,
//! memory.kernelTCP, memory.disableOOMKiller, blockIO.leafWeight, network.

use crate::cpath::PATH_MAX;
use crate::error::{Error, Result};
use crate::out::Buf;
use crate::spec::resources::{Resources, ThrottleDevice};
use core::fmt::Write;
use rustix::io::Errno;

/// Where converted values go: a cgroup directory, or a recorder (the controllers a
/// resource set needs; tests).
pub trait Sink {
    /// Write `value` to `file` of the cgroup.
    fn set(&mut self, file: &[u8], value: &[u8]) -> core::result::Result<(), Errno>;
    /// A file's numeric value (checkBeforeUpdate reads memory.current).
    fn number(&mut self, file: &[u8]) -> Option<u64>;
    /// The cgroup's path, for errors.
    fn path(&self) -> &[u8];
}

/// The controller a cgroup file belongs to (`memory.max` -> `memory`); None for the
/// core's `cgroup.*` files.
pub fn controller_of(file: &[u8]) -> Option<&[u8]> {
    let c = file.split(|&c| c == b'.').next()?;
    (c != b"cgroup" && !c.is_empty()).then_some(c)
}

/// The note for a missing file.
fn missing_note(file: &[u8]) -> &'static str {
    match controller_of(file) {
        Some(b"memory") => "controller memory not available",
        Some(b"cpu") => "controller cpu not available",
        Some(b"cpuset") => "controller cpuset not available",
        Some(b"pids") => "controller pids not available",
        Some(b"io") => "controller io not available",
        Some(b"hugetlb") => "controller hugetlb not available",
        Some(b"rdma") => "controller rdma not available",
        Some(b"misc") => "controller misc not available",
        _ => "no such cgroup file",
    }
}

fn set(s: &mut dyn Sink, field: &'static str, file: &[u8], value: &[u8]) -> Result<()> {
    s.set(file, value).map_err(|e| set_error(s, field, file, e))
}

/// The error for a failed write of `file`: the field, the file's path, the errno.
fn set_error(s: &dyn Sink, field: &'static str, file: &[u8], e: Errno) -> Error {
    let mut p = Buf::<PATH_MAX>::new();
    p.push_bytes(s.path());
    p.push_bytes(b"/");
    p.push_bytes(file);
    let mut err = Error::sys(field, e).path(p.as_bytes());
    if e == Errno::NOENT {
        err.msg = missing_note(file);
    }
    err
}

fn num(v: i64) -> Buf<24> {
    let mut b = Buf::new();
    let _ = write!(b, "{v}");
    b
}

/// A byte limit: -1 is `max`, other negatives are invalid.
fn limit(field: &'static str, v: i64) -> Result<Buf<24>> {
    match v {
        -1 => {
            let mut b = Buf::new();
            b.push_bytes(b"max");
            Ok(b)
        }
        v if v < 0 => Err(Error::spec(field, "must be -1 (unlimited) or >= 0")),
        v => Ok(num(v)),
    }
}

/// runc's memory.swap (memory + swap, v1 style) to memory.swap.max: Ok(None) for unset,
/// Ok(Some(-1)) for max.
pub fn swap_v2(swap: i64, memory: i64) -> Result<Option<i64>> {
    const F: &str = "linux.resources.memory.swap";
    if memory == -1 && swap == 0 {
        return Ok(Some(-1));
    }
    match swap {
        0 => return Ok(None),
        -1 => return Ok(Some(-1)),
        _ => {}
    }
    if memory == -1 {
        // Unlimited memory: the combined limit is all swap.
        return Ok(Some(swap));
    }
    if memory == 0 {
        return Err(Error::spec(F, "cannot limit swap without a memory limit"));
    }
    if memory < 0 || swap < 0 {
        return Err(Error::spec(F, "invalid value"));
    }
    if swap < memory {
        return Err(Error::spec(
            F,
            "must be >= linux.resources.memory.limit (it is memory+swap)",
        ));
    }
    Ok(Some(swap - memory))
}

/// cgroup v1 cpu.shares (2..262144) to v2 cpu.weight (1..10000); 0 is unset.
///
/// The map runc (opencontainers/cgroups `ConvertCPUSharesToCgroupV2Value`, since runc
/// 1.3.2) and crun (`convert_shares_to_weight`, since 1.23) use, replacing the old linear
/// `1 + (shares - 2) * 9999 / 262142` that sent the v1 default 1024 to 39:
///
/// ```text
/// l = log2(shares)
/// weight = ceil(10 ^ ((l*l + 125*l) / 612 - 7/34))
/// ```
///
/// a quadratic in log space through the three anchors 2 -> 1, 1024 -> 100 (both
/// defaults) and 262144 -> 10000. Shares <= 2 give 1, shares >= 262144 give 10000.
///
/// husk has no libm, so this evaluates the same function in fixed point: with
/// `E = (l*l + 125*l - 126) / 612` (the exponent above), `w >= 10^E` is
/// `612 * log2(w) >= log2(10) * (l*l + 125*l - 126)`, and the weight is the smallest
/// `w` in 1..=10000 for which that holds (a binary search, both logs in Q48). A small
/// tolerance keeps the exact anchors exact (1024: E is exactly 2, and ceil(100) is 100,
/// not 101 from a rounding error). A host test checks every value 2..=262144 against the
/// f64 formula.
pub fn shares_to_weight(shares: u64) -> u64 {
    if shares == 0 {
        return 0;
    }
    if shares <= 2 {
        return 1;
    }
    if shares >= 262_144 {
        return 10_000;
    }
    let l = log2_q48(shares) as u128;
    // l*l + 125*l - 126 in Q48 (> 0 for shares > 2).
    let a = ((l * l) >> Q) + 125 * l - (126u128 << Q);
    let rhs = (a * LOG2_10_Q48 as u128) >> Q;
    // 2^-28 in these units is about 4e-12 relative in the weight: far above the fixed
    // point error (about 2^-36) and far below any gap the f64 formula has to an integer.
    let rhs = rhs.saturating_sub(1 << (Q - 28));
    let (mut lo, mut hi) = (1u64, 10_000u64);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if 612 * log2_q48(mid) as u128 >= rhs {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}

/// Fraction bits of the fixed-point logarithms.
const Q: u32 = 48;
/// log2(10) in Q48 (3.32192809488736234787031942948939017586 * 2^48, rounded).
const LOG2_10_Q48: u64 = 935_039_633_142_894;

/// log2(x) in Q48 for x >= 1, by repeated squaring of the mantissa (one result bit per
/// squaring). Exact to about 2^-46.
fn log2_q48(x: u64) -> u64 {
    let n = 63 - x.leading_zeros();
    // The mantissa x / 2^n in [1, 2), Q48 (x < 2^18 here, so the shift cannot overflow).
    let mut y: u128 = ((x as u128) << Q) >> n;
    let mut r: u64 = (n as u64) << Q;
    for bit in (0..Q).rev() {
        y = (y * y) >> Q;
        if y >= 2u128 << Q {
            y >>= 1;
            r |= 1 << bit;
        }
    }
    r
}

/// blkio.weight (10..1000) to io.weight (1..10000), runc's map; 0 is unset.
pub fn blkio_to_io_weight(w: u16) -> u64 {
    if w == 0 {
        return 0;
    }
    let w = w.clamp(10, 1000) as u64;
    1 + (w - 10) * 9999 / 990
}

/// cpu.max from quota and period (runc: quota <= 0 is `max`; a zero period keeps the
/// kernel's). None when neither is set.
pub fn cpu_max(quota: Option<i64>, period: Option<u64>) -> Option<Buf<48>> {
    let q = quota.unwrap_or(0);
    let p = period.unwrap_or(0);
    if q == 0 && p == 0 {
        return None;
    }
    let mut b = Buf::new();
    if q > 0 {
        let _ = write!(b, "{q}");
    } else {
        b.push_bytes(b"max");
    }
    if p != 0 {
        let _ = write!(b, " {p}");
    }
    Some(b)
}

/// A name safe as one path component and one token of a cgroup file line.
fn plain(s: &[u8]) -> bool {
    !s.is_empty()
        && s != b"."
        && s != b".."
        && s.iter()
            .all(|&c| c.is_ascii_graphic() && c != b'/' && c != b'\\')
}

/// Apply every resource in `r`. `update`: honour memory.checkBeforeUpdate.
pub fn apply(r: &Resources<'_>, s: &mut dyn Sink, update: bool) -> Result<()> {
    apply_as(r, s, update, true)
}

fn apply_as(r: &Resources<'_>, s: &mut dyn Sink, update: bool, loud: bool) -> Result<()> {
    let warn = |m: &str| {
        if loud {
            crate::warn!("{m}");
        }
    };
    if let Some(m) = &r.memory {
        if m.kernel.is_some() || m.kernel_tcp.is_some() {
            warn("linux.resources.memory.kernel/kernelTCP: not available on cgroup v2, ignored");
        }
        if m.disable_oom_killer == Some(true) {
            warn("linux.resources.memory.disableOOMKiller: not available on cgroup v2, ignored");
        }
        if m.swappiness.is_some() {
            return Err(Error::unsupported(
                "linux.resources.memory.swappiness",
                "cgroup v2 has no per-cgroup swappiness",
            ));
        }
        let lim = m.limit.unwrap_or(0);
        let swap = m.swap.unwrap_or(0);
        if update && m.check_before_update == Some(true) && (lim > 0 || swap > 0) {
            // runc's CheckMemoryUsage: a limit at or below the current usage is refused
            // (best effort: no memory.current, no check).
            if let Some(cur) = s.number(b"memory.current") {
                if swap > 0 && swap as u64 <= cur {
                    return Err(Error::spec(
                        "linux.resources.memory.swap",
                        "is not above the cgroup's current usage (checkBeforeUpdate)",
                    ));
                }
                if lim > 0 && lim as u64 <= cur {
                    return Err(Error::spec(
                        "linux.resources.memory.limit",
                        "is not above the cgroup's current usage (checkBeforeUpdate)",
                    ));
                }
            }
        }
        if let Some(sw) = swap_v2(swap, lim)? {
            let v = limit("linux.resources.memory.swap", sw)?;
            set(
                s,
                "linux.resources.memory.swap",
                b"memory.swap.max",
                v.as_bytes(),
            )?;
        }
        if lim != 0 {
            let v = limit("linux.resources.memory.limit", lim)?;
            set(
                s,
                "linux.resources.memory.limit",
                b"memory.max",
                v.as_bytes(),
            )?;
        }
        if let Some(res) = m.reservation.filter(|&v| v != 0) {
            let v = limit("linux.resources.memory.reservation", res)?;
            set(
                s,
                "linux.resources.memory.reservation",
                b"memory.low",
                v.as_bytes(),
            )?;
        }
    }
    if let Some(c) = &r.cpu {
        if c.realtime_runtime.is_some_and(|v| v != 0) || c.realtime_period.is_some_and(|v| v != 0) {
            return Err(Error::unsupported(
                "linux.resources.cpu.realtimeRuntime",
                "cgroup v2 has no real-time CPU controls",
            ));
        }
        let w = shares_to_weight(c.shares.unwrap_or(0));
        if w != 0 {
            set(
                s,
                "linux.resources.cpu.shares",
                b"cpu.weight",
                num(w as i64).as_bytes(),
            )?;
        }
        if let Some(i) = c.idle {
            set(
                s,
                "linux.resources.cpu.idle",
                b"cpu.idle",
                num(i).as_bytes(),
            )?;
        }
        if let Some(v) = cpu_max(c.quota, c.period) {
            set(s, "linux.resources.cpu.quota", b"cpu.max", v.as_bytes())?;
        }
        if let Some(b) = c.burst {
            set(
                s,
                "linux.resources.cpu.burst",
                b"cpu.max.burst",
                num(b as i64).as_bytes(),
            )?;
        }
        let mut buf = [0u8; 1024];
        if let Some(v) = &c.cpus {
            let v = v.decode_into(&mut buf)?;
            if !v.is_empty() {
                set(s, "linux.resources.cpu.cpus", b"cpuset.cpus", v.as_bytes())?;
            }
        }
        if let Some(v) = &c.mems {
            let v = v.decode_into(&mut buf)?;
            if !v.is_empty() {
                set(s, "linux.resources.cpu.mems", b"cpuset.mems", v.as_bytes())?;
            }
        }
    }
    if let Some(l) = r.pids.and_then(|p| p.limit) {
        let v = if l > 0 { num(l) } else { limit("", -1)? };
        set(s, "linux.resources.pids.limit", b"pids.max", v.as_bytes())?;
    }
    if let Some(b) = &r.block_io {
        apply_io(b, s, &warn)?;
    }
    for (i, h) in r.hugepage_limits.iter().enumerate() {
        let h = h?;
        let mut size = [0u8; 32];
        let size = h.page_size.decode_into(&mut size).map_err(|e| e.at(i))?;
        if !plain(size.as_bytes()) || size.contains('.') {
            return Err(Error::spec(
                "linux.resources.hugepageLimits[].pageSize",
                "is not a page size",
            )
            .at(i)
            .value(size.as_bytes()));
        }
        let mut f = Buf::<64>::new();
        let _ = write!(f, "hugetlb.{size}.max");
        let v = num(h.limit as i64);
        set(
            s,
            "linux.resources.hugepageLimits[].limit",
            f.as_bytes(),
            v.as_bytes(),
        )
        .map_err(|e| e.at(i))?;
        // The reservation limit too (Linux 5.7+), as runc: without it a mapping can
        // reserve more pages than the limit and fault later; a kernel without it is fine.
        f.clear();
        let _ = write!(f, "hugetlb.{size}.rsvd.max");
        match s.set(f.as_bytes(), v.as_bytes()) {
            Ok(()) | Err(Errno::NOENT) => {}
            Err(e) => {
                let field = "linux.resources.hugepageLimits[].limit";
                return Err(set_error(s, field, f.as_bytes(), e).at(i));
            }
        }
    }
    for e in r.rdma.iter() {
        let (dev, lim) = e?;
        let mut d = [0u8; 128];
        let dev = dev.decode_into(&mut d)?;
        if !plain(dev.as_bytes()) {
            return Err(
                Error::spec("linux.resources.rdma", "invalid device name").value(dev.as_bytes())
            );
        }
        let mut v = Buf::<200>::new();
        let _ = write!(v, "{dev}");
        match lim.hca_handles {
            Some(n) => {
                let _ = write!(v, " hca_handle={n}");
            }
            None => {
                let _ = write!(v, " hca_handle=max");
            }
        }
        match lim.hca_objects {
            Some(n) => {
                let _ = write!(v, " hca_object={n}");
            }
            None => {
                let _ = write!(v, " hca_object=max");
            }
        }
        set(s, "linux.resources.rdma", b"rdma.max", v.as_bytes())?;
    }
    if let Some(n) = &r.network {
        if n.class_id.is_some() || !n.priorities.is_empty() {
            warn("linux.resources.network: net_cls/net_prio do not exist on cgroup v2, ignored");
        }
    }
    for e in r.unified.iter() {
        let (k, v) = e?;
        let mut kb = [0u8; 256];
        let k = k.decode_into(&mut kb)?;
        if !plain(k.as_bytes()) || k.starts_with('.') || !k.contains('.') {
            return Err(
                Error::spec("linux.resources.unified", "is not a cgroup file name")
                    .value(k.as_bytes()),
            );
        }
        let mut vb = [0u8; 4096];
        let v = v.decode_into(&mut vb)?;
        set(s, "linux.resources.unified", k.as_bytes(), v.as_bytes())?;
    }
    Ok(())
}

fn apply_io(
    b: &crate::spec::resources::BlockIo<'_>,
    s: &mut dyn Sink,
    warn: &dyn Fn(&str),
) -> Result<()> {
    // Weights go to BFQ's io.bfq.weight as given (its scale is blkio's, 10..1000) where
    // that scheduler is loaded, else to io.weight converted, as runc and crun do.
    if let Some(w) = b.weight.filter(|&w| w != 0) {
        let field = "linux.resources.blockIO.weight";
        match s.set(b"io.bfq.weight", num(w as i64).as_bytes()) {
            Ok(()) => {}
            Err(Errno::NOENT) => set(
                s,
                field,
                b"io.weight",
                num(blkio_to_io_weight(w) as i64).as_bytes(),
            )?,
            Err(e) => return Err(set_error(s, field, b"io.bfq.weight", e)),
        }
    }
    if b.leaf_weight.is_some() {
        warn("linux.resources.blockIO.leafWeight: not available on cgroup v2, ignored");
    }
    for (i, d) in b.weight_device.iter().enumerate() {
        let d = d?;
        if let Some(w) = d.weight.filter(|&w| w != 0) {
            let field = "linux.resources.blockIO.weightDevice[]";
            let mut v = Buf::<64>::new();
            let _ = write!(v, "{}:{} {w}", d.major, d.minor);
            match s.set(b"io.bfq.weight", v.as_bytes()) {
                Ok(()) => {}
                Err(Errno::NOENT) => {
                    // No BFQ: io.cost's per-device weight (runc would drop the field).
                    v.clear();
                    let _ = write!(v, "{}:{} {}", d.major, d.minor, blkio_to_io_weight(w));
                    set(s, field, b"io.weight", v.as_bytes()).map_err(|e| e.at(i))?;
                }
                Err(e) => return Err(set_error(s, field, b"io.bfq.weight", e).at(i)),
            }
        }
    }
    let lists: [(
        &'static str,
        &str,
        &crate::spec::lazy::List<'_, ThrottleDevice>,
    ); 4] = [
        (
            "linux.resources.blockIO.throttleReadBpsDevice[]",
            "rbps",
            &b.throttle_read_bps_device,
        ),
        (
            "linux.resources.blockIO.throttleWriteBpsDevice[]",
            "wbps",
            &b.throttle_write_bps_device,
        ),
        (
            "linux.resources.blockIO.throttleReadIOPSDevice[]",
            "riops",
            &b.throttle_read_iops_device,
        ),
        (
            "linux.resources.blockIO.throttleWriteIOPSDevice[]",
            "wiops",
            &b.throttle_write_iops_device,
        ),
    ];
    for (field, key, list) in lists {
        for (i, d) in list.iter().enumerate() {
            let d = d?;
            let mut v = Buf::<80>::new();
            let _ = write!(v, "{}:{} {key}=", d.major, d.minor);
            if d.rate == 0 {
                v.push_bytes(b"max");
            } else {
                let _ = write!(v, "{}", d.rate);
            }
            set(s, field, b"io.max", v.as_bytes()).map_err(|e| e.at(i))?;
        }
    }
    Ok(())
}

/// The controllers `r` needs, space-separated (dry run of [`apply`]).
pub fn controllers(r: &Resources<'_>) -> Result<Buf<128>> {
    struct Need(Buf<128>);
    impl Sink for Need {
        fn set(&mut self, file: &[u8], _: &[u8]) -> core::result::Result<(), Errno> {
            if let Some(c) = controller_of(file) {
                if !self.0.as_bytes().split(|&b| b == b' ').any(|x| x == c) {
                    if !self.0.is_empty() {
                        self.0.push_bytes(b" ");
                    }
                    self.0.push_bytes(c);
                }
            }
            Ok(())
        }
        fn number(&mut self, _: &[u8]) -> Option<u64> {
            None
        }
        fn path(&self) -> &[u8] {
            b""
        }
    }
    let mut n = Need(Buf::new());
    apply_as(r, &mut n, false, false)?;
    Ok(n.0)
}

/// The real sink: a cgroup directory.
impl Sink for super::Cgroup {
    fn set(&mut self, file: &[u8], value: &[u8]) -> core::result::Result<(), Errno> {
        self.write(file, value)
    }
    fn number(&mut self, file: &[u8]) -> Option<u64> {
        let mut b = [0u8; 32];
        let t = self.read(file, &mut b).ok()?;
        crate::cli::args::number::<u64>(t.trim_ascii(), "value").ok()
    }
    fn path(&self) -> &[u8] {
        self.path.as_bytes()
    }
}

#[cfg(test)]
mod tests;
