//! `process.user`: supplementary groups, gid, uid and umask. Run by the container process
//! (or a process joining it for `exec`) after pivot_root, from
//! [`crate::linux::process::apply_identity`], with PR_SET_KEEPCAPS on so the permitted
//! capabilities survive the uid change.
//!
//! References: setgroups(2), setresgid(2), setresuid(2), umask(2), user_namespaces(7)
//! (/proc/<pid>/setgroups).

use crate::spec::limits::GIDS_MAX;
use crate::spec::process::User;
use crate::sys::mem::Zeroed;
use crate::{Error, Result};
use rustix::process::{Gid, Uid};

/// Whether setgroups(2) is allowed: false when /proc/self/setgroups says `deny` (a user
/// namespace whose gid_map was written unprivileged). runc skips setgroups then, and so does
/// husk; a missing file (kernel < 3.19, or no /proc yet) means allowed.
pub fn setgroups_allowed() -> bool {
    use rustix::fs::{open, Mode, OFlags};
    let Ok(fd) = open(
        c"/proc/self/setgroups",
        OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW,
        Mode::empty(),
    ) else {
        return true;
    };
    let mut b = [0u8; 16];
    match rustix::io::read(&fd, &mut b) {
        Ok(n) => !b[..n].starts_with(b"deny"),
        Err(_) => true,
    }
}

/// setgroups(additionalGids) (an empty list clears the groups the runtime had), unless
/// setgroups is denied in this user namespace.
pub fn set_groups(u: Option<&User<'_>>) -> Result<()> {
    if !setgroups_allowed() {
        if u.is_some_and(|u| !u.additional_gids.is_empty()) {
            crate::warn!(
                "process.user.additionalGids ignored: setgroups is denied in this user namespace"
            );
        }
        return Ok(());
    }
    let Some(u) = u.filter(|u| !u.additional_gids.is_empty()) else {
        return crate::sys::attrs::setgroups(&[]).map_err(|e| Error::sys("setgroups", e));
    };
    let n = u.additional_gids.len();
    if n > GIDS_MAX {
        return Err(Error::capacity(
            "process.user.additionalGids",
            n as u64,
            GIDS_MAX as u64,
            "entries",
        ));
    }
    let mut buf: Zeroed<[u32; GIDS_MAX]> = Zeroed::new().map_err(|e| Error::sys("mmap", e))?;
    let mut len = 0;
    for (slot, g) in buf.iter_mut().zip(u.additional_gids.iter()) {
        *slot = g?;
        len += 1;
    }
    crate::sys::attrs::setgroups(&buf[..len]).map_err(|e| Error::sys("setgroups", e))
}

/// setresgid(gid, gid, gid) then setresuid(uid, uid, uid); an absent `process.user` is
/// uid 0, gid 0, as runc.
pub fn set_ids(u: Option<&User<'_>>) -> Result<()> {
    let (uid, gid) = u.map_or((0, 0), |u| (u.uid, u.gid));
    let g = Gid::from_raw(gid);
    rustix::thread::set_thread_res_gid(g, g, g)
        .map_err(|e| Error::sys("setresgid", e).path(Num(gid).text().as_bytes()))?;
    let u = Uid::from_raw(uid);
    rustix::thread::set_thread_res_uid(u, u, u)
        .map_err(|e| Error::sys("setresuid", e).path(Num(uid).text().as_bytes()))?;
    Ok(())
}

/// umask(process.user.umask), if given (runc leaves the runtime's, 0022, otherwise).
pub fn set_umask(u: Option<&User<'_>>) {
    if let Some(m) = u.and_then(|u| u.umask) {
        rustix::process::umask(rustix::fs::Mode::from_raw_mode(m & 0o777));
    }
}

/// A decimal number formatted without allocation.
struct Num(u32);

impl Num {
    fn text(&self) -> NumText {
        let mut t = NumText {
            b: [0; 10],
            start: 10,
        };
        let mut v = self.0;
        loop {
            t.start -= 1;
            t.b[t.start] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        t
    }
}

struct NumText {
    b: [u8; 10],
    start: usize,
}

impl NumText {
    fn as_bytes(&self) -> &[u8] {
        &self.b[self.start..]
    }
}

/// Parse a decimal id (no sign, no spaces, fits u32).
fn parse_id(s: &[u8]) -> Option<u32> {
    if s.is_empty() || s.len() > 10 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v = s.iter().fold(0u64, |v, &d| v * 10 + (d - b'0') as u64);
    u32::try_from(v).ok()
}

/// `exec --user UID[:GID]` (numeric, as runc accepts without a passwd lookup): (uid, gid);
/// a missing gid is None (the caller keeps the container's).
pub fn parse_user_flag(s: &[u8]) -> Result<(u32, Option<u32>)> {
    let bad = || Error::spec("--user", "must be UID[:GID] (numeric)").value(s);
    let (u, g) = match s.iter().position(|&b| b == b':') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let uid = parse_id(u).ok_or_else(bad)?;
    let gid = match g {
        Some(g) => Some(parse_id(g).ok_or_else(bad)?),
        None => None,
    };
    Ok((uid, gid))
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;

    #[test]
    fn user_flag() {
        assert_eq!(parse_user_flag(b"1000").unwrap(), (1000, None));
        assert_eq!(parse_user_flag(b"0:0").unwrap(), (0, Some(0)));
        assert_eq!(
            parse_user_flag(b"4294967295:5").unwrap(),
            (u32::MAX, Some(5))
        );
        for bad in [
            &b""[..],
            b":",
            b"1000:",
            b":5",
            b"-1",
            b"4294967296",
            b"root",
            b"1:2:3",
            b" 1",
        ] {
            let e = parse_user_flag(bad).unwrap_err();
            assert!(
                std::format!("{e}").starts_with("--user: must be UID[:GID]"),
                "{e}"
            );
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(Num(0).text().as_bytes(), b"0");
        assert_eq!(Num(u32::MAX).text().as_bytes(), b"4294967295");
    }

    #[test]
    fn host_allows_setgroups() {
        assert!(setgroups_allowed());
    }
}
