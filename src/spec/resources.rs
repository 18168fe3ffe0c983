//! `linux.resources` (also the `update --resources` document).

use super::lazy::{List, Map, Nested};
use super::str::Str;
use serde::Deserialize;

/// `linux.resources`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resources<'a> {
    /// `linux.resources.devices` (lazy): the device cgroup rules, in order.
    #[serde(default)]
    #[serde(borrow)]
    pub devices: List<'a, DeviceRule<'a>>,
    /// `linux.resources.memory`.
    pub memory: Option<Memory>,
    /// `linux.resources.cpu`.
    #[serde(borrow)]
    pub cpu: Option<Cpu<'a>>,
    /// `linux.resources.pids`.
    pub pids: Option<Pids>,
    /// `linux.resources.blockIO`.
    #[serde(rename = "blockIO")]
    #[serde(borrow)]
    pub block_io: Option<BlockIo<'a>>,
    /// `linux.resources.hugepageLimits` (lazy).
    #[serde(default)]
    #[serde(borrow)]
    pub hugepage_limits: List<'a, HugepageLimit<'a>>,
    /// `linux.resources.network`.
    #[serde(borrow)]
    pub network: Option<Network<'a>>,
    /// `linux.resources.rdma` (lazy map): device -> limits.
    #[serde(default)]
    #[serde(borrow)]
    pub rdma: Map<'a, Rdma>,
    /// `linux.resources.unified` (lazy map): cgroup v2 file -> value.
    #[serde(default)]
    #[serde(borrow)]
    pub unified: Map<'a, Str<'a>>,
}

/// `linux.resources.devices[]`.
#[derive(Debug, Deserialize)]
pub struct DeviceRule<'a> {
    /// `linux.resources.devices[].allow`.
    pub allow: bool,
    /// `linux.resources.devices[].type`: a, c or b.
    #[serde(rename = "type")]
    #[serde(borrow)]
    pub typ: Option<Str<'a>>,
    /// `linux.resources.devices[].major` (absent: any).
    pub major: Option<i64>,
    /// `linux.resources.devices[].minor` (absent: any).
    pub minor: Option<i64>,
    /// `linux.resources.devices[].access`: a subset of `rwm`.
    #[serde(borrow)]
    pub access: Option<Str<'a>>,
}

/// `linux.resources.memory` (bytes; -1 means unlimited).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Memory {
    /// `linux.resources.memory.limit`.
    pub limit: Option<i64>,
    /// `linux.resources.memory.reservation`.
    pub reservation: Option<i64>,
    /// `linux.resources.memory.swap` (memory + swap, as in cgroup v1).
    pub swap: Option<i64>,
    /// `linux.resources.memory.kernel` (deprecated).
    pub kernel: Option<i64>,
    /// `linux.resources.memory.kernelTCP`.
    #[serde(rename = "kernelTCP")]
    pub kernel_tcp: Option<i64>,
    /// `linux.resources.memory.swappiness`.
    pub swappiness: Option<u64>,
    /// `linux.resources.memory.disableOOMKiller`.
    #[serde(rename = "disableOOMKiller")]
    pub disable_oom_killer: Option<bool>,
    /// `linux.resources.memory.useHierarchy`.
    pub use_hierarchy: Option<bool>,
    /// `linux.resources.memory.checkBeforeUpdate`.
    pub check_before_update: Option<bool>,
}

/// `linux.resources.cpu`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cpu<'a> {
    /// `linux.resources.cpu.shares`.
    pub shares: Option<u64>,
    /// `linux.resources.cpu.quota` (us; -1 unlimited).
    pub quota: Option<i64>,
    /// `linux.resources.cpu.burst` (us).
    pub burst: Option<u64>,
    /// `linux.resources.cpu.period` (us).
    pub period: Option<u64>,
    /// `linux.resources.cpu.realtimeRuntime`.
    pub realtime_runtime: Option<i64>,
    /// `linux.resources.cpu.realtimePeriod`.
    pub realtime_period: Option<u64>,
    /// `linux.resources.cpu.cpus`: a cpu list.
    #[serde(borrow)]
    pub cpus: Option<Str<'a>>,
    /// `linux.resources.cpu.mems`: a node list.
    #[serde(borrow)]
    pub mems: Option<Str<'a>>,
    /// `linux.resources.cpu.idle`.
    pub idle: Option<i64>,
}

/// `linux.resources.pids`.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub struct Pids {
    /// `linux.resources.pids.limit` (<= 0: unlimited).
    pub limit: Option<i64>,
}

/// `linux.resources.blockIO` (device lists lazy).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockIo<'a> {
    /// `linux.resources.blockIO.weight`.
    pub weight: Option<u16>,
    /// `linux.resources.blockIO.leafWeight`.
    pub leaf_weight: Option<u16>,
    /// `linux.resources.blockIO.weightDevice`.
    #[serde(default)]
    #[serde(borrow)]
    pub weight_device: List<'a, WeightDevice>,
    /// `linux.resources.blockIO.throttleReadBpsDevice`.
    #[serde(default)]
    #[serde(borrow)]
    pub throttle_read_bps_device: List<'a, ThrottleDevice>,
    /// `linux.resources.blockIO.throttleWriteBpsDevice`.
    #[serde(default)]
    #[serde(borrow)]
    pub throttle_write_bps_device: List<'a, ThrottleDevice>,
    /// `linux.resources.blockIO.throttleReadIOPSDevice`.
    #[serde(default, rename = "throttleReadIOPSDevice")]
    #[serde(borrow)]
    pub throttle_read_iops_device: List<'a, ThrottleDevice>,
    /// `linux.resources.blockIO.throttleWriteIOPSDevice`.
    #[serde(default, rename = "throttleWriteIOPSDevice")]
    #[serde(borrow)]
    pub throttle_write_iops_device: List<'a, ThrottleDevice>,
}

/// `linux.resources.blockIO.weightDevice[]`.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WeightDevice {
    pub major: i64,
    pub minor: i64,
    pub weight: Option<u16>,
    pub leaf_weight: Option<u16>,
}

/// `linux.resources.blockIO.throttle*Device[]`.
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct ThrottleDevice {
    pub major: i64,
    pub minor: i64,
    pub rate: u64,
}

/// `linux.resources.hugepageLimits[]`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HugepageLimit<'a> {
    /// `...hugepageLimits[].pageSize`: `2MB`, `1GB`...
    #[serde(borrow)]
    pub page_size: Str<'a>,
    /// `...hugepageLimits[].limit` (bytes).
    pub limit: u64,
}

/// `linux.resources.network`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Network<'a> {
    /// `linux.resources.network.classID`.
    #[serde(rename = "classID")]
    pub class_id: Option<u32>,
    /// `linux.resources.network.priorities` (lazy).
    #[serde(default)]
    #[serde(borrow)]
    pub priorities: List<'a, NetPriority<'a>>,
}

/// `linux.resources.network.priorities[]`.
#[derive(Debug, Deserialize)]
pub struct NetPriority<'a> {
    #[serde(borrow)]
    pub name: Str<'a>,
    pub priority: u32,
}

/// `linux.resources.rdma.*`.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rdma {
    pub hca_handles: Option<u32>,
    pub hca_objects: Option<u32>,
}

impl<'a> Nested<'a> for DeviceRule<'a> {}
impl<'a> Nested<'a> for HugepageLimit<'a> {}
impl<'a> Nested<'a> for NetPriority<'a> {}
impl Nested<'_> for WeightDevice {}
impl Nested<'_> for ThrottleDevice {}
impl Nested<'_> for Rdma {}
