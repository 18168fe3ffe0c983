//! Per-spec-section Linux setup (namespaces, mounts, caps, ...), and the name tables the spec validator shares with it.

pub mod caps;
pub mod cgroups;
pub mod console;
pub mod devices;
pub mod hooks;
pub mod keyring;
pub mod mounts;
pub mod namespaces;
pub mod paths;
pub mod process;
pub mod procfs;
pub mod resolve;
pub mod rlimits;
pub mod rootfs;
pub mod sched;
pub mod seccomp;
pub mod sysctl;
pub mod user;

pub use rootfs::{setup, RootfsOpts};
