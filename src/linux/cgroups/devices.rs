//! `linux.resources.devices` on cgroup v2: a BPF_PROG_TYPE_CGROUP_DEVICE program attached
//! to the container's cgroup.
//!
//! The rules mean what they mean to runc, which emulates the cgroup v1 device controller:
//! - the list is followed by runc's default rules (mknod of any char or block device, the
//!   null, zero, full, random, urandom, tty, ptmx, pts and tun devices), which the config
//!   therefore cannot take away;
//! - a rule of type `a` (or without a type) resets everything: after it, every device is
//!   allowed (`allow: true`) or denied, whatever its major, minor and access say. Before
//!   any such rule, everything is denied;
//! - every other rule adds or removes an exception to that default, keyed by its exact
//!   (type, major, minor): a rule with the default's action removes its access letters from
//!   the exception with the same key only. A rule with the other action adds them. So
//!   where rules overlap, the last one matching wins, except that a broad rule does not
//!   erase a narrower exception made earlier, and removing access that a wildcard
//!   exception (same type, `*` major and/or minor) grants is refused, as runc refuses it
//!   ("cannot punch a hole" into a wildcard);
//! - an access is granted by an exception only when all its letters are in it (opening
//!   read-write needs one exception holding both `r` and `w`).
//!
//! The program loads the context words, tests each exception in turn (type, access, major,
//! minor) and returns the exception's action, or the default after the last one.

use crate::spec::lazy::List;
use crate::spec::resources::DeviceRule;
use crate::sys::bpf::{self, Insn, BPF_MAXINSNS};
use crate::sys::Errno;
use crate::{Error, Result};
use rustix::fd::{AsFd, BorrowedFd};

/// Device type of a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    /// `a` (or absent): every device; resets the rule set.
    All,
    Char,
    Block,
}

/// Access letters as BPF_DEVCG_ACC_* bits.
pub const ACC_MKNOD: u8 = bpf::BPF_DEVCG_ACC_MKNOD as u8;
pub const ACC_READ: u8 = bpf::BPF_DEVCG_ACC_READ as u8;
pub const ACC_WRITE: u8 = bpf::BPF_DEVCG_ACC_WRITE as u8;
pub const ACC_ALL: u8 = ACC_MKNOD | ACC_READ | ACC_WRITE;

/// One rule, checked and converted from the config (`None`: any major or minor).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    pub allow: bool,
    pub typ: Type,
    pub major: Option<u32>,
    pub minor: Option<u32>,
    /// ACC_* bits, never 0.
    pub access: u8,
}

const fn dev(major: Option<u32>, minor: Option<u32>, access: u8) -> Rule {
    Rule {
        allow: true,
        typ: Type::Char,
        major,
        minor,
        access,
    }
}

/// The rules runc appends after the config's (libcontainer/specconv `AllowedDevices`).
pub const DEFAULT_RULES: [Rule; 11] = [
    dev(None, None, ACC_MKNOD),
    Rule {
        typ: Type::Block,
        ..dev(None, None, ACC_MKNOD)
    },
    dev(Some(1), Some(3), ACC_ALL),    // /dev/null
    dev(Some(1), Some(8), ACC_ALL),    // /dev/random
    dev(Some(1), Some(7), ACC_ALL),    // /dev/full
    dev(Some(5), Some(0), ACC_ALL),    // /dev/tty
    dev(Some(1), Some(5), ACC_ALL),    // /dev/zero
    dev(Some(1), Some(9), ACC_ALL),    // /dev/urandom
    dev(Some(136), None, ACC_ALL),     // /dev/pts/*
    dev(Some(5), Some(2), ACC_ALL),    // /dev/ptmx
    dev(Some(10), Some(200), ACC_ALL), // /dev/net/tun
];

/// Distinct (type, major, minor) exceptions kept; the smallest test block is 3
/// instructions, so more could never fit in [`BPF_MAXINSNS`] anyway.
pub const MAX_EXCEPTIONS: usize = (BPF_MAXINSNS - 8) / 3;

const PATH: &str = "linux.resources.devices";

/// Convert `linux.resources.devices[i]`.
pub fn rule(d: &DeviceRule<'_>, i: usize) -> Result<Rule> {
    let typ = match d.typ {
        None => Type::All,
        Some(t) if t.eq_str("a") => Type::All,
        Some(t) if t.eq_str("c") => Type::Char,
        Some(t) if t.eq_str("b") => Type::Block,
        Some(t) => {
            return Err(
                Error::spec("linux.resources.devices[].type", "must be a, c or b")
                    .at(i)
                    .value(t.raw().as_bytes()),
            )
        }
    };
    let num = |v: Option<i64>, path: &'static str| match v {
        // runc: any negative number (the spec's -1) is a wildcard.
        None => Ok(None),
        Some(n) if n < 0 => Ok(None),
        Some(n) => u32::try_from(n)
            .map(Some)
            .map_err(|_| Error::spec(path, "must be -1 or at most 4294967295").at(i)),
    };
    let major = num(d.major, "linux.resources.devices[].major")?;
    let minor = num(d.minor, "linux.resources.devices[].minor")?;
    let mut access = 0;
    let letters = d.access.unwrap_or_default();
    for c in letters.chars() {
        access |= match c {
            'r' => ACC_READ,
            'w' => ACC_WRITE,
            'm' => ACC_MKNOD,
            _ => {
                return Err(Error::spec(
                    "linux.resources.devices[].access",
                    "must be a subset of rwm",
                )
                .at(i)
                .value(letters.raw().as_bytes()))
            }
        };
    }
    if access == 0 {
        // As runc: "device access at N field cannot be empty".
        return Err(Error::spec("linux.resources.devices[].access", "must not be empty").at(i));
    }
    Ok(Rule {
        allow: d.allow,
        typ,
        major,
        minor,
        access,
    })
}

#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct Key {
    block: bool,
    major: Option<u32>,
    minor: Option<u32>,
}

#[derive(Clone, Copy, Default)]
struct Exception {
    key: Key,
    access: u8,
}

/// runc's emulation of the v1 device controller: a default and its exceptions.
struct Emulator {
    default_allow: bool,
    ex: [Exception; MAX_EXCEPTIONS],
    n: usize,
}

/// Why a rule could not be applied.
enum Refused {
    /// Removing access a wildcard exception grants.
    Hole,
    /// More than [`MAX_EXCEPTIONS`] exceptions.
    Full,
}

impl Emulator {
    fn new() -> Emulator {
        Emulator {
            default_allow: false,
            ex: [Exception::default(); MAX_EXCEPTIONS],
            n: 0,
        }
    }

    fn find(&self, k: Key) -> Option<usize> {
        self.ex[..self.n].iter().position(|e| e.key == k)
    }

    fn apply(&mut self, r: &Rule) -> core::result::Result<(), Refused> {
        let block = match r.typ {
            Type::All => {
                self.default_allow = r.allow;
                self.n = 0;
                return Ok(());
            }
            Type::Char => false,
            Type::Block => true,
        };
        let key = Key {
            block,
            major: r.major,
            minor: r.minor,
        };
        if r.allow != self.default_allow {
            // Add an exception, or merge into the one with the same key.
            match self.find(key) {
                Some(i) => self.ex[i].access |= r.access,
                None => {
                    let slot = self.ex.get_mut(self.n).ok_or(Refused::Full)?;
                    *slot = Exception {
                        key,
                        access: r.access,
                    };
                    self.n += 1;
                }
            }
            return Ok(());
        }
        // Remove access from the exact exception, refusing holes in wildcard ones.
        let wild = [
            Key { major: None, ..key },
            Key { minor: None, ..key },
            Key {
                major: None,
                minor: None,
                ..key
            },
        ];
        for w in wild {
            if w != key {
                if let Some(i) = self.find(w) {
                    if self.ex[i].access & r.access != 0 {
                        return Err(Refused::Hole);
                    }
                }
            }
        }
        if let Some(i) = self.find(key) {
            self.ex[i].access &= !r.access;
            if self.ex[i].access == 0 {
                self.ex.copy_within(i + 1..self.n, i);
                self.n -= 1;
            }
        }
        Ok(())
    }
}

/// A compiled filter program.
pub struct Program {
    insns: [Insn; BPF_MAXINSNS],
    len: usize,
}

impl core::fmt::Debug for Program {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Program({} instructions)", self.len)
    }
}

// Opcodes (include/uapi/linux/bpf_common.h and bpf.h).
const LDX_W: u8 = 0x61; // BPF_LDX | BPF_MEM | BPF_W
const AND32_K: u8 = 0x54; // BPF_ALU | BPF_AND | BPF_K
const RSH32_K: u8 = 0x74; // BPF_ALU | BPF_RSH | BPF_K
const MOV32_K: u8 = 0xb4; // BPF_ALU | BPF_MOV | BPF_K
const MOV32_X: u8 = 0xbc; // BPF_ALU | BPF_MOV | BPF_X
const JNE_K: u8 = 0x55; // BPF_JMP | BPF_JNE | BPF_K
const JNE_X: u8 = 0x5d; // BPF_JMP | BPF_JNE | BPF_X
const EXIT: u8 = 0x95; // BPF_JMP | BPF_EXIT

// Registers: r1 the context (then a scratch), r2 type, r3 access, r4 major, r5 minor.
const R0: u8 = 0;
const R1: u8 = 1;
const R2: u8 = 2;
const R3: u8 = 3;
const R4: u8 = 4;
const R5: u8 = 5;

/// Instructions testing a number: one `jne` when the immediate, sign-extended to 64 bits,
/// equals the zero-extended context word; else `mov32` to a scratch and `jne` by register.
fn num_len(v: Option<u32>) -> usize {
    match v {
        None => 0,
        Some(v) if v <= i32::MAX as u32 => 1,
        Some(_) => 2,
    }
}

fn block_len(e: &Exception) -> usize {
    let acc = if e.access == ACC_ALL { 0 } else { 3 };
    1 + acc + num_len(e.key.major) + num_len(e.key.minor) + 2
}

const PROLOGUE: usize = 6;
const EPILOGUE: usize = 2;

impl Program {
    /// The instructions.
    pub fn insns(&self) -> &[Insn] {
        &self.insns[..self.len]
    }

    /// Compile `rules` as given (no defaults appended). Rule `i` of the iterator is
    /// `linux.resources.devices[i]` in errors.
    pub fn compile(rules: impl Iterator<Item = Result<Rule>>) -> Result<Program> {
        let mut emu = Emulator::new();
        for (i, r) in rules.enumerate() {
            let r = r?;
            emu.apply(&r).map_err(|e| match e {
                Refused::Hole => Error::spec(
                    "linux.resources.devices[]",
                    "cannot remove access granted by an earlier wildcard rule (as runc)",
                )
                .at(i),
                Refused::Full => Error::capacity(
                    PATH,
                    emu.n as u64 + 1,
                    MAX_EXCEPTIONS as u64,
                    "distinct (type, major, minor) rules",
                ),
            })?;
        }
        let exceptions = &emu.ex[..emu.n];
        let need = PROLOGUE + EPILOGUE + exceptions.iter().map(block_len).sum::<usize>();
        if need > BPF_MAXINSNS {
            return Err(Error::capacity(
                PATH,
                need as u64,
                BPF_MAXINSNS as u64,
                "BPF instructions",
            ));
        }
        let mut p = Program {
            insns: [Insn::default(); BPF_MAXINSNS],
            len: 0,
        };
        // The sum above bounds every push; `push` still never indexes out of range.
        p.push(Insn::new(LDX_W, R2, R1, 0, 0));
        p.push(Insn::new(AND32_K, R2, 0, 0, 0xffff));
        p.push(Insn::new(LDX_W, R3, R1, 0, 0));
        p.push(Insn::new(RSH32_K, R3, 0, 0, 16));
        p.push(Insn::new(LDX_W, R4, R1, 4, 0));
        p.push(Insn::new(LDX_W, R5, R1, 8, 0));
        let verdict = !emu.default_allow as i32;
        for e in exceptions {
            let end = p.len + block_len(e);
            let typ = if e.key.block {
                bpf::BPF_DEVCG_DEV_BLOCK
            } else {
                bpf::BPF_DEVCG_DEV_CHAR
            };
            p.jne_k(R2, typ, end);
            if e.access != ACC_ALL {
                // Every requested bit must be in the exception: (r3 & access) == r3.
                p.push(Insn::new(MOV32_X, R1, R3, 0, 0));
                p.push(Insn::new(AND32_K, R1, 0, 0, e.access as i32));
                let off = end as isize - (p.len as isize + 1);
                p.push(Insn::new(JNE_X, R1, R3, off as i16, 0));
            }
            for (reg, v) in [(R4, e.key.major), (R5, e.key.minor)] {
                if let Some(v) = v {
                    p.jne_k(reg, v, end);
                }
            }
            p.push(Insn::new(MOV32_K, R0, 0, 0, verdict));
            p.push(Insn::new(EXIT, 0, 0, 0, 0));
        }
        p.push(Insn::new(MOV32_K, R0, 0, 0, emu.default_allow as i32));
        p.push(Insn::new(EXIT, 0, 0, 0, 0));
        Ok(p)
    }

    /// Compile the config's list followed by runc's [`DEFAULT_RULES`].
    pub fn from_spec(rules: &List<'_, DeviceRule<'_>>) -> Result<Program> {
        let spec = rules
            .iter()
            .enumerate()
            .map(|(i, d)| d.and_then(|d| rule(&d, i)));
        Program::compile(spec.chain(DEFAULT_RULES.iter().copied().map(Ok)))
    }

    fn push(&mut self, i: Insn) {
        if let Some(slot) = self.insns.get_mut(self.len) {
            *slot = i;
            self.len += 1;
        }
    }

    /// `if reg != v goto target` (the block's end).
    fn jne_k(&mut self, reg: u8, v: u32, target: usize) {
        if v <= i32::MAX as u32 {
            let off = target as isize - (self.len as isize + 1);
            self.push(Insn::new(JNE_K, reg, 0, off as i16, v as i32));
        } else {
            // mov32 zero-extends, matching the zero-extended context word.
            self.push(Insn::new(MOV32_K, R0, 0, 0, v as i32));
            let off = target as isize - (self.len as isize + 1);
            self.push(Insn::new(JNE_X, reg, R0, off as i16, 0));
        }
    }
}

/// Compile `rules` (plus runc's defaults) and make the result the only device filter of
/// the cgroup `cgroup_dir` (an fd of its directory), replacing any attached before.
pub fn apply(cgroup_dir: BorrowedFd<'_>, rules: &List<'_, DeviceRule<'_>>) -> Result<()> {
    let p = Program::from_spec(rules)?;
    attach(cgroup_dir, &p)
}

/// `BPF_PROG_LOAD` errors, with the likely reason for EPERM.
fn load_error(e: Errno) -> Error {
    let what = if e == Errno::PERM {
        // Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK, not to the memcg.
        "bpf BPF_PROG_LOAD (device filter; before Linux 5.11 RLIMIT_MEMLOCK may be too low)"
    } else {
        "bpf BPF_PROG_LOAD (device filter)"
    };
    Error::sys(what, e)
}

/// Load `p` and attach it to `cgroup_dir` as runc does: with BPF_F_ALLOW_MULTI, replacing
/// the one program already there in place (BPF_F_REPLACE, Linux >= 5.6), else attaching
/// next to the old ones and then detaching them.
pub fn attach(cgroup_dir: BorrowedFd<'_>, p: &Program) -> Result<()> {
    let prog = bpf::load_cgroup_device(p.insns(), c"Apache").map_err(load_error)?;
    let mut ids = [0u32; bpf::MAX_PROGS];
    let n = bpf::query_cgroup_device(cgroup_dir, &mut ids)
        .map_err(|e| Error::sys("bpf BPF_PROG_QUERY (cgroup device filters)", e))?;
    let multi = bpf::BPF_F_ALLOW_MULTI;
    if n == 1 {
        if let Ok(old) = bpf::prog_fd_by_id(ids[0]) {
            match bpf::attach_cgroup_device(
                cgroup_dir,
                prog.as_fd(),
                multi | bpf::BPF_F_REPLACE,
                Some(old.as_fd()),
            ) {
                Ok(()) => return Ok(()),
                // No BPF_F_REPLACE (before 5.6), or the old one went away: attach, detach.
                Err(Errno::INVAL | Errno::NOENT) => {}
                Err(e) => return Err(Error::sys("bpf BPF_PROG_ATTACH (replace)", e)),
            }
        }
    }
    bpf::attach_cgroup_device(cgroup_dir, prog.as_fd(), multi, None)
        .map_err(|e| Error::sys("bpf BPF_PROG_ATTACH (cgroup device filter)", e))?;
    for &id in &ids[..n] {
        let old = match bpf::prog_fd_by_id(id) {
            Ok(f) => f,
            // Detached and freed meanwhile.
            Err(Errno::NOENT) => continue,
            Err(e) => return Err(Error::sys("bpf BPF_PROG_GET_FD_BY_ID", e)),
        };
        match bpf::detach_cgroup_device(cgroup_dir, old.as_fd()) {
            Ok(()) | Err(Errno::NOENT) => {}
            Err(e) => return Err(Error::sys("bpf BPF_PROG_DETACH (old device filter)", e)),
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "devices_tests.rs"]
mod tests;
