//! From `linux.seccomp` to what one architecture's filter must do for each syscall number:
//! the action names and operators, and the way rules for the same syscall combine.
//!
//! Combining follows runc on libseccomp: a rule whose action equals the default action is
//! dropped (libseccomp refuses it); the first unconditional rule for a syscall decides it
//! and later rules for it are ignored; an unconditional rule replaces earlier conditional
//! ones; conditional rules are tried in profile order and the first whose comparisons all
//! hold decides. A rule comparing the same argument twice becomes one rule per comparison
//! (runc: libseccomp cannot AND two comparisons of one argument). On i386 a rule for a
//! socket or SysV IPC call also applies to its multiplexer, as libseccomp does it (see
//! [`X86_MUX`]).
//!
//! Numbers above the highest one the profile names on an ABI get ENOSYS rather than the
//! default action, as runc's stub in front of libseccomp's program does ([`enosys_stub`]).
//!
//! tests/seccomp_libseccomp.rs checks all this against libseccomp's own programs and
//! asserts the two places where it parts: conditional rules for one syscall that compare
//! the same argument, can hold at once and differ in action are tried in profile order
//! here, while libseccomp's decision tree orders them its own way (seen: EQ before GT,
//! larger values first); and a conditional rule that repeats or extends an earlier one with another
//! action is accepted here (the earlier decides) where libseccomp refuses it (EEXIST) and
//! runc fails the container.

use super::tables::Arch;
use crate::spec::linux::{SeccompArg, Syscall};
use crate::{Error, Result};
use linux_raw_sys::errno::{ENOSYS, EPERM};
use linux_raw_sys::ptrace as k;

pub use crate::spec::limits::{SECCOMP_CONDS_MAX, SECCOMP_COND_RULES_MAX};
/// Syscall numbers of the largest table (arm with its private calls has about 420).
pub const SLOTS_MAX: usize = 640;

/// `SCMP_CMP_*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Ne,
    Lt,
    Le,
    Eq,
    Ge,
    Gt,
    MaskedEq,
}

impl Op {
    pub fn from_name(name: &str) -> Option<Op> {
        Some(match name {
            "SCMP_CMP_NE" => Op::Ne,
            "SCMP_CMP_LT" => Op::Lt,
            "SCMP_CMP_LE" => Op::Le,
            "SCMP_CMP_EQ" => Op::Eq,
            "SCMP_CMP_GE" => Op::Ge,
            "SCMP_CMP_GT" => Op::Gt,
            "SCMP_CMP_MASKED_EQ" => Op::MaskedEq,
            _ => return None,
        })
    }

    /// Whether `arg` satisfies the comparison (unsigned, as the kernel's BPF compares).
    /// `MaskedEq` is `(arg & value) == value_two` (runc passes value as the mask).
    pub fn holds(self, arg: u64, value: u64, value_two: u64) -> bool {
        match self {
            Op::Ne => arg != value,
            Op::Lt => arg < value,
            Op::Le => arg <= value,
            Op::Eq => arg == value,
            Op::Ge => arg >= value,
            Op::Gt => arg > value,
            Op::MaskedEq => arg & value == value_two,
        }
    }
}

/// One argument comparison.
#[derive(Clone, Copy, Debug)]
pub struct Cond {
    pub index: u8,
    pub op: Op,
    pub value: u64,
    pub value_two: u64,
}

/// The SECCOMP_RET_* value of an `SCMP_ACT_*` name; `errno` is errnoRet (EPERM when
/// absent, as runc). `SCMP_ACT_KILL` is libseccomp's: kill the thread.
pub fn action(name: &str, errno: Option<u32>) -> Option<u32> {
    let data = errno.unwrap_or(EPERM) & k::SECCOMP_RET_DATA;
    Some(match name {
        "SCMP_ACT_KILL" | "SCMP_ACT_KILL_THREAD" => k::SECCOMP_RET_KILL_THREAD,
        "SCMP_ACT_KILL_PROCESS" => k::SECCOMP_RET_KILL_PROCESS,
        "SCMP_ACT_TRAP" => k::SECCOMP_RET_TRAP,
        "SCMP_ACT_ERRNO" => k::SECCOMP_RET_ERRNO | data,
        "SCMP_ACT_TRACE" => k::SECCOMP_RET_TRACE | data,
        "SCMP_ACT_ALLOW" => k::SECCOMP_RET_ALLOW,
        "SCMP_ACT_LOG" => k::SECCOMP_RET_LOG,
        "SCMP_ACT_NOTIFY" => k::SECCOMP_RET_USER_NOTIF,
        _ => return None,
    })
}

/// Whether runc's -ENOSYS stub applies (libcontainer/seccomp/patchbpf): calls numbered
/// above the highest one the profile names, on an ABI of the filter, fail with ENOSYS
/// instead of the default action, so programs fall back from syscalls newer than the
/// profile (glibc does on ENOSYS, not on EPERM). Off when the default already is ENOSYS,
/// or lets calls through (ALLOW, LOG, and TRACE: a tracer handles new calls itself).
pub fn enosys_stub(default_action: &str, default_errno: Option<u32>) -> bool {
    let permissive = matches!(
        default_action,
        "SCMP_ACT_ALLOW" | "SCMP_ACT_LOG" | "SCMP_ACT_TRACE"
    );
    !permissive && default_errno != Some(ENOSYS)
}

/// The SECCOMP_FILTER_FLAG_* value of a `linux.seccomp.flags` entry.
pub fn flag(name: &str) -> Option<u32> {
    Some(match name {
        "SECCOMP_FILTER_FLAG_TSYNC" => k::SECCOMP_FILTER_FLAG_TSYNC,
        "SECCOMP_FILTER_FLAG_LOG" => k::SECCOMP_FILTER_FLAG_LOG,
        "SECCOMP_FILTER_FLAG_SPEC_ALLOW" => k::SECCOMP_FILTER_FLAG_SPEC_ALLOW,
        "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" => k::SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
        _ => return None,
    })
}

/// i386 programs reach the socket and SysV IPC calls through socketcall(2) and ipc(2)
/// too, arg0 naming the call (`SYS_*` of include/uapi/linux/net.h; the IPC call numbers
/// of include/uapi/linux/ipc.h): (call, multiplexer, arg0). libseccomp adds a rule for one
/// of these calls in an x86 filter to the multiplexer as well, with `arg0 == call`
/// in place of any comparison of arg0 (the call's own arguments are in memory, out of the
/// filter's reach), so a profile denying `socket` also denies socketcall(SYS_SOCKET) and
/// one allowing `shmget` allows ipc(SHMGET). husk does the same.
pub const X86_MUX: [(&str, &str, u64); 32] = [
    ("socket", "socketcall", 1),
    ("bind", "socketcall", 2),
    ("connect", "socketcall", 3),
    ("listen", "socketcall", 4),
    ("accept", "socketcall", 5),
    ("getsockname", "socketcall", 6),
    ("getpeername", "socketcall", 7),
    ("socketpair", "socketcall", 8),
    ("send", "socketcall", 9),
    ("recv", "socketcall", 10),
    ("sendto", "socketcall", 11),
    ("recvfrom", "socketcall", 12),
    ("shutdown", "socketcall", 13),
    ("setsockopt", "socketcall", 14),
    ("getsockopt", "socketcall", 15),
    ("sendmsg", "socketcall", 16),
    ("recvmsg", "socketcall", 17),
    ("accept4", "socketcall", 18),
    ("recvmmsg", "socketcall", 19),
    ("sendmmsg", "socketcall", 20),
    ("semop", "ipc", 1),
    ("semget", "ipc", 2),
    ("semctl", "ipc", 3),
    ("semtimedop", "ipc", 4),
    ("msgsnd", "ipc", 11),
    ("msgrcv", "ipc", 12),
    ("msgget", "ipc", 13),
    ("msgctl", "ipc", 14),
    ("shmat", "ipc", 21),
    ("shmdt", "ipc", 22),
    ("shmget", "ipc", 23),
    ("shmctl", "ipc", 24),
];

/// What the filter does for one syscall number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// No rule: the default action.
    Default,
    /// This action for every call.
    Always(u32),
    /// The conditional rules with this position, in order, then the default action.
    Cond,
}

/// A conditional rule: `conds[start..start + n]` of [`Db::conds`] must all hold.
#[derive(Clone, Copy, Debug)]
pub struct CondRule {
    pub pos: u16,
    pub action: u32,
    pub start: u16,
    pub n: u8,
}

/// One architecture's view of the profile: a slot per position of its table.
pub struct Db {
    pub arch: Arch,
    pub default: u32,
    /// runc's -ENOSYS stub is on (see [`enosys_stub`]).
    pub stub: bool,
    /// The highest number of this ABI a rule names (0: none).
    pub last: u32,
    pub slots: [Slot; SLOTS_MAX],
    pub rules: heapless::Vec<CondRule, SECCOMP_COND_RULES_MAX>,
    pub conds: heapless::Vec<Cond, SECCOMP_CONDS_MAX>,
}

impl Db {
    pub fn new(arch: Arch, default: u32) -> Db {
        Db {
            arch,
            default,
            stub: false,
            last: 0,
            slots: [Slot::Default; SLOTS_MAX],
            rules: heapless::Vec::new(),
            conds: heapless::Vec::new(),
        }
    }

    /// Add `linux.seccomp.syscalls[i]`. Names this ABI does not have are skipped (the
    /// caller warns about names no ABI of the filter has).
    pub fn add(&mut self, i: usize, r: &Syscall<'_>) -> Result<()> {
        let act = action(r.action.raw(), r.errno_ret)
            .ok_or(Error::spec("linux.seccomp.syscalls[].action", "unknown action").at(i))?;
        let skip = act == self.default;
        let args = &r.args.0;
        let repeated = args
            .iter()
            .enumerate()
            .any(|(j, a)| args[..j].iter().any(|b| b.index == a.index));
        let table = self.arch.table();
        // One walk over the names (the lazy list parses as it goes): the highest number
        // the profile names counts even for a rule that is dropped.
        for name in r.names.iter() {
            let name = name?;
            let Some(n) = name.as_plain() else {
                continue;
            };
            if self.arch == Arch::X86 && !skip {
                // Also on the multiplexer, whether or not i386 has the call itself.
                let mux = X86_MUX.iter().find(|m| m.0 == n);
                if let Some(&(_, m, call)) = mux {
                    if let Some(mpos) = table.find(m) {
                        self.add_split(mpos, act, args, repeated, Some(call), i)?;
                    }
                }
            }
            let Some(pos) = table.find(n) else {
                continue;
            };
            if let Some(&nr) = table.nrs.get(pos) {
                self.last = self.last.max(nr);
            }
            if !skip {
                self.add_split(pos, act, args, repeated, None, i)?;
            }
        }
        Ok(())
    }

    fn add_split(
        &mut self,
        pos: usize,
        act: u32,
        args: &[SeccompArg<'_>],
        repeated: bool,
        mux: Option<u64>,
        i: usize,
    ) -> Result<()> {
        if repeated {
            for a in args {
                self.add_one(pos, act, core::slice::from_ref(a), mux, i)?;
            }
            Ok(())
        } else {
            self.add_one(pos, act, args, mux, i)
        }
    }

    /// Add one rule at `pos`; `mux`: the rule is a multiplexer's, for the call `arg0`
    /// names ([`X86_MUX`]).
    fn add_one(
        &mut self,
        pos: usize,
        act: u32,
        args: &[SeccompArg<'_>],
        mux: Option<u64>,
        i: usize,
    ) -> Result<()> {
        let slot = self.slots.get_mut(pos).ok_or(Error::capacity(
            "linux.seccomp",
            pos as u64,
            SLOTS_MAX as u64,
            "syscall table entries",
        ))?;
        match *slot {
            Slot::Always(_) => return Ok(()),
            _ if args.is_empty() && mux.is_none() => {
                *slot = Slot::Always(act);
                return Ok(());
            }
            _ => *slot = Slot::Cond,
        }
        let start = self.conds.len();
        if let Some(call) = mux {
            self.push_cond(Cond {
                index: 0,
                op: Op::Eq,
                value: call,
                value_two: 0,
            })?;
        }
        for a in args {
            let op = Op::from_name(a.op.raw()).ok_or(
                Error::spec("linux.seccomp.syscalls[].args[].op", "unknown operator").at(i),
            )?;
            if a.index as usize >= 6 {
                return Err(Error::spec(
                    "linux.seccomp.syscalls[].args[].index",
                    "must be below 6",
                )
                .at(i));
            }
            if mux.is_some() && a.index == 0 {
                continue; // arg0 is the multiplexer's `call == ...`
            }
            self.push_cond(Cond {
                index: a.index as u8,
                op,
                value: a.value,
                value_two: a.value_two.unwrap_or(0),
            })?;
        }
        let rule = CondRule {
            pos: pos as u16,
            action: act,
            start: start as u16,
            n: (self.conds.len() - start) as u8,
        };
        self.rules.push(rule).map_err(|_| {
            let n = SECCOMP_COND_RULES_MAX as u64;
            Error::capacity(
                "linux.seccomp.syscalls",
                n + 1,
                n,
                "rules with arguments per architecture",
            )
        })
    }

    fn push_cond(&mut self, c: Cond) -> Result<()> {
        self.conds.push(c).map_err(|_| {
            let n = SECCOMP_CONDS_MAX as u64;
            Error::capacity(
                "linux.seccomp.syscalls",
                n + 1,
                n,
                "argument comparisons per architecture",
            )
        })
    }

    /// The conditional rules of position `pos`, in profile order.
    pub fn rules_of(&self, pos: usize) -> impl Iterator<Item = (&CondRule, &[Cond])> {
        self.rules
            .iter()
            .filter(move |r| r.pos as usize == pos)
            .map(|r| {
                let s = r.start as usize;
                (r, self.conds.get(s..s + r.n as usize).unwrap_or(&[]))
            })
    }

    /// The action for a number no rule decides: the default, or ENOSYS above the highest
    /// number the profile names when runc's stub is on.
    pub fn fallback(&self, nr: u32) -> u32 {
        if self.stub && self.last > 0 && nr > self.last {
            k::SECCOMP_RET_ERRNO | ENOSYS
        } else {
            self.default
        }
    }

    /// What the profile says for a call (the reference the generated code must equal).
    #[cfg(test)]
    pub fn verdict(&self, nr: u32, args: &[u64; 6]) -> u32 {
        let table = self.arch.table();
        let Ok(pos) = table.nrs.binary_search(&nr) else {
            return self.fallback(nr);
        };
        match self.slots.get(pos).copied().unwrap_or(Slot::Default) {
            Slot::Default => self.fallback(nr),
            Slot::Always(a) => a,
            Slot::Cond => {
                let wide = self.arch.wide();
                for (r, conds) in self.rules_of(pos) {
                    let all = conds.iter().all(|c| {
                        let arg = args[c.index as usize];
                        if wide {
                            c.op.holds(arg, c.value, c.value_two)
                        } else {
                            let m = u32::MAX as u64;
                            c.op.holds(arg & m, c.value & m, c.value_two & m)
                        }
                    });
                    if all {
                        return r.action;
                    }
                }
                self.default
            }
        }
    }
}
