//! Every capacity of husk as PID 1, named, so that a machine with too many bundles or a
//! too long `org.husk.depends-on` gets `init: bundles: 40 entries, limit 32` instead of a
//! silent cut. The README's "PID 1 capacities" table is generated from [`CAPACITIES`].

/// Bundles (subdirectories of the bundles directory) supervised per boot (the QEMU
/// scenarios boot some 40 at once).
pub const BUNDLES_MAX: usize = 64;
/// Bytes of a bundle's name (its directory name, also its container id).
pub const NAME_MAX: usize = 64;
/// Entries of one bundle's `org.husk.depends-on`.
pub const DEPENDS_MAX: usize = 8;
/// Bytes of /etc/husk/init.json.
pub const INIT_JSON_MAX: usize = 4096;
/// Bytes of one console line piece of a container's output: a longer line is written in
/// pieces, each continuation prefixed `[name]+ `.
pub const LINE_MAX: usize = 512;
/// Bytes of /proc/self/mountinfo read at shutdown to find what to unmount (a larger one
/// is an error: nothing is unmounted, `/` is remounted read-only after the sync).
pub const MOUNTINFO_MAX: usize = 16 * 1024;

/// Entries of init.json `mounts`.
pub const MOUNTS_MAX: usize = 8;
/// Bytes of init.json `mounts`' strings together (destinations, sources, types and
/// filesystem data, a NUL after each), kept for the mounts without a heap.
pub const MOUNTS_TEXT_MAX: usize = 2048;

/// (what, limit, unit) for the README.
pub const CAPACITIES: &[(&str, usize, &str)] = &[
    ("bundles", BUNDLES_MAX, "bundles per boot"),
    ("bundle name", NAME_MAX, "bytes"),
    ("org.husk.depends-on", DEPENDS_MAX, "entries"),
    ("/etc/husk/init.json", INIT_JSON_MAX, "bytes"),
    ("console line piece", LINE_MAX, "bytes"),
    ("/proc/self/mountinfo at shutdown", MOUNTINFO_MAX, "bytes"),
    ("init.json mounts", MOUNTS_MAX, "entries"),
    (
        "init.json mounts (strings)",
        MOUNTS_TEXT_MAX,
        "bytes of destinations, sources, types and data",
    ),
];
