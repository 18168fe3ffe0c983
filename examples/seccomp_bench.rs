//! The seccomp numbers of docs/BENCHMARKS.md (run by targets/bench-seccomp.sh, `just
//! bench-seccomp`): Docker 20.10's default profile, converted for each native arch with
//! Docker's default capabilities, compiled by husk (in process, this build's profile) and
//! by libseccomp as runc drives it (targets/seccomp/export-libseccomp.c); compile time,
//! program length and BPF instructions executed, counted by husk's interpreter.
//!
//! Prints Markdown tables and notes, then `VERDICT HOT LOG RUNS LIB_RUNS` for the script
//! (HOT: fewer instructions than libseccomp on every hot call; LOG: worst case within
//! 2 ceil(log2 n); each `meets` or `does-NOT-meet`).

#[path = "../tests/support/libseccomp.rs"]
mod support;

use husk::linux::seccomp::tables::{Arch, X32_SYSCALL_BIT};
use std::time::Instant;
use support::*;

/// Compile runs per measurement (husk, libseccomp); the median is reported.
const RUNS: usize = 2000;
const LIB_RUNS: u32 = 200;
const HOT: [&str; 4] = ["read", "write", "futex", "epoll_wait"];

/// (median, min) of `v`.
fn stats(mut v: Vec<u64>) -> (u64, u64) {
    v.sort_unstable();
    (v[v.len() / 2], v[0])
}

/// husk's compile of `seccomp` (parsed once), and parse + compile: (median, min) ns over
/// RUNS each.
fn husk_time(seccomp: &str, native: Arch) -> ((u64, u64), (u64, u64)) {
    let mut prog = new_program();
    let mut buf = config(seccomp);
    let spec = husk::spec::parse(&mut buf).unwrap();
    let s = spec.linux.as_ref().unwrap().seccomp.as_ref().unwrap();
    let mut only = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        husk::linux::seccomp::compile(s, native, &mut prog, &mut |_| {}).unwrap();
        only.push(t.elapsed().as_nanos() as u64);
    }
    let mut with_parse = Vec::with_capacity(RUNS);
    let text = config(seccomp);
    for _ in 0..RUNS {
        let mut buf = text.clone();
        let t = Instant::now();
        let spec = husk::spec::parse(&mut buf).unwrap();
        let s = spec.linux.as_ref().unwrap().seccomp.as_ref().unwrap();
        husk::linux::seccomp::compile(s, native, &mut prog, &mut |_| {}).unwrap();
        with_parse.push(t.elapsed().as_nanos() as u64);
    }
    (stats(only), stats(with_parse))
}

/// The ABIs of the filter (native first) with their `seccomp_data.arch`.
fn abis(seccomp: &str, native: Arch) -> Vec<Arch> {
    let v = json::parse(seccomp).unwrap();
    let mut out = vec![native];
    for a in v["architectures"].members() {
        if let Some(a) = Arch::for_native(a.as_str().unwrap(), native) {
            if !out.contains(&a) {
                out.push(a);
            }
        }
    }
    out
}

/// Names with argument rules in the profile.
fn conditional(seccomp: &str) -> Vec<String> {
    let v = json::parse(seccomp).unwrap();
    let mut out = Vec::new();
    for r in v["syscalls"].members() {
        if !r["args"].is_empty() {
            out.extend(r["names"].members().map(|n| n.to_string()));
        }
    }
    out
}

/// The most instructions `prog` runs for any number of the filter's ABIs (args all 0 or
/// all 1s): (worst for a syscall without argument rules, worst overall, where).
fn worst(prog: &Prog, abis: &[Arch], cond: &[String]) -> (usize, usize, String) {
    let (mut plain, mut all, mut at) = (0, 0, String::new());
    for &abi in abis {
        let t = abi.table();
        let base = if abi == Arch::X32 { X32_SYSCALL_BIT } else { 0 };
        let top = t
            .nrs
            .iter()
            .copied()
            .filter(|&n| n - base < 0x0f_0000)
            .max();
        let extra = if abi == Arch::Arm {
            0x0f_0000..0x0f_0010
        } else {
            0..0
        };
        for nr in (base..=top.unwrap() + 16).chain(extra) {
            let name = t.nrs.binary_search(&nr).ok().and_then(|p| t.name_at(p));
            let has_args = name.is_some_and(|n| cond.iter().any(|c| c == n))
                || (abi == Arch::X86 && matches!(name, Some("socketcall" | "ipc")));
            for args in [[0u64; 6], [u64::MAX; 6]] {
                let (_, steps) = prog.run(nr, abi.audit(), &args);
                if !has_args {
                    plain = plain.max(steps);
                }
                if steps > all {
                    all = steps;
                    at = format!("{} ({abi:?})", name.unwrap_or("no syscall"));
                }
            }
        }
    }
    (plain, all, at)
}

fn main() {
    let dir = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    let docker = data("docker-20.10-default.json");
    let mut timing = String::from(
        "| native arch | rules (names) | husk compile µs | husk parse + compile µs | libseccomp µs | libseccomp / husk |\n|---|---|---|---|---|---|\n",
    );
    let mut steps = String::from(
        "| native arch | compiler | program length | read | write | futex | epoll_wait | worst, no arg rules | worst overall |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    let mut hot_ok = true;
    let mut log_ok = true;
    let mut notes = Vec::new();
    for native in [Arch::X86_64, Arch::Aarch64, Arch::Arm] {
        let p = convert(&docker, native, DOCKER_CAPS);
        let names = json::parse(&p).unwrap()["syscalls"]
            .members()
            .map(|r| r["names"].len())
            .sum::<usize>();
        let (husk, _) = husk_compile(&p, native).unwrap();
        let Lib::Built {
            prog: lib,
            median_ns: Some(l_med),
            min_ns: Some(l_min),
            ..
        } = libseccomp(&dir, &p, native, Some(LIB_RUNS))
        else {
            panic!("libseccomp refused Docker's profile on {native:?}");
        };
        let ((h_med, h_min), (hp_med, hp_min)) = husk_time(&p, native);
        let us = |(a, b): (u64, u64)| format!("{:.0} / {:.0}", a as f64 / 1e3, b as f64 / 1e3);
        timing += &format!(
            "| {native:?} | {names} | {} | {} | {} | {:.1}x / {:.1}x |\n",
            us((h_med, h_min)),
            us((hp_med, hp_min)),
            us((l_med, l_min)),
            l_med as f64 / h_med as f64,
            l_min as f64 / h_min as f64
        );
        let abis = abis(&p, native);
        let cond = conditional(&p);
        let t = native.table();
        // aarch64 and arm have no epoll_wait; their hot call is epoll_pwait.
        let nr_of = |n: &str| {
            t.number(n)
                .map(|nr| (nr, ""))
                .or_else(|| t.number("epoll_pwait").map(|nr| (nr, "*")))
                .unwrap()
        };
        let mut row = |who: &str, prog: &Prog| -> Vec<usize> {
            let mut counts = Vec::new();
            let mut cells = String::new();
            for n in HOT {
                let (nr, mark) = nr_of(n);
                let c = prog.run(nr, native.audit(), &[0; 6]).1;
                counts.push(c);
                cells += &format!(" {c}{mark} |");
            }
            let (plain, all, at) = worst(prog, &abis, &cond);
            counts.push(plain);
            steps += &format!(
                "| {native:?} | {who} | {} |{cells} {plain} | {all}: {at} |\n",
                prog.insns.len()
            );
            counts
        };
        let hc = row("husk", &husk);
        let lc = row("libseccomp", &lib);
        if hc[..4].iter().zip(&lc[..4]).any(|(h, l)| h >= l) {
            hot_ok = false;
        }
        // O(log n): the worst call without argument rules (arch check, number load,
        // search, ret) stays within 2 ceil(log2 n), n the numbers of the filter's ABIs.
        let n: usize = abis.iter().map(|a| a.table().nrs.len()).sum();
        let bound = 2 * (usize::BITS - (n - 1).leading_zeros()) as usize;
        if hc[4] > bound {
            log_ok = false;
        }
        notes.push(format!(
            "{native:?}: n = {n} syscall numbers in {} ABIs ({}), log2 n = {:.1}; \
             husk's worst without argument rules {} (bound 2 ceil(log2 n) = {bound}), \
             libseccomp's {}",
            abis.len(),
            abis.iter()
                .map(|a| format!("{a:?}"))
                .collect::<Vec<_>>()
                .join(", "),
            (n as f64).log2(),
            hc[4],
            lc[4]
        ));
    }
    println!("{timing}");
    println!("STEPS");
    println!("{steps}");
    println!("NOTES");
    for n in notes {
        println!("- {n}");
    }
    println!(
        "VERDICT {} {} {RUNS} {LIB_RUNS}",
        if hot_ok { "meets" } else { "does-NOT-meet" },
        if log_ok { "meets" } else { "does-NOT-meet" }
    );
}
