//! config.json: a strict pre-pass over the buffer, then serde into borrowed structs.
//!
//! `load` = [`parse`] (pre-pass + serde) + [`validate`]. Big lists stay in the buffer as
//! [`List`]s and are parsed one element at a time, so the parsed `Spec` is small and
//! parsing needs little stack whatever the config holds.

// `Error` is ~120 bytes on purpose: Copy, no heap, formatted only when printed.
#![allow(clippy::result_large_err)]

pub mod json;
pub mod lazy;
pub mod limits;
pub mod linux;
pub mod model;
pub(crate) mod names;
pub mod process;
pub mod resources;
pub mod schema;
pub mod str;
pub mod support;
pub mod validate;

pub use lazy::{Inline, List, Map};
pub use limits::CONFIG_MAX_BYTES;
pub use linux::{Linux, Syscall};
pub use model::{Hook, Hooks, IdMapping, Mount, Root, Spec};
pub use process::{ConsoleSize, Process};
pub use resources::Resources;
pub use str::Str;
pub use support::{support, Level};
pub use validate::{validate, validate_process, validate_resources};

use crate::{Error, Result};
use json::Spans;
use schema::slot;
use serde::Deserialize;

/// Pre-pass, then serde, then attach the lazy spans.
fn run<'a, T: Deserialize<'a>>(
    buf: &'a mut [u8],
    root: &'static schema::Node,
    strip: usize,
    what: &'static str,
) -> Result<(T, &'a str, Spans)> {
    if buf.len() > CONFIG_MAX_BYTES {
        return Err(Error::capacity(
            what,
            buf.len() as u64,
            CONFIG_MAX_BYTES as u64,
            "bytes",
        ));
    }
    let spans = json::check(buf, root, strip)?;
    let buf: &'a [u8] = buf;
    let text =
        core::str::from_utf8(buf).map_err(|e| Error::json("", "invalid UTF-8", e.valid_up_to()))?;
    // After the pre-pass only a bug can make serde fail; name the document at least.
    let (v, _) =
        serde_json_core::from_slice::<T>(buf).map_err(|_| Error::spec(what, "invalid document"))?;
    Ok((v, text, spans))
}

/// Parse config.json (pre-pass + serde), without the semantic checks of [`validate`].
pub fn parse<'a>(buf: &'a mut [u8]) -> Result<Spec<'a>> {
    let (mut spec, text, spans): (Spec<'a>, _, _) = run(buf, &schema::CONFIG, 0, "config.json")?;
    spec.fill(text, &spans);
    Ok(spec)
}

/// Parse and validate config.json; the first problem found is the error.
pub fn load<'a>(buf: &'a mut [u8]) -> Result<Spec<'a>> {
    let spec = parse(buf)?;
    let mut first = None;
    validate(&spec, &mut |e| {
        first.get_or_insert(e);
    });
    match first {
        Some(e) => Err(e),
        None => Ok(spec),
    }
}

/// Parse a stand-alone runtime-spec `Process` document (`exec --process F`); errors name
/// fields from the document's root (`args[0]`, not `process.args[0]`).
pub fn parse_process<'a>(buf: &'a mut [u8]) -> Result<Process<'a>> {
    let strip = "process.".len();
    let (mut p, text, spans): (Process<'a>, _, _) =
        run(buf, &schema::PROCESS_DOC, strip, "process")?;
    p.fill(text, &spans, strip);
    Ok(p)
}

/// Parse a stand-alone `LinuxResources` document (`update --resources F`).
pub fn parse_resources<'a>(buf: &'a mut [u8]) -> Result<Resources<'a>> {
    let strip = "linux.resources.".len();
    let (mut r, text, spans): (Resources<'a>, _, _) =
        run(buf, &schema::RESOURCES_DOC, strip, "resources")?;
    r.fill(text, &spans, strip);
    Ok(r)
}

/// `s` without its first `strip` bytes (for stand-alone documents' error paths).
fn cut(s: &'static str, strip: usize) -> &'static str {
    s.get(strip..).unwrap_or(s)
}

impl<'a> Spec<'a> {
    fn fill(&mut self, t: &'a str, s: &Spans) {
        let sp = &s.spans;
        self.mounts.fill(t, sp[slot::MOUNTS], "mounts[]");
        self.annotations
            .fill(t, sp[slot::ANNOTATIONS], "annotations");
        if let Some(p) = self.process.as_mut() {
            p.fill(t, s, 0);
        }
        if let Some(h) = self.hooks.as_mut() {
            h.prestart.fill(t, sp[slot::PRESTART], "hooks.prestart[]");
            h.create_runtime
                .fill(t, sp[slot::CREATE_RUNTIME], "hooks.createRuntime[]");
            h.create_container
                .fill(t, sp[slot::CREATE_CONTAINER], "hooks.createContainer[]");
            h.start_container
                .fill(t, sp[slot::START_CONTAINER], "hooks.startContainer[]");
            h.poststart
                .fill(t, sp[slot::POSTSTART], "hooks.poststart[]");
            h.poststop.fill(t, sp[slot::POSTSTOP], "hooks.poststop[]");
        }
        if let Some(l) = self.linux.as_mut() {
            l.uid_mappings
                .fill(t, sp[slot::UID_MAPPINGS], "linux.uidMappings[]");
            l.gid_mappings
                .fill(t, sp[slot::GID_MAPPINGS], "linux.gidMappings[]");
            l.time_offsets
                .fill(t, sp[slot::TIME_OFFSETS], "linux.timeOffsets");
            l.devices.fill(t, sp[slot::DEVICES], "linux.devices[]");
            l.sysctl.fill(t, sp[slot::SYSCTL], "linux.sysctl");
            l.masked_paths
                .fill(t, sp[slot::MASKED], "linux.maskedPaths[]");
            l.readonly_paths
                .fill(t, sp[slot::READONLY], "linux.readonlyPaths[]");
            l.net_devices
                .fill(t, sp[slot::NET_DEVICES], "linux.netDevices");
            if let Some(r) = l.resources.as_mut() {
                r.fill(t, s, 0);
            }
            if let Some(sc) = l.seccomp.as_mut() {
                sc.syscalls
                    .fill(t, sp[slot::SYSCALLS], "linux.seccomp.syscalls[]");
            }
        }
    }

    /// `linux.seccomp.syscalls`, parsed one rule at a time (empty without seccomp).
    pub fn seccomp_rules(&self) -> lazy::ListIter<'a, Syscall<'a>> {
        let l = self
            .linux
            .as_ref()
            .and_then(|l| l.seccomp.as_ref())
            .map(|s| s.syscalls);
        l.unwrap_or_default().iter()
    }

    /// The `linux.namespaces` entry of type `name`, if any.
    pub fn namespace(&self, name: &str) -> Option<&linux::Namespace<'a>> {
        self.linux
            .as_ref()?
            .namespaces
            .iter()
            .find(|n| n.typ.eq_str(name))
    }
}

impl<'a> Process<'a> {
    fn fill(&mut self, t: &'a str, s: &Spans, strip: usize) {
        let sp = &s.spans;
        self.args
            .fill(t, sp[slot::ARGS], cut("process.args[]", strip));
        self.env.fill(t, sp[slot::ENV], cut("process.env[]", strip));
        self.rlimits
            .fill(t, sp[slot::RLIMITS], cut("process.rlimits[]", strip));
        if let Some(u) = self.user.as_mut() {
            u.additional_gids.fill(
                t,
                sp[slot::GIDS],
                cut("process.user.additionalGids[]", strip),
            );
        }
        if let Some(c) = self.capabilities.as_mut() {
            c.bounding.fill(
                t,
                sp[slot::CAP_BOUNDING],
                cut("process.capabilities.bounding[]", strip),
            );
            c.effective.fill(
                t,
                sp[slot::CAP_EFFECTIVE],
                cut("process.capabilities.effective[]", strip),
            );
            c.inheritable.fill(
                t,
                sp[slot::CAP_INHERITABLE],
                cut("process.capabilities.inheritable[]", strip),
            );
            c.permitted.fill(
                t,
                sp[slot::CAP_PERMITTED],
                cut("process.capabilities.permitted[]", strip),
            );
            c.ambient.fill(
                t,
                sp[slot::CAP_AMBIENT],
                cut("process.capabilities.ambient[]", strip),
            );
        }
    }
}

impl<'a> Resources<'a> {
    fn fill(&mut self, t: &'a str, s: &Spans, strip: usize) {
        let sp = &s.spans;
        self.devices.fill(
            t,
            sp[slot::DEVICE_RULES],
            cut("linux.resources.devices[]", strip),
        );
        self.hugepage_limits.fill(
            t,
            sp[slot::HUGEPAGES],
            cut("linux.resources.hugepageLimits[]", strip),
        );
        self.rdma
            .fill(t, sp[slot::RDMA], cut("linux.resources.rdma", strip));
        self.unified
            .fill(t, sp[slot::UNIFIED], cut("linux.resources.unified", strip));
        if let Some(n) = self.network.as_mut() {
            n.priorities.fill(
                t,
                sp[slot::NET_PRIORITIES],
                cut("linux.resources.network.priorities[]", strip),
            );
        }
        if let Some(b) = self.block_io.as_mut() {
            b.weight_device.fill(
                t,
                sp[slot::WEIGHT_DEVICE],
                cut("linux.resources.blockIO.weightDevice[]", strip),
            );
            b.throttle_read_bps_device.fill(
                t,
                sp[slot::READ_BPS],
                cut("linux.resources.blockIO.throttleReadBpsDevice[]", strip),
            );
            b.throttle_write_bps_device.fill(
                t,
                sp[slot::WRITE_BPS],
                cut("linux.resources.blockIO.throttleWriteBpsDevice[]", strip),
            );
            b.throttle_read_iops_device.fill(
                t,
                sp[slot::READ_IOPS],
                cut("linux.resources.blockIO.throttleReadIOPSDevice[]", strip),
            );
            b.throttle_write_iops_device.fill(
                t,
                sp[slot::WRITE_IOPS],
                cut("linux.resources.blockIO.throttleWriteIOPSDevice[]", strip),
            );
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
#[cfg(test)]
mod tests_json;
