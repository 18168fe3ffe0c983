//! husk-probe: a container payload that prints what it sees as ONE JSON line on stdout.
//!
//! # Command line
//! `husk-probe [WORD...]`: the words are steps run left to right.
//!
//! | step                     | effect                                                      |
//! |--------------------------|-------------------------------------------------------------|
//! | `report`                 | print the JSON report now (at most once)                    |
//! | `exit N`                 | stop: print the report if not yet printed, exit with N      |
//! | `sleep SECS`             | sleep (report first with `report sleep 60` for a live one)  |
//! | `alloc MIB`              | map MIB MiB anonymous memory and touch every page           |
//! | `fork N`                 | fork N children (each exits 0 at once), then reap them      |
//! | `syscall NAME\|NR [ARG...]` | make a raw call, record its result or errno               |
//! | `write PATH TEXT`        | create/truncate PATH and write TEXT, record the errno       |
//! | `read PATH`              | read PATH to its end: bytes read and the first 96 as text,  |
//! |                          | or the errno                                                |
//! | `stat PATH`              | lstat PATH: type, permission bits, uid, gid, the device     |
//! |                          | it is on, and for a device node its major and minor; or     |
//! |                          | the errno                                                   |
//! | `statfs PATH`            | statfs PATH: size in bytes, whether it is read-only, and    |
//! |                          | the filesystem's magic number (f_type)                      |
//! | `spin MS`                | busy-loop for MS milliseconds of wall-clock time            |
//! | `key PATH NAME`          | the number on PATH's line `NAME N` (cgroup stat files)      |
//! | `syscall32 NAME`         | an i386 call (`int 0x80`, x86_64 only): getpid, getpgid,    |
//! |                          | sched_yield; recorded as `syscall` is                       |
//! | `notify-listen SOCK STATE VAL` | a seccomp listener on SOCK in the background (see    |
//! |                          | listen.rs): notified calls return VAL; prints nothing       |
//! | `tty`                    | the terminal on fds 0-2, the controlling terminal, the      |
//! |                          | window size and what /dev/console is (see tty.rs)           |
//! | `env=NAME,NAME`          | environment variables to include in the report              |
//! | `block SIG`, `kill PID SIG`, `orphan MS WAIT_MS`, `clock`, `procfs`, `rss`, `await PATH TEXT MS` | PID 1 tests: see `probe/pid1.rs` |
//!
//! With no `report` step the report is printed after the last step, so `husk-probe` alone
//! reports, and `exit 3` reports then exits 3. Exit status is 0 unless `exit N` says
//! otherwise; 2 for a bad command line (an `{"usage":...}` line is printed instead).
//!
//! `syscall` takes up to six integer arguments (decimal, `0x` hex, or negative), all the
//! following words that parse as integers. Names: getpid, unshare FLAGS (default
//! CLONE_NEWNS; changes this probe's namespaces for a later `report`), mount (mounts a tmpfs
//! on a path that does not exist: ENOENT when allowed, EPERM when not), reboot (invalid
//! magic: EINVAL with CAP_SYS_BOOT, EPERM without), keyctl (KEYCTL_GET_KEYRING_ID of the
//! session keyring), ptrace (PTRACE_CONT on pid 0: ESRCH when allowed), personality
//! (query), getcwd, prctl; any other syscall by number. See `husk::sys::raw` for which
//! arguments and numbers are refused.
//!
//! Each `write`, `read`, `stat`, `syscall`, `fork` and `alloc` adds one object to the
//! report's `actions` list, in step order:
//! `{"write":PATH,"ret":BYTES}`, `{"read":PATH,"ret":BYTES,"text":FIRST_96_BYTES}`,
//! `{"stat":PATH,"type":"chr","mode":"0666","uid":0,"gid":0,"dev_major":0,"dev_minor":5,
//! "major":1,"minor":3}` (type one of reg dir chr blk lnk fifo sock; dev_major/dev_minor
//! the device of the filesystem holding PATH (st_dev); major/minor only for chr and blk),
//! `{"statfs":PATH,"size":BYTES,"ro":BOOL,"magic":"0xef53"}`, `{"key":PATH,"name":NAME,"value":N}` (errno
//! ENODATA when no line has that name), with
//! `"errno":"ENAME"` in place of the results when the call failed.
//!
//! # Report
//! One object: `pid ppid uid euid gid egid groups hostname domainname cwd umask caps
//! no_new_privs seccomp rlimits ns cgroup oom_score_adj mounts mounts_cut env actions`.
//! A value the probe could not read (no /proc mounted, say) is `{"error":"ENOENT"}`
//! instead, never a crash. Rlimits are `[soft, hard]` with RLIM_INFINITY written as -1.
//! `caps` holds the five /proc/self/status sets as hex strings (`inh prm eff bnd amb`).
//! `mounts` lists at most 48 entries of /proc/self/mountinfo as `{"dst","type","opts"}`;
//! `mounts_cut` is true when entries were left out (or the file exceeded the buffer). If the
//! whole line exceeds 16 KiB it is cut and ends in `...` (not valid JSON: a harness sees it).
#![no_std]
#![no_main]

use core::fmt::Write;
use husk::error::ErrnoText;
use husk::out::{json_escape, Buf};
use husk::sys::{self, Errno};
use rustix::fs::{Mode, OFlags};

mod listen;
mod tty;

husk::entry!(main);

mod pid1;

const MAX_MOUNTS: usize = 48;

type Out = Buf<16384>;

struct State {
    actions: Buf<2048>,
    /// The last `alloc`, kept mapped until exit so that the report sees it charged.
    held: Option<sys::mem::Region>,
    env: &'static [u8],
    reported: bool,
}

fn main(args: sys::Args) -> i32 {
    let mut st = State {
        actions: Buf::new(),
        held: None,
        env: b"",
        reported: false,
    };
    let mut i = 1;
    let mut code = 0;
    while let Some(w) = args.get(i) {
        i += 1;
        let arg = |k: usize| args.get(k);
        match w {
            b"report" => report(&args, &mut st),
            b"exit" => match arg(i).and_then(parse_int) {
                Some(n) => {
                    code = n as i32;
                    break;
                }
                None => return usage("exit N"),
            },
            b"sleep" => match arg(i).and_then(parse_int) {
                Some(n) if n >= 0 => {
                    i += 1;
                    let t = rustix::time::Timespec {
                        tv_sec: n as _,
                        tv_nsec: 0,
                    };
                    let _ = rustix::thread::nanosleep(&t);
                }
                _ => return usage("sleep SECS"),
            },
            b"alloc" => match arg(i).and_then(parse_int) {
                Some(n) if n >= 0 => {
                    i += 1;
                    let r = alloc_mib(n as usize, &mut st.held);
                    action(&mut st, "alloc", n, r.map(|p| p as isize));
                }
                _ => return usage("alloc MIB"),
            },
            b"spin" => match arg(i).and_then(parse_int) {
                Some(n) if n >= 0 => {
                    i += 1;
                    spin_ms(n as u64);
                }
                _ => return usage("spin MS"),
            },
            b"key" => match (arg(i), arg(i + 1)) {
                (Some(p), Some(k)) => {
                    i += 2;
                    key_step(&mut st, p, k);
                }
                _ => return usage("key PATH NAME"),
            },
            b"fork" => match arg(i).and_then(parse_int) {
                Some(n) if n >= 0 => {
                    i += 1;
                    fork_n(&mut st, n as usize);
                }
                _ => return usage("fork N"),
            },
            b"syscall" => {
                let Some(name) = arg(i) else {
                    return usage("syscall NAME|NR [ARG...]");
                };
                i += 1;
                let mut a = [0isize; 7];
                let mut n = 0;
                while let Some(v) = arg(i).and_then(parse_int) {
                    if n == a.len() {
                        return usage("syscall: at most 6 arguments");
                    }
                    a[n] = v;
                    n += 1;
                    i += 1;
                }
                if !syscall(&mut st, name, &a[..n]) {
                    return usage("syscall: unknown name");
                }
            }
            b"syscall32" => {
                let Some(name) = arg(i) else {
                    return usage("syscall32 NAME");
                };
                i += 1;
                record_call(&mut st, name, 0, sys::raw::call32(name));
            }
            b"notify-listen" => match (arg(i), arg(i + 1), arg(i + 2).and_then(parse_int)) {
                (Some(sock), Some(state), Some(val)) => {
                    return match listen::run(sock, state, val as i64) {
                        Ok(()) => 0,
                        Err(e) => {
                            husk::outln!(sys::stderr(), "notify-listen: {}", ErrnoText(e));
                            1
                        }
                    };
                }
                _ => return usage("notify-listen SOCK STATE VAL"),
            },
            b"write" => match (arg(i), arg(i + 1)) {
                (Some(p), Some(t)) => {
                    i += 2;
                    let r = write_file(p, t);
                    let _ = st
                        .actions
                        .write_str(if st.actions.is_empty() { "" } else { "," });
                    let _ = st.actions.write_str("{\"write\":\"");
                    let _ = json_escape(&mut st.actions, lossy(p));
                    let _ = st.actions.write_str("\",");
                    result(&mut st.actions, r.map(|n| n as isize));
                    let _ = st.actions.write_str("}");
                }
                _ => return usage("write PATH TEXT"),
            },
            b"read" => match arg(i) {
                Some(p) => {
                    i += 1;
                    read_step(&mut st, p);
                }
                None => return usage("read PATH"),
            },
            b"stat" => match arg(i) {
                Some(p) => {
                    i += 1;
                    stat_step(&mut st, p);
                }
                None => return usage("stat PATH"),
            },
            b"statfs" => match arg(i) {
                Some(p) => {
                    i += 1;
                    statfs_step(&mut st, p);
                }
                None => return usage("statfs PATH"),
            },
            b"tty" => tty::step(&mut st.actions),
            b"block" => match arg(i).and_then(parse_int) {
                Some(n) => {
                    i += 1;
                    pid1::block(&mut st.actions, n as i32);
                }
                None => return usage("block SIG"),
            },
            b"kill" => match (arg(i).and_then(parse_int), arg(i + 1).and_then(parse_int)) {
                (Some(p), Some(s)) => {
                    i += 2;
                    pid1::kill(&mut st.actions, p as i32, s as i32);
                }
                _ => return usage("kill PID SIG"),
            },
            b"orphan" => match (arg(i).and_then(parse_int), arg(i + 1).and_then(parse_int)) {
                (Some(m), Some(w)) if m >= 0 && w >= 0 => {
                    i += 2;
                    pid1::orphan(&mut st.actions, m as u64, w as u64);
                }
                _ => return usage("orphan MS WAIT_MS"),
            },
            b"clock" => pid1::clock(&mut st.actions),
            b"procfs" => pid1::procfs(&mut st.actions),
            b"rss" => pid1::rss(&mut st.actions),
            b"await" => match (arg(i), arg(i + 1), arg(i + 2).and_then(parse_int)) {
                (Some(p), Some(t), Some(ms)) if ms >= 0 => {
                    i += 3;
                    pid1::await_text(&mut st.actions, p, t, ms as u64);
                }
                _ => return usage("await PATH TEXT MS"),
            },
            w if w.starts_with(b"env=") => st.env = &w[4..],
            _ => return usage("unknown step"),
        }
    }
    if !st.reported {
        report(&args, &mut st);
    }
    code
}

fn usage(msg: &str) -> i32 {
    husk::outln!(sys::stdout(), "{{\"usage\":\"{msg}\"}}");
    2
}

/// Decimal, 0x-hex or negative decimal.
fn parse_int(s: &[u8]) -> Option<isize> {
    let (neg, s) = match s.split_first() {
        Some((b'-', r)) => (true, r),
        _ => (false, s),
    };
    let (radix, s) = match s {
        [b'0', b'x' | b'X', r @ ..] => (16, r),
        _ => (10, s),
    };
    if s.is_empty() {
        return None;
    }
    let mut v: isize = 0;
    for &c in s {
        let d = (c as char).to_digit(radix)? as isize;
        v = v.checked_mul(radix as isize)?.checked_add(d)?;
    }
    Some(if neg { -v } else { v })
}

fn lossy(b: &[u8]) -> &str {
    match core::str::from_utf8(b) {
        Ok(s) => s,
        Err(e) => core::str::from_utf8(&b[..e.valid_up_to()]).unwrap_or(""),
    }
}

/// `"ret":N` or `"errno":"ENAME"`.
fn result(b: &mut impl Write, r: Result<isize, Errno>) {
    let _ = match r {
        Ok(v) => write!(b, "\"ret\":{v}"),
        Err(e) => write!(b, "\"errno\":\"{}\"", errno_name(e).as_str()),
    };
}

/// "EPERM" for errno text "EPERM (operation not permitted)".
fn errno_name(e: Errno) -> Buf<24> {
    let mut b = Buf::<24>::new();
    let mut t = Buf::<80>::new();
    let _ = write!(t, "{}", ErrnoText(e));
    let s = t.as_str();
    let _ = b.write_str(s.split(' ').next().unwrap_or(s));
    b
}

fn action(st: &mut State, what: &str, arg: isize, r: Result<isize, Errno>) {
    let b = &mut st.actions;
    let _ = b.write_str(if b.is_empty() { "" } else { "," });
    let _ = write!(b, "{{\"{what}\":{arg},");
    result(b, r);
    let _ = b.write_str("}");
}

/// Map `mib` MiB and write one byte in every 4 KiB page, so the memory is really charged
/// (to the memory cgroup), not just reserved. Returns the number of pages touched.
fn alloc_mib(mib: usize, held: &mut Option<sys::mem::Region>) -> Result<usize, Errno> {
    let len = mib.checked_mul(1 << 20).ok_or(Errno::NOMEM)?;
    if len == 0 {
        return Ok(0);
    }
    let mut r = sys::mem::Region::new(len)?;
    let mut pages = 0;
    for b in r.iter_mut().step_by(4096) {
        *b = 1;
        pages += 1;
    }
    core::hint::black_box(&mut *r);
    *held = Some(r);
    Ok(pages)
}

fn now_ms() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    t.tv_sec as u64 * 1000 + t.tv_nsec as u64 / 1_000_000
}

/// Burn CPU until `ms` milliseconds of wall-clock time have passed.
fn spin_ms(ms: u64) {
    let end = now_ms().saturating_add(ms);
    let mut x = 0u64;
    while now_ms() < end {
        for _ in 0..1000 {
            x = core::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
        }
    }
}

/// `key PATH NAME`: the number after `NAME ` on a line of PATH.
fn key_step(st: &mut State, p: &[u8], k: &[u8]) {
    let mut buf = [0u8; 4096];
    let r = rustix::fs::open(p, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
        .and_then(|fd| husk::files::read_fd(&fd, &mut buf));
    let r = match r {
        Ok(n) => buf[..n]
            .split(|&c| c == b'\n')
            .find_map(|l| l.strip_prefix(k)?.strip_prefix(b" "))
            .and_then(|v| core::str::from_utf8(v).ok()?.trim().parse::<u64>().ok())
            .ok_or(Errno::NODATA),
        Err(e) => Err(e),
    };
    let b = &mut st.actions;
    let _ = b.write_str(if b.is_empty() { "" } else { "," });
    let _ = b.write_str("{\"key\":\"");
    let _ = json_escape(b, lossy(p));
    let _ = b.write_str("\",\"name\":\"");
    let _ = json_escape(b, lossy(k));
    let _ = b.write_str("\",");
    match r {
        Ok(v) => {
            let _ = write!(b, "\"value\":{v}");
        }
        Err(e) => {
            let _ = write!(b, "\"errno\":\"{}\"", errno_name(e).as_str());
        }
    }
    let _ = b.write_str("}");
}

fn fork_n(st: &mut State, n: usize) {
    use husk::sys::clone::{fork, Forked};
    let mut ok = 0;
    let mut first_err = None;
    for _ in 0..n {
        match fork() {
            Ok(Forked::Child) => sys::exit(0),
            Ok(Forked::Parent { .. }) => ok += 1,
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    let mut reaped = 0;
    while let Ok(Some(_)) = rustix::process::wait(rustix::process::WaitOptions::empty()) {
        reaped += 1;
    }
    let b = &mut st.actions;
    let _ = b.write_str(if b.is_empty() { "" } else { "," });
    let _ = write!(b, "{{\"fork\":{n},\"forked\":{ok},\"reaped\":{reaped}");
    if let Some(e) = first_err {
        let _ = write!(b, ",\"errno\":\"{}\"", errno_name(e).as_str());
    }
    let _ = b.write_str("}");
}

/// Returns false for an unknown name.
fn syscall(st: &mut State, name: &[u8], args: &[isize]) -> bool {
    use linux_raw_sys::general as g;
    let nr = match sys::raw::number(name) {
        Some(nr) => nr,
        None => match parse_int(name) {
            Some(n) if n >= 0 => n as u32,
            _ => return false,
        },
    };
    let r: Result<Result<usize, Errno>, sys::raw::Refused> = match (name, args) {
        (b"unshare", _) => {
            let flags = args.first().map_or(g::CLONE_NEWNS, |&f| f as u32);
            Ok(sys::process::unshare(flags).map(|_| 0))
        }
        (b"mount", []) => Ok(rustix::mount::mount(
            c"none",
            c"/.husk-probe-nonexistent",
            c"tmpfs",
            rustix::mount::MountFlags::empty(),
            None,
        )
        .map(|_| 0)),
        (b"reboot", []) => sys::raw::call(nr, &[0, 0, 0, 0]),
        (b"keyctl", []) => sys::raw::call(nr, &[0, -3, 0]), // GET_KEYRING_ID, session, no create
        (b"ptrace", []) => sys::raw::call(nr, &[7, 0, 0, 0]), // PTRACE_CONT on pid 0
        (b"personality", []) => sys::raw::call(nr, &[-1]),  // 0xffffffff: query only
        _ => sys::raw::call(nr, args),
    };
    record_call(st, name, nr, r);
    true
}

/// `{"syscall":NAME,"nr":NR,` then the result, errno or refusal.
fn record_call(
    st: &mut State,
    name: &[u8],
    nr: u32,
    r: Result<Result<usize, Errno>, sys::raw::Refused>,
) {
    let b = &mut st.actions;
    let _ = b.write_str(if b.is_empty() { "" } else { "," });
    let _ = b.write_str("{\"syscall\":\"");
    let _ = json_escape(b, lossy(name));
    let _ = write!(b, "\",\"nr\":{nr},");
    match r {
        Ok(r) => result(b, r.map(|v| v as isize)),
        Err(why) => {
            let _ = write!(b, "\"refused\":\"{why:?}\"");
        }
    }
    let _ = b.write_str("}");
}

/// `{"KEY":"PATH",` opening an action object.
fn action_start(st: &mut State, key: &str, path: &[u8]) {
    let b = &mut st.actions;
    let _ = b.write_str(if b.is_empty() { "" } else { "," });
    let _ = write!(b, "{{\"{key}\":\"");
    let _ = json_escape(b, lossy(path));
    let _ = b.write_str("\",");
}

/// Bytes read from a file, at most this many (a masked /proc/kcore reads 0; the real one
/// would read the machine's memory).
const READ_MAX: usize = 1 << 20;

fn read_step(st: &mut State, path: &[u8]) {
    action_start(st, "read", path);
    let mut head = [0u8; 96];
    let mut head_len = 0;
    let r = (|| {
        let fd = rustix::fs::open(path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())?;
        let mut chunk = [0u8; 4096];
        let mut n = 0;
        while n < READ_MAX {
            match rustix::io::read(&fd, &mut chunk) {
                Ok(0) => break,
                Ok(k) => {
                    let take = k.min(head.len() - head_len);
                    head[head_len..head_len + take].copy_from_slice(&chunk[..take]);
                    head_len += take;
                    n += k;
                }
                Err(Errno::INTR) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(n as isize)
    })();
    result(&mut st.actions, r);
    if r.is_ok() {
        let _ = st.actions.write_str(",\"text\":\"");
        let _ = json_escape(&mut st.actions, lossy(&head[..head_len]));
        let _ = st.actions.write_str("\"");
    }
    let _ = st.actions.write_str("}");
}

fn stat_step(st: &mut State, path: &[u8]) {
    use rustix::fs::FileType as T;
    action_start(st, "stat", path);
    let b = &mut st.actions;
    match rustix::fs::lstat(path) {
        Ok(s) => {
            let t = T::from_raw_mode(s.st_mode);
            let name = match t {
                T::RegularFile => "reg",
                T::Directory => "dir",
                T::CharacterDevice => "chr",
                T::BlockDevice => "blk",
                T::Symlink => "lnk",
                T::Fifo => "fifo",
                T::Socket => "sock",
                _ => "?",
            };
            #[allow(clippy::unnecessary_cast)] // not u64 on every target
            let fs_dev = s.st_dev as u64;
            let _ = write!(
                b,
                "\"type\":\"{name}\",\"mode\":\"{:04o}\",\"uid\":{},\"gid\":{},\
                 \"dev_major\":{},\"dev_minor\":{}",
                s.st_mode & 0o7777,
                s.st_uid,
                s.st_gid,
                rustix::fs::major(fs_dev),
                rustix::fs::minor(fs_dev)
            );
            if matches!(t, T::CharacterDevice | T::BlockDevice) {
                #[allow(clippy::unnecessary_cast)] // not u64 on every target
                let dev = s.st_rdev as u64;
                let _ = write!(
                    b,
                    ",\"major\":{},\"minor\":{}",
                    rustix::fs::major(dev),
                    rustix::fs::minor(dev)
                );
            }
        }
        Err(e) => result(b, Err(e)),
    }
    let _ = b.write_str("}");
}

// The statfs field types differ per target (u32, i64, u64...).
#[allow(clippy::unnecessary_cast)]
fn statfs_step(st: &mut State, path: &[u8]) {
    action_start(st, "statfs", path);
    let b = &mut st.actions;
    match rustix::fs::statfs(path) {
        Ok(s) => {
            let size = (s.f_blocks as u64).saturating_mul(s.f_bsize as u64);
            // f_type: which filesystem (0xef53 ext2/3/4, 0x1021994 tmpfs, ...).
            let magic = s.f_type as u64 & 0xffff_ffff;
            let ro = (s.f_flags as u64) & 1 != 0; // ST_RDONLY
            let _ = write!(b, "\"size\":{size},\"ro\":{ro},\"magic\":\"{magic:#x}\"");
        }
        Err(e) => result(b, Err(e)),
    }
    let _ = b.write_str("}");
}

fn write_file(path: &[u8], text: &[u8]) -> Result<usize, Errno> {
    let fd = rustix::fs::open(
        path,
        OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::CLOEXEC,
        Mode::from_bits_truncate(0o644),
    )?;
    husk::out::write_all(&fd, text)?;
    Ok(text.len())
}

/// Read a whole (small) file into `buf`; the bool is true when it did not fit.
fn read_file<'b>(path: &core::ffi::CStr, buf: &'b mut [u8]) -> Result<(&'b [u8], bool), Errno> {
    let fd = rustix::fs::open(path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())?;
    let n = husk::files::read_fd(&fd, buf)?;
    if n < buf.len() {
        return Ok((&buf[..n], false));
    }
    let mut probe = [0u8; 1];
    let more = matches!(rustix::io::read(&fd, &mut probe), Ok(1..));
    Ok((&buf[..n], more))
}

fn err_obj(o: &mut Out, e: Errno) {
    let _ = write!(o, "{{\"error\":\"{}\"}}", errno_name(e).as_str());
}

fn jstr(o: &mut Out, s: &[u8]) {
    let _ = o.write_str("\"");
    let _ = json_escape(o, lossy(s));
    let _ = o.write_str("\"");
}

/// The value after `Key:` in /proc/self/status, trimmed.
fn status_field<'a>(status: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    status.split(|&c| c == b'\n').find_map(|l| {
        let rest = l.strip_prefix(key)?.strip_prefix(b":")?;
        Some(rest.trim_ascii())
    })
}

fn report(args: &sys::Args, st: &mut State) {
    if st.reported {
        return;
    }
    st.reported = true;
    let mut o = Out::new();
    use rustix::process as p;
    let _ = write!(
        o,
        "{{\"pid\":{},\"ppid\":{},\"uid\":{},\"euid\":{},\"gid\":{},\"egid\":{},\"groups\":",
        p::getpid().as_raw_nonzero(),
        p::getppid().map_or(0, |x| x.as_raw_nonzero().get()),
        p::getuid().as_raw(),
        p::geteuid().as_raw(),
        p::getgid().as_raw(),
        p::getegid().as_raw(),
    );
    let mut groups = [0u32; 64];
    match sys::process::getgroups(&mut groups) {
        Ok(n) => {
            let _ = o.write_str("[");
            for (k, g) in groups[..n].iter().enumerate() {
                let _ = write!(o, "{}{g}", if k > 0 { "," } else { "" });
            }
            let _ = o.write_str("]");
        }
        Err(e) => err_obj(&mut o, e),
    }
    let u = rustix::system::uname();
    let _ = o.write_str(",\"hostname\":");
    jstr(&mut o, u.nodename().to_bytes());
    let _ = o.write_str(",\"domainname\":");
    jstr(&mut o, u.domainname().to_bytes());
    let _ = o.write_str(",\"cwd\":");
    let mut cwd = [0u8; 512];
    match sys::process::getcwd(&mut cwd) {
        Ok(c) => jstr(&mut o, c),
        Err(e) => err_obj(&mut o, e),
    }
    // umask(2) can only be read by setting it: set it back at once.
    let m = p::umask(Mode::empty());
    p::umask(m);
    let _ = write!(o, ",\"umask\":\"{:04o}\"", m.bits());

    report_status(&mut o);
    let _ = write!(o, ",\"no_new_privs\":");
    match rustix::thread::no_new_privs() {
        Ok(b) => {
            let _ = write!(o, "{}", b as u8);
        }
        Err(e) => err_obj(&mut o, e),
    }
    report_rlimits(&mut o);
    report_ns(&mut o);
    let mut buf = [0u8; 1024];
    let _ = o.write_str(",\"cgroup\":");
    match read_file(c"/proc/self/cgroup", &mut buf) {
        Ok((c, _)) => jstr(&mut o, c.trim_ascii_end()),
        Err(e) => err_obj(&mut o, e),
    }
    let _ = o.write_str(",\"oom_score_adj\":");
    match read_file(c"/proc/self/oom_score_adj", &mut buf) {
        Ok((c, _)) => {
            let _ = o.write_str(lossy(c.trim_ascii()));
        }
        Err(e) => err_obj(&mut o, e),
    }
    report_mounts(&mut o);
    report_env(&mut o, args, st.env);
    let _ = write!(o, ",\"actions\":[{}]}}", st.actions.as_str());
    o.finish_line();
    let _ = o.write_to(sys::stdout());
}

/// caps (five sets) and seccomp from /proc/self/status.
fn report_status(o: &mut Out) {
    let mut buf = [0u8; 4096];
    let status = read_file(c"/proc/self/status", &mut buf).map(|(s, _)| s);
    let _ = o.write_str(",\"caps\":");
    match status {
        Ok(s) => {
            let _ = o.write_str("{");
            for (k, (key, name)) in [
                (&b"CapInh"[..], "inh"),
                (b"CapPrm", "prm"),
                (b"CapEff", "eff"),
                (b"CapBnd", "bnd"),
                (b"CapAmb", "amb"),
            ]
            .iter()
            .enumerate()
            {
                let _ = write!(o, "{}\"{name}\":", if k > 0 { "," } else { "" });
                jstr(o, status_field(s, key).unwrap_or(b"?"));
            }
            let _ = o.write_str("}");
        }
        Err(e) => err_obj(o, e),
    }
    let _ = o.write_str(",\"seccomp\":");
    match status {
        Ok(s) => {
            let _ = o.write_str(status_field(s, b"Seccomp").map_or("null", lossy));
        }
        Err(e) => err_obj(o, e),
    }
}

fn report_rlimits(o: &mut Out) {
    use rustix::process::{getrlimit, Resource as R};
    const ALL: [(R, &str); 16] = [
        (R::Cpu, "cpu"),
        (R::Fsize, "fsize"),
        (R::Data, "data"),
        (R::Stack, "stack"),
        (R::Core, "core"),
        (R::Rss, "rss"),
        (R::Nproc, "nproc"),
        (R::Nofile, "nofile"),
        (R::Memlock, "memlock"),
        (R::As, "as"),
        (R::Locks, "locks"),
        (R::Sigpending, "sigpending"),
        (R::Msgqueue, "msgqueue"),
        (R::Nice, "nice"),
        (R::Rtprio, "rtprio"),
        (R::Rttime, "rttime"),
    ];
    let _ = o.write_str(",\"rlimits\":{");
    for (k, (r, name)) in ALL.iter().enumerate() {
        let l = getrlimit(*r);
        let v = |x: Option<u64>| x.map_or(-1i128, |v| v as i128);
        let _ = write!(
            o,
            "{}\"{name}\":[{},{}]",
            if k > 0 { "," } else { "" },
            v(l.current),
            v(l.maximum)
        );
    }
    let _ = o.write_str("}");
}

fn report_ns(o: &mut Out) {
    const NS: [(&core::ffi::CStr, &str); 8] = [
        (c"/proc/self/ns/cgroup", "cgroup"),
        (c"/proc/self/ns/ipc", "ipc"),
        (c"/proc/self/ns/mnt", "mnt"),
        (c"/proc/self/ns/net", "net"),
        (c"/proc/self/ns/pid", "pid"),
        (c"/proc/self/ns/time", "time"),
        (c"/proc/self/ns/user", "user"),
        (c"/proc/self/ns/uts", "uts"),
    ];
    let _ = o.write_str(",\"ns\":{");
    for (k, (path, name)) in NS.iter().enumerate() {
        let _ = write!(o, "{}\"{name}\":", if k > 0 { "," } else { "" });
        let mut b = [core::mem::MaybeUninit::<u8>::uninit(); 64];
        match rustix::fs::readlinkat_raw(rustix::fs::CWD, *path, &mut b) {
            Ok((init, _)) => jstr(o, init),
            Err(e) => err_obj(o, e),
        }
    }
    let _ = o.write_str("}");
}

fn report_mounts(o: &mut Out) {
    let mut buf = [0u8; 12288];
    let _ = o.write_str(",\"mounts\":");
    let (text, mut cut) = match read_file(c"/proc/self/mountinfo", &mut buf) {
        Ok(t) => t,
        Err(e) => {
            err_obj(o, e);
            let _ = o.write_str(",\"mounts_cut\":false");
            return;
        }
    };
    let _ = o.write_str("[");
    let mut n = 0;
    for line in text.split(|&c| c == b'\n').filter(|l| !l.is_empty()) {
        // id parent maj:min root dst opts [optional...] - fstype source superopts
        let mut f = line.split(|&c| c == b' ');
        let (dst, opts) = match (f.nth(4), f.next()) {
            (Some(d), Some(op)) => (d, op),
            _ => continue,
        };
        let fstype = f.skip_while(|x| *x != b"-").nth(1).unwrap_or(b"?");
        if n == MAX_MOUNTS {
            cut = true;
            break;
        }
        let _ = o.write_str(if n > 0 { ",{\"dst\":" } else { "{\"dst\":" });
        jstr(o, dst);
        let _ = o.write_str(",\"type\":");
        jstr(o, fstype);
        let _ = o.write_str(",\"opts\":");
        jstr(o, opts);
        let _ = o.write_str("}");
        n += 1;
    }
    let _ = write!(o, "],\"mounts_cut\":{cut}");
}

fn report_env(o: &mut Out, args: &sys::Args, names: &[u8]) {
    let _ = o.write_str(",\"env\":{");
    let mut first = true;
    for name in names.split(|&c| c == b',').filter(|n| !n.is_empty()) {
        let _ = o.write_str(if first { "" } else { "," });
        first = false;
        jstr(o, name);
        let _ = o.write_str(":");
        let val = args
            .env()
            .find_map(|kv| kv.strip_prefix(name).and_then(|r| r.strip_prefix(b"=")));
        match val {
            Some(v) => jstr(o, v),
            None => {
                let _ = o.write_str("null");
            }
        }
    }
    let _ = o.write_str("}");
}
