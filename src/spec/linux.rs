//! `linux`: namespaces, id mappings, devices, seccomp and the other Linux-only fields.

use super::lazy::{nested, Inline, List, Map, Nested};
use super::limits::*;
use super::model::IdMapping;
use super::resources::Resources;
use super::str::Str;
use serde::Deserialize;

/// `linux`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Linux<'a> {
    /// `linux.namespaces`.
    #[serde(default)]
    #[serde(borrow)]
    pub namespaces: Inline<Namespace<'a>, NAMESPACES_MAX>,
    /// `linux.uidMappings` (lazy).
    #[serde(default)]
    #[serde(borrow)]
    pub uid_mappings: List<'a, IdMapping>,
    /// `linux.gidMappings` (lazy).
    #[serde(default)]
    #[serde(borrow)]
    pub gid_mappings: List<'a, IdMapping>,
    /// `linux.timeOffsets` (lazy map): keys `monotonic`, `boottime`.
    #[serde(default)]
    #[serde(borrow)]
    pub time_offsets: Map<'a, TimeOffset>,
    /// `linux.devices` (lazy).
    #[serde(default)]
    #[serde(borrow)]
    pub devices: List<'a, Device<'a>>,
    /// `linux.cgroupsPath`.
    #[serde(borrow)]
    pub cgroups_path: Option<Str<'a>>,
    /// `linux.resources`.
    #[serde(borrow)]
    pub resources: Option<Resources<'a>>,
    /// `linux.rootfsPropagation`.
    #[serde(borrow)]
    pub rootfs_propagation: Option<Str<'a>>,
    /// `linux.seccomp`.
    #[serde(borrow)]
    pub seccomp: Option<Seccomp<'a>>,
    /// `linux.sysctl` (lazy map).
    #[serde(default)]
    #[serde(borrow)]
    pub sysctl: Map<'a, Str<'a>>,
    /// `linux.maskedPaths` (lazy).
    #[serde(default)]
    #[serde(borrow)]
    pub masked_paths: List<'a, Str<'a>>,
    /// `linux.readonlyPaths` (lazy).
    #[serde(default)]
    #[serde(borrow)]
    pub readonly_paths: List<'a, Str<'a>>,
    /// `linux.personality`.
    #[serde(borrow)]
    pub personality: Option<Personality<'a>>,
    /// `linux.mountLabel`.
    #[serde(borrow)]
    pub mount_label: Option<Str<'a>>,
    /// `linux.netDevices` (lazy map): host name -> device in the container.
    #[serde(default)]
    #[serde(borrow)]
    pub net_devices: Map<'a, NetDevice<'a>>,
    /// `linux.memoryPolicy`.
    #[serde(borrow)]
    pub memory_policy: Option<MemoryPolicy<'a>>,
    /// `linux.intelRdt` (not supported by husk: reported by `support`).
    #[serde(borrow)]
    pub intel_rdt: Option<IntelRdt<'a>>,
}

/// `linux.namespaces[]`.
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct Namespace<'a> {
    /// `linux.namespaces[].type`.
    #[serde(rename = "type")]
    #[serde(borrow)]
    pub typ: Str<'a>,
    /// `linux.namespaces[].path`: join this namespace instead of creating one.
    #[serde(borrow)]
    pub path: Option<Str<'a>>,
}

/// `linux.timeOffsets.*`.
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct TimeOffset {
    /// `linux.timeOffsets.*.secs`.
    pub secs: Option<i64>,
    /// `linux.timeOffsets.*.nanosecs`.
    pub nanosecs: Option<u32>,
}

/// `linux.devices[]`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Device<'a> {
    /// `linux.devices[].type`: c, b, u or p.
    #[serde(rename = "type")]
    #[serde(borrow)]
    pub typ: Str<'a>,
    /// `linux.devices[].path`: absolute.
    #[serde(borrow)]
    pub path: Str<'a>,
    /// `linux.devices[].major`.
    pub major: Option<i64>,
    /// `linux.devices[].minor`.
    pub minor: Option<i64>,
    /// `linux.devices[].fileMode`.
    pub file_mode: Option<u32>,
    /// `linux.devices[].uid`.
    pub uid: Option<u32>,
    /// `linux.devices[].gid`.
    pub gid: Option<u32>,
}

/// `linux.seccomp`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Seccomp<'a> {
    /// `linux.seccomp.defaultAction`: `SCMP_ACT_*`.
    #[serde(borrow)]
    pub default_action: Str<'a>,
    /// `linux.seccomp.defaultErrnoRet`.
    pub default_errno_ret: Option<u32>,
    /// `linux.seccomp.architectures`: `SCMP_ARCH_*`.
    #[serde(default)]
    #[serde(borrow)]
    pub architectures: Inline<Str<'a>, SECCOMP_ARCHES_MAX>,
    /// `linux.seccomp.flags`: `SECCOMP_FILTER_FLAG_*`.
    #[serde(default)]
    #[serde(borrow)]
    pub flags: Inline<Str<'a>, FLAGS_MAX>,
    /// `linux.seccomp.listenerPath`.
    #[serde(borrow)]
    pub listener_path: Option<Str<'a>>,
    /// `linux.seccomp.listenerMetadata`.
    #[serde(borrow)]
    pub listener_metadata: Option<Str<'a>>,
    /// `linux.seccomp.syscalls` (lazy: see `Spec::seccomp_rules`).
    #[serde(default)]
    #[serde(borrow)]
    pub syscalls: List<'a, Syscall<'a>>,
}

/// `linux.seccomp.syscalls[]`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Syscall<'a> {
    /// `linux.seccomp.syscalls[].names`.
    #[serde(default)]
    #[serde(borrow)]
    pub names: List<'a, Str<'a>>,
    /// `linux.seccomp.syscalls[].action`.
    #[serde(borrow)]
    pub action: Str<'a>,
    /// `linux.seccomp.syscalls[].errnoRet`: only with `SCMP_ACT_ERRNO`/`SCMP_ACT_TRACE`.
    pub errno_ret: Option<u32>,
    /// `linux.seccomp.syscalls[].args`.
    #[serde(default)]
    #[serde(borrow)]
    pub args: Inline<SeccompArg<'a>, SECCOMP_ARGS_MAX>,
}

/// `linux.seccomp.syscalls[].args[]`.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeccompArg<'a> {
    /// `...args[].index`: 0-5.
    pub index: u32,
    /// `...args[].value`.
    pub value: u64,
    /// `...args[].valueTwo` (for `SCMP_CMP_MASKED_EQ`).
    pub value_two: Option<u64>,
    /// `...args[].op`: `SCMP_CMP_*`.
    #[serde(borrow)]
    pub op: Str<'a>,
}

/// `linux.personality`.
#[derive(Debug, Deserialize)]
pub struct Personality<'a> {
    /// `linux.personality.domain`: `LINUX` or `LINUX32`.
    #[serde(borrow)]
    pub domain: Str<'a>,
    /// `linux.personality.flags`.
    #[serde(default)]
    #[serde(borrow)]
    pub flags: Inline<Str<'a>, FLAGS_MAX>,
}

/// `linux.netDevices.*`.
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct NetDevice<'a> {
    /// `linux.netDevices.*.name`: the name inside the container (default: same).
    #[serde(borrow)]
    pub name: Option<Str<'a>>,
}

/// `linux.memoryPolicy` (set_mempolicy(2)).
#[derive(Debug, Deserialize)]
pub struct MemoryPolicy<'a> {
    /// `linux.memoryPolicy.mode`: `MPOL_*`.
    #[serde(borrow)]
    pub mode: Str<'a>,
    /// `linux.memoryPolicy.nodes`: a node list such as `0-3`.
    #[serde(borrow)]
    pub nodes: Option<Str<'a>>,
    /// `linux.memoryPolicy.flags`: `MPOL_F_*`.
    #[serde(default)]
    #[serde(borrow)]
    pub flags: Inline<Str<'a>, FLAGS_MAX>,
}

/// `linux.intelRdt`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntelRdt<'a> {
    /// `linux.intelRdt.closID`.
    #[serde(rename = "closID")]
    #[serde(borrow)]
    pub clos_id: Option<Str<'a>>,
    /// `linux.intelRdt.l3CacheSchema`.
    #[serde(borrow)]
    pub l3_cache_schema: Option<Str<'a>>,
    /// `linux.intelRdt.memBwSchema`.
    #[serde(borrow)]
    pub mem_bw_schema: Option<Str<'a>>,
    /// `linux.intelRdt.schemata`.
    #[serde(default)]
    #[serde(borrow)]
    pub schemata: Inline<Str<'a>, SCHEMATA_MAX>,
    /// `linux.intelRdt.enableMonitoring`.
    pub enable_monitoring: Option<bool>,
}

impl<'a> Nested<'a> for Syscall<'a> {
    fn fill_nested(&mut self, text: &'a str, i: usize) {
        nested(
            &mut self.names,
            text,
            "names",
            "linux.seccomp.syscalls[].names[]",
            i,
        );
    }
}

impl<'a> Nested<'a> for Device<'a> {}
impl<'a> Nested<'a> for NetDevice<'a> {}
impl Nested<'_> for TimeOffset {}
