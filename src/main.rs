//! The husk binary: entry only. Everything happens in `husk::cli::main`.
#![no_std]
#![no_main]

husk::entry!(husk::cli::main);
