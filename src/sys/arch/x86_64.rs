//! x86_64: the process entry and the raw syscall instructions.
//!
//! # Safety
//! `syscallN` execute the `syscall` instruction with the kernel's x86_64 ABI (nr in rax,
//! args in rdi, rsi, rdx, r10, r8, r9; rcx and r11 clobbered). They are `unsafe` because a
//! syscall may read or write any memory its arguments point to: callers in `sys` pass only
//! pointers to live, correctly sized buffers.

use core::arch::asm;

/// `_start`: the kernel enters here with the stack pointer at `argc`. Pass it to the Rust
/// entry (first argument in rdi), with a zero frame pointer and a 16-byte aligned stack.
#[macro_export]
#[doc(hidden)]
macro_rules! __husk_arch_start {
    () => {
        core::arch::global_asm!(
            ".globl _start",
            "_start:",
            "xor ebp, ebp",
            "mov rdi, rsp",
            "and rsp, -16",
            "call husk_entry",
            "ud2",
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
    asm!("syscall", inlateout("rax") nr as isize => r, lateout("rcx") _, lateout("r11") _, options(nostack));
    r
}

/// Raw syscall with 1 arguments.
///
/// # Safety
/// The arguments must be valid for syscall `nr` (module doc).
#[inline]
pub unsafe fn syscall1(nr: usize, a: usize) -> isize {
    let r: isize;
    asm!("syscall", inlateout("rax") nr as isize => r, in("rdi") a, lateout("rcx") _, lateout("r11") _, options(nostack));
    r
}

/// Raw syscall with 2 arguments.
///
/// # Safety
/// The arguments must be valid for syscall `nr` (module doc).
#[inline]
pub unsafe fn syscall2(nr: usize, a: usize, b: usize) -> isize {
    let r: isize;
    asm!("syscall", inlateout("rax") nr as isize => r, in("rdi") a, in("rsi") b, lateout("rcx") _, lateout("r11") _, options(nostack));
    r
}

/// Raw syscall with 3 arguments.
///
/// # Safety
/// The arguments must be valid for syscall `nr` (module doc).
#[inline]
pub unsafe fn syscall3(nr: usize, a: usize, b: usize, c: usize) -> isize {
    let r: isize;
    asm!("syscall", inlateout("rax") nr as isize => r, in("rdi") a, in("rsi") b, in("rdx") c, lateout("rcx") _, lateout("r11") _, options(nostack));
    r
}

/// Raw syscall with 4 arguments.
///
/// # Safety
/// The arguments must be valid for syscall `nr` (module doc).
#[inline]
pub unsafe fn syscall4(nr: usize, a: usize, b: usize, c: usize, d: usize) -> isize {
    let r: isize;
    asm!("syscall", inlateout("rax") nr as isize => r, in("rdi") a, in("rsi") b, in("rdx") c, in("r10") d, lateout("rcx") _, lateout("r11") _, options(nostack));
    r
}

/// Raw syscall with 5 arguments.
///
/// # Safety
/// The arguments must be valid for syscall `nr` (module doc).
#[inline]
pub unsafe fn syscall5(nr: usize, a: usize, b: usize, c: usize, d: usize, e: usize) -> isize {
    let r: isize;
    asm!("syscall", inlateout("rax") nr as isize => r, in("rdi") a, in("rsi") b, in("rdx") c, in("r10") d, in("r8") e, lateout("rcx") _, lateout("r11") _, options(nostack));
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
    asm!("syscall", inlateout("rax") nr as isize => r, in("rdi") a, in("rsi") b, in("rdx") c, in("r10") d, in("r8") e, in("r9") f, lateout("rcx") _, lateout("r11") _, options(nostack));
    r
}
