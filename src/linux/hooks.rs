//! Placeholder until the hooks stage lands from its branch.
use crate::error::{Error, Result};
use crate::spec::lazy::List;
use crate::spec::model::Hook;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HookKind {
    Prestart,
    CreateRuntime,
    CreateContainer,
    StartContainer,
    Poststart,
    Poststop,
}

pub fn run(_kind: HookKind, hooks: &List<'_, Hook<'_>>, _state_json: &[u8]) -> Result<()> {
    if hooks.is_empty() {
        Ok(())
    } else {
        Err(Error::unsupported("hooks", "not implemented yet"))
    }
}
