//! husk-probe: a container payload that prints what it sees as one JSON line.
#![no_std]
#![no_main]

husk::entry!(main);

fn main(_args: husk::sys::Args) -> i32 {
    0
}
