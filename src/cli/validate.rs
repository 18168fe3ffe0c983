//! `husk validate [--bundle DIR]`: check a bundle before running it and print every
//! problem found, one per line, not just the first. Exit 0 when there is none.

use super::args::Parsed;
use super::commands::Command;
use super::Global;
use crate::cpath::CPath;
use crate::error::{Error, Result};
use crate::spec;

pub fn run(_g: &Global<'_>, c: &Command, p: &Parsed<'_>) -> Result<i32> {
    let bundle = p.last(c.flags, "bundle").unwrap_or(b".");
    let mut path = CPath::from(bundle, "--bundle")?;
    path.join(b"config.json", "--bundle")?;
    let mut region = crate::sys::mem::Region::new(spec::CONFIG_MAX_BYTES + 1)
        .map_err(|e| Error::sys("mmap", e))?;
    let buf = crate::state::read_file(path.as_cstr(), &mut region, "config.json")?;
    let spec = spec::parse(buf)?;
    let mut problems = 0usize;
    let mut report = |e: Error| {
        problems += 1;
        crate::outln!(crate::sys::stderr(), "husk: {}: {e}", "config.json");
    };
    spec::validate(&spec, &mut report);
    check_bundle(bundle, &spec, &mut report);
    if problems == 0 {
        crate::outln!(
            crate::sys::stdout(),
            "{}: valid",
            path.as_cstr().to_str().unwrap_or("config.json")
        );
        Ok(0)
    } else {
        crate::outln!(
            crate::sys::stderr(),
            "husk: validate: {problems} problem{} found",
            if problems == 1 { "" } else { "s" }
        );
        Ok(1)
    }
}

/// Checks that need the bundle's files, beyond the config itself.
fn check_bundle(_bundle: &[u8], _spec: &spec::Spec<'_>, _report: &mut dyn FnMut(Error)) {}
