// The husk binaries bring their own `_start` (src/sys/arch): on a glibc host target the C
// start files must stay out of the link. Only the bins get the flag, so test harnesses
// (which use std's start files) link normally.
fn main() {
    let target = std::env::var("TARGET").unwrap_or_default();
    if target.ends_with("-gnu") || target.ends_with("-gnueabihf") {
        println!("cargo:rustc-link-arg-bins=-nostartfiles");
        println!("cargo:rustc-link-arg-bins=-nostdlib");
        println!("cargo:rustc-link-arg-bins=-static");
        // Not PIE: nothing would apply the relocations of a static-pie without a libc.
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    println!("cargo:rerun-if-changed=build.rs");
    // Version string parts for `husk --version`.
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=HUSK_COMMIT={commit}");
    println!("cargo:rerun-if-changed=.git/HEAD");
}
