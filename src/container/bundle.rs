//! Reading a bundle: its absolute path, its config.json (into an anonymous mapping of at
//! most CONFIG_MAX_BYTES) and the absolute rootfs path.

use crate::cpath::CPath;
use crate::error::{Error, Result};
use crate::spec::{self, Spec};
use crate::sys::mem::Region;

/// A bundle's config, held in memory for as long as the `Spec` borrowed from it is used.
pub struct Bundle {
    pub dir: CPath,
    region: Region,
    len: usize,
}

impl Bundle {
    /// Read `dir/config.json`. `dir` may be relative to the current directory; it is kept
    /// absolute (state.json and hooks need the absolute path).
    pub fn read(dir: &[u8]) -> Result<Bundle> {
        let abs = absolute(dir)?;
        let mut cfg = CPath::from(abs.as_bytes(), "--bundle")?;
        cfg.join(b"config.json", "--bundle")?;
        let mut region = Region::new(spec::CONFIG_MAX_BYTES).map_err(|e| Error::sys("mmap", e))?;
        let len = crate::files::read_file(cfg.as_cstr(), &mut region, "config.json")?.len();
        Ok(Bundle {
            dir: abs,
            region,
            len,
        })
    }

    /// Parse and validate the config (the first problem is the error).
    pub fn spec(&mut self) -> Result<Spec<'_>> {
        spec::load(&mut self.region[..self.len])
    }

    /// The rootfs as an absolute path.
    pub fn rootfs(&self, spec: &Spec<'_>) -> Result<CPath> {
        rootfs_path(&self.dir, spec)
    }
}

/// `root.path` as an absolute path (it is relative to the bundle `dir`, or absolute).
pub fn rootfs_path(dir: &CPath, spec: &Spec<'_>) -> Result<CPath> {
    let root = spec
        .root
        .as_ref()
        .ok_or(Error::spec("root", "is required to run a container"))?;
    let mut tmp = [0u8; crate::cpath::PATH_MAX];
    let rel = root.path.decode_into(&mut tmp)?;
    if rel.starts_with('/') {
        CPath::from(rel.as_bytes(), "root.path")
    } else {
        let mut p = CPath::from(dir.as_bytes(), "root.path")?;
        p.join(rel.as_bytes(), "root.path")?;
        Ok(p)
    }
}

/// `dir` made absolute against the current directory, with `.` components and trailing
/// slashes removed (the state and hooks show it).
pub fn absolute(dir: &[u8]) -> Result<CPath> {
    let mut out = CPath::new();
    if !dir.starts_with(b"/") {
        let mut cwd = [0u8; crate::cpath::PATH_MAX];
        let c = crate::sys::process::getcwd(&mut cwd).map_err(|e| Error::sys("getcwd", e))?;
        out.join(c, "--bundle")?;
    } else {
        out.join(b"/", "--bundle")?;
    }
    for comp in dir.split(|&c| c == b'/') {
        if comp.is_empty() || comp == b"." {
            continue;
        }
        out.join(comp, "--bundle")?;
    }
    Ok(out)
}

impl Bundle {
    /// A copy of the bundle's absolute path (the spec borrows the bundle mutably).
    pub fn dir_copy(&self) -> CPath {
        CPath::from(self.dir.as_bytes(), "--bundle").unwrap_or_default()
    }
}

/// Run the `kind` hooks of the bundle a stored state names (poststart after `start`,
/// poststop after `delete`), with the State JSON in `status`. The runtime-spec makes their
/// failure a warning: the container's state has already changed.
pub fn hooks_after(
    st: &crate::state::file::StateFile<'_>,
    kind: crate::linux::hooks::HookKind,
    status: &str,
) {
    let mut b = [0u8; crate::cpath::PATH_MAX];
    let Ok(dir) = crate::state::file::unescape(st.bundle, &mut b) else {
        return;
    };
    let Ok(mut bundle) = Bundle::read(dir.as_bytes()) else {
        return;
    };
    let bdir = bundle.dir_copy();
    let Ok(spec) = bundle.spec() else { return };
    let Some(h) = &spec.hooks else { return };
    let list = kind.list(h);
    if list.is_empty() {
        return;
    }
    let state = super::create::state_json(st.id, status, st.pid, &bdir, &spec);
    if let Err(e) = crate::linux::hooks::run(kind, &list, state.as_bytes()) {
        crate::warn!("{e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_paths() {
        assert_eq!(absolute(b"/a/./b/").unwrap().as_bytes(), b"/a/b");
        assert_eq!(absolute(b"/").unwrap().as_bytes(), b"/");
        let cwd = std::env::current_dir().unwrap();
        let want = format!("{}/x", cwd.display());
        assert_eq!(absolute(b"./x").unwrap().as_bytes(), want.as_bytes());
    }
}
