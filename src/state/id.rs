//! Container ids: checked before anything touches the state directory.

use crate::error::{Error, Result};

/// Longest container id accepted. Podman, CRI-O and containerd use 64-hex ids; room is left
/// for prefixes, and the id stays far below NAME_MAX (255) as a directory name.
pub const MAX_ID_LEN: usize = 128;

/// An id is 1..=MAX_ID_LEN bytes of `[A-Za-z0-9_.+-]`, not `.` or `..`: so it is one path
/// component that cannot climb out of the state directory, and prints safely.
/// runc accepts the same alphabet.
pub fn check(id: &[u8]) -> Result<&str> {
    if id.is_empty() {
        return Err(Error::usage("container id cannot be empty"));
    }
    if id.len() > MAX_ID_LEN {
        return Err(
            Error::capacity("container id", id.len() as u64, MAX_ID_LEN as u64, "bytes").path(id),
        );
    }
    if id == b"." || id == b".." {
        return Err(Error::usage("invalid container id").value(id));
    }
    if !id
        .iter()
        .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'+' | b'-'))
    {
        return Err(
            Error::usage("invalid container id (allowed: letters, digits, _ . + -)").value(id),
        );
    }
    // All ASCII, so this cannot fail.
    core::str::from_utf8(id).map_err(|_| Error::usage("invalid container id").value(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(check(b"abc-1.2_3+x").is_ok());
        for bad in [
            &b""[..],
            b".",
            b"..",
            b"a/b",
            b"../x",
            b"a\0b",
            b"a b",
            b"\xff",
        ] {
            assert!(check(bad).is_err(), "{bad:?}");
        }
        assert!(check(&[b'a'; MAX_ID_LEN]).is_ok());
        let e = check(&[b'a'; MAX_ID_LEN + 1]).unwrap_err();
        extern crate std;
        use std::string::ToString;
        assert!(e
            .to_string()
            .starts_with("container id: 129 bytes, limit 128"));
    }
}
