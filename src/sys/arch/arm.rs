//! arm (armv7 EABI): the process entry and the raw syscall instructions.
//!
//! # Safety
//! `syscallN` execute `svc 0` with the kernel's EABI (nr in r7, args in r0-r5, result in
//! r0). r7 is the frame pointer in Thumb code, so it is saved and restored around the call
//! instead of being named as an operand. They are `unsafe` because a syscall may read or
//! write any memory its arguments point to: callers in `sys` pass only pointers to live,
//! correctly sized buffers.

use core::arch::asm;

/// `_start`: pass the initial stack pointer (at `argc`) to the Rust entry in r0, with zero
/// frame and link registers, and an 8-byte aligned stack as the AAPCS requires.
#[macro_export]
#[doc(hidden)]
macro_rules! __husk_arch_start {
    () => {
        core::arch::global_asm!(
            ".globl _start",
            "_start:",
            "mov fp, #0",
            "mov lr, #0",
            "mov r0, sp",
            "bic sp, sp, #15",
            "bl husk_entry",
            "udf #16",
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
    asm!("mov {tmp}, r7", "mov r7, {nr}", "svc 0", "mov r7, {tmp}", nr = in(reg) nr, tmp = out(reg) _, lateout("r0") r, options(nostack));
    r
}

/// Raw syscall with 1 arguments.
///
/// # Safety
/// The arguments must be valid for syscall `nr` (module doc).
#[inline]
pub unsafe fn syscall1(nr: usize, a: usize) -> isize {
    let r: isize;
    asm!("mov {tmp}, r7", "mov r7, {nr}", "svc 0", "mov r7, {tmp}", nr = in(reg) nr, tmp = out(reg) _, inlateout("r0") a as isize => r, options(nostack));
    r
}

/// Raw syscall with 2 arguments.
///
/// # Safety
/// The arguments must be valid for syscall `nr` (module doc).
#[inline]
pub unsafe fn syscall2(nr: usize, a: usize, b: usize) -> isize {
    let r: isize;
    asm!("mov {tmp}, r7", "mov r7, {nr}", "svc 0", "mov r7, {tmp}", nr = in(reg) nr, tmp = out(reg) _, inlateout("r0") a as isize => r, in("r1") b, options(nostack));
    r
}

/// Raw syscall with 3 arguments.
///
/// # Safety
/// The arguments must be valid for syscall `nr` (module doc).
#[inline]
pub unsafe fn syscall3(nr: usize, a: usize, b: usize, c: usize) -> isize {
    let r: isize;
    asm!("mov {tmp}, r7", "mov r7, {nr}", "svc 0", "mov r7, {tmp}", nr = in(reg) nr, tmp = out(reg) _, inlateout("r0") a as isize => r, in("r1") b, in("r2") c, options(nostack));
    r
}

/// Raw syscall with 4 arguments.
///
/// # Safety
/// The arguments must be valid for syscall `nr` (module doc).
#[inline]
pub unsafe fn syscall4(nr: usize, a: usize, b: usize, c: usize, d: usize) -> isize {
    let r: isize;
    asm!("mov {tmp}, r7", "mov r7, {nr}", "svc 0", "mov r7, {tmp}", nr = in(reg) nr, tmp = out(reg) _, inlateout("r0") a as isize => r, in("r1") b, in("r2") c, in("r3") d, options(nostack));
    r
}

/// Raw syscall with 5 arguments.
///
/// # Safety
/// The arguments must be valid for syscall `nr` (module doc).
#[inline]
pub unsafe fn syscall5(nr: usize, a: usize, b: usize, c: usize, d: usize, e: usize) -> isize {
    let r: isize;
    asm!("mov {tmp}, r7", "mov r7, {nr}", "svc 0", "mov r7, {tmp}", nr = in(reg) nr, tmp = out(reg) _, inlateout("r0") a as isize => r, in("r1") b, in("r2") c, in("r3") d, in("r4") e, options(nostack));
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
    asm!("mov {tmp}, r7", "mov r7, {nr}", "svc 0", "mov r7, {tmp}", nr = in(reg) nr, tmp = out(reg) _, inlateout("r0") a as isize => r, in("r1") b, in("r2") c, in("r3") d, in("r4") e, in("r5") f, options(nostack));
    r
}
