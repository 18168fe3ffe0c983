//! Per-spec-section Linux setup (namespaces, mounts, caps, ...), and the name tables the spec validator shares with it.

pub mod caps;
pub mod hooks;
pub mod namespaces;
pub mod process;
pub mod rlimits;
pub mod sched;
pub mod user;
