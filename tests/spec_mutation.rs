//! No input may panic the config parser: thousands of deterministic mutations of a real
//! Podman config.json (byte flips, insertions, deletions, truncations) must each give Ok or
//! a named error. A panic aborts the test process (panic=abort is not used for tests, so a
//! panic fails the test by unwinding).

const PODMAN: &[u8] = include_bytes!("data/podman-4.3-config.json");

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*: fixed seed, so a failure is reproducible.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[test]
fn mutated_configs_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let interesting = [
        b'"', b'\\', b'{', b'}', b'[', b']', b',', b':', b'0', b'-', b'u', 0xff, 0x00, b'e',
    ];
    let mut ok = 0;
    for _ in 0..20_000 {
        let mut doc = PODMAN.to_vec();
        for _ in 0..(1 + rng.next() % 4) {
            let at = (rng.next() as usize) % doc.len();
            match rng.next() % 4 {
                0 => doc[at] = interesting[(rng.next() as usize) % interesting.len()],
                1 => doc.insert(at, interesting[(rng.next() as usize) % interesting.len()]),
                2 => {
                    doc.remove(at);
                }
                _ => doc.truncate(at.max(1)),
            }
        }
        if husk::spec::load(&mut doc).is_ok() {
            ok += 1;
        }
    }
    // Some mutations (inside string values) stay valid: the parser is not rejecting all.
    assert!(ok > 0);
}
