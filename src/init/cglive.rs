//! `cg-live` (test mode): the cgroup verbs on a live container, driven by PID 1 as a
//! caller would: create + start a spinning probe (its rootfs borrowed from the first bundle
//! that has one), pause (state `paused`, cgroup.events `frozen 1`, CPU usage stands still),
//! resume (usage moves), update (pids.max, memory.max), events' stats, delete --force
//! (cgroup directory gone). One JSON line; the harness's `expect` judges it.

use super::bundles::{run_captured, STATE_ROOT};
use super::Tally;
use crate::container;
use crate::cpath::CPath;
use crate::error::{Error, Result};
use crate::linux::cgroups::{sleep_ms, stats, Cgroup};
use crate::out::Buf;
use crate::sys::process::SigMask;
use core::fmt::Write;
use rustix::fd::AsFd;
use rustix::fs::{self, Mode, OFlags};

const ID: &str = "cg-live";
const CG: &[u8] = b"/sys/fs/cgroup/husk/cg-live";

pub fn check(mask: SigMask, bundles: &[u8], tally: &mut Tally) {
    let out = run_captured(mask, || {
        let mut b = Buf::<2048>::new();
        let r = live(bundles, &mut b);
        if let Err(e) = &r {
            let _ = container::delete::delete(STATE_ROOT, ID, true);
            let mut t = Buf::<256>::new();
            let _ = write!(t, "{e}");
            let _ = b.write_str(",\"error\":\"");
            let _ = crate::out::json_escape(&mut b, t.as_str());
            let _ = b.write_str("\"");
        }
        let _ = write!(b, ",\"ok\":{}}}", r.is_ok());
        b.finish_line();
        let _ = b.write_to(crate::sys::stdout());
        i32::from(r.is_err())
    });
    super::bundles::report(ID.as_bytes(), &out, true, tally);
}

/// `<bundles>/<first entry with rootfs/husk-probe>/rootfs`.
fn find_rootfs(bundles: &[u8]) -> Result<CPath> {
    let dir = CPath::from(bundles, "bundles")?;
    let d = fs::open(
        dir.as_cstr(),
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::sys("open", e).path(bundles))?;
    let mut buf = [core::mem::MaybeUninit::<u8>::uninit(); 2048];
    let mut it = fs::RawDir::new(&d, &mut buf);
    while let Some(Ok(ent)) = it.next() {
        let name = ent.file_name().to_bytes();
        if name.starts_with(b".") {
            continue;
        }
        let mut p = CPath::from(bundles, "bundles")?;
        p.join(name, "bundles")?
            .join(b"rootfs/husk-probe", "bundles")?;
        if fs::stat(p.as_cstr()).is_ok() {
            let mut r = CPath::from(bundles, "bundles")?;
            r.join(name, "bundles")?.join(b"rootfs", "bundles")?;
            return Ok(r);
        }
    }
    Err(Error::state("no bundle with rootfs/husk-probe"))
}

fn usage(cg: &Cgroup) -> u64 {
    let mut b = [0u8; 1024];
    stats::key(cg.read(b"cpu.stat", &mut b).unwrap_or(&[]), b"usage_usec").unwrap_or(0)
}

fn text<'b>(cg: &Cgroup, f: &[u8], b: &'b mut [u8]) -> &'b str {
    core::str::from_utf8(cg.read(f, b).unwrap_or(&[]))
        .unwrap_or("?")
        .trim()
}

fn live(bundles: &[u8], out: &mut Buf<2048>) -> Result<()> {
    let _ = out.write_str("{\"check\":\"cg-live\"");
    let rootfs = find_rootfs(bundles)?;
    let dir = c"/run/cg-live";
    match fs::mkdir(dir, Mode::from_raw_mode(0o700)) {
        Ok(()) | Err(rustix::io::Errno::EXIST) => {}
        Err(e) => return Err(Error::sys("mkdir", e).path(dir.to_bytes())),
    }
    let mut cfg = Buf::<1024>::new();
    let _ = cfg.write_str("{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"/husk-probe\",\"spin\",\"60000\"],\"env\":[],\"cwd\":\"/\"},\"root\":{\"path\":\"");
    let _ = crate::out::json_escape(
        &mut cfg,
        core::str::from_utf8(rootfs.as_bytes()).unwrap_or(""),
    );
    let _ = cfg.write_str("\"},\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"}],\"resources\":{\"pids\":{\"limit\":50}}}}");
    let f = fs::open(
        c"/run/cg-live/config.json",
        OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    )
    .map_err(|e| Error::sys("create config.json", e))?;
    crate::out::write_all(&f, cfg.as_bytes()).map_err(|e| Error::sys("write config.json", e))?;
    drop(f);
    let null = fs::open(
        c"/dev/null",
        OFlags::WRONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::sys("open /dev/null", e))?;
    let opts = container::create::CreateOpts {
        bundle: dir.to_bytes(),
        pid_file: None,
        console_socket: None,
        no_pivot: false,
        preserve_fds: 0,
        listen_fds: 0,
        no_new_keyring: false,
        stdout: Some(null.as_fd()),
        stdin: None,
        stderr: None,
        systemd_cgroup: false,
        test_mode: true,
        attached: false,
    };
    container::create::create(STATE_ROOT, ID, &opts)?;
    container::start::start(STATE_ROOT, ID)?;
    let cg = Cgroup::open(CG)?;
    sleep_ms(200);
    container::pause::pause(STATE_ROOT, ID, true)?;
    let status = state()?;
    let frozen = cg.event(b"frozen") == Some(true);
    let u1 = usage(&cg);
    sleep_ms(300);
    let u2 = usage(&cg);
    container::pause::pause(STATE_ROOT, ID, false)?;
    let resumed = state()?;
    sleep_ms(300);
    let u3 = usage(&cg);
    let _ = write!(
        out,
        ",\"paused_status\":\"{status}\",\"frozen\":{frozen},\"frozen_delta\":{},\"resumed_status\":\"{resumed}\",\"running_delta\":{}",
        u2.saturating_sub(u1),
        u3.saturating_sub(u2)
    );
    let flags = |k: &str| -> Option<&'static [u8]> {
        match k {
            "pids-limit" => Some(b"7"),
            "memory" => Some(b"32m"),
            "cpu-quota" => Some(b"50000"),
            "cpu-period" => Some(b"100000"),
            _ => None,
        }
    };
    container::update::update(STATE_ROOT, ID, None, &flags)?;
    let (mut a, mut b, mut c) = ([0u8; 64], [0u8; 64], [0u8; 64]);
    let _ = write!(
        out,
        ",\"pids_max\":\"{}\",\"memory_max\":\"{}\",\"cpu_max\":\"{}\"",
        text(&cg, b"pids.max", &mut a),
        text(&cg, b"memory.max", &mut b),
        text(&cg, b"cpu.max", &mut c)
    );
    let mut s = Buf::<16384>::new();
    stats::render(&cg, ID, &mut s);
    let has = |t: &str| s.as_str().contains(t);
    let _ = write!(
        out,
        ",\"stats_type\":{},\"stats_pids\":{},\"stats_memory_limit\":{}",
        has("{\"type\":\"stats\",\"id\":\"cg-live\""),
        has("\"pids\":{\"current\":1,\"limit\":7}"),
        has("\"usage\":{\"limit\":33554432,")
    );
    drop(cg);
    container::delete::delete(STATE_ROOT, ID, true)?;
    let gone = matches!(
        fs::stat(c"/sys/fs/cgroup/husk/cg-live"),
        Err(rustix::io::Errno::NOENT)
    );
    let _ = write!(out, ",\"deleted\":{gone}");
    Ok(())
}

fn state() -> Result<&'static str> {
    let store = crate::state::Store::open(STATE_ROOT, false)?;
    let entry = store.get(ID)?;
    let mut buf = [0u8; crate::state::file::STATE_MAX_BYTES];
    let st = crate::state::file::parse(entry.read(&mut buf)?)?;
    Ok(crate::state::live_status(&st).as_str())
}
