//! aarch64: the process entry and the raw syscall instructions.
//!
//! # Safety
//! `syscallN` execute `svc 0` with the kernel's aarch64 ABI (nr in x8, args in x0-x5,
//! result in x0). They are `unsafe` because a syscall may read or write any memory its
//! arguments point to: callers in `sys` pass only pointers to live, correctly sized buffers.

use core::arch::asm;

/// `_start`: pass the initial stack pointer (at `argc`) to the Rust entry in x0, with zero
/// frame and link registers so backtraces end here.
#[macro_export]
#[doc(hidden)]
macro_rules! __husk_arch_start {
    () => {
        core::arch::global_asm!(
            ".globl _start",
            "_start:",
            "mov x29, #0",
            "mov x30, #0",
            "mov x0, sp",
            "bl husk_entry",
            "brk #1",
        );
    };
}

/// Raw syscall with 0 arguments.
///
/// # Safety
/// The arguments must be valid for syscall `nr` (module doc).
#[inline]
pub unsafe fn syscall0(nr: usize) -> isize {
    let r: isize;
    asm!("svc 0", in("x8") nr, lateout("x0") r, options(nostack));
    r
}

/// Raw syscall with 1 arguments.
///
/// # Safety
/// The arguments must be valid for syscall `nr` (module doc).
#[inline]
pub unsafe fn syscall1(nr: usize, a: usize) -> isize {
    let r: isize;
    asm!("svc 0", in("x8") nr, inlateout("x0") a as isize => r, options(nostack));
    r
}

/// Raw syscall with 2 arguments.
///
/// # Safety
/// The arguments must be valid for syscall `nr` (module doc).
#[inline]
pub unsafe fn syscall2(nr: usize, a: usize, b: usize) -> isize {
    let r: isize;
    asm!("svc 0", in("x8") nr, inlateout("x0") a as isize => r, in("x1") b, options(nostack));
    r
}

/// Raw syscall with 3 arguments.
///
/// # Safety
/// The arguments must be valid for syscall `nr` (module doc).
#[inline]
pub unsafe fn syscall3(nr: usize, a: usize, b: usize, c: usize) -> isize {
    let r: isize;
    asm!("svc 0", in("x8") nr, inlateout("x0") a as isize => r, in("x1") b, in("x2") c, options(nostack));
    r
}

/// Raw syscall with 4 arguments.
///
/// # Safety
/// The arguments must be valid for syscall `nr` (module doc).
#[inline]
pub unsafe fn syscall4(nr: usize, a: usize, b: usize, c: usize, d: usize) -> isize {
    let r: isize;
    asm!("svc 0", in("x8") nr, inlateout("x0") a as isize => r, in("x1") b, in("x2") c, in("x3") d, options(nostack));
    r
}

/// Raw syscall with 5 arguments.
///
/// # Safety
/// The arguments must be valid for syscall `nr` (module doc).
#[inline]
pub unsafe fn syscall5(nr: usize, a: usize, b: usize, c: usize, d: usize, e: usize) -> isize {
    let r: isize;
    asm!("svc 0", in("x8") nr, inlateout("x0") a as isize => r, in("x1") b, in("x2") c, in("x3") d, in("x4") e, options(nostack));
    r
}

/// Raw syscall with 6 arguments.
///
/// # Safety
/// The arguments must be valid for syscall `nr` (module doc).
#[inline]
pub unsafe fn syscall6(
    nr: usize,
    a: usize,
    b: usize,
    c: usize,
    d: usize,
    e: usize,
    f: usize,
) -> isize {
    let r: isize;
    asm!("svc 0", in("x8") nr, inlateout("x0") a as isize => r, in("x1") b, in("x2") c, in("x3") d, in("x4") e, in("x5") f, options(nostack));
    r
}
