//! husk: a tiny static OCI runtime (a runc/crun drop-in) and PID 1 for appliances.
//!
//! Modules follow a container's life; docs/ARCHITECTURE.md maps them. `unsafe` is denied
//! everywhere except `sys`, where each block carries its safety argument.
#![cfg_attr(not(test), no_std)]
#![deny(unsafe_code)]
#![warn(clippy::undocumented_unsafe_blocks, clippy::missing_safety_doc)]

#[allow(unsafe_code)]
pub mod sys;

pub mod cli;
pub mod clock;
pub mod container;
pub mod cpath;
pub mod error;
pub mod fdpass;
pub mod files;
pub mod init;
pub mod linux;
pub mod log;
pub mod out;
pub mod spec;
pub mod state;

pub use error::{Error, Result};

/// The runtime-spec version husk implements (reported by `--version`, `state`, `features`).
pub const OCI_VERSION: &str = "1.3.0";
/// husk's own version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The commit husk was built from ("unknown" outside a git checkout).
pub const COMMIT: &str = env!("HUSK_COMMIT");
