//! The state store under `--root` (default /run/husk): one 0700 directory per container
//! holding `state.json` (written atomically: temp file, rename) and locked with
//! flock(2) on the directory, so concurrent commands on one id run one after another.

pub mod file;
pub mod id;

use crate::cpath::CPath;
use crate::error::{Error, Result};
use file::{NewState, Status, STATE_MAX_BYTES};
use rustix::fd::OwnedFd;
use rustix::fs::{self, AtFlags, FlockOperation, Mode, OFlags};
use rustix::io::Errno;

const STATE_FILE: &str = "state.json";
const STATE_TMP: &str = ".state.json.tmp";

/// The opened state root.
pub struct Store {
    dir: OwnedFd,
}

/// One container's directory, locked for as long as this value lives.
pub struct Entry<'s> {
    store: &'s Store,
    id: &'s str,
    dir: OwnedFd,
}

fn dir_flags() -> OFlags {
    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NOFOLLOW
}

impl Store {
    /// Open `root`; with `create`, make it (and missing parents) with mode 0700 first.
    pub fn open(root: &[u8], create: bool) -> Result<Store> {
        let path = CPath::from(root, "--root")?;
        if create {
            mkdir_all(path.as_bytes())?;
        }
        let dir = fs::open(path.as_cstr(), dir_flags(), Mode::empty()).map_err(|e| match e {
            Errno::NOENT => Error::state("container does not exist"),
            e => Error::sys("open state directory", e).path(root),
        })?;
        Ok(Store { dir })
    }

    /// Make the directory of a new container. Fails if the id is taken.
    pub fn create<'s>(&'s self, id: &'s str) -> Result<Entry<'s>> {
        match fs::mkdirat(&self.dir, id, Mode::from_raw_mode(0o700)) {
            Ok(()) => {}
            Err(Errno::EXIST) => {
                return Err(
                    Error::state("container with this id already exists").value(id.as_bytes())
                )
            }
            Err(e) => return Err(Error::sys("mkdir", e).path(id.as_bytes())),
        }
        self.lock(id)
    }

    /// Open and lock an existing container's directory.
    pub fn get<'s>(&'s self, id: &'s str) -> Result<Entry<'s>> {
        self.lock(id)
    }

    fn lock<'s>(&'s self, id: &'s str) -> Result<Entry<'s>> {
        let dir = fs::openat(&self.dir, id, dir_flags(), Mode::empty()).map_err(|e| match e {
            Errno::NOENT | Errno::NOTDIR | Errno::LOOP => Error::state("container does not exist"),
            e => Error::sys("open", e).path(id.as_bytes()),
        })?;
        loop {
            match fs::flock(&dir, FlockOperation::LockExclusive) {
                Ok(()) => break,
                Err(Errno::INTR) => continue,
                Err(e) => return Err(Error::sys("flock", e).path(id.as_bytes())),
            }
        }
        Ok(Entry {
            store: self,
            id,
            dir,
        })
    }

    /// Call `f` with every entry name of the root that is a valid container id, in
    /// directory order.
    pub fn for_each_id(&self, mut f: impl FnMut(&str)) -> Result<()> {
        let dir = fs::openat(&self.dir, ".", dir_flags(), Mode::empty())
            .map_err(|e| Error::sys("open", e))?;
        let mut buf = [core::mem::MaybeUninit::<u8>::uninit(); 4096];
        let mut it = fs::RawDir::new(&dir, &mut buf);
        while let Some(ent) = it.next() {
            let ent = ent.map_err(|e| Error::sys("getdents", e))?;
            let name = ent.file_name().to_bytes();
            if ent.file_type() == fs::FileType::Directory {
                if let Ok(id) = id::check(name) {
                    f(id);
                }
            }
        }
        Ok(())
    }
}

impl Entry<'_> {
    pub fn id(&self) -> &str {
        self.id
    }

    /// The container's state directory (for files such as the exec FIFO).
    pub fn dir(&self) -> &OwnedFd {
        &self.dir
    }

    /// Read state.json into `buf`, returning the bytes read.
    pub fn read<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8]> {
        let f = fs::openat(
            &self.dir,
            STATE_FILE,
            OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW,
            Mode::empty(),
        )
        .map_err(|e| match e {
            // A directory without a state file is a create that never finished.
            Errno::NOENT => Error::state("container does not exist"),
            e => Error::sys("open state.json", e).path(self.id.as_bytes()),
        })?;
        let n = crate::files::read_fd(&f, buf)
            .map_err(|e| Error::sys("read state.json", e).path(self.id.as_bytes()))?;
        if n == buf.len() {
            return Err(Error::capacity(
                "state.json",
                n as u64 + 1,
                buf.len() as u64,
                "bytes",
            ));
        }
        Ok(&buf[..n])
    }

    /// Replace state.json atomically: a reader sees the old or the new file, never a part.
    /// Not fsynced, as runc's saveState is not: the state describes processes that a power
    /// loss ends too, and lives in /run (a tmpfs) by default; on a disk --root the fsync
    /// cost about 0.4 ms per write, and a create writes it three or four times.
    pub fn write(&self, s: &NewState<'_>) -> Result<()> {
        let mut out = crate::out::Buf::<STATE_MAX_BYTES>::new();
        file::render(s, &mut out)?;
        let f = fs::openat(
            &self.dir,
            STATE_TMP,
            OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::CLOEXEC | OFlags::NOFOLLOW,
            Mode::from_raw_mode(0o600),
        )
        .map_err(|e| Error::sys("create state.json", e))?;
        crate::out::write_all(&f, out.as_bytes()).map_err(|e| Error::sys("write state.json", e))?;
        drop(f);
        fs::renameat(&self.dir, STATE_TMP, &self.dir, STATE_FILE)
            .map_err(|e| Error::sys("rename state.json", e))
    }

    /// Remove the container's directory and everything husk put in it.
    pub fn remove(self) -> Result<()> {
        for name in [STATE_FILE, STATE_TMP, crate::container::EXEC_FIFO] {
            match fs::unlinkat(&self.dir, name, AtFlags::empty()) {
                Ok(()) | Err(Errno::NOENT) => {}
                Err(e) => return Err(Error::sys("unlink", e).path(name.as_bytes())),
            }
        }
        match fs::unlinkat(&self.store.dir, self.id, AtFlags::REMOVEDIR) {
            Ok(()) | Err(Errno::NOENT) => Ok(()),
            Err(e) => Err(Error::sys("rmdir", e).path(self.id.as_bytes())),
        }
    }
}

/// mkdir -p with mode 0700 for each created component.
fn mkdir_all(path: &[u8]) -> Result<()> {
    let mut p = CPath::new();
    for (i, comp) in path.split(|&c| c == b'/').enumerate() {
        if comp.is_empty() {
            if i == 0 {
                p.join(b"/", "--root")?;
            }
            continue;
        }
        p.join(comp, "--root")?;
        match fs::mkdir(p.as_cstr(), Mode::from_raw_mode(0o700)) {
            Ok(()) | Err(Errno::EXIST) => {}
            Err(e) => return Err(Error::sys("mkdir", e).path(p.as_bytes())),
        }
    }
    Ok(())
}

/// The status a stored record really has now: a created/running/paused container whose
/// process is gone (or whose pid now belongs to another process) has stopped.
pub fn live_status(st: &file::StateFile<'_>) -> Status {
    match st.status {
        Status::Created | Status::Running | Status::Paused => {
            if st.pid > 0 && process_start(st.pid) == Some(st.pid_start) {
                st.status
            } else {
                Status::Stopped
            }
        }
        s => s,
    }
}

/// Start time of process `pid` (clock ticks after boot, /proc/PID/stat field 22), None if
/// there is no such process (or it is a zombie: it will not run again).
pub fn process_start(pid: i32) -> Option<u64> {
    let mut path = crate::out::Buf::<32>::new();
    let _ = core::fmt::Write::write_fmt(&mut path, format_args!("/proc/{pid}/stat"));
    let p = CPath::from(path.as_bytes(), "pid").ok()?;
    let mut buf = [0u8; 1024];
    let data = crate::files::read_to(p.as_cstr(), &mut buf).ok()?;
    // The command name (field 2) may hold spaces and ')': fields restart after the last ')'.
    let close = data.iter().rposition(|&c| c == b')')?;
    let mut fields = data[close + 1..]
        .split(|&c| c == b' ')
        .filter(|f| !f.is_empty());
    let state = fields.next()?; // field 3
    if state == b"Z" || state == b"X" {
        return None;
    }
    let start = fields.nth(18)?; // field 22
    crate::cli::args::number::<u64>(start, "stat").ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::string::ToString;

    fn tmp(name: &str) -> std::path::PathBuf {
        let p =
            std::env::temp_dir().join(std::format!("husk-test-{}-{}", name, std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        p
    }

    fn new_state<'a>(id: &'a str, pid: i32, start: u64) -> NewState<'a> {
        NewState {
            id,
            status: Status::Created,
            pid,
            pid_start: start,
            bundle: "/b",
            rootfs: "/b/rootfs",
            created: "1970-01-01T00:00:00Z",
            owner: "",
            cgroup_path: "",
            cgroup_pending: false,
            no_new_keyring: false,
            annotations_json: "",
        }
    }

    #[test]
    fn create_write_read_remove() {
        use std::os::unix::fs::PermissionsExt;
        let root = tmp("store");
        let rb = root.to_str().unwrap().as_bytes().to_vec();
        let store = Store::open(&rb, true).unwrap();
        assert_eq!(
            std::fs::metadata(&root).unwrap().permissions().mode() & 0o777,
            0o700
        );
        let e = store.create("c1").unwrap();
        assert_eq!(
            std::fs::metadata(root.join("c1"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o700
        );
        e.write(&new_state("c1", 1, 5)).unwrap();
        drop(e);
        assert_eq!(
            store.create("c1").err().unwrap().to_string(),
            "container with this id already exists \"c1\""
        );
        let e = store.get("c1").unwrap();
        let mut buf = [0u8; 4096];
        let st = file::parse(e.read(&mut buf).unwrap()).unwrap();
        assert_eq!(st.pid, 1);
        let mut ids = std::vec::Vec::new();
        store.for_each_id(|id| ids.push(id.to_string())).unwrap();
        assert_eq!(ids, ["c1"]);
        e.remove().unwrap();
        assert_eq!(
            store.get("c1").err().unwrap().to_string(),
            "container does not exist"
        );
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn liveness_uses_start_time() {
        let me = std::process::id() as i32;
        let start = process_start(me).unwrap();
        let mut buf = crate::out::Buf::<4096>::new();
        file::render(&new_state("x", me, start), &mut buf).unwrap();
        let st = file::parse(buf.as_bytes()).unwrap();
        assert_eq!(live_status(&st), Status::Created);
        let mut buf2 = crate::out::Buf::<4096>::new();
        file::render(&new_state("x", me, start + 1), &mut buf2).unwrap();
        assert_eq!(
            live_status(&file::parse(buf2.as_bytes()).unwrap()),
            Status::Stopped
        );
    }

    #[test]
    fn lock_serialises() {
        let root = tmp("lock");
        let rb = root.to_str().unwrap().as_bytes().to_vec();
        let store = Store::open(&rb, true).unwrap();
        let e = store.create("l").unwrap();
        // A second open file description cannot take the lock while `e` holds it.
        let other = fs::open(root.join("l").to_str().unwrap(), dir_flags(), Mode::empty()).unwrap();
        assert_eq!(
            fs::flock(&other, FlockOperation::NonBlockingLockExclusive),
            Err(Errno::WOULDBLOCK)
        );
        drop(e);
        assert_eq!(
            fs::flock(&other, FlockOperation::NonBlockingLockExclusive),
            Ok(())
        );
        std::fs::remove_dir_all(&root).unwrap();
    }
}
