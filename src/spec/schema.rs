//! The shape of config.json as the pre-pass checks it: every known path, its JSON type,
//! whether it is required, its capacity, and whether it stays out of line ("lazy").
//!
//! Checking types here, with the path in hand, is what lets errors say
//! `mounts[3].options[1]: must be a string`; serde-json-core's errors name nothing.

use super::limits::*;

/// The JSON type a path must have (integers with their Go/spec width).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    Obj,
    Arr,
    /// An object with free-form keys (annotations, sysctl...).
    Map,
    Str,
    Bool,
    U16,
    U32,
    U64,
    I32,
    I64,
}

/// One known path.
pub struct Node {
    /// Field name in the parent object ("" for array elements and map values).
    pub key: &'static str,
    /// Pattern for errors: `mounts[].options[]`.
    pub path: &'static str,
    pub ty: Ty,
    /// Must be present (objects) and must not be `null`.
    pub req: bool,
    /// Most elements/entries allowed (arrays and maps).
    pub cap: usize,
    /// Lazy slot whose byte span the pre-pass records (0: none).
    pub slot: u8,
    /// Fields (objects) or the one element/value node (arrays, maps).
    pub kids: &'static [Node],
}

macro_rules! node {
    ($k:expr, $p:expr, $ty:ident, $req:literal, $cap:expr, $slot:expr, [$($kid:expr),* $(,)?]) => {
        Node { key: $k, path: $p, ty: Ty::$ty, req: $req, cap: $cap, slot: $slot as u8, kids: &[$($kid),*] }
    };
}
macro_rules! opt {
    ($k:expr, $p:expr, $ty:ident) => {
        node!($k, $p, $ty, false, 0, 0, [])
    };
}
macro_rules! req {
    ($k:expr, $p:expr, $ty:ident) => {
        node!($k, $p, $ty, true, 0, 0, [])
    };
}
macro_rules! obj {
    ($k:expr, $p:expr, [$($kid:expr),* $(,)?]) => { node!($k, $p, Obj, false, 0, 0, [$($kid),*]) };
}
/// An array of strings: `strs!("args", "process.args", CAP, SLOT)`.
macro_rules! strs {
    ($k:expr, $p:expr, $cap:expr, $slot:expr) => {
        node!(
            $k,
            $p,
            Arr,
            false,
            $cap,
            $slot,
            [node!("", concat!($p, "[]"), Str, true, 0, 0, [])]
        )
    };
}
macro_rules! arr {
    ($k:expr, $p:expr, $cap:expr, $slot:expr, [$($kid:expr),* $(,)?]) => {
        node!($k, $p, Arr, false, $cap, $slot, [node!("", concat!($p, "[]"), Obj, true, 0, 0, [$($kid),*])])
    };
}

/// Lazy slots: lists and maps kept as byte spans, parsed one element at a time.
pub mod slot {
    pub const ARGS: usize = 1;
    pub const ENV: usize = 2;
    pub const CAP_BOUNDING: usize = 3;
    pub const CAP_EFFECTIVE: usize = 4;
    pub const CAP_INHERITABLE: usize = 5;
    pub const CAP_PERMITTED: usize = 6;
    pub const CAP_AMBIENT: usize = 7;
    pub const RLIMITS: usize = 8;
    pub const GIDS: usize = 9;
    pub const MOUNTS: usize = 10;
    pub const PRESTART: usize = 11;
    pub const CREATE_RUNTIME: usize = 12;
    pub const CREATE_CONTAINER: usize = 13;
    pub const START_CONTAINER: usize = 14;
    pub const POSTSTART: usize = 15;
    pub const POSTSTOP: usize = 16;
    pub const ANNOTATIONS: usize = 17;
    pub const UID_MAPPINGS: usize = 18;
    pub const GID_MAPPINGS: usize = 19;
    pub const DEVICES: usize = 20;
    pub const SYSCTL: usize = 21;
    pub const MASKED: usize = 22;
    pub const READONLY: usize = 23;
    pub const NET_DEVICES: usize = 24;
    pub const DEVICE_RULES: usize = 25;
    pub const WEIGHT_DEVICE: usize = 26;
    pub const READ_BPS: usize = 27;
    pub const WRITE_BPS: usize = 28;
    pub const READ_IOPS: usize = 29;
    pub const WRITE_IOPS: usize = 30;
    pub const HUGEPAGES: usize = 31;
    pub const NET_PRIORITIES: usize = 32;
    pub const RDMA: usize = 33;
    pub const UNIFIED: usize = 34;
    pub const SYSCALLS: usize = 35;
    pub const TIME_OFFSETS: usize = 36;
    pub const COUNT: usize = 37;
}

macro_rules! idmaps {
    ($k:expr, $p:expr, $slot:expr) => {
        arr!(
            $k,
            $p,
            ID_MAPPINGS_MAX,
            $slot,
            [
                req!("containerID", concat!($p, "[].containerID"), U32),
                req!("hostID", concat!($p, "[].hostID"), U32),
                req!("size", concat!($p, "[].size"), U32),
            ]
        )
    };
}

macro_rules! hook_list {
    ($k:expr, $p:expr, $slot:expr) => {
        arr!(
            $k,
            $p,
            HOOKS_MAX,
            $slot,
            [
                req!("path", concat!($p, "[].path"), Str),
                strs!("args", concat!($p, "[].args"), HOOK_ARGS_MAX, 0),
                strs!("env", concat!($p, "[].env"), HOOK_ARGS_MAX, 0),
                opt!("timeout", concat!($p, "[].timeout"), I64),
            ]
        )
    };
}

macro_rules! throttle {
    ($k:expr, $p:expr, $slot:expr) => {
        arr!(
            $k,
            $p,
            BLKIO_DEVICES_MAX,
            $slot,
            [
                req!("major", concat!($p, "[].major"), I64),
                req!("minor", concat!($p, "[].minor"), I64),
                req!("rate", concat!($p, "[].rate"), U64),
            ]
        )
    };
}

/// `process`, shared by config.json and `exec --process`.
pub const PROCESS: Node = obj!(
    "process",
    "process",
    [
        opt!("terminal", "process.terminal", Bool),
        obj!(
            "consoleSize",
            "process.consoleSize",
            [
                req!("height", "process.consoleSize.height", U32),
                req!("width", "process.consoleSize.width", U32),
            ]
        ),
        obj!(
            "user",
            "process.user",
            [
                req!("uid", "process.user.uid", U32),
                req!("gid", "process.user.gid", U32),
                opt!("umask", "process.user.umask", U32),
                node!(
                    "additionalGids",
                    "process.user.additionalGids",
                    Arr,
                    false,
                    GIDS_MAX,
                    slot::GIDS,
                    [req!("", "process.user.additionalGids[]", U32)]
                ),
                opt!("username", "process.user.username", Str),
            ]
        ),
        strs!("args", "process.args", ARGS_MAX, slot::ARGS),
        opt!("commandLine", "process.commandLine", Str),
        strs!("env", "process.env", ENV_MAX, slot::ENV),
        req!("cwd", "process.cwd", Str),
        obj!(
            "capabilities",
            "process.capabilities",
            [
                strs!(
                    "bounding",
                    "process.capabilities.bounding",
                    CAPS_MAX,
                    slot::CAP_BOUNDING
                ),
                strs!(
                    "effective",
                    "process.capabilities.effective",
                    CAPS_MAX,
                    slot::CAP_EFFECTIVE
                ),
                strs!(
                    "inheritable",
                    "process.capabilities.inheritable",
                    CAPS_MAX,
                    slot::CAP_INHERITABLE
                ),
                strs!(
                    "permitted",
                    "process.capabilities.permitted",
                    CAPS_MAX,
                    slot::CAP_PERMITTED
                ),
                strs!(
                    "ambient",
                    "process.capabilities.ambient",
                    CAPS_MAX,
                    slot::CAP_AMBIENT
                ),
            ]
        ),
        arr!(
            "rlimits",
            "process.rlimits",
            RLIMITS_MAX,
            slot::RLIMITS,
            [
                req!("type", "process.rlimits[].type", Str),
                req!("hard", "process.rlimits[].hard", U64),
                req!("soft", "process.rlimits[].soft", U64),
            ]
        ),
        opt!("noNewPrivileges", "process.noNewPrivileges", Bool),
        opt!("oomScoreAdj", "process.oomScoreAdj", I32),
        obj!(
            "scheduler",
            "process.scheduler",
            [
                req!("policy", "process.scheduler.policy", Str),
                opt!("nice", "process.scheduler.nice", I32),
                opt!("priority", "process.scheduler.priority", I32),
                strs!("flags", "process.scheduler.flags", FLAGS_MAX, 0),
                opt!("runtime", "process.scheduler.runtime", U64),
                opt!("deadline", "process.scheduler.deadline", U64),
                opt!("period", "process.scheduler.period", U64),
            ]
        ),
        obj!(
            "ioPriority",
            "process.ioPriority",
            [
                req!("class", "process.ioPriority.class", Str),
                opt!("priority", "process.ioPriority.priority", I32),
            ]
        ),
        obj!(
            "execCPUAffinity",
            "process.execCPUAffinity",
            [
                opt!("initial", "process.execCPUAffinity.initial", Str),
                opt!("final", "process.execCPUAffinity.final", Str),
            ]
        ),
        opt!("apparmorProfile", "process.apparmorProfile", Str),
        opt!("selinuxLabel", "process.selinuxLabel", Str),
    ]
);

/// `linux.resources`, shared by config.json and `update --resources`.
pub const RESOURCES: Node = obj!(
    "resources",
    "linux.resources",
    [
        arr!(
            "devices",
            "linux.resources.devices",
            DEVICE_RULES_MAX,
            slot::DEVICE_RULES,
            [
                req!("allow", "linux.resources.devices[].allow", Bool),
                opt!("type", "linux.resources.devices[].type", Str),
                opt!("major", "linux.resources.devices[].major", I64),
                opt!("minor", "linux.resources.devices[].minor", I64),
                opt!("access", "linux.resources.devices[].access", Str),
            ]
        ),
        obj!(
            "memory",
            "linux.resources.memory",
            [
                opt!("limit", "linux.resources.memory.limit", I64),
                opt!("reservation", "linux.resources.memory.reservation", I64),
                opt!("swap", "linux.resources.memory.swap", I64),
                opt!("kernel", "linux.resources.memory.kernel", I64),
                opt!("kernelTCP", "linux.resources.memory.kernelTCP", I64),
                opt!("swappiness", "linux.resources.memory.swappiness", U64),
                opt!(
                    "disableOOMKiller",
                    "linux.resources.memory.disableOOMKiller",
                    Bool
                ),
                opt!("useHierarchy", "linux.resources.memory.useHierarchy", Bool),
                opt!(
                    "checkBeforeUpdate",
                    "linux.resources.memory.checkBeforeUpdate",
                    Bool
                ),
            ]
        ),
        obj!(
            "cpu",
            "linux.resources.cpu",
            [
                opt!("shares", "linux.resources.cpu.shares", U64),
                opt!("quota", "linux.resources.cpu.quota", I64),
                opt!("burst", "linux.resources.cpu.burst", U64),
                opt!("period", "linux.resources.cpu.period", U64),
                opt!(
                    "realtimeRuntime",
                    "linux.resources.cpu.realtimeRuntime",
                    I64
                ),
                opt!("realtimePeriod", "linux.resources.cpu.realtimePeriod", U64),
                opt!("cpus", "linux.resources.cpu.cpus", Str),
                opt!("mems", "linux.resources.cpu.mems", Str),
                opt!("idle", "linux.resources.cpu.idle", I64),
            ]
        ),
        obj!(
            "pids",
            "linux.resources.pids",
            [opt!("limit", "linux.resources.pids.limit", I64)]
        ),
        obj!(
            "blockIO",
            "linux.resources.blockIO",
            [
                opt!("weight", "linux.resources.blockIO.weight", U16),
                opt!("leafWeight", "linux.resources.blockIO.leafWeight", U16),
                arr!(
                    "weightDevice",
                    "linux.resources.blockIO.weightDevice",
                    BLKIO_DEVICES_MAX,
                    slot::WEIGHT_DEVICE,
                    [
                        req!("major", "linux.resources.blockIO.weightDevice[].major", I64),
                        req!("minor", "linux.resources.blockIO.weightDevice[].minor", I64),
                        opt!(
                            "weight",
                            "linux.resources.blockIO.weightDevice[].weight",
                            U16
                        ),
                        opt!(
                            "leafWeight",
                            "linux.resources.blockIO.weightDevice[].leafWeight",
                            U16
                        ),
                    ]
                ),
                throttle!(
                    "throttleReadBpsDevice",
                    "linux.resources.blockIO.throttleReadBpsDevice",
                    slot::READ_BPS
                ),
                throttle!(
                    "throttleWriteBpsDevice",
                    "linux.resources.blockIO.throttleWriteBpsDevice",
                    slot::WRITE_BPS
                ),
                throttle!(
                    "throttleReadIOPSDevice",
                    "linux.resources.blockIO.throttleReadIOPSDevice",
                    slot::READ_IOPS
                ),
                throttle!(
                    "throttleWriteIOPSDevice",
                    "linux.resources.blockIO.throttleWriteIOPSDevice",
                    slot::WRITE_IOPS
                ),
            ]
        ),
        arr!(
            "hugepageLimits",
            "linux.resources.hugepageLimits",
            HUGEPAGES_MAX,
            slot::HUGEPAGES,
            [
                req!("pageSize", "linux.resources.hugepageLimits[].pageSize", Str),
                req!("limit", "linux.resources.hugepageLimits[].limit", U64),
            ]
        ),
        obj!(
            "network",
            "linux.resources.network",
            [
                opt!("classID", "linux.resources.network.classID", U32),
                arr!(
                    "priorities",
                    "linux.resources.network.priorities",
                    NET_PRIORITIES_MAX,
                    slot::NET_PRIORITIES,
                    [
                        req!("name", "linux.resources.network.priorities[].name", Str),
                        req!(
                            "priority",
                            "linux.resources.network.priorities[].priority",
                            U32
                        ),
                    ]
                ),
            ]
        ),
        node!(
            "rdma",
            "linux.resources.rdma",
            Map,
            false,
            RDMA_MAX,
            slot::RDMA,
            [obj!(
                "",
                "linux.resources.rdma",
                [
                    opt!("hcaHandles", "linux.resources.rdma.hcaHandles", U32),
                    opt!("hcaObjects", "linux.resources.rdma.hcaObjects", U32),
                ]
            )]
        ),
        node!(
            "unified",
            "linux.resources.unified",
            Map,
            false,
            UNIFIED_MAX,
            slot::UNIFIED,
            [req!("", "linux.resources.unified", Str)]
        ),
    ]
);

/// The whole config.json.
pub static CONFIG: Node = obj!(
    "",
    "",
    [
        req!("ociVersion", "ociVersion", Str),
        obj!(
            "root",
            "root",
            [
                req!("path", "root.path", Str),
                opt!("readonly", "root.readonly", Bool)
            ]
        ),
        arr!(
            "mounts",
            "mounts",
            MOUNTS_MAX,
            slot::MOUNTS,
            [
                req!("destination", "mounts[].destination", Str),
                opt!("source", "mounts[].source", Str),
                opt!("type", "mounts[].type", Str),
                strs!("options", "mounts[].options", MOUNT_OPTIONS_MAX, 0),
                idmaps!("uidMappings", "mounts[].uidMappings", 0),
                idmaps!("gidMappings", "mounts[].gidMappings", 0),
            ]
        ),
        PROCESS,
        opt!("hostname", "hostname", Str),
        opt!("domainname", "domainname", Str),
        obj!(
            "hooks",
            "hooks",
            [
                hook_list!("prestart", "hooks.prestart", slot::PRESTART),
                hook_list!("createRuntime", "hooks.createRuntime", slot::CREATE_RUNTIME),
                hook_list!(
                    "createContainer",
                    "hooks.createContainer",
                    slot::CREATE_CONTAINER
                ),
                hook_list!(
                    "startContainer",
                    "hooks.startContainer",
                    slot::START_CONTAINER
                ),
                hook_list!("poststart", "hooks.poststart", slot::POSTSTART),
                hook_list!("poststop", "hooks.poststop", slot::POSTSTOP),
            ]
        ),
        node!(
            "annotations",
            "annotations",
            Map,
            false,
            ANNOTATIONS_MAX,
            slot::ANNOTATIONS,
            [req!("", "annotations", Str)]
        ),
        obj!(
            "linux",
            "linux",
            [
                arr!(
                    "namespaces",
                    "linux.namespaces",
                    NAMESPACES_MAX,
                    0,
                    [
                        req!("type", "linux.namespaces[].type", Str),
                        opt!("path", "linux.namespaces[].path", Str),
                    ]
                ),
                idmaps!("uidMappings", "linux.uidMappings", slot::UID_MAPPINGS),
                idmaps!("gidMappings", "linux.gidMappings", slot::GID_MAPPINGS),
                node!(
                    "timeOffsets",
                    "linux.timeOffsets",
                    Map,
                    false,
                    8,
                    slot::TIME_OFFSETS,
                    [obj!(
                        "",
                        "linux.timeOffsets",
                        [
                            opt!("secs", "linux.timeOffsets.secs", I64),
                            opt!("nanosecs", "linux.timeOffsets.nanosecs", U32),
                        ]
                    )]
                ),
                arr!(
                    "devices",
                    "linux.devices",
                    DEVICES_MAX,
                    slot::DEVICES,
                    [
                        req!("type", "linux.devices[].type", Str),
                        req!("path", "linux.devices[].path", Str),
                        opt!("major", "linux.devices[].major", I64),
                        opt!("minor", "linux.devices[].minor", I64),
                        opt!("fileMode", "linux.devices[].fileMode", U32),
                        opt!("uid", "linux.devices[].uid", U32),
                        opt!("gid", "linux.devices[].gid", U32),
                    ]
                ),
                opt!("cgroupsPath", "linux.cgroupsPath", Str),
                RESOURCES,
                opt!("rootfsPropagation", "linux.rootfsPropagation", Str),
                obj!(
                    "seccomp",
                    "linux.seccomp",
                    [
                        req!("defaultAction", "linux.seccomp.defaultAction", Str),
                        opt!("defaultErrnoRet", "linux.seccomp.defaultErrnoRet", U32),
                        strs!(
                            "architectures",
                            "linux.seccomp.architectures",
                            SECCOMP_ARCHES_MAX,
                            0
                        ),
                        strs!("flags", "linux.seccomp.flags", FLAGS_MAX, 0),
                        opt!("listenerPath", "linux.seccomp.listenerPath", Str),
                        opt!("listenerMetadata", "linux.seccomp.listenerMetadata", Str),
                        arr!(
                            "syscalls",
                            "linux.seccomp.syscalls",
                            SECCOMP_RULES_MAX,
                            slot::SYSCALLS,
                            [
                                strs!(
                                    "names",
                                    "linux.seccomp.syscalls[].names",
                                    SECCOMP_NAMES_MAX,
                                    0
                                ),
                                req!("action", "linux.seccomp.syscalls[].action", Str),
                                opt!("errnoRet", "linux.seccomp.syscalls[].errnoRet", U32),
                                arr!(
                                    "args",
                                    "linux.seccomp.syscalls[].args",
                                    SECCOMP_ARGS_MAX,
                                    0,
                                    [
                                        req!("index", "linux.seccomp.syscalls[].args[].index", U32),
                                        req!("value", "linux.seccomp.syscalls[].args[].value", U64),
                                        opt!(
                                            "valueTwo",
                                            "linux.seccomp.syscalls[].args[].valueTwo",
                                            U64
                                        ),
                                        req!("op", "linux.seccomp.syscalls[].args[].op", Str),
                                    ]
                                ),
                            ]
                        ),
                    ]
                ),
                node!(
                    "sysctl",
                    "linux.sysctl",
                    Map,
                    false,
                    SYSCTL_MAX,
                    slot::SYSCTL,
                    [req!("", "linux.sysctl", Str)]
                ),
                strs!("maskedPaths", "linux.maskedPaths", PATHS_MAX, slot::MASKED),
                strs!(
                    "readonlyPaths",
                    "linux.readonlyPaths",
                    PATHS_MAX,
                    slot::READONLY
                ),
                obj!(
                    "personality",
                    "linux.personality",
                    [
                        req!("domain", "linux.personality.domain", Str),
                        strs!("flags", "linux.personality.flags", FLAGS_MAX, 0),
                    ]
                ),
                opt!("mountLabel", "linux.mountLabel", Str),
                node!(
                    "netDevices",
                    "linux.netDevices",
                    Map,
                    false,
                    NET_DEVICES_MAX,
                    slot::NET_DEVICES,
                    [obj!(
                        "",
                        "linux.netDevices",
                        [opt!("name", "linux.netDevices.name", Str)]
                    )]
                ),
                obj!(
                    "memoryPolicy",
                    "linux.memoryPolicy",
                    [
                        req!("mode", "linux.memoryPolicy.mode", Str),
                        opt!("nodes", "linux.memoryPolicy.nodes", Str),
                        strs!("flags", "linux.memoryPolicy.flags", FLAGS_MAX, 0),
                    ]
                ),
                obj!(
                    "intelRdt",
                    "linux.intelRdt",
                    [
                        opt!("closID", "linux.intelRdt.closID", Str),
                        opt!("l3CacheSchema", "linux.intelRdt.l3CacheSchema", Str),
                        opt!("memBwSchema", "linux.intelRdt.memBwSchema", Str),
                        strs!("schemata", "linux.intelRdt.schemata", SCHEMATA_MAX, 0),
                        opt!("enableMonitoring", "linux.intelRdt.enableMonitoring", Bool),
                    ]
                ),
            ]
        ),
    ]
);

/// Root of an `exec --process` document: errors drop the `process.` prefix.
pub static PROCESS_DOC: Node = PROCESS;
/// Root of an `update --resources` document: errors drop the `linux.resources.` prefix.
pub static RESOURCES_DOC: Node = RESOURCES;
