//! Every capacity of the config.json layer, named, so an oversized config fails with
//! `process.env: 600 entries, limit 512` instead of an anonymous overflow.
//!
//! Lists marked "lazy" are not stored in `Spec`: the pre-pass counts them and keeps the
//! byte span, and they are parsed one element at a time, so their limit costs no stack.
//! Lists inside one lazy element (a mount's options, a seccomp rule's names) are
//! `heapless::Vec`s of that element only.

/// Largest config.json (or `--process` / `--resources` document) husk reads: 1 MiB.
pub const CONFIG_MAX_BYTES: usize = 1 << 20;
/// Deepest JSON nesting accepted anywhere, unknown fields included (config.json needs 6).
pub const JSON_MAX_DEPTH: usize = 64;
/// `process.args` (lazy): far above any real command line.
pub const ARGS_MAX: usize = 4096;
/// `process.env` (lazy): Podman configs carry ~10, CI images a few hundred.
pub const ENV_MAX: usize = 4096;
/// Each `process.capabilities` set (lazy): 41 capabilities exist, duplicates allowed.
pub const CAPS_MAX: usize = 128;
/// `process.rlimits` (lazy): 16 resources exist, duplicates are reported.
pub const RLIMITS_MAX: usize = 64;
/// `process.user.additionalGids` (lazy): the kernel's NGROUPS_MAX is 65536.
pub const GIDS_MAX: usize = 65536;
/// `mounts` (lazy): Docker/Podman use ~10-40.
pub const MOUNTS_MAX: usize = 1024;
/// `mounts[].options`: runc's own defaults use at most 6.
pub const MOUNT_OPTIONS_MAX: usize = 64;
/// `mounts[].uidMappings` / `gidMappings` and `linux.uidMappings` / `gidMappings` (lazy):
/// the kernel accepts 340 lines in a uid_map.
pub const ID_MAPPINGS_MAX: usize = 340;
/// Each `hooks.*` list (lazy).
pub const HOOKS_MAX: usize = 256;
/// `hooks.*[].args` and `hooks.*[].env`.
pub const HOOK_ARGS_MAX: usize = 256;
/// `annotations` (lazy map).
pub const ANNOTATIONS_MAX: usize = 1024;
/// `linux.namespaces`: 8 types exist; duplicates are reported.
pub const NAMESPACES_MAX: usize = 16;
/// `linux.devices` (lazy).
pub const DEVICES_MAX: usize = 1024;
/// `linux.resources.devices` (lazy).
pub const DEVICE_RULES_MAX: usize = 1024;
/// `linux.sysctl` (lazy map).
pub const SYSCTL_MAX: usize = 1024;
/// `linux.maskedPaths` and `linux.readonlyPaths` (lazy).
pub const PATHS_MAX: usize = 1024;
/// `linux.resources.blockIO.*Device` lists (lazy).
pub const BLKIO_DEVICES_MAX: usize = 256;
/// `linux.resources.hugepageLimits` (lazy).
pub const HUGEPAGES_MAX: usize = 16;
/// `linux.resources.network.priorities` (lazy).
pub const NET_PRIORITIES_MAX: usize = 256;
/// `linux.resources.rdma` (lazy map).
pub const RDMA_MAX: usize = 64;
/// `linux.resources.unified` (lazy map).
pub const UNIFIED_MAX: usize = 256;
/// `linux.netDevices` (lazy map).
pub const NET_DEVICES_MAX: usize = 64;
/// `linux.seccomp.syscalls` (lazy): Docker's profile has ~40 rules; per-arch
/// conversions multiply that.
pub const SECCOMP_RULES_MAX: usize = 1024;
/// `linux.seccomp.syscalls[].names`: Podman's first rule lists ~430 names.
pub const SECCOMP_NAMES_MAX: usize = 1024;
/// `linux.seccomp.syscalls[].args`: a syscall has 6 arguments, the same index may repeat.
pub const SECCOMP_ARGS_MAX: usize = 16;
/// `linux.seccomp.architectures`.
pub const SECCOMP_ARCHES_MAX: usize = 16;
/// Rules with `args` one architecture's seccomp filter holds (after a rule comparing one
/// argument twice is split into one rule per comparison, as runc does).
pub const SECCOMP_COND_RULES_MAX: usize = 512;
/// Argument comparisons of those rules, per architecture.
pub const SECCOMP_CONDS_MAX: usize = 1024;
/// `linux.seccomp.flags`, `linux.personality.flags`, `process.scheduler.flags`,
/// `linux.memoryPolicy.flags`.
pub const FLAGS_MAX: usize = 16;
/// `linux.intelRdt.schemata`.
pub const SCHEMATA_MAX: usize = 32;

/// (JSON path, limit, what it is) for `husk features` and the README.
pub const CAPACITIES: &[(&str, usize, &str)] = &[
    ("(file size)", CONFIG_MAX_BYTES, "bytes of config.json"),
    ("(nesting)", JSON_MAX_DEPTH, "levels of JSON nesting"),
    ("process.args", ARGS_MAX, "entries"),
    ("process.env", ENV_MAX, "entries"),
    ("process.capabilities.*", CAPS_MAX, "entries per set"),
    ("process.rlimits", RLIMITS_MAX, "entries"),
    ("process.user.additionalGids", GIDS_MAX, "entries"),
    ("process.scheduler.flags", FLAGS_MAX, "entries"),
    ("mounts", MOUNTS_MAX, "entries"),
    ("mounts[].options", MOUNT_OPTIONS_MAX, "entries"),
    (
        "mounts[].uidMappings, gidMappings",
        ID_MAPPINGS_MAX,
        "entries",
    ),
    ("hooks.*", HOOKS_MAX, "entries per hook list"),
    ("hooks.*[].args, env", HOOK_ARGS_MAX, "entries"),
    ("annotations", ANNOTATIONS_MAX, "entries"),
    ("linux.namespaces", NAMESPACES_MAX, "entries"),
    ("linux.uidMappings, gidMappings", ID_MAPPINGS_MAX, "entries"),
    ("linux.devices", DEVICES_MAX, "entries"),
    ("linux.sysctl", SYSCTL_MAX, "entries"),
    ("linux.maskedPaths, readonlyPaths", PATHS_MAX, "entries"),
    ("linux.personality.flags", FLAGS_MAX, "entries"),
    ("linux.memoryPolicy.flags", FLAGS_MAX, "entries"),
    ("linux.netDevices", NET_DEVICES_MAX, "entries"),
    ("linux.resources.devices", DEVICE_RULES_MAX, "entries"),
    (
        "linux.resources.blockIO.*Device",
        BLKIO_DEVICES_MAX,
        "entries per list",
    ),
    ("linux.resources.hugepageLimits", HUGEPAGES_MAX, "entries"),
    (
        "linux.resources.network.priorities",
        NET_PRIORITIES_MAX,
        "entries",
    ),
    ("linux.resources.rdma", RDMA_MAX, "entries"),
    ("linux.resources.unified", UNIFIED_MAX, "entries"),
    ("linux.seccomp.syscalls", SECCOMP_RULES_MAX, "entries"),
    (
        "linux.seccomp.syscalls[].names",
        SECCOMP_NAMES_MAX,
        "entries",
    ),
    ("linux.seccomp.syscalls[].args", SECCOMP_ARGS_MAX, "entries"),
    ("linux.seccomp.architectures", SECCOMP_ARCHES_MAX, "entries"),
    ("linux.seccomp.flags", FLAGS_MAX, "entries"),
    (
        "linux.seccomp.syscalls with args",
        SECCOMP_COND_RULES_MAX,
        "rules per architecture",
    ),
    (
        "linux.seccomp.syscalls[].args",
        SECCOMP_CONDS_MAX,
        "comparisons per architecture",
    ),
    (
        "linux.seccomp (the compiled filter)",
        crate::sys::seccomp::BPF_MAXINSNS,
        "BPF instructions",
    ),
    ("linux.intelRdt.schemata", SCHEMATA_MAX, "entries"),
];
