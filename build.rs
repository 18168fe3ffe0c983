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
    syscall_tables();
}

/// Writes `$OUT_DIR/syscall_tables.rs` for src/linux/seccomp/tables.rs: one sorted blob of
/// every syscall name, and per arch the numbers in ascending order plus a name index.
/// Source: the `syscall-numbers` crate (generated from musl's per-arch headers), plus the
/// ARM private calls of the kernel's arch/arm/include/uapi/asm/unistd.h (__ARM_NR_BASE
/// 0x0f0000 + n), which musl keeps out of its list and libseccomp's arm table has, and the
/// i386 calls the crate lacks (below). tests/seccomp_libseccomp.rs checks every table
/// against libseccomp's.
fn syscall_tables() {
    use std::collections::BTreeSet;
    use std::fmt::Write;
    use syscall_numbers as sn;
    type NameOf = fn(std::ffi::c_long) -> Option<&'static str>;
    let arches: [(&str, NameOf, i64); 5] = [
        ("X86_64", sn::x86_64::sys_call_name, 0),
        ("X86", sn::x86::sys_call_name, 0),
        ("X32", sn::x32::sys_call_name, 0x4000_0000),
        ("AARCH64", sn::aarch64::sys_call_name, 0),
        ("ARM", sn::arm::sys_call_name, 0),
    ];
    let arm_private = [
        ("breakpoint", 0x0f0001),
        ("cacheflush", 0x0f0002),
        ("usr26", 0x0f0003),
        ("usr32", 0x0f0004),
        ("set_tls", 0x0f0005),
        ("get_tls", 0x0f0006),
    ];
    // i386 numbers of arch/x86/entry/syscalls/syscall_32.tbl missing from the crate's x86
    // list: musl's i386 header writes 260-267 and 278-282 as offsets (`__NR_timer_create+1`,
    // `__NR_mq_open+1`), which its generator drops, and has no 76 (`getrlimit`). Without
    // them a profile allowing `clock_nanosleep` or `timer_settime` denies them to i386
    // programs, where runc on libseccomp allows them.
    let i386_missing = [
        ("getrlimit", 76),
        ("timer_settime", 260),
        ("timer_gettime", 261),
        ("timer_getoverrun", 262),
        ("timer_delete", 263),
        ("clock_settime", 264),
        ("clock_gettime", 265),
        ("clock_getres", 266),
        ("clock_nanosleep", 267),
        ("mq_unlink", 278),
        ("mq_timedsend", 279),
        ("mq_timedreceive", 280),
        ("mq_notify", 281),
        ("mq_getsetattr", 282),
    ];
    let mut per_arch = Vec::new();
    for (arch, name_of, base) in arches {
        let mut calls: Vec<(String, u32)> = (base..base + 2048)
            .filter_map(|nr| name_of(nr as _).map(|n| (kernel_name(n), nr as u32)))
            .collect();
        if arch == "X86" {
            for (name, nr) in i386_missing {
                if !calls.iter().any(|c| c.1 == nr) {
                    calls.push((name.to_string(), nr));
                }
            }
        }
        if arch == "ARM" {
            calls.extend(arm_private.iter().map(|(n, nr)| (n.to_string(), *nr)));
            // arch/arm/tools/syscall.tbl names 270 `arm_fadvise64_64` (musl: fadvise64_64)
            // and gives 341 `sync_file_range2` the alias `arm_sync_file_range`.
            for c in calls.iter_mut().filter(|c| c.0 == "fadvise64_64") {
                c.0 = "arm_fadvise64_64".to_string();
            }
            if let Some(nr) = calls
                .iter()
                .find(|c| c.0 == "sync_file_range2")
                .map(|c| c.1)
            {
                calls.push(("arm_sync_file_range".to_string(), nr));
            }
        }
        calls.sort_by_key(|c| c.1);
        per_arch.push((arch, calls));
    }
    // Names of the other Linux ABIs join the name list (no table): a profile name known
    // there is skipped quietly here, as libseccomp knows it; only names no ABI has are
    // reported as unknown.
    let others: [NameOf; 13] = [
        sn::mips::sys_call_name,
        sn::mips64::sys_call_name,
        sn::mipsn32::sys_call_name,
        sn::powerpc::sys_call_name,
        sn::powerpc64::sys_call_name,
        sn::s390x::sys_call_name,
        sn::riscv32::sys_call_name,
        sn::riscv64::sys_call_name,
        sn::loongarch64::sys_call_name,
        sn::sh::sys_call_name,
        sn::m68k::sys_call_name,
        sn::microblaze::sys_call_name,
        sn::or1k::sys_call_name,
    ];
    // Their numbers start at 0, 4000 (mips o32), 5000 (n64) or 6000 (n32).
    let other_names: Vec<String> = others
        .iter()
        .flat_map(|&f| (0..8192i64).filter_map(move |n| f(n as _).map(kernel_name)))
        .collect();
    let names: BTreeSet<&str> = per_arch
        .iter()
        .flat_map(|(_, c)| c.iter().map(|(n, _)| n.as_str()))
        .chain(other_names.iter().map(|n| n.as_str()))
        .collect();
    let names: Vec<&str> = names.into_iter().collect();
    let mut out = String::new();
    out.push_str("// Generated by build.rs from the syscall-numbers crate. Do not edit.\n");
    let _ = writeln!(out, "pub static NAMES: &str = \"{}\";", names.concat());
    let mut off = 0usize;
    let mut offs = Vec::new();
    for n in &names {
        offs.push(off);
        off += n.len();
    }
    offs.push(off);
    assert!(off < 65536, "syscall name blob over 64 KiB");
    let _ = writeln!(
        out,
        "pub static NAME_OFF: [u16; {}] = {:?};",
        offs.len(),
        offs
    );
    for (arch, calls) in &per_arch {
        let mut nrs: Vec<u32> = calls.iter().map(|c| c.1).collect();
        nrs.dedup();
        // An alias maps to the same position as the name it aliases.
        let mut index: Vec<(u16, u16)> = calls
            .iter()
            .map(|(n, nr)| {
                let id = names.binary_search(&n.as_str()).unwrap() as u16;
                (id, nrs.binary_search(nr).unwrap() as u16)
            })
            .collect();
        index.sort();
        let ids: Vec<u16> = index.iter().map(|i| i.0).collect();
        let pos: Vec<u16> = index.iter().map(|i| i.1).collect();
        let _ = writeln!(
            out,
            "pub static {arch}: Table = Table {{ nrs: &{nrs:?}, ids: &{ids:?}, pos: &{pos:?} }};"
        );
    }
    let dir = std::env::var("OUT_DIR").unwrap();
    println!("cargo:rerun-if-env-changed=OUT_DIR");
    std::fs::write(format!("{dir}/syscall_tables.rs"), out).unwrap();
}

/// musl renames the 32-bit-time variants on 32-bit arches (`clock_gettime32`,
/// `gettimeofday_time32`); profiles, libseccomp and the kernel's syscall.tbl use the
/// kernel names (`clock_gettime`, `gettimeofday`). `chown32` and friends are kernel names.
fn kernel_name(musl: &str) -> String {
    if let Some(base) = musl.strip_suffix("_time32") {
        return base.to_string();
    }
    match musl.strip_suffix("32") {
        Some(base) if base.ends_with("time") => base.to_string(),
        _ => musl.to_string(),
    }
}
