//! Placeholder until the process stage lands from its branch.
use crate::error::{Error, Result};
use crate::spec::process::Process;
use crate::sys::exec::{execve, CStrVec};

pub fn apply_attrs(_p: &Process<'_>) -> Result<()> {
    Ok(())
}

pub fn apply_identity(_p: &Process<'_>) -> Result<()> {
    Ok(())
}

pub fn exec(p: &Process<'_>, _preserve_fds: u32) -> Error {
    let mut argv: CStrVec<64, 4096> = CStrVec::new();
    let mut env: CStrVec<64, 4096> = CStrVec::new();
    for a in p.args.iter().flatten() {
        let mut b = [0u8; 512];
        if let Ok(s) = a.decode_into(&mut b) {
            let _ = argv.push(s.as_bytes());
        }
    }
    for a in p.env.iter().flatten() {
        let mut b = [0u8; 512];
        if let Ok(s) = a.decode_into(&mut b) {
            let _ = env.push(s.as_bytes());
        }
    }
    let mut path = crate::cpath::CPath::new();
    let _ = path.join(argv.get(0).unwrap_or(b""), "process.args[0]");
    Error::sys("exec", execve(path.as_cstr(), &argv, &env)).path(path.as_bytes())
}
