//! `process`: what runs in the container (also the `exec --process` document).

use super::lazy::{Inline, List, Nested};
use super::limits::*;
use super::str::Str;
use serde::Deserialize;

/// `process`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Process<'a> {
    /// `process.terminal`.
    pub terminal: Option<bool>,
    /// `process.consoleSize`.
    pub console_size: Option<ConsoleSize>,
    /// `process.user` (absent: uid 0, gid 0, as runc).
    #[serde(borrow)]
    pub user: Option<User<'a>>,
    /// `process.args` (lazy): at least one entry.
    #[serde(default)]
    #[serde(borrow)]
    pub args: List<'a, Str<'a>>,
    /// `process.commandLine` (Windows only: ignored).
    #[serde(borrow)]
    pub command_line: Option<Str<'a>>,
    /// `process.env` (lazy): `NAME=value` entries.
    #[serde(default)]
    #[serde(borrow)]
    pub env: List<'a, Str<'a>>,
    /// `process.cwd`: absolute.
    #[serde(borrow)]
    pub cwd: Str<'a>,
    /// `process.capabilities`.
    #[serde(borrow)]
    pub capabilities: Option<Capabilities<'a>>,
    /// `process.rlimits` (lazy).
    #[serde(default)]
    #[serde(borrow)]
    pub rlimits: List<'a, Rlimit<'a>>,
    /// `process.noNewPrivileges`.
    pub no_new_privileges: Option<bool>,
    /// `process.oomScoreAdj`.
    pub oom_score_adj: Option<i32>,
    /// `process.scheduler`.
    #[serde(borrow)]
    pub scheduler: Option<Scheduler<'a>>,
    /// `process.ioPriority`.
    #[serde(borrow)]
    pub io_priority: Option<IoPriority<'a>>,
    /// `process.execCPUAffinity`.
    #[serde(rename = "execCPUAffinity")]
    #[serde(borrow)]
    pub exec_cpu_affinity: Option<CpuAffinity<'a>>,
    /// `process.apparmorProfile`.
    #[serde(borrow)]
    pub apparmor_profile: Option<Str<'a>>,
    /// `process.selinuxLabel`.
    #[serde(borrow)]
    pub selinux_label: Option<Str<'a>>,
}

/// `process.consoleSize`.
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct ConsoleSize {
    /// `process.consoleSize.height`.
    pub height: u32,
    /// `process.consoleSize.width`.
    pub width: u32,
}

/// `process.user`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User<'a> {
    /// `process.user.uid`.
    pub uid: u32,
    /// `process.user.gid`.
    pub gid: u32,
    /// `process.user.umask`.
    pub umask: Option<u32>,
    /// `process.user.additionalGids` (lazy).
    #[serde(default)]
    #[serde(borrow)]
    pub additional_gids: List<'a, u32>,
    /// `process.user.username` (Windows only: ignored).
    #[serde(borrow)]
    pub username: Option<Str<'a>>,
}

/// `process.capabilities` (each set lazy).
#[derive(Debug, Default, Deserialize)]
pub struct Capabilities<'a> {
    /// `process.capabilities.bounding`.
    #[serde(default)]
    #[serde(borrow)]
    pub bounding: List<'a, Str<'a>>,
    /// `process.capabilities.effective`.
    #[serde(default)]
    #[serde(borrow)]
    pub effective: List<'a, Str<'a>>,
    /// `process.capabilities.inheritable`.
    #[serde(default)]
    #[serde(borrow)]
    pub inheritable: List<'a, Str<'a>>,
    /// `process.capabilities.permitted`.
    #[serde(default)]
    #[serde(borrow)]
    pub permitted: List<'a, Str<'a>>,
    /// `process.capabilities.ambient`.
    #[serde(default)]
    #[serde(borrow)]
    pub ambient: List<'a, Str<'a>>,
}

/// `process.rlimits[]`.
#[derive(Debug, Deserialize)]
pub struct Rlimit<'a> {
    /// `process.rlimits[].type`: `RLIMIT_*`.
    #[serde(rename = "type")]
    #[serde(borrow)]
    pub typ: Str<'a>,
    /// `process.rlimits[].hard`.
    pub hard: u64,
    /// `process.rlimits[].soft`.
    pub soft: u64,
}

/// `process.scheduler` (sched_setattr(2)).
#[derive(Debug, Deserialize)]
pub struct Scheduler<'a> {
    /// `process.scheduler.policy`: `SCHED_*`.
    #[serde(borrow)]
    pub policy: Str<'a>,
    /// `process.scheduler.nice`.
    pub nice: Option<i32>,
    /// `process.scheduler.priority`.
    pub priority: Option<i32>,
    /// `process.scheduler.flags`: `SCHED_FLAG_*`.
    #[serde(default)]
    #[serde(borrow)]
    pub flags: Inline<Str<'a>, FLAGS_MAX>,
    /// `process.scheduler.runtime` (ns).
    pub runtime: Option<u64>,
    /// `process.scheduler.deadline` (ns).
    pub deadline: Option<u64>,
    /// `process.scheduler.period` (ns).
    pub period: Option<u64>,
}

/// `process.ioPriority` (ioprio_set(2)).
#[derive(Debug, Deserialize)]
pub struct IoPriority<'a> {
    /// `process.ioPriority.class`: `IOPRIO_CLASS_RT`, `_BE` or `_IDLE`.
    #[serde(borrow)]
    pub class: Str<'a>,
    /// `process.ioPriority.priority`: 0-7.
    pub priority: Option<i32>,
}

/// `process.execCPUAffinity`.
#[derive(Debug, Deserialize)]
pub struct CpuAffinity<'a> {
    /// `process.execCPUAffinity.initial`: a cpu list such as `0-3,7`.
    #[serde(borrow)]
    pub initial: Option<Str<'a>>,
    /// `process.execCPUAffinity.final`.
    #[serde(rename = "final")]
    #[serde(borrow)]
    pub fin: Option<Str<'a>>,
}

impl<'a> Nested<'a> for Rlimit<'a> {}
