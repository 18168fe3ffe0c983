//! A classic-BPF interpreter for seccomp programs: what the kernel would answer for one
//! call, and how many instructions it ran. For tests, `husk`'s benchmark and comparisons
//! with libseccomp; husk itself never runs it.

use crate::sys::seccomp::Insn;

/// Run `prog` on (nr, arch, args). Returns the verdict and the instructions executed, or
/// what makes the program invalid for seccomp (an unknown opcode, a load outside
/// `seccomp_data`, a jump past the end).
pub fn run(
    prog: &[Insn],
    nr: u32,
    arch: u32,
    args: &[u64; 6],
) -> Result<(u32, usize), &'static str> {
    let mut data = [0u8; 64];
    data[0..4].copy_from_slice(&nr.to_le_bytes());
    data[4..8].copy_from_slice(&arch.to_le_bytes());
    for (i, a) in args.iter().enumerate() {
        data[16 + 8 * i..24 + 8 * i].copy_from_slice(&a.to_le_bytes());
    }
    let (mut pc, mut acc, mut steps) = (0usize, 0u32, 0usize);
    loop {
        let i = *prog.get(pc).ok_or("jump past the end")?;
        steps += 1;
        let jump = |cond: bool| pc + 1 + if cond { i.jt as usize } else { i.jf as usize };
        pc = match i.code {
            0x20 => {
                let o = i.k as usize;
                let w = data
                    .get(o..o + 4)
                    .filter(|_| o.is_multiple_of(4))
                    .ok_or("load outside seccomp_data")?;
                acc = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
                pc + 1
            }
            0x54 => {
                acc &= i.k;
                pc + 1
            }
            0x15 => jump(acc == i.k),
            0x25 => jump(acc > i.k),
            0x35 => jump(acc >= i.k),
            0x45 => jump(acc & i.k != 0),
            0x05 => pc + 1 + i.k as usize,
            0x06 => return Ok((i.k, steps)),
            _ => return Err("unknown opcode"),
        };
    }
}
