//! Raw system interface: the process entry, the syscalls rustix does not offer, and the few
//! conversions from raw kernel values to owned Rust types.
//!
//! # Safety
//! This is the only module (with its children) allowed to use `unsafe`. Each block states
//! why it is sound. The invariants it relies on:
//! - husk is single-threaded: it never creates a thread (clone3 is always used without
//!   CLONE_VM, so a child is a separate process with its own copy of memory).
//! - the kernel hands `_start` a stack laid out as argc, argv[], NULL, envp[], NULL, auxv,
//!   with every string NUL-terminated and alive for the whole process.

#[cfg(target_arch = "aarch64")]
#[path = "arch/aarch64.rs"]
pub mod arch;
#[cfg(target_arch = "arm")]
#[path = "arch/arm.rs"]
pub mod arch;
#[cfg(target_arch = "x86_64")]
#[path = "arch/x86_64.rs"]
pub mod arch;

pub mod attrs;
pub mod bpf;
pub mod clone;
pub mod exec;
pub mod fds;
pub mod mem;
pub mod mount;
pub mod process;
pub mod raw;
pub mod seccomp;

use core::ffi::CStr;

pub use crate::__husk_arch_start;
pub use rustix::io::Errno;

/// Turn a raw syscall return into `Ok(value)` or `Err(errno)` (the kernel returns
/// -4095..-1 for errors).
#[inline]
pub fn check(r: isize) -> Result<usize, Errno> {
    if (-4095..0).contains(&r) {
        Err(Errno::from_raw_os_error(-r as i32))
    } else {
        Ok(r as usize)
    }
}

/// The process's arguments and environment, as the kernel laid them out on the initial
/// stack. Every entry is a NUL-terminated string that lives as long as the process.
#[derive(Clone, Copy)]
pub struct Args {
    argc: usize,
    argv: *const *const u8,
    envp: *const *const u8,
}

impl Args {
    /// Read argc/argv/envp from the initial stack pointer.
    ///
    /// # Safety
    /// `sp` must be the stack pointer the kernel passed to `_start`.
    pub unsafe fn from_initial_stack(sp: *const usize) -> Args {
        // SAFETY: the kernel's initial stack layout (module doc): argc, then argc pointers
        // and a NULL, then the environment pointers and a NULL.
        unsafe {
            let argc = *sp;
            let argv = sp.add(1) as *const *const u8;
            let envp = argv.add(argc + 1);
            Args { argc, argv, envp }
        }
    }

    pub fn len(&self) -> usize {
        self.argc
    }

    pub fn is_empty(&self) -> bool {
        self.argc == 0
    }

    /// argv[i] without its NUL; None past the end.
    pub fn get(&self, i: usize) -> Option<&'static [u8]> {
        if i >= self.argc {
            return None;
        }
        // SAFETY: i < argc, so argv[i] is a valid pointer to a NUL-terminated string that
        // lives for the whole process (module doc).
        unsafe { Some(CStr::from_ptr((*self.argv.add(i)) as *const _).to_bytes()) }
    }

    /// The environment strings ("KEY=value").
    pub fn env(&self) -> EnvIter {
        EnvIter { p: self.envp }
    }

    /// argv[i] as the NUL-terminated string the kernel laid out (for execve without a
    /// copy); None past the end.
    pub fn get_cstr(&self, i: usize) -> Option<&'static CStr> {
        if i >= self.argc {
            return None;
        }
        // SAFETY: as in `get`.
        unsafe { Some(CStr::from_ptr((*self.argv.add(i)) as *const _)) }
    }

    /// The environment strings as NUL-terminated strings (for execve without a copy).
    pub fn env_cstr(&self) -> EnvCStrIter {
        EnvCStrIter(EnvIter { p: self.envp })
    }
}

#[derive(Clone)]
pub struct EnvIter {
    p: *const *const u8,
}

impl EnvIter {
    fn next_cstr(&mut self) -> Option<&'static CStr> {
        // SAFETY: `p` walks the NULL-terminated envp array of the initial stack and stops at
        // the NULL; each entry is a NUL-terminated string living for the whole process.
        unsafe {
            let s = *self.p;
            if s.is_null() {
                return None;
            }
            self.p = self.p.add(1);
            Some(CStr::from_ptr(s as *const _))
        }
    }
}

impl Iterator for EnvIter {
    type Item = &'static [u8];
    fn next(&mut self) -> Option<&'static [u8]> {
        self.next_cstr().map(CStr::to_bytes)
    }
}

/// [`Args::env_cstr`]: the environment as C strings.
#[derive(Clone)]
pub struct EnvCStrIter(EnvIter);

impl Iterator for EnvCStrIter {
    type Item = &'static CStr;
    fn next(&mut self) -> Option<&'static CStr> {
        self.0.next_cstr()
    }
}

/// exit_group(2): end the process now, with no cleanup (there is no libc to flush).
pub fn exit(code: i32) -> ! {
    // SAFETY: exit_group takes no pointers and does not return.
    unsafe {
        arch::syscall1(
            linux_raw_sys::general::__NR_exit_group as usize,
            code as usize,
        );
    }
    // exit_group cannot return; if it somehow did, never run past this point.
    #[allow(clippy::empty_loop)]
    loop {}
}

/// Define the program entry of a husk binary: `_start` (per arch), the Rust entry that
/// reads argc/argv/envp and calls `$main(Args) -> i32`, and the panic handler (print one
/// line, exit 70: panics are bugs, and with panic=abort there is nothing to unwind).
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        $crate::__husk_arch_start!();
        $crate::__husk_host_support!();

        #[no_mangle]
        unsafe extern "C" fn husk_entry(sp: *const usize) -> ! {
            // SAFETY: `_start` passes the kernel's initial stack pointer.
            let args = unsafe { $crate::sys::Args::from_initial_stack(sp) };
            $crate::sys::exit($main(args))
        }

        #[panic_handler]
        fn panic(_info: &core::panic::PanicInfo) -> ! {
            // Debug builds say where (release builds keep no location strings).
            #[cfg(debug_assertions)]
            if let Some(l) = _info.location() {
                $crate::outln!(
                    $crate::sys::stderr(),
                    "husk: panic at {}:{}",
                    l.file(),
                    l.line()
                );
            }
            let _ =
                $crate::out::write_all($crate::sys::stderr(), b"husk: internal error (panic)\n");
            $crate::sys::exit(70)
        }
    };
}

/// Borrow a descriptor number that the caller knows is open for the process's life.
///
/// Used for stdio and the log fd. husk makes sure at entry that 0, 1 and 2 are open
/// ([`ensure_stdio`]), so they can never be reused for another file.
pub fn borrow_fd(fd: i32) -> rustix::fd::BorrowedFd<'static> {
    // SAFETY: callers pass only 0-2 (opened at entry, never closed), the log fd, which is
    // stored once and never closed while the process runs, or the log capture fd, which
    // `log::set_capture`'s caller keeps open until it unsets it (the borrow is used for one
    // write inside `log::emit` and never kept).
    unsafe { rustix::fd::BorrowedFd::borrow_raw(fd) }
}

pub fn stdin() -> rustix::fd::BorrowedFd<'static> {
    borrow_fd(0)
}

pub fn stdout() -> rustix::fd::BorrowedFd<'static> {
    borrow_fd(1)
}

pub fn stderr() -> rustix::fd::BorrowedFd<'static> {
    borrow_fd(2)
}

/// Make sure fds 0, 1 and 2 are open (on /dev/null if the parent closed them), so that no
/// file husk opens later lands on a stdio number and receives output meant for it.
pub fn ensure_stdio() {
    use rustix::fs::{open, Mode, OFlags};
    for fd in 0..3 {
        // SAFETY: fcntl(F_GETFD) on any number only queries; BorrowedFd is not kept.
        let open_already =
            rustix::io::fcntl_getfd(unsafe { rustix::fd::BorrowedFd::borrow_raw(fd) }).is_ok();
        if !open_already {
            // open returns the lowest free number, which is `fd` since lower ones are open.
            if let Ok(f) = open("/dev/null", OFlags::RDWR, Mode::empty()) {
                core::mem::forget(f);
            }
        }
    }
}

/// Host (`cargo build` on x86_64-unknown-linux-gnu) support for the libc-free bins.
///
/// The prebuilt `core` of a glibc host target has unwind tables naming
/// `rust_eh_personality`, and its compiler_builtins leaves memcpy & co. to the libc. husk
/// aborts on panic and never unwinds, so the personality is never called; the mem functions
/// are byte loops through volatile accesses (which the optimiser cannot turn back into
/// calls to themselves). Host builds are for tests and development; the device builds
/// compile core with `compiler-builtins-mem` and get none of this.
#[macro_export]
#[doc(hidden)]
macro_rules! __husk_host_support {
    () => {
        #[cfg(target_env = "gnu")]
        mod __husk_host {
            #[no_mangle]
            extern "C" fn rust_eh_personality() {}

            #[no_mangle]
            unsafe extern "C" fn memcpy(d: *mut u8, s: *const u8, n: usize) -> *mut u8 {
                // SAFETY: the caller (compiler-generated code) guarantees both ranges are
                // valid for n bytes and do not overlap.
                unsafe {
                    for i in 0..n {
                        core::ptr::write_volatile(d.add(i), core::ptr::read_volatile(s.add(i)));
                    }
                }
                d
            }

            #[no_mangle]
            unsafe extern "C" fn memmove(d: *mut u8, s: *const u8, n: usize) -> *mut u8 {
                // SAFETY: both ranges are valid for n bytes; copying backwards when the
                // destination is above the source handles the overlap.
                unsafe {
                    if (d as usize) <= (s as usize) {
                        for i in 0..n {
                            core::ptr::write_volatile(d.add(i), core::ptr::read_volatile(s.add(i)));
                        }
                    } else {
                        for i in (0..n).rev() {
                            core::ptr::write_volatile(d.add(i), core::ptr::read_volatile(s.add(i)));
                        }
                    }
                }
                d
            }

            #[no_mangle]
            unsafe extern "C" fn memset(d: *mut u8, c: i32, n: usize) -> *mut u8 {
                // SAFETY: the destination is valid for n bytes.
                unsafe {
                    for i in 0..n {
                        core::ptr::write_volatile(d.add(i), c as u8);
                    }
                }
                d
            }

            #[no_mangle]
            unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
                // SAFETY: both ranges are valid for n bytes.
                unsafe {
                    for i in 0..n {
                        let (x, y) = (
                            core::ptr::read_volatile(a.add(i)),
                            core::ptr::read_volatile(b.add(i)),
                        );
                        if x != y {
                            return x as i32 - y as i32;
                        }
                    }
                }
                0
            }

            #[no_mangle]
            unsafe extern "C" fn strlen(s: *const u8) -> usize {
                let mut n = 0;
                // SAFETY: the caller passes a NUL-terminated string.
                unsafe {
                    while core::ptr::read_volatile(s.add(n)) != 0 {
                        n += 1;
                    }
                }
                n
            }

            #[no_mangle]
            unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
                // SAFETY: as memcmp.
                unsafe { memcmp(a, b, n) }
            }
        }
    };
}
