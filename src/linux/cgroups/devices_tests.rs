//! Device filter tests: a small BPF interpreter runs the generated programs against models
//! of runc's rule semantics; a root test attaches a filter to a cgroup in a private cgroup2
//! mount and opens devices through it.

extern crate std;
use super::*;
use crate::sys::bpf::{BPF_DEVCG_DEV_BLOCK as BLK, BPF_DEVCG_DEV_CHAR as CHR};
use std::string::String;
use std::vec::Vec;
use std::{format, vec};

// ---- interpreter -------------------------------------------------------------------------

const CTX: u64 = 0x1000;

/// Run `p` on `struct bpf_cgroup_dev_ctx { access_type, major, minor }`. Only the
/// instructions the generator may emit are known; anything else is an error.
fn run(
    p: &[Insn],
    typ: u32,
    acc: u32,
    major: u32,
    minor: u32,
) -> core::result::Result<u64, String> {
    let ctx = [typ | (acc << 16), major, minor];
    let mut r = [None::<u64>; 11];
    r[1] = Some(CTX);
    let mut pc = 0usize;
    for _ in 0..100_000 {
        let i = *p.get(pc).ok_or(format!("pc {pc} out of the program"))?;
        let (dst, src) = (i.dst() as usize, i.src() as usize);
        if dst > 10 || src > 10 {
            return Err(format!("bad register at {pc}"));
        }
        let at = pc;
        let get =
            |r: &[Option<u64>; 11], n: usize| r[n].ok_or(format!("r{n} read before set at {at}"));
        let class = i.code & 7;
        pc += 1;
        match class {
            // LDX MEM W/H/B
            1 => {
                let size = match i.code & 0x18 {
                    0x00 => 4,
                    0x08 => 2,
                    0x10 => 1,
                    _ => return Err(format!("unknown load size {:#x}", i.code)),
                };
                if i.code & 0xe0 != 0x60 {
                    return Err(format!("unknown load mode {:#x}", i.code));
                }
                let addr = get(&r, src)?.wrapping_add(i.off as i64 as u64);
                let o = addr.wrapping_sub(CTX) as usize;
                if addr < CTX || o + size > 12 {
                    return Err(format!("load outside the context at {}", pc - 1));
                }
                let bytes: Vec<u8> = ctx.iter().flat_map(|w| w.to_ne_bytes()).collect();
                let mut v = 0u64;
                for (k, b) in bytes[o..o + size].iter().enumerate() {
                    v |= (*b as u64)
                        << (8 * if cfg!(target_endian = "little") {
                            k
                        } else {
                            size - 1 - k
                        });
                }
                r[dst] = Some(v);
            }
            // ALU (32) / ALU64
            4 | 7 => {
                let b = if i.code & 8 != 0 {
                    get(&r, src)?
                } else {
                    i.imm as i64 as u64
                };
                let op = i.code & 0xf0;
                let a = if op == 0xb0 { 0 } else { get(&r, dst)? };
                let v = match op {
                    0x00 => a.wrapping_add(b),
                    0x40 => a | b,
                    0x50 => a & b,
                    0x60 => a << (b & 63),
                    0x70 if class == 4 => ((a as u32) >> (b & 31)) as u64,
                    0x70 => a >> (b & 63),
                    0xb0 => b,
                    _ => return Err(format!("unknown ALU op {:#x}", i.code)),
                };
                r[dst] = Some(if class == 4 { v as u32 as u64 } else { v });
            }
            // JMP
            5 => {
                let op = i.code & 0xf0;
                if op == 0x90 {
                    return get(&r, 0);
                }
                let taken = if op == 0x00 {
                    true
                } else {
                    let a = get(&r, dst)?;
                    let b = if i.code & 8 != 0 {
                        get(&r, src)?
                    } else {
                        i.imm as i64 as u64
                    };
                    match op {
                        0x10 => a == b,
                        0x50 => a != b,
                        0x40 => a & b != 0,
                        _ => return Err(format!("unknown jump {:#x}", i.code)),
                    }
                };
                if taken {
                    if i.off < 0 {
                        return Err(format!("backward jump at {}", pc - 1));
                    }
                    pc += i.off as usize;
                }
            }
            _ => return Err(format!("unknown class {:#x}", i.code)),
        }
    }
    Err("no exit".into())
}

// ---- models ------------------------------------------------------------------------------

fn key_matches(r: &Rule, typ: u32, major: u32, minor: u32) -> bool {
    let t = match r.typ {
        Type::All => true,
        Type::Char => typ == CHR,
        Type::Block => typ == BLK,
    };
    t && r.major.is_none_or(|m| m == major) && r.minor.is_none_or(|m| m == minor)
}

/// runc's semantics, written per query: the last `a` rule sets the default; after it, the
/// access of each exact (type, major, minor) key is the fold of the rules with that key;
/// a key matching the device whose access covers the request flips the default.
fn runc_model(rules: &[Rule], typ: u32, acc: u8, major: u32, minor: u32) -> bool {
    let start = rules.iter().rposition(|r| r.typ == Type::All);
    let default = start.is_some_and(|i| rules[i].allow);
    let tail = &rules[start.map_or(0, |i| i + 1)..];
    let same = |a: &Rule, b: &Rule| (a.typ, a.major, a.minor) == (b.typ, b.major, b.minor);
    for k in tail.iter().filter(|k| key_matches(k, typ, major, minor)) {
        let perms = tail.iter().filter(|r| same(r, k)).fold(0u8, |p, r| {
            if r.allow != default {
                p | r.access
            } else {
                p & !r.access
            }
        });
        if acc & !perms == 0 {
            return !default;
        }
    }
    default
}

/// "The last matching rule wins" (one access bit at a time; `a` rules match everything).
fn last_match_model(rules: &[Rule], typ: u32, bit: u8, major: u32, minor: u32) -> bool {
    rules
        .iter()
        .rev()
        .find(|r| key_matches(r, typ, major, minor) && (r.typ == Type::All || r.access & bit != 0))
        .is_some_and(|r| r.allow)
}

// ---- rule lists --------------------------------------------------------------------------

fn r(allow: bool, typ: char, major: i64, minor: i64, access: &str) -> Rule {
    let num = |n: i64| if n < 0 { None } else { Some(n as u32) };
    Rule {
        allow,
        typ: match typ {
            'c' => Type::Char,
            'b' => Type::Block,
            _ => Type::All,
        },
        major: num(major),
        minor: num(minor),
        access: access.chars().fold(0, |a, c| {
            a | match c {
                'r' => ACC_READ,
                'w' => ACC_WRITE,
                _ => ACC_MKNOD,
            }
        }),
    }
}

fn with_defaults(mut v: Vec<Rule>) -> Vec<Rule> {
    v.extend_from_slice(&DEFAULT_RULES);
    v
}

fn deny_all() -> Rule {
    r(false, 'a', -1, -1, "rwm")
}

/// Docker's default `linux.resources.devices` (plus fuse and console as some setups add).
fn docker_list() -> Vec<Rule> {
    vec![
        deny_all(),
        r(true, 'c', -1, -1, "m"),
        r(true, 'b', -1, -1, "m"),
        r(true, 'c', 1, 3, "rwm"),
        r(true, 'c', 1, 8, "rwm"),
        r(true, 'c', 1, 7, "rwm"),
        r(true, 'c', 5, 0, "rwm"),
        r(true, 'c', 1, 5, "rwm"),
        r(true, 'c', 1, 9, "rwm"),
        r(true, 'c', 136, -1, "rwm"),
        r(true, 'c', 5, 2, "rwm"),
        r(true, 'c', 5, 1, "rwm"),
        r(true, 'c', 10, 200, "rwm"),
        r(true, 'c', 10, 229, "rwm"),
    ]
}

/// Podman's: the same devices, listed as single-access rules for some.
fn podman_list() -> Vec<Rule> {
    vec![
        deny_all(),
        r(true, 'c', 1, 3, "rw"),
        r(true, 'c', 1, 3, "m"),
        r(true, 'c', 1, 5, "rwm"),
        r(true, 'c', 1, 7, "rwm"),
        r(true, 'c', 1, 8, "rwm"),
        r(true, 'c', 1, 9, "rwm"),
        r(true, 'c', 5, 0, "rwm"),
        r(true, 'c', 5, 2, "rwm"),
        r(true, 'c', 136, -1, "rwm"),
        r(true, 'c', 10, 229, "rwm"),
        r(true, 'b', 8, 0, "r"),
    ]
}

const MAJORS: [u32; 11] = [0, 1, 4, 5, 8, 10, 136, 200, 4095, 0x8000_0000, u32::MAX];
const MINORS: [u32; 11] = [0, 1, 2, 3, 5, 7, 8, 9, 200, 229, u32::MAX];
const ACCESSES: [u8; 7] = [1, 2, 4, 3, 5, 6, 7];

/// Compile `rules`, then compare the program with the runc model over the whole grid.
fn check_grid(name: &str, rules: &[Rule]) -> Program {
    let p =
        Program::compile(rules.iter().copied().map(Ok)).unwrap_or_else(|e| panic!("{name}: {e}"));
    for typ in [BLK, CHR] {
        for major in MAJORS {
            for minor in MINORS {
                for acc in ACCESSES {
                    let got = run(p.insns(), typ, acc as u32, major, minor).unwrap();
                    let want = runc_model(rules, typ, acc, major, minor);
                    assert_eq!(
                        got, want as u64,
                        "{name}: type {typ} {major}:{minor} access {acc}: program says {got}"
                    );
                }
            }
        }
    }
    p
}

fn verdict(p: &Program, typ: u32, acc: u8, major: u32, minor: u32) -> bool {
    run(p.insns(), typ, acc as u32, major, minor).unwrap() == 1
}

// ---- grid tests --------------------------------------------------------------------------

#[test]
fn runc_spec_default_deny_all() {
    let p = check_grid("runc spec", &with_defaults(vec![deny_all()]));
    assert!(verdict(&p, CHR, ACC_READ | ACC_WRITE, 1, 3)); // null
    assert!(verdict(&p, CHR, ACC_READ, 136, 7)); // a pty
    assert!(verdict(&p, BLK, ACC_MKNOD, 8, 0)); // mknod of anything
    assert!(!verdict(&p, BLK, ACC_READ, 8, 0)); // but not reading a disk
    assert!(!verdict(&p, CHR, ACC_READ, 1, 1)); // /dev/mem
    assert!(!verdict(&p, CHR, ACC_READ, 10, 229)); // fuse: not a runc default
}

#[test]
fn docker_and_podman_lists() {
    for (name, l) in [("docker", docker_list()), ("podman", podman_list())] {
        let rules = with_defaults(l);
        let p = check_grid(name, &rules);
        assert!(
            verdict(&p, CHR, ACC_READ | ACC_WRITE, 10, 229),
            "{name}: fuse"
        );
        assert!(!verdict(&p, CHR, ACC_WRITE, 4, 1), "{name}: tty1");
        // On these lists runc's semantics and "last matching rule wins" agree.
        for typ in [BLK, CHR] {
            for major in MAJORS {
                for minor in MINORS {
                    for bit in [ACC_MKNOD, ACC_READ, ACC_WRITE] {
                        assert_eq!(
                            verdict(&p, typ, bit, major, minor),
                            last_match_model(&rules, typ, bit, major, minor),
                            "{name}: {typ} {major}:{minor} {bit}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn allow_all_deny_all_and_empty() {
    let allow = check_grid(
        "allow all",
        &with_defaults(vec![r(true, 'a', -1, -1, "rwm")]),
    );
    assert!(verdict(&allow, BLK, ACC_ALL, 8, 0));
    assert_eq!(
        allow.insns().len(),
        PROLOGUE + EPILOGUE,
        "no exception needed"
    );
    // Without runc's defaults, deny-all denies everything.
    let deny = check_grid("deny all", &[deny_all()]);
    assert!(!verdict(&deny, CHR, ACC_READ, 1, 3));
    assert_eq!(deny.insns().len(), PROLOGUE + EPILOGUE);
    // An empty list is deny-all plus the defaults.
    let empty = check_grid("empty", &with_defaults(vec![]));
    assert_eq!(
        empty.insns(),
        check_grid("runc", &with_defaults(vec![deny_all()])).insns()
    );
    let nothing = check_grid("nothing at all", &[]);
    assert!(!verdict(&nothing, CHR, ACC_MKNOD, 1, 3));
}

#[test]
fn wildcards_type_a_and_access_subsets() {
    let lists: Vec<(&str, Vec<Rule>)> = vec![
        (
            "major wildcard",
            vec![deny_all(), r(true, 'c', -1, 5, "rw")],
        ),
        (
            "minor wildcard",
            vec![
                deny_all(),
                r(true, 'c', 4, -1, "r"),
                r(true, 'b', 8, -1, "m"),
            ],
        ),
        ("both", vec![deny_all(), r(true, 'b', -1, -1, "rw")]),
        (
            "a in the middle resets",
            vec![
                deny_all(),
                r(true, 'c', 1, 3, "rwm"),
                r(true, 'a', 1, 3, "r"),
                r(false, 'c', 1, 5, "w"),
            ],
        ),
        (
            "a deny after allows",
            vec![r(true, 'c', 1, 3, "rwm"), r(false, 'a', 7, 7, "m")],
        ),
        (
            "access merge",
            vec![
                deny_all(),
                r(true, 'c', 1, 3, "r"),
                r(true, 'c', 1, 3, "w"),
                r(true, 'c', 1, 5, "m"),
            ],
        ),
        (
            "last rule wins",
            vec![
                deny_all(),
                r(true, 'c', 1, 3, "rwm"),
                r(false, 'c', 1, 3, "w"),
                r(true, 'b', 8, 0, "rw"),
                r(false, 'b', 8, 0, "rw"),
                r(true, 'b', 8, 0, "r"),
            ],
        ),
        (
            "blacklist",
            vec![
                r(true, 'a', -1, -1, "rwm"),
                r(false, 'c', 1, 1, "rw"),
                r(false, 'b', -1, -1, "w"),
                r(true, 'c', 1, 1, "w"),
            ],
        ),
        (
            "broad rule keeps a narrower exception",
            vec![
                deny_all(),
                r(true, 'c', 1, 3, "rwm"),
                r(false, 'c', -1, -1, "rwm"),
            ],
        ),
        (
            "big numbers",
            vec![
                deny_all(),
                r(true, 'c', 0x8000_0000, u32::MAX as i64, "rw"),
                r(true, 'b', 4095, 0x8000_0000, "m"),
            ],
        ),
    ];
    for (name, l) in &lists {
        check_grid(name, l);
        check_grid(name, &with_defaults(l.clone()));
    }
    let p = check_grid("last", &lists[6].1);
    assert!(verdict(&p, CHR, ACC_READ, 1, 3) && !verdict(&p, CHR, ACC_WRITE, 1, 3));
    assert!(verdict(&p, BLK, ACC_READ, 8, 0) && !verdict(&p, BLK, ACC_READ | ACC_WRITE, 8, 0));
    // runc keeps c 1:3 allowed after "deny c *:*": not what "last match wins" says.
    let p = check_grid("broad", &lists[8].1);
    assert!(verdict(&p, CHR, ACC_READ, 1, 3));
    assert!(!last_match_model(&lists[8].1, CHR, ACC_READ, 1, 3));
    // Opening read-write needs one exception holding both letters.
    let p = check_grid(
        "split",
        &[
            deny_all(),
            r(true, 'c', 1, -1, "r"),
            r(true, 'c', 1, 3, "w"),
        ],
    );
    assert!(verdict(&p, CHR, ACC_READ, 1, 3) && verdict(&p, CHR, ACC_WRITE, 1, 3));
    assert!(!verdict(&p, CHR, ACC_READ | ACC_WRITE, 1, 3));
    let p = check_grid("big", &lists[9].1);
    assert!(verdict(&p, CHR, ACC_WRITE, 0x8000_0000, u32::MAX));
    assert!(!verdict(&p, CHR, ACC_WRITE, 0, u32::MAX));
}

#[test]
fn holes_in_wildcards_are_refused_as_runc_does() {
    for l in [
        vec![
            deny_all(),
            r(true, 'c', 1, -1, "rwm"),
            r(false, 'c', 1, 3, "w"),
        ],
        vec![
            deny_all(),
            r(true, 'c', -1, 3, "r"),
            r(false, 'c', 1, 3, "rw"),
        ],
        vec![
            r(true, 'a', -1, -1, "rwm"),
            r(false, 'b', -1, -1, "w"),
            r(true, 'b', 8, 0, "w"),
        ],
        // Allowing all then denying c 1:* makes runc's own default /dev/null rule a hole.
        with_defaults(vec![
            r(true, 'a', -1, -1, "rwm"),
            r(false, 'c', 1, -1, "rwm"),
        ]),
    ] {
        let e = Program::compile(l.iter().copied().map(Ok)).unwrap_err();
        let s = format!("{e}");
        assert!(
            s.contains("linux.resources.devices[") && s.contains("wildcard"),
            "{s}"
        );
    }
    // Disjoint access is no hole.
    check_grid(
        "no overlap",
        &[
            deny_all(),
            r(true, 'c', 1, -1, "m"),
            r(false, 'c', 1, 3, "rw"),
        ],
    );
}

#[test]
fn instruction_limit_is_a_named_error() {
    let mut l = vec![deny_all()];
    l.extend((0..600).map(|i| r(true, 'c', 1, i, "r")));
    let e = Program::compile(l.iter().copied().map(Ok)).unwrap_err();
    let s = format!("{e}");
    assert!(
        s.contains("linux.resources.devices") && s.contains("4096"),
        "{s}"
    );
    // Duplicates merge and cost nothing.
    let mut l = vec![deny_all()];
    l.extend((0..5000).map(|i| r(true, 'c', 1, i % 3, "r")));
    let p = Program::compile(l.iter().copied().map(Ok)).unwrap();
    assert!(p.insns().len() < 50);
    // The most full-access rules that fit.
    let n = (BPF_MAXINSNS - PROLOGUE - EPILOGUE) / 5;
    let mut l = vec![deny_all()];
    l.extend((0..n as i64).map(|i| r(true, 'c', 1, i, "rwm")));
    let p = Program::compile(l.iter().copied().map(Ok)).unwrap();
    assert!(p.insns().len() <= BPF_MAXINSNS);
    l.push(r(true, 'c', 2, 0, "rwm"));
    assert!(Program::compile(l.iter().copied().map(Ok)).is_err());
    // Distinct keys beyond the table: also named.
    let mut l = vec![deny_all()];
    l.extend((0..MAX_EXCEPTIONS as i64 + 1).map(|i| r(true, 'c', 1, i, "rwm")));
    let s = format!(
        "{}",
        Program::compile(l.iter().copied().map(Ok)).unwrap_err()
    );
    assert!(s.contains("linux.resources.devices"), "{s}");
}

#[test]
fn program_shape() {
    let p = Program::compile([deny_all(), r(true, 'c', 1, 3, "rw")].into_iter().map(Ok)).unwrap();
    let i = p.insns();
    // The context words: access_type (type and access), major, minor.
    assert_eq!(
        (i[0].code, i[0].dst(), i[0].src(), i[0].off),
        (LDX_W, R2, R1, 0)
    );
    assert_eq!((i[1].code, i[1].imm), (AND32_K, 0xffff));
    assert_eq!((i[2].code, i[2].dst(), i[2].off), (LDX_W, R3, 0));
    assert_eq!((i[3].code, i[3].imm), (RSH32_K, 16));
    assert_eq!((i[4].code, i[4].dst(), i[4].off), (LDX_W, R4, 4));
    assert_eq!((i[5].code, i[5].dst(), i[5].off), (LDX_W, R5, 8));
    // One block: type, access (3), major, minor, verdict; then the default.
    assert_eq!(i.len(), PROLOGUE + 1 + 3 + 1 + 1 + 2 + EPILOGUE);
    assert_eq!((i[6].code, i[6].imm, i[6].off), (JNE_K, CHR as i32, 7));
    assert_eq!(i[i.len() - 2].code, MOV32_K);
    assert_eq!(i[i.len() - 2].imm, 0);
    assert_eq!(i[i.len() - 1].code, EXIT);
    // Every jump stays inside the program and goes forward.
    for (n, x) in i.iter().enumerate() {
        if x.code & 7 == 5 && x.code != EXIT {
            assert!(x.off >= 0 && n + 1 + (x.off as usize) < i.len());
        }
    }
    // The interpreter refuses what the generator never emits.
    assert!(run(&[Insn::new(0x18, 0, 0, 0, 0)], CHR, 2, 1, 3).is_err());
    assert!(run(&[Insn::new(0x95, 0, 0, 0, 0)], CHR, 2, 1, 3).is_err()); // r0 unset
}

// ---- from the config ---------------------------------------------------------------------

fn spec_program(json: &str) -> Result<Program> {
    let mut b = json.as_bytes().to_vec();
    let res = crate::spec::parse_resources(&mut b)?;
    Program::from_spec(&res.devices)
}

#[test]
fn from_the_config() {
    let p = spec_program(r#"{"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":10,"minor":229,"access":"rw"},{"allow":true,"type":"b","major":-1,"minor":0,"access":"r"}]}"#).unwrap();
    assert!(verdict(&p, CHR, ACC_READ | ACC_WRITE, 10, 229));
    assert!(
        !verdict(&p, CHR, ACC_MKNOD | ACC_READ, 10, 229) || verdict(&p, CHR, ACC_MKNOD, 10, 229)
    );
    assert!(verdict(&p, BLK, ACC_READ, 8, 0) && !verdict(&p, BLK, ACC_READ, 8, 1));
    assert!(verdict(&p, CHR, ACC_READ, 1, 3)); // runc's defaults follow
    let e = spec_program(r#"{"devices":[{"allow":false}]}"#).unwrap_err();
    assert_eq!(
        format!("{e}"),
        "linux.resources.devices[0].access: must not be empty"
    );
    let e =
        spec_program(r#"{"devices":[{"allow":true,"type":"c","major":4294967296,"access":"r"}]}"#)
            .unwrap_err();
    assert!(
        format!("{e}").starts_with("linux.resources.devices[0].major"),
        "{e}"
    );
    let e = spec_program(r#"{"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":1,"access":"r"},{"allow":false,"type":"c","major":1,"minor":3,"access":"r"}]}"#).unwrap_err();
    assert!(
        format!("{e}").starts_with("linux.resources.devices[2]"),
        "{e}"
    );
}

// ---- on the kernel -----------------------------------------------------------------------

use crate::sys::clone::{fork, Forked};
use std::sync::Mutex;

static SERIAL: Mutex<()> = Mutex::new(());

/// Steps the child reports, in order (0 = success, else the errno; -1: not reached;
/// -2: a husk error without errno; for QUERY the number of programs).
const STEPS: [&str; 16] = [
    "unshare",
    "private /",
    "mount cgroup2",
    "mkdir cgroup",
    "open cgroup",
    "apply",
    "enter cgroup",
    "mount tmpfs",
    "open /dev/null",
    "mknod full",
    "open full",
    "mknod kmsg",
    "open kmsg",
    "re-apply",
    "query",
    "open full again",
];

#[test]
fn root_filter_on_a_cgroup() {
    if !rustix::process::geteuid().is_root() {
        std::eprintln!("skipped: needs root");
        return;
    }
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let base = std::env::temp_dir().join(format!("husk-devfilter-{}", std::process::id()));
    let (cg, dev) = (base.join("cg"), base.join("dev"));
    std::fs::create_dir_all(&cg).unwrap();
    std::fs::create_dir_all(&dev).unwrap();
    let c = |p: std::path::PathBuf| {
        std::ffi::CString::new(p.into_os_string().into_encoded_bytes()).unwrap()
    };
    let name = format!("husk-devfilter-test-{}", std::process::id());
    let (cg_c, dev_c) = (c(cg.clone()), c(dev.clone()));
    let (sub, full, kmsg) = (c(cg.join(&name)), c(dev.join("full")), c(dev.join("kmsg")));
    let (procs, root_procs) = (
        c(cg.join(&name).join("cgroup.procs")),
        c(cg.join("cgroup.procs")),
    );
    let mut json = br#"{"devices":[{"allow":false,"access":"rwm"}]}"#.to_vec();
    let res = crate::spec::parse_resources(&mut json).unwrap();
    // The second program: deny all but /dev/null, without runc's defaults.
    let second =
        Program::compile([deny_all(), r(true, 'c', 1, 3, "rwm")].into_iter().map(Ok)).unwrap();
    let (rd, wr) = rustix::pipe::pipe().unwrap();

    match fork().unwrap() {
        Forked::Child => {
            use rustix::fs::{Mode, OFlags};
            let mut out = [-1i32; STEPS.len()];
            let err = |e: Errno| e.raw_os_error();
            let herr = |e: Error| e.errno().map_or(-2, |e| e.raw_os_error());
            let open = |p: &core::ffi::CStr, f: OFlags| {
                rustix::fs::open(p, f | OFlags::CLOEXEC, Mode::empty())
            };
            let mknod = |p: &core::ffi::CStr, minor: u32| {
                rustix::fs::mknodat(
                    rustix::fs::CWD,
                    p,
                    rustix::fs::FileType::CharacterDevice,
                    Mode::from_raw_mode(0o600),
                    rustix::fs::makedev(1, minor),
                )
            };
            let mut k = 0;
            let mut step = |out: &mut [i32; STEPS.len()], v: i32| {
                out[k] = v;
                k += 1;
                v == 0
            };
            let _ = (|| {
                use rustix::mount::{mount, mount_change, MountFlags, MountPropagationFlags};
                step(
                    &mut out,
                    crate::sys::process::unshare(linux_raw_sys::general::CLONE_NEWNS)
                        .err()
                        .map_or(0, err),
                )
                .then_some(())?;
                step(
                    &mut out,
                    mount_change(
                        c"/",
                        MountPropagationFlags::PRIVATE | MountPropagationFlags::REC,
                    )
                    .err()
                    .map_or(0, err),
                )
                .then_some(())?;
                step(
                    &mut out,
                    mount(c"none", &*cg_c, c"cgroup2", MountFlags::empty(), None)
                        .err()
                        .map_or(0, err),
                )
                .then_some(())?;
                step(
                    &mut out,
                    rustix::fs::mkdir(&*sub, Mode::from_raw_mode(0o755))
                        .err()
                        .map_or(0, err),
                )
                .then_some(())?;
                let dir = open(&sub, OFlags::RDONLY | OFlags::DIRECTORY);
                step(&mut out, dir.as_ref().err().map_or(0, |e| err(*e))).then_some(())?;
                let dir = dir.ok()?;
                step(
                    &mut out,
                    apply(dir.as_fd(), &res.devices).err().map_or(0, herr),
                )
                .then_some(())?;
                let enter = open(&procs, OFlags::WRONLY).and_then(|f| rustix::io::write(&f, b"0"));
                step(&mut out, enter.err().map_or(0, err)).then_some(())?;
                step(
                    &mut out,
                    mount(c"tmpfs", &*dev_c, c"tmpfs", MountFlags::empty(), None)
                        .err()
                        .map_or(0, err),
                )
                .then_some(())?;
                step(
                    &mut out,
                    open(c"/dev/null", OFlags::RDWR).err().map_or(0, err),
                );
                step(&mut out, mknod(&full, 7).err().map_or(0, err));
                step(&mut out, open(&full, OFlags::WRONLY).err().map_or(0, err));
                step(&mut out, mknod(&kmsg, 11).err().map_or(0, err));
                step(&mut out, open(&kmsg, OFlags::RDONLY).err().map_or(0, err));
                step(&mut out, attach(dir.as_fd(), &second).err().map_or(0, herr));
                let mut ids = [0u32; 8];
                step(
                    &mut out,
                    bpf::query_cgroup_device(dir.as_fd(), &mut ids).map_or_else(err, |n| n as i32),
                );
                step(&mut out, open(&full, OFlags::RDONLY).err().map_or(0, err));
                // Leave the cgroup so the parent can remove it.
                let _ = open(&root_procs, OFlags::WRONLY).and_then(|f| rustix::io::write(&f, b"0"));
                let _ = rustix::fs::rmdir(&*sub);
                Some(())
            })();
            let mut b = [0u8; STEPS.len() * 4];
            for (i, v) in out.iter().enumerate() {
                b[i * 4..i * 4 + 4].copy_from_slice(&v.to_ne_bytes());
            }
            let _ = rustix::io::write(&wr, &b);
            crate::sys::exit(0);
        }
        Forked::Parent { pid, .. } => {
            drop(wr);
            let mut b = [0u8; STEPS.len() * 4];
            let mut got = 0;
            while got < b.len() {
                match rustix::io::read(&rd, &mut b[got..]) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got += n,
                }
            }
            let _ = rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty());
            let _ = std::fs::remove_dir_all(&base);
            assert_eq!(got, b.len(), "child report");
            let v: Vec<(&str, i32)> = STEPS
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    (
                        *s,
                        i32::from_ne_bytes(b[i * 4..i * 4 + 4].try_into().unwrap()),
                    )
                })
                .collect();
            std::eprintln!("device filter on the kernel: {v:?}");
            let eperm = Errno::PERM.raw_os_error();
            if v[5].1 == eperm || v[5].1 == Errno::INVAL.raw_os_error() {
                std::eprintln!(
                    "skipped: the kernel refused the program ({:?}); see steps",
                    v[5]
                );
                return;
            }
            let want = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, eperm, 0, 1, eperm];
            let want: Vec<(&str, i32)> = STEPS.iter().copied().zip(want).collect();
            assert_eq!(v, want);
        }
    }
}
