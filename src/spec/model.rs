//! The top of config.json: `Spec`, `root`, `mounts`, `hooks`.

use super::lazy::{nested, List, Map, Nested};
use super::linux::Linux;
use super::process::Process;
use super::str::Str;
use serde::Deserialize;

/// The whole config.json (runtime-spec v1.3 `Spec`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Spec<'a> {
    /// `ociVersion`: 1.x.y.
    #[serde(borrow)]
    pub oci_version: Str<'a>,
    /// `root`.
    #[serde(borrow)]
    pub root: Option<Root<'a>>,
    /// `mounts` (lazy).
    #[serde(default)]
    #[serde(borrow)]
    pub mounts: List<'a, Mount<'a>>,
    /// `process`.
    #[serde(borrow)]
    pub process: Option<Process<'a>>,
    /// `hostname`.
    #[serde(borrow)]
    pub hostname: Option<Str<'a>>,
    /// `domainname`.
    #[serde(borrow)]
    pub domainname: Option<Str<'a>>,
    /// `hooks`.
    #[serde(borrow)]
    pub hooks: Option<Hooks<'a>>,
    /// `annotations` (lazy map).
    #[serde(default)]
    #[serde(borrow)]
    pub annotations: Map<'a, Str<'a>>,
    /// `linux`.
    #[serde(borrow)]
    pub linux: Option<Linux<'a>>,
}

/// `root`.
#[derive(Debug, Deserialize)]
pub struct Root<'a> {
    /// `root.path`: relative to the bundle or absolute.
    #[serde(borrow)]
    pub path: Str<'a>,
    /// `root.readonly`.
    #[serde(default)]
    pub readonly: Option<bool>,
}

/// `mounts[]`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mount<'a> {
    /// `mounts[].destination`.
    #[serde(borrow)]
    pub destination: Str<'a>,
    /// `mounts[].source`.
    #[serde(borrow)]
    pub source: Option<Str<'a>>,
    /// `mounts[].type`.
    #[serde(rename = "type")]
    #[serde(borrow)]
    pub typ: Option<Str<'a>>,
    /// `mounts[].options`.
    #[serde(default)]
    #[serde(borrow)]
    pub options: List<'a, Str<'a>>,
    /// `mounts[].uidMappings`: only with the `idmap`/`ridmap` option.
    #[serde(default)]
    pub uid_mappings: List<'a, IdMapping>,
    /// `mounts[].gidMappings`.
    #[serde(default)]
    pub gid_mappings: List<'a, IdMapping>,
}

/// `linux.uidMappings[]`, `linux.gidMappings[]`, `mounts[].uidMappings[]`...
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct IdMapping {
    /// `containerID`.
    #[serde(rename = "containerID")]
    pub container_id: u32,
    /// `hostID`.
    #[serde(rename = "hostID")]
    pub host_id: u32,
    /// `size`.
    pub size: u32,
}

/// `hooks` (each list lazy).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hooks<'a> {
    /// `hooks.prestart` (deprecated by the spec, still run by runc).
    #[serde(default)]
    #[serde(borrow)]
    pub prestart: List<'a, Hook<'a>>,
    /// `hooks.createRuntime`.
    #[serde(default)]
    #[serde(borrow)]
    pub create_runtime: List<'a, Hook<'a>>,
    /// `hooks.createContainer`.
    #[serde(default)]
    #[serde(borrow)]
    pub create_container: List<'a, Hook<'a>>,
    /// `hooks.startContainer`.
    #[serde(default)]
    #[serde(borrow)]
    pub start_container: List<'a, Hook<'a>>,
    /// `hooks.poststart`.
    #[serde(default)]
    #[serde(borrow)]
    pub poststart: List<'a, Hook<'a>>,
    /// `hooks.poststop`.
    #[serde(default)]
    #[serde(borrow)]
    pub poststop: List<'a, Hook<'a>>,
}

/// `hooks.*[]`.
#[derive(Debug, Deserialize)]
pub struct Hook<'a> {
    /// `hooks.*[].path`: absolute.
    #[serde(borrow)]
    pub path: Str<'a>,
    /// `hooks.*[].args`.
    #[serde(default)]
    #[serde(borrow)]
    pub args: List<'a, Str<'a>>,
    /// `hooks.*[].env`.
    #[serde(default)]
    #[serde(borrow)]
    pub env: List<'a, Str<'a>>,
    /// `hooks.*[].timeout`: seconds, > 0.
    pub timeout: Option<i64>,
}

impl<'a> Nested<'a> for Mount<'a> {
    fn fill_nested(&mut self, text: &'a str, i: usize) {
        nested(&mut self.options, text, "options", "mounts[].options[]", i);
        nested(
            &mut self.uid_mappings,
            text,
            "uidMappings",
            "mounts[].uidMappings[]",
            i,
        );
        nested(
            &mut self.gid_mappings,
            text,
            "gidMappings",
            "mounts[].gidMappings[]",
            i,
        );
    }
}

impl<'a> Nested<'a> for Hook<'a> {
    fn fill_nested(&mut self, text: &'a str, i: usize) {
        nested(&mut self.args, text, "args", "hooks.*[].args[]", i);
        nested(&mut self.env, text, "env", "hooks.*[].env[]", i);
    }
}

impl Nested<'_> for IdMapping {}
