//! The container's own session keyring, as runc makes it unless `--no-new-keyring`: the
//! container process joins (creating it) the keyring `_ses.<id>` instead of keeping the
//! caller's, so keys the host's session holds are not reachable from the container; an
//! exec process joins the same one (of a container created `--no-new-keyring`, it keeps
//! its caller's, as runc's exec does). Then search permission is added for the keyring's
//! user (or, in a user namespace, for "other", since the ids differ).
//!
//! References: keyrings(7), keyctl(2) KEYCTL_JOIN_SESSION_KEYRING, KEYCTL_DESCRIBE,
//! KEYCTL_SETPERM; runc libcontainer/standard_init_linux.go, keys/keyctl.go.

use crate::error::{Error, Result};
use crate::sys::attrs as sa;
use rustix::io::Errno;

/// KEY_USR_SEARCH and KEY_OTH_SEARCH (include/linux/key.h).
const USR_SEARCH: u32 = 0x0008_0000;
const OTH_SEARCH: u32 = 0x0000_0008;

/// Join `_ses.<id>` (an exec process: the container's keyring exists, its permissions
/// are set). A kernel without keyrings (ENOSYS) is not an error: the keyring is a
/// best-effort barrier, as runc treats it. Returns the key, None without keyrings.
pub fn join(id: &str) -> Result<Option<i32>> {
    let mut b = crate::out::Buf::<160>::new();
    let _ = core::fmt::Write::write_fmt(&mut b, format_args!("_ses.{id}"));
    let name = crate::cpath::CPath::from(b.as_bytes(), "keyring name")?;
    match sa::keyctl_join_session(name.as_cstr()) {
        Ok(k) => Ok(Some(k)),
        Err(Errno::NOSYS) => Ok(None),
        Err(e) => Err(Error::sys("keyctl KEYCTL_JOIN_SESSION_KEYRING", e).value(name.as_bytes())),
    }
}

/// The container process: join (creating) `_ses.<id>` and make it searchable by its
/// user, or by "other" in a user namespace (runc's permissions).
pub fn join_session(id: &str, userns: bool) -> Result<()> {
    let Some(key) = join(id)? else {
        return Ok(());
    };
    let mut d = [0u8; 256];
    let n =
        sa::keyctl_describe(key, &mut d).map_err(|e| Error::sys("keyctl KEYCTL_DESCRIBE", e))?;
    let perm = perm_of(d.get(..n.min(d.len())).unwrap_or(&[])).ok_or(Error::state(
        "keyctl KEYCTL_DESCRIBE: unexpected description",
    ))?;
    let add = if userns { OTH_SEARCH } else { USR_SEARCH };
    sa::keyctl_setperm(key, perm | add).map_err(|e| Error::sys("keyctl KEYCTL_SETPERM", e))
}

/// The permission field (hex, the 4th of "type;uid;gid;perm;description").
fn perm_of(desc: &[u8]) -> Option<u32> {
    let field = desc.split(|&c| c == b';').nth(3)?;
    let mut v: u32 = 0;
    if field.is_empty() || field.len() > 8 {
        return None;
    }
    for &c in field {
        v = v * 16 + (c as char).to_digit(16)?;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    #[test]
    fn permission_field() {
        assert_eq!(
            super::perm_of(b"keyring;0;0;3f010000;_ses.c1\0"),
            Some(0x3f01_0000)
        );
        assert_eq!(super::perm_of(b"keyring;0;0"), None);
        assert_eq!(super::perm_of(b"keyring;0;0;zz;x"), None);
    }
}
