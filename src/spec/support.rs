//! Fields husk parses but does not honour, so `create` can refuse or warn instead of
//! silently ignoring them. Each later feature removes its line here.

use super::model::Spec;
use crate::Error;

/// How serious an unsupported field is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Ignored with a message, as runc does when the LSM is absent.
    Warning,
    /// The container would not get what the config asks for: refuse it.
    Error,
}

/// Report fields husk will not honour. `lsm` says whether the host has an enabled LSM
/// (AppArmor/SELinux) husk could apply labels with; husk applies none yet either way.
pub fn support(spec: &Spec, lsm: bool, report: &mut dyn FnMut(Level, Error)) -> usize {
    let mut n = 0;
    let mut out = |l, e| {
        n += 1;
        report(l, e);
    };
    let lsm_level = if lsm { Level::Error } else { Level::Warning };
    if let Some(l) = &spec.linux {
        if l.intel_rdt.is_some() {
            out(
                Level::Error,
                Error::unsupported("linux.intelRdt", "not supported (no resctrl support)"),
            );
        }
        if l.mount_label.is_some_and(|x| !x.is_empty()) {
            out(
                lsm_level,
                Error::unsupported("linux.mountLabel", "SELinux labels are not applied"),
            );
        }
    }
    if let Some(p) = &spec.process {
        if p.apparmor_profile.is_some_and(|x| !x.is_empty()) {
            out(
                lsm_level,
                Error::unsupported(
                    "process.apparmorProfile",
                    "AppArmor profiles are not applied",
                ),
            );
        }
        if p.selinux_label.is_some_and(|x| !x.is_empty()) {
            out(
                lsm_level,
                Error::unsupported("process.selinuxLabel", "SELinux labels are not applied"),
            );
        }
    }
    for (i, m) in spec.mounts.iter().enumerate() {
        // runc accepts relative destinations (taken from /) with a deprecation warning.
        if let Ok(m) = m {
            if !m.destination.starts_with("/") {
                out(
                    Level::Warning,
                    Error::spec(
                        "mounts[].destination",
                        "is not absolute: taken relative to /",
                    )
                    .at(i)
                    .value(m.destination.raw().as_bytes()),
                );
            }
        }
    }
    n
}
