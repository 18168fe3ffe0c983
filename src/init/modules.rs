//! `husk.modules=NAME[,NAME...]`: load kernel modules at boot, in the order given, from
//! `/lib/modules/NAME.ko` with finit_module(2) (no dependency resolution: an appliance
//! image lists the few it ships, dependencies first). A module that is already loaded or
//! built in (EEXIST) is fine; any other failure is logged and the boot goes on, so the
//! bundles that do not need it still run.

/// Load every module of `list` (comma-separated names).
pub fn load(list: &str) {
    for name in list.split(',').filter(|n| !n.is_empty()) {
        if name.contains('/') || name.starts_with('.') {
            crate::error!("init: husk.modules: {name:?} is not a module name");
            continue;
        }
        let mut p = crate::out::Buf::<160>::new();
        let _ = core::fmt::Write::write_fmt(&mut p, format_args!("/lib/modules/{name}.ko"));
        let r = rustix::fs::open(
            p.as_str(),
            rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        )
        .and_then(|fd| rustix::system::finit_module(&fd, c"", 0));
        match r {
            Ok(()) => crate::info!("init: module {name} loaded"),
            Err(rustix::io::Errno::EXIST) => crate::info!("init: module {name} already there"),
            Err(e) => crate::error!(
                "init: module {}: {}",
                p.as_str(),
                crate::error::ErrnoText(e)
            ),
        }
    }
}
