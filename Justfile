# husk tasks. `just test` is what CI runs (.ci/run); `just demo` is the Quick start demo.
# Every recipe that needs tools calls `setup`, which installs only what is missing.

set shell := ["bash", "-euo", "pipefail", "-c"]

# The musl target of this machine (the callers tests run husk on the host).
host_target := arch() + "-unknown-linux-musl"
targets := "x86_64-unknown-linux-musl aarch64-unknown-linux-musl armv7-unknown-linux-musleabihf"
# core is built from source for every device target (armv7 has no prebuilt std here).
build_std := "-Zbuild-std=core,compiler_builtins -Zbuild-std-features=compiler-builtins-mem"

default:
    @just --list

# Install what builds and tests need (rust-src, just, qemu-system, busybox-static, kernels).
setup:
    targets/setup.sh

# Build the static husk and husk-probe for the three device targets (release, stripped).
build: setup
    for t in {{targets}}; do \
        RUSTC_BOOTSTRAP=1 cargo build --quiet --release --target $t {{build_std}}; \
    done
    targets/check-static.sh {{targets}}

# Build one target: just build-one aarch64-unknown-linux-musl
build-one target: setup
    RUSTC_BOOTSTRAP=1 cargo build --quiet --release --target {{target}} {{build_std}}
    targets/check-static.sh {{target}}

# Print the size of husk and husk-probe per target.
size: build
    @for t in {{targets}}; do \
        printf '%-34s husk %7d bytes   husk-probe %7d bytes\n' $t \
            $(stat -c %s target/$t/release/husk) $(stat -c %s target/$t/release/husk-probe); \
    done

# Unit tests (host), lints, host integration tests, every QEMU kernel, the real callers.
test: setup unit lint qemu-all callers

# Unit tests and host integration tests (tests/*.rs run the built binary).
unit: setup
    cargo test --quiet

lint: setup
    cargo fmt --check
    cargo clippy --quiet --all-targets -- -D warnings

# Boot husk as PID 1 under QEMU: just qemu x86_64 | aarch64 | armv7 | aarch64-5.10
qemu arch="x86_64": build
    qemu-tests/run {{arch}}

# Every kernel: x86_64, aarch64 and armv7 on 6.1, aarch64 on 5.10.
qemu-all: build
    qemu-tests/run x86_64 aarch64 armv7 aarch64-5.10

# Podman (with conmon) and containerd (ctr, runc v2 shim) drive husk offline (root; installs
# them): tests/callers/, argv sequences in docs/COMPATIBILITY.md. Both drivers always run.
callers: (build-one host_target)
    targets/setup.sh callers
    rc=0; tests/callers/run_podman.py || rc=1; tests/callers/run_containerd.py || rc=1; exit $rc

# Measurements for docs/BENCHMARKS.md: sizes, parser stack, per-container time and peak
# RSS of husk, crun and runc (root; installs crun, runc, time; BENCH_N=200 runs each), and
# the seccomp section (bench-seccomp).
bench: build
    targets/bench.sh

# Only the seccomp section of docs/BENCHMARKS.md: Docker's default profile compiled by husk
# and by libseccomp as runc drives it (compile time, program length, instructions run).
bench-seccomp: setup
    targets/bench-seccomp.sh

# Boot benchmarks under QEMU for docs/BENCHMARKS.md (its "Boot" section): boot to the
# first service's output against the probe as /init, and PID 1's memory supervising 10
# services (BENCH_BOOT_N=5 boots per variant and arch).
bench-boot: build
    targets/bench-boot.py --no-build

# The demo: make a bundle with `husk spec` and the probe, validate it, run it with
# `husk run` and show what the container process saw (needs root).
demo: build
    targets/demo.sh
