//! Classic BPF for a seccomp filter: an architecture check, then per architecture a
//! weighted binary search over syscall-number ranges, so a call costs O(log n)
//! instructions and the hot syscalls (read, write, futex, epoll_wait...) sit near the root.
//!
//! Layout:
//! ```text
//!   ld arch
//!   jeq NATIVE -> N          (the native ABI pays one compare)
//!   jeq A2 ; ja B2 ...       (compat ABIs the profile lists)
//!   ret default              (an ABI the filter does not hold)
//! N: ld nr [; jge X32_BIT ; ja X | ret default] ; tree   (x86_64 only: split off x32)
//! B2: ld nr ; tree ...
//! ```
//! A tree node is `jge K` over the numbers; a leaf is `ret ACTION`, or for a syscall with
//! argument rules the rules in order, each a run of comparisons that fall through on
//! success and jump to the next rule on failure. Conditional jumps reach 255 instructions;
//! a longer forward jump goes through a `ja`. Sizes are found by a dry run of the same code
//! before the real one, so no jump is patched afterwards.

use super::rules::{Cond, Db, Op, Slot, SLOTS_MAX};
use super::tables::{Arch, X32_SYSCALL_BIT};
use crate::sys::seccomp::{Insn, Program, BPF_MAXINSNS};
use crate::{Error, Result};
use linux_raw_sys::ptrace as k;

const LD_ABS: u16 = (k::BPF_LD | k::BPF_W | k::BPF_ABS) as u16;
const JEQ: u16 = (k::BPF_JMP | k::BPF_JEQ | k::BPF_K) as u16;
const JGT: u16 = (k::BPF_JMP | k::BPF_JGT | k::BPF_K) as u16;
const JGE: u16 = (k::BPF_JMP | k::BPF_JGE | k::BPF_K) as u16;
const JA: u16 = (k::BPF_JMP | k::BPF_JA) as u16;
const AND: u16 = (k::BPF_ALU | k::BPF_AND | k::BPF_K) as u16;
const RET: u16 = (k::BPF_RET | k::BPF_K) as u16;

/// `struct seccomp_data` offsets: nr, arch, then args[6] of 8 bytes from 16. All husk
/// targets are little-endian, so an argument's low word comes first.
const OFF_NR: u32 = 0;
const OFF_ARCH: u32 = 4;
fn off_lo(i: u8) -> u32 {
    16 + 8 * i as u32
}
fn off_hi(i: u8) -> u32 {
    off_lo(i) + 4
}

/// Syscalls a busy container makes most: they get a large weight in the search, which
/// puts them a few compares from the root.
const HOT: &[&str] = &[
    "read",
    "write",
    "readv",
    "writev",
    "pread64",
    "pwrite64",
    "futex",
    "epoll_wait",
    "epoll_pwait",
    "poll",
    "ppoll",
    "recvfrom",
    "sendto",
    "recvmsg",
    "sendmsg",
    "close",
    "mmap",
    "munmap",
    "brk",
    "nanosleep",
    "clock_nanosleep",
    "clock_gettime",
    "getpid",
    "gettid",
    "sched_yield",
    "ioctl",
    "lseek",
    "fstat",
    "newfstatat",
    "openat",
    "rt_sigprocmask",
    "rt_sigreturn",
];
const HOT_WEIGHT: u32 = 64;

/// Number ranges with one outcome: `[start, next start)`.
const SEGS_MAX: usize = 2 * SLOTS_MAX + 2;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Leaf {
    Ret(u32),
    /// The rules of this table position.
    Rules(u16),
}

#[derive(Clone, Copy)]
struct Seg {
    start: u32,
    leaf: Leaf,
    weight: u32,
}

/// The ranges of one ABI's numbers, adjacent equal outcomes merged.
struct Segs(heapless::Vec<Seg, SEGS_MAX>);

impl Segs {
    fn of(db: &Db) -> Segs {
        let table = db.arch.table();
        let mut hot = [false; SLOTS_MAX];
        for name in HOT {
            if let Some(p) = table.find(name) {
                if let Some(h) = hot.get_mut(p) {
                    *h = true;
                }
            }
        }
        let mut s = Segs(heapless::Vec::new());
        let mut next = 0u32;
        for (pos, &nr) in table.nrs.iter().enumerate().take(SLOTS_MAX) {
            if nr > next {
                s.push(next, Leaf::Ret(db.fallback(next)), 0);
            }
            let leaf = match db.slots[pos] {
                Slot::Default => Leaf::Ret(db.fallback(nr)),
                Slot::Always(a) => Leaf::Ret(a),
                Slot::Cond => Leaf::Rules(pos as u16),
            };
            s.push(nr, leaf, if hot[pos] { HOT_WEIGHT } else { 1 });
            next = nr.saturating_add(1);
        }
        s.push(next, Leaf::Ret(db.fallback(next)), 0);
        s
    }

    fn push(&mut self, start: u32, leaf: Leaf, weight: u32) {
        if let Some(last) = self.0.last_mut() {
            if matches!(leaf, Leaf::Ret(_)) && last.leaf == leaf {
                last.weight += weight;
                return;
            }
        }
        // Capacity: at most two ranges per table entry plus the tail (SEGS_MAX).
        let _ = self.0.push(Seg {
            start,
            leaf,
            weight,
        });
    }
}

/// Writes instructions, or only counts them (a dry run to learn a jump's length).
pub struct Gen<'p> {
    out: Option<&'p mut Program>,
    pub len: usize,
}

impl<'p> Gen<'p> {
    fn counting() -> Gen<'static> {
        Gen { out: None, len: 0 }
    }

    /// Past BPF_MAXINSNS it only counts, so the error can say how long the filter is.
    fn insn(&mut self, code: u16, jt: u8, jf: u8, k: u32) -> Result<()> {
        if let Some(p) = self.out.as_deref_mut() {
            if let Some(slot) = p.insns.get_mut(self.len) {
                *slot = Insn { code, jt, jf, k };
                p.len = self.len + 1;
            }
        }
        self.len += 1;
        Ok(())
    }

    fn ld(&mut self, off: u32) -> Result<()> {
        self.insn(LD_ABS, 0, 0, off)
    }

    fn ret(&mut self, action: u32) -> Result<()> {
        self.insn(RET, 0, 0, action)
    }

    /// A conditional jump. Callers pass offsets within one rule (under 100) or checked
    /// with [`near`]; a longer one is a bug, reported rather than truncated.
    fn jump(&mut self, code: u16, k: u32, jt: usize, jf: usize) -> Result<()> {
        match (u8::try_from(jt), u8::try_from(jf)) {
            (Ok(t), Ok(f)) => self.insn(code, t, f, k),
            _ => Err(Error::unsupported(
                "linux.seccomp",
                "internal error: a BPF jump is longer than 255 instructions",
            )),
        }
    }
}

fn near(n: usize) -> bool {
    n <= 255
}

/// Length of one comparison's code.
fn cond_len(c: &Cond, wide: bool) -> usize {
    match (c.op, wide) {
        (Op::Eq | Op::Ne, true) => 4,
        (Op::Gt | Op::Ge | Op::Lt | Op::Le, true) => 5,
        (Op::MaskedEq, true) => 6,
        (Op::MaskedEq, false) => 3,
        (_, false) => 2,
    }
}

/// One rule: its comparisons, then `ret action`. On a failed comparison, jump past the
/// `ret` to the next rule.
fn rule(g: &mut Gen<'_>, conds: &[Cond], wide: bool, action: u32) -> Result<()> {
    let total: usize = conds.iter().map(|c| cond_len(c, wide)).sum::<usize>() + 1;
    let mut at = 0usize; // index of the next instruction within the rule
    for c in conds {
        let end = at + cond_len(c, wide);
        // Offsets from the instruction at index `i` to the fail / pass targets.
        let fail = |i: usize| total - (i + 1);
        let pass = |i: usize| end - (i + 1);
        let (lo, hi) = (c.value as u32, (c.value >> 32) as u32);
        let (lo2, hi2) = (c.value_two as u32, (c.value_two >> 32) as u32);
        let (ix, mut i) = (c.index, at);
        let ld = |g: &mut Gen<'_>, off: u32, i: &mut usize| {
            *i += 1;
            g.ld(off)
        };
        if wide {
            ld(g, off_hi(ix), &mut i)?;
            match c.op {
                Op::Eq => {
                    g.jump(JEQ, hi, 0, fail(i))?;
                    i += 1;
                    ld(g, off_lo(ix), &mut i)?;
                    g.jump(JEQ, lo, 0, fail(i))?;
                }
                Op::Ne => {
                    g.jump(JEQ, hi, 0, pass(i))?;
                    i += 1;
                    ld(g, off_lo(ix), &mut i)?;
                    g.jump(JEQ, lo, fail(i), 0)?;
                }
                Op::Gt | Op::Ge => {
                    g.jump(JGT, hi, pass(i), 0)?;
                    i += 1;
                    g.jump(JEQ, hi, 0, fail(i))?;
                    i += 1;
                    ld(g, off_lo(ix), &mut i)?;
                    let code = if c.op == Op::Gt { JGT } else { JGE };
                    g.jump(code, lo, 0, fail(i))?;
                }
                Op::Lt | Op::Le => {
                    g.jump(JGT, hi, fail(i), 0)?;
                    i += 1;
                    g.jump(JEQ, hi, 0, pass(i))?;
                    i += 1;
                    ld(g, off_lo(ix), &mut i)?;
                    let code = if c.op == Op::Lt { JGE } else { JGT };
                    g.jump(code, lo, fail(i), 0)?;
                }
                Op::MaskedEq => {
                    g.insn(AND, 0, 0, hi)?;
                    i += 1;
                    g.jump(JEQ, hi2, 0, fail(i))?;
                    i += 1;
                    ld(g, off_lo(ix), &mut i)?;
                    g.insn(AND, 0, 0, lo)?;
                    i += 1;
                    g.jump(JEQ, lo2, 0, fail(i))?;
                }
            }
        } else {
            ld(g, off_lo(ix), &mut i)?;
            match c.op {
                Op::Eq => g.jump(JEQ, lo, 0, fail(i))?,
                Op::Ne => g.jump(JEQ, lo, fail(i), 0)?,
                Op::Gt => g.jump(JGT, lo, 0, fail(i))?,
                Op::Ge => g.jump(JGE, lo, 0, fail(i))?,
                Op::Lt => g.jump(JGE, lo, fail(i), 0)?,
                Op::Le => g.jump(JGT, lo, fail(i), 0)?,
                Op::MaskedEq => {
                    g.insn(AND, 0, 0, lo)?;
                    i += 1;
                    g.jump(JEQ, lo2, 0, fail(i))?;
                }
            }
        }
        at = end;
    }
    g.ret(action)
}

fn leaf(g: &mut Gen<'_>, db: &Db, l: Leaf) -> Result<()> {
    match l {
        Leaf::Ret(a) => g.ret(a),
        Leaf::Rules(pos) => {
            let wide = db.arch.wide();
            for (r, conds) in db.rules_of(pos as usize) {
                rule(g, conds, wide, r.action)?;
            }
            g.ret(db.default)
        }
    }
}

/// Where to split `segs` so both halves weigh about the same (at least one each side).
fn split(segs: &[Seg]) -> usize {
    let total: u64 = segs.iter().map(|s| s.weight as u64 + 1).sum();
    let mut acc = 0u64;
    for (i, s) in segs.iter().enumerate() {
        acc += s.weight as u64 + 1;
        if acc * 2 >= total {
            return (i + 1).clamp(1, segs.len() - 1);
        }
    }
    segs.len() / 2
}

fn tree(g: &mut Gen<'_>, db: &Db, segs: &[Seg]) -> Result<()> {
    match segs {
        [] => g.ret(db.default),
        [one] => leaf(g, db, one.leaf),
        _ => {
            let mid = split(segs);
            let (left, right) = segs.split_at(mid);
            let mut dry = Gen::counting();
            tree(&mut dry, db, left)?;
            // nr >= right's first start: jump over the left subtree.
            if near(dry.len) {
                g.jump(JGE, right[0].start, dry.len, 0)?;
            } else {
                g.jump(JGE, right[0].start, 0, 1)?;
                g.insn(JA, 0, 0, dry.len as u32)?;
            }
            tree(g, db, left)?;
            tree(g, db, right)
        }
    }
}

/// The code after `ld nr` for one ABI.
fn abi_tree(g: &mut Gen<'_>, db: &Db) -> Result<()> {
    let segs = Segs::of(db);
    tree(g, db, &segs.0)
}

/// The ABIs of one filter and how to build each one's view of the profile.
pub struct Plan<'a> {
    pub native: Arch,
    /// The compat ABIs the profile lists (never the native one), in filter order.
    pub compat: &'a [Arch],
    pub default: u32,
    /// runc's -ENOSYS stub (see [`super::rules::enosys_stub`]).
    pub stub: bool,
}

/// Generate the whole program into `prog`. `fill` builds the [`Db`] of an ABI (called
/// twice per ABI: once to size it, once to write it).
pub fn generate(
    plan: &Plan<'_>,
    db: &mut Db,
    fill: &mut dyn FnMut(&mut Db) -> Result<()>,
    prog: &mut Program,
) -> Result<()> {
    let x32 = plan.native == Arch::X86_64 && plan.compat.contains(&Arch::X32);
    // ABIs with their own `seccomp_data.arch` branch (x32 rides on x86_64's).
    let mut branches: heapless::Vec<Arch, 4> = heapless::Vec::new();
    let _ = branches.push(plan.native);
    for &a in plan.compat {
        if a != Arch::X32 && a != plan.native && !branches.contains(&a) {
            let _ = branches.push(a);
        }
    }
    // Pass 1: the size of each ABI's tree.
    let mut sizes = [0usize; 5];
    let mut size_of = |a: Arch, db: &mut Db| -> Result<usize> {
        *db = Db::new(a, plan.default);
        db.stub = plan.stub;
        fill(db)?;
        let mut dry = Gen::counting();
        abi_tree(&mut dry, db)?;
        Ok(dry.len)
    };
    for (i, &a) in branches.iter().enumerate() {
        sizes[i] = size_of(a, db)?;
    }
    let x32_size = if x32 { size_of(Arch::X32, db)? } else { 0 };
    // The native block: ld nr, the x32 split on x86_64, the tree(s).
    let split_len = if plan.native == Arch::X86_64 { 2 } else { 0 };
    let block_len = |i: usize| 1 + if i == 0 { split_len + x32_size } else { 0 } + sizes[i];

    let mut g = Gen {
        out: Some(prog),
        len: 0,
    };
    g.ld(OFF_ARCH)?;
    // Checks: native `jeq` (1), each compat `jeq; ja` (2), `ret default` (1).
    let checks_after_native = 2 * (branches.len() - 1) + 1;
    g.jump(JEQ, plan.native.audit(), checks_after_native, 0)?;
    // Length of the blocks before block i.
    let mut before = block_len(0);
    for (i, &a) in branches.iter().enumerate().skip(1) {
        let remaining = 2 * (branches.len() - 1 - i) + 1;
        g.jump(JEQ, a.audit(), 0, 1)?;
        g.insn(JA, 0, 0, (remaining + before) as u32)?;
        before += block_len(i);
    }
    g.ret(plan.default)?;
    for (i, &a) in branches.iter().enumerate() {
        g.ld(OFF_NR)?;
        if i == 0 && plan.native == Arch::X86_64 {
            g.jump(JGE, X32_SYSCALL_BIT, 0, 1)?;
            if x32 {
                g.insn(JA, 0, 0, sizes[0] as u32)?;
            } else {
                g.ret(plan.default)?;
            }
        }
        *db = Db::new(a, plan.default);
        db.stub = plan.stub;
        fill(db)?;
        abi_tree(&mut g, db)?;
        if i == 0 && x32 {
            *db = Db::new(Arch::X32, plan.default);
            db.stub = plan.stub;
            fill(db)?;
            abi_tree(&mut g, db)?;
        }
    }
    if g.len > BPF_MAXINSNS {
        return Err(Error::capacity(
            "linux.seccomp",
            g.len as u64,
            BPF_MAXINSNS as u64,
            "BPF instructions (BPF_MAXINSNS)",
        ));
    }
    Ok(())
}
