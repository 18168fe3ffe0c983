//! Semantic checks after parsing, reporting every problem (for `husk validate`).
//!
//! Rules follow runtime-spec v1.3 and, where the spec leaves room, what runc's
//! libcontainer/configs/validate and specconv reject, so a config runc refuses is
//! refused here with the same meaning.

use super::lazy::{List, Nested};
use super::linux::Linux;
use super::model::Spec;
use super::names::*;
use super::process::Process;
use super::resources::Resources;
use super::str::Str;
use crate::linux::{caps, namespaces, rlimits};
use crate::Error;
use serde::Deserialize;

type Report<'r> = &'r mut dyn FnMut(Error);

/// Counts what it passes on.
struct R<'r, 'f> {
    out: &'r mut (dyn FnMut(Error) + 'f),
    n: usize,
}

impl R<'_, '_> {
    fn e(&mut self, e: Error) {
        self.n += 1;
        (self.out)(e);
    }

    /// Each element of a lazy list; parse errors are reported and skipped.
    fn each<'a, T: Deserialize<'a> + Nested<'a>>(
        &mut self,
        l: &List<'a, T>,
        mut f: impl FnMut(&mut Self, usize, T),
    ) {
        for (i, x) in l.iter().enumerate() {
            match x {
                Ok(v) => f(self, i, v),
                Err(e) => self.e(e),
            }
        }
    }

    /// No NUL byte: it would cut the string short when handed to the kernel.
    fn nul(&mut self, s: Str, e: Error) -> bool {
        if s.contains('\0') {
            self.e(e_msg(e, "must not contain NUL bytes").value(s.raw().as_bytes()));
            return false;
        }
        true
    }

    fn abs(&mut self, s: Str, e: Error) {
        if self.nul(s, e) && !s.starts_with("/") {
            self.e(e_msg(e, "must be an absolute path").value(s.raw().as_bytes()));
        }
    }

    fn one_of(&mut self, s: Str, set: &[&str], e: Error) {
        if !set.iter().any(|x| s.eq_str(x)) {
            self.e(e.value(s.raw().as_bytes()));
        }
    }
}

fn e_msg(mut e: Error, msg: &'static str) -> Error {
    e.msg = msg;
    e
}

fn p(path: &'static str) -> Error {
    Error::spec(path, "")
}

/// Check a parsed config; calls `report` for every problem and returns how many.
pub fn validate(spec: &Spec, report: Report) -> usize {
    let mut r = R { out: report, n: 0 };
    let v = spec.oci_version;
    if !version_ok(v) {
        r.e(Error::spec("ociVersion", "must be 1.x.y (major version 1)").value(v.raw().as_bytes()));
    }
    match &spec.root {
        None => r.e(Error::spec("root", "is required")),
        Some(root) => {
            if root.path.is_empty() {
                r.e(Error::spec("root.path", "must not be empty"));
            }
            r.nul(root.path, p("root.path"));
        }
    }
    r.each(&spec.mounts, |r, i, m| {
        r.nul(m.destination, p("mounts[].destination").at(i));
        if let Some(s) = m.source {
            r.nul(s, p("mounts[].source").at(i));
        }
        let mut idmap = false;
        r.each(&m.options, |r, j, o| {
            r.nul(o, p("mounts[].options[]").at(i).at(j));
            idmap |= o.eq_str("idmap") || o.eq_str("ridmap");
        });
        r.each(&m.uid_mappings, |_, _, _| {});
        r.each(&m.gid_mappings, |_, _, _| {});
        let (u, g) = (!m.uid_mappings.is_empty(), !m.gid_mappings.is_empty());
        if (u || g) && !idmap {
            r.e(Error::spec(
                "mounts[]",
                "uidMappings/gidMappings need the idmap or ridmap option",
            )
            .at(i));
        }
    });
    if let Some(pr) = &spec.process {
        process(&mut r, pr);
    }
    if let Some(h) = &spec.hooks {
        let lists = [
            (
                &h.prestart,
                "hooks.prestart[].path",
                "hooks.prestart[].timeout",
                "hooks.prestart[].env[]",
            ),
            (
                &h.create_runtime,
                "hooks.createRuntime[].path",
                "hooks.createRuntime[].timeout",
                "hooks.createRuntime[].env[]",
            ),
            (
                &h.create_container,
                "hooks.createContainer[].path",
                "hooks.createContainer[].timeout",
                "hooks.createContainer[].env[]",
            ),
            (
                &h.start_container,
                "hooks.startContainer[].path",
                "hooks.startContainer[].timeout",
                "hooks.startContainer[].env[]",
            ),
            (
                &h.poststart,
                "hooks.poststart[].path",
                "hooks.poststart[].timeout",
                "hooks.poststart[].env[]",
            ),
            (
                &h.poststop,
                "hooks.poststop[].path",
                "hooks.poststop[].timeout",
                "hooks.poststop[].env[]",
            ),
        ];
        for (l, path, timeout, env) in lists {
            r.each(l, |r, i, hk| {
                r.abs(hk.path, p(path).at(i));
                if hk.timeout.is_some_and(|t| t <= 0) {
                    r.e(Error::spec(timeout, "must be greater than zero").at(i));
                }
                r.each(&hk.args, |r, j, a| {
                    r.nul(a, p("hooks.*[].args[]").at(i).at(j));
                });
                r.each(&hk.env, |r, j, e| {
                    if r.nul(e, p(env).at(i).at(j)) && !e.contains('=') {
                        r.e(Error::spec(env, "must be NAME=value")
                            .at(i)
                            .at(j)
                            .value(e.raw().as_bytes()));
                    }
                });
            });
        }
    }
    let uts = spec.namespace("uts").is_some();
    if let Some(h) = spec.hostname {
        r.nul(h, p("hostname"));
        if !h.is_empty() && !uts {
            r.e(Error::spec("hostname", "needs a private UTS namespace"));
        }
    }
    if let Some(d) = spec.domainname {
        r.nul(d, p("domainname"));
        if !d.is_empty() && !uts {
            r.e(Error::spec("domainname", "needs a private UTS namespace"));
        }
    }
    if let Err(e) = dup_keys(&spec.annotations) {
        r.e(e);
    }
    if let Some(l) = &spec.linux {
        linux(&mut r, spec, l);
    }
    r.n
}

/// Check a stand-alone `exec --process` document; paths drop the `process.` prefix.
pub fn validate_process(pr: &Process, report: Report) -> usize {
    let mut out = |e: Error| report(rebase(e, "process."));
    let mut r = R {
        out: &mut out,
        n: 0,
    };
    process(&mut r, pr);
    r.n
}

/// Check a stand-alone `update --resources` document.
pub fn validate_resources(res: &Resources, report: Report) -> usize {
    let mut out = |e: Error| report(rebase(e, "linux.resources."));
    let mut r = R {
        out: &mut out,
        n: 0,
    };
    resources(&mut r, res);
    r.n
}

fn rebase(mut e: Error, prefix: &str) -> Error {
    if let Some(rest) = e.ctx.strip_prefix(prefix) {
        // A suffix of a &'static str is still &'static.
        e.ctx = &e.ctx[e.ctx.len() - rest.len()..];
    }
    e
}

/// `1.x.y`, any minor and patch, optional `-suffix` / `+build`.
fn version_ok(v: Str) -> bool {
    let Some(s) = v.as_plain() else { return false };
    let core = s.split(['-', '+']).next().unwrap_or("");
    let mut parts = core.split('.');
    let num =
        |x: Option<&str>| x.is_some_and(|x| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit()));
    parts.next() == Some("1") && num(parts.next()) && num(parts.next()) && parts.next().is_none()
}

fn process(r: &mut R, pr: &Process) {
    if pr.args.is_empty() {
        r.e(Error::spec("process.args", "must not be empty"));
    }
    r.each(&pr.args, |r, i, a| {
        r.nul(a, p("process.args[]").at(i));
    });
    r.each(&pr.env, |r, i, e| {
        if r.nul(e, p("process.env[]").at(i)) && !e.contains('=') {
            r.e(Error::spec("process.env[]", "must be NAME=value")
                .at(i)
                .value(e.raw().as_bytes()));
        }
    });
    r.abs(pr.cwd, p("process.cwd"));
    if let Some(c) = &pr.capabilities {
        let sets = [
            (&c.bounding, "process.capabilities.bounding[]"),
            (&c.effective, "process.capabilities.effective[]"),
            (&c.inheritable, "process.capabilities.inheritable[]"),
            (&c.permitted, "process.capabilities.permitted[]"),
            (&c.ambient, "process.capabilities.ambient[]"),
        ];
        for (set, path) in sets {
            r.each(set, |r, i, cap| {
                if cap.as_plain().and_then(caps::by_name).is_none() {
                    r.e(Error::spec(path, "unknown capability")
                        .at(i)
                        .value(cap.raw().as_bytes()));
                }
            });
        }
    }
    let mut seen = 0u32;
    r.each(&pr.rlimits, |r, i, rl| {
        match rl.typ.as_plain().and_then(rlimits::by_name) {
            None => r.e(
                Error::spec("process.rlimits[].type", "unknown resource limit")
                    .at(i)
                    .value(rl.typ.raw().as_bytes()),
            ),
            Some(n) if seen & (1 << n) != 0 => r.e(Error::spec(
                "process.rlimits[].type",
                "duplicate resource limit",
            )
            .at(i)
            .value(rl.typ.raw().as_bytes())),
            Some(n) => seen |= 1 << n,
        }
    });
    if let Some(c) = &pr.console_size {
        // struct winsize holds 16-bit rows and columns.
        if c.height > u16::MAX as u32 {
            r.e(Error::spec(
                "process.consoleSize.height",
                "must be at most 65535",
            ));
        }
        if c.width > u16::MAX as u32 {
            r.e(Error::spec(
                "process.consoleSize.width",
                "must be at most 65535",
            ));
        }
    }
    if let Some(o) = pr.oom_score_adj {
        if !(-1000..=1000).contains(&o) {
            r.e(Error::spec(
                "process.oomScoreAdj",
                "must be between -1000 and 1000",
            ));
        }
    }
    if let Some(s) = &pr.scheduler {
        r.one_of(
            s.policy,
            SCHED_POLICIES,
            Error::spec("process.scheduler.policy", "unknown scheduling policy"),
        );
        let rt = s.policy.eq_str("SCHED_FIFO") || s.policy.eq_str("SCHED_RR");
        if s.priority.is_some_and(|x| x != 0) && !rt {
            r.e(Error::spec(
                "process.scheduler.priority",
                "only with SCHED_FIFO or SCHED_RR",
            ));
        }
        let dl = [s.runtime, s.deadline, s.period]
            .iter()
            .any(|x| x.is_some_and(|x| x != 0));
        if dl && !s.policy.eq_str("SCHED_DEADLINE") {
            r.e(Error::spec(
                "process.scheduler",
                "runtime, deadline and period only with SCHED_DEADLINE",
            ));
        }
        if s.nice.is_some_and(|n| !(-20..=19).contains(&n)) {
            r.e(Error::spec(
                "process.scheduler.nice",
                "must be between -20 and 19",
            ));
        }
        for (i, f) in s.flags.iter().enumerate() {
            r.one_of(
                *f,
                SCHED_FLAGS,
                Error::spec("process.scheduler.flags[]", "unknown scheduler flag").at(i),
            );
        }
    }
    if let Some(io) = &pr.io_priority {
        r.one_of(
            io.class,
            IOPRIO_CLASSES,
            Error::spec("process.ioPriority.class", "unknown I/O priority class"),
        );
        if io.priority.is_some_and(|x| !(0..=7).contains(&x)) {
            r.e(Error::spec(
                "process.ioPriority.priority",
                "must be between 0 and 7",
            ));
        }
    }
}

fn linux(r: &mut R, spec: &Spec, l: &Linux) {
    let mut seen = 0u32;
    for (i, ns) in l.namespaces.iter().enumerate() {
        match ns.typ.as_plain().and_then(namespaces::by_name) {
            None => r.e(
                Error::spec("linux.namespaces[].type", "unknown namespace type")
                    .at(i)
                    .value(ns.typ.raw().as_bytes()),
            ),
            Some(n) if seen & n.flag != 0 => r.e(Error::spec(
                "linux.namespaces[].type",
                "duplicate namespace",
            )
            .at(i)
            .value(ns.typ.raw().as_bytes())),
            Some(n) => seen |= n.flag,
        }
        if let Some(path) = ns.path {
            r.abs(path, p("linux.namespaces[].path").at(i));
        }
    }
    let userns = spec.namespace("user");
    for (list, path) in [
        (&l.uid_mappings, "linux.uidMappings"),
        (&l.gid_mappings, "linux.gidMappings"),
    ] {
        if userns.is_none() && !list.is_empty() {
            r.e(Error::spec(path, "needs a user namespace"));
        }
        if userns.is_some_and(|n| n.path.is_none()) && list.is_empty() {
            r.e(Error::spec(
                path,
                "must not be empty with a new user namespace",
            ));
        }
        r.each(list, |r, i, m| {
            if m.size == 0 {
                r.e(Error::spec("linux.*Mappings[].size", "must be greater than zero").at(i));
            }
        });
    }
    if !l.time_offsets.is_empty() && spec.namespace("time").is_none() {
        r.e(Error::spec("linux.timeOffsets", "needs a time namespace"));
    }
    let mut clocks = 0u8;
    for x in l.time_offsets.iter() {
        match x {
            Err(e) => r.e(e),
            Ok((k, t)) => {
                let bit = if k.eq_str("monotonic") {
                    1
                } else if k.eq_str("boottime") {
                    2
                } else {
                    0
                };
                if bit == 0 {
                    r.e(
                        Error::spec("linux.timeOffsets", "unknown clock (monotonic or boottime)")
                            .value(k.raw().as_bytes()),
                    );
                } else if clocks & bit != 0 {
                    r.e(Error::spec("linux.timeOffsets", "duplicate clock")
                        .value(k.raw().as_bytes()));
                }
                clocks |= bit;
                if t.nanosecs.is_some_and(|n| n >= 1_000_000_000) {
                    r.e(
                        Error::spec("linux.timeOffsets", "nanosecs must be below 1000000000")
                            .value(k.raw().as_bytes()),
                    );
                }
            }
        }
    }
    r.each(&l.devices, |r, i, d| {
        r.one_of(
            d.typ,
            &["c", "b", "u", "p"],
            Error::spec("linux.devices[].type", "must be c, b, u or p").at(i),
        );
        r.abs(d.path, p("linux.devices[].path").at(i));
        if !d.typ.eq_str("p") && (d.major.is_none() || d.minor.is_none()) {
            r.e(Error::spec(
                "linux.devices[]",
                "major and minor are required for c, b and u devices",
            )
            .at(i));
        }
    });
    if let Some(c) = l.cgroups_path {
        r.nul(c, p("linux.cgroupsPath"));
    }
    if let Some(res) = &l.resources {
        resources(r, res);
    }
    if let Some(rp) = l.rootfs_propagation {
        if !rp.is_empty() {
            r.one_of(
                rp,
                PROPAGATION,
                Error::spec("linux.rootfsPropagation", "unknown propagation"),
            );
        }
    }
    if let Some(s) = &l.seccomp {
        let errno_ok = |a: Str| a.eq_str("SCMP_ACT_ERRNO") || a.eq_str("SCMP_ACT_TRACE");
        r.one_of(
            s.default_action,
            SECCOMP_ACTIONS,
            Error::spec("linux.seccomp.defaultAction", "unknown action"),
        );
        if s.default_action.eq_str("SCMP_ACT_NOTIFY") {
            r.e(Error::spec(
                "linux.seccomp.defaultAction",
                "SCMP_ACT_NOTIFY cannot be the default action",
            ));
        }
        if s.default_errno_ret.is_some() && !errno_ok(s.default_action) {
            r.e(Error::spec(
                "linux.seccomp.defaultErrnoRet",
                "only with SCMP_ACT_ERRNO or SCMP_ACT_TRACE",
            ));
        }
        for (i, a) in s.architectures.iter().enumerate() {
            r.one_of(
                *a,
                SECCOMP_ARCHES,
                Error::spec("linux.seccomp.architectures[]", "unknown architecture").at(i),
            );
        }
        for (i, f) in s.flags.iter().enumerate() {
            r.one_of(
                *f,
                SECCOMP_FLAGS,
                Error::spec("linux.seccomp.flags[]", "unknown seccomp flag").at(i),
            );
        }
        let mut notify = false;
        r.each(&s.syscalls, |r, i, rule| {
            r.one_of(
                rule.action,
                SECCOMP_ACTIONS,
                Error::spec("linux.seccomp.syscalls[].action", "unknown action").at(i),
            );
            notify |= rule.action.eq_str("SCMP_ACT_NOTIFY");
            if rule.errno_ret.is_some() && !errno_ok(rule.action) {
                r.e(Error::spec(
                    "linux.seccomp.syscalls[].errnoRet",
                    "only with SCMP_ACT_ERRNO or SCMP_ACT_TRACE",
                )
                .at(i));
            }
            if rule.names.is_empty() {
                r.e(Error::spec("linux.seccomp.syscalls[].names", "must not be empty").at(i));
            }
            r.each(&rule.names, |r, j, n| {
                r.nul(n, p("linux.seccomp.syscalls[].names[]").at(i).at(j));
            });
            for (j, a) in rule.args.iter().enumerate() {
                if a.index >= 6 {
                    r.e(
                        Error::spec("linux.seccomp.syscalls[].args[].index", "must be below 6")
                            .at(i)
                            .at(j),
                    );
                }
                r.one_of(
                    a.op,
                    SECCOMP_OPS,
                    Error::spec("linux.seccomp.syscalls[].args[].op", "unknown operator")
                        .at(i)
                        .at(j),
                );
            }
        });
        if notify && s.listener_path.is_none_or(|x| x.is_empty()) {
            r.e(Error::spec(
                "linux.seccomp.listenerPath",
                "is required with SCMP_ACT_NOTIFY",
            ));
        }
    }
    let (ipc, net, uts) = (
        spec.namespace("ipc"),
        spec.namespace("network"),
        spec.namespace("uts"),
    );
    for x in l.sysctl.iter() {
        let Ok((k, _)) = x else { continue };
        // As runc: `net/ipv4/ip_forward` is `net.ipv4.ip_forward`.
        let ok = if IPC_SYSCTLS.iter().any(|s| sysctl_eq(k, s)) || sysctl_prefix(k, "fs.mqueue.") {
            ipc.is_some()
        } else if sysctl_prefix(k, "net.") {
            net.is_some()
        } else if sysctl_eq(k, "kernel.domainname") && uts.is_some() {
            true
        } else if sysctl_eq(k, "kernel.hostname") && uts.is_some() {
            r.e(
                Error::spec("linux.sysctl", "conflicts with the hostname field")
                    .value(k.raw().as_bytes()),
            );
            true
        } else {
            r.e(
                Error::spec("linux.sysctl", "is not in a separate kernel namespace")
                    .value(k.raw().as_bytes()),
            );
            true
        };
        if !ok {
            r.e(
                Error::spec("linux.sysctl", "needs the matching private namespace")
                    .value(k.raw().as_bytes()),
            );
        }
    }
    if let Err(e) = dup_keys(&l.sysctl) {
        r.e(e);
    }
    if (!l.masked_paths.is_empty() || !l.readonly_paths.is_empty())
        && spec.namespace("mount").is_none()
    {
        r.e(Error::spec(
            "linux.maskedPaths",
            "needs a private mount namespace (as does readonlyPaths)",
        ));
    }
    r.each(&l.masked_paths, |r, i, x| {
        r.abs(x, p("linux.maskedPaths[]").at(i))
    });
    r.each(&l.readonly_paths, |r, i, x| {
        r.abs(x, p("linux.readonlyPaths[]").at(i))
    });
    if let Some(pe) = &l.personality {
        r.one_of(
            pe.domain,
            &["LINUX", "LINUX32"],
            Error::spec("linux.personality.domain", "must be LINUX or LINUX32"),
        );
    }
    if let Some(m) = &l.memory_policy {
        r.one_of(
            m.mode,
            MPOL_MODES,
            Error::spec("linux.memoryPolicy.mode", "unknown memory policy mode"),
        );
        for (i, f) in m.flags.iter().enumerate() {
            r.one_of(
                *f,
                MPOL_FLAGS,
                Error::spec("linux.memoryPolicy.flags[]", "unknown memory policy flag").at(i),
            );
        }
    }
    for x in l.net_devices.iter() {
        if let Err(e) = x {
            r.e(e);
        }
    }
}

/// The first key that appears twice in a lazy map.
fn dup_keys<'a, V: Deserialize<'a> + Nested<'a>>(m: &super::lazy::Map<'a, V>) -> Result<(), Error> {
    for (i, a) in m.iter().enumerate() {
        let Ok((ka, _)) = a else { continue };
        for (kb, _) in m.iter().skip(i + 1).flatten() {
            if ka.chars().eq(kb.chars()) {
                return Err(Error::spec(m.path(), "duplicate key").value(ka.raw().as_bytes()));
            }
        }
    }
    Ok(())
}

fn resources(r: &mut R, res: &Resources) {
    r.each(&res.devices, |r, i, d| {
        if let Some(t) = d.typ {
            r.one_of(
                t,
                &["a", "c", "b"],
                Error::spec("linux.resources.devices[].type", "must be a, c or b").at(i),
            );
        }
        if let Some(a) = d.access {
            if !a.chars().all(|c| matches!(c, 'r' | 'w' | 'm')) {
                r.e(Error::spec(
                    "linux.resources.devices[].access",
                    "must be a subset of rwm",
                )
                .at(i)
                .value(a.raw().as_bytes()));
            }
        }
    });
    r.each(&res.hugepage_limits, |_, _, _| {});
    if let Some(n) = &res.network {
        r.each(&n.priorities, |_, _, _| {});
    }
    if let Some(b) = &res.block_io {
        r.each(&b.weight_device, |_, _, _| {});
        for l in [
            &b.throttle_read_bps_device,
            &b.throttle_write_bps_device,
            &b.throttle_read_iops_device,
            &b.throttle_write_iops_device,
        ] {
            r.each(l, |_, _, _| {});
        }
    }
    for x in res.rdma.iter() {
        if let Err(e) = x {
            r.e(e);
        }
    }
    if let Err(e) = dup_keys(&res.unified) {
        r.e(e);
    }
}
