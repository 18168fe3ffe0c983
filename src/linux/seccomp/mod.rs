//! `linux.seccomp`: compile the profile to classic BPF ourselves (no libseccomp) and
//! install it as the container process's last step before execve.
//!
//! [`compile`] runs in the container process before it reports Ready, so a bad profile
//! fails `create`. [`install`] runs right before execve: after capabilities and
//! no_new_privs, so the filter never judges husk's own setup. Without no_new_privs the
//! kernel wants CAP_SYS_ADMIN for it, which [`crate::linux::process`] keeps until then.
//! A profile with `SCMP_ACT_NOTIFY` is installed before Ready instead: its listener fd
//! goes to `listenerPath` ([`notify`]) while the runtime that can answer is still there.
//!
//! References: runtime-spec config-linux.md "Seccomp"; seccomp(2); seccomp_unotify(2);
//! runc libcontainer/seccomp (how profiles map onto libseccomp).

pub mod codegen;
pub mod interp;
pub mod notify;
pub mod rules;
pub mod tables;
#[cfg(test)]
mod tests;

use crate::spec::linux::Seccomp;
use crate::sys::seccomp::Program;
use crate::{Error, Result};
use linux_raw_sys::ptrace as k;
use rules::Db;
use tables::Arch;

/// How to install a compiled program.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Compiled {
    /// SECCOMP_FILTER_FLAG_* for seccomp(2).
    pub flags: u32,
    /// Some rule says SCMP_ACT_NOTIFY: the kernel hands out a listener fd.
    pub notify: bool,
}

/// Compile `s` for a kernel of architecture `native` into `prog`. Syscall names no ABI of
/// the filter has are skipped (profiles list names of every architecture); `unknown`
/// hears those no Linux ABI has at all, a likely typo (the caller warns).
pub fn compile(
    s: &Seccomp<'_>,
    native: Arch,
    prog: &mut Program,
    unknown: &mut dyn FnMut(&str),
) -> Result<Compiled> {
    let default = rules::action(s.default_action.raw(), s.default_errno_ret).ok_or(
        Error::spec("linux.seccomp.defaultAction", "unknown action")
            .value(s.default_action.raw().as_bytes()),
    )?;
    if default == k::SECCOMP_RET_USER_NOTIF {
        return Err(Error::spec(
            "linux.seccomp.defaultAction",
            "SCMP_ACT_NOTIFY cannot be the default action",
        ));
    }
    let mut compat: heapless::Vec<Arch, 4> = heapless::Vec::new();
    for a in s.architectures.0.iter() {
        if let Some(a) = Arch::for_native(a.raw(), native) {
            if a != native && !compat.contains(&a) {
                let _ = compat.push(a);
            }
        }
    }
    let mut c = Compiled::default();
    for f in s.flags.0.iter() {
        c.flags |= rules::flag(f.raw()).ok_or(
            Error::spec("linux.seccomp.flags[]", "unknown seccomp flag").value(f.raw().as_bytes()),
        )?;
    }
    for r in s.syscalls.iter() {
        let r = r?;
        if r.action.eq_str("SCMP_ACT_NOTIFY") {
            c.notify = true;
        }
        for name in r.names.iter() {
            let name = name?;
            if !tables::known(name.as_plain().unwrap_or("")) {
                unknown(name.raw());
            }
        }
    }
    if c.notify {
        if s.listener_path.is_none() {
            return Err(Error::spec(
                "linux.seccomp.listenerPath",
                "is required with SCMP_ACT_NOTIFY",
            ));
        }
        c.flags |= k::SECCOMP_FILTER_FLAG_NEW_LISTENER;
        if c.flags & k::SECCOMP_FILTER_FLAG_TSYNC != 0 {
            // The kernel refuses TSYNC with a listener unless a sync failure is ESRCH.
            c.flags |= k::SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
        }
    } else if c.flags & k::SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV != 0 {
        return Err(Error::spec(
            "linux.seccomp.flags",
            "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs a SCMP_ACT_NOTIFY rule",
        ));
    }
    let plan = codegen::Plan {
        native,
        compat: &compat,
        default,
        stub: rules::enosys_stub(s.default_action.raw(), s.default_errno_ret),
    };
    let mut db = Db::new(native, default);
    let mut fill = |db: &mut Db| -> Result<()> {
        for (i, r) in s.syscalls.iter().enumerate() {
            db.add(i, &r?)?;
        }
        Ok(())
    };
    codegen::generate(&plan, &mut db, &mut fill, prog)?;
    Ok(c)
}

/// `features`' `linux.seccomp` object: the actions this kernel has, every operator, the
/// ABIs a filter can hold here, the flags husk knows and those this kernel supports.
pub fn render_features(out: &mut impl core::fmt::Write) {
    use crate::spec::names::{SECCOMP_ACTIONS, SECCOMP_FLAGS, SECCOMP_OPS};
    let list = |out: &mut dyn core::fmt::Write, items: &mut dyn Iterator<Item = &str>| {
        let _ = out.write_str("[");
        for (i, it) in items.enumerate() {
            let _ = write!(out, "{}\"{it}\"", if i > 0 { "," } else { "" });
        }
        let _ = out.write_str("]");
    };
    let _ = out.write_str("{\"enabled\":true,\"actions\":");
    let avail = |a: &&str| {
        rules::action(a, None).is_some_and(|v| {
            crate::sys::seccomp::action_available(v & k::SECCOMP_RET_ACTION_FULL).is_ok()
        })
    };
    list(out, &mut SECCOMP_ACTIONS.iter().copied().filter(avail));
    let _ = out.write_str(",\"operators\":");
    list(out, &mut SECCOMP_OPS.iter().copied());
    let _ = out.write_str(",\"archs\":");
    list(out, &mut Arch::NATIVE.compat().iter().map(|a| a.name()));
    let _ = out.write_str(",\"knownFlags\":");
    list(out, &mut SECCOMP_FLAGS.iter().copied());
    let _ = out.write_str(",\"supportedFlags\":");
    // WAIT_KILLABLE_RECV is only valid next to NEW_LISTENER.
    let supported = |f: &&str| {
        rules::flag(f).is_some_and(|v| {
            let with = if v == k::SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV {
                k::SECCOMP_FILTER_FLAG_NEW_LISTENER
            } else {
                0
            };
            crate::sys::seccomp::filter_flag_supported(v | with)
        })
    };
    list(out, &mut SECCOMP_FLAGS.iter().copied().filter(supported));
    let _ = out.write_str("}");
}

/// Install `prog`; returns the listener fd when `c.notify`.
pub fn install(prog: &Program, c: Compiled) -> Result<Option<rustix::fd::OwnedFd>> {
    crate::sys::seccomp::set_mode_filter(prog, c.flags, c.notify)
        .map_err(|e| Error::sys("seccomp SECCOMP_SET_MODE_FILTER", e))
}
