#!/usr/bin/env bash
# Measure what docs/BENCHMARKS.md records, and rewrite it: binary sizes per target, and the
# stack the config parser needs for the largest accepted config.
# Run through `just bench` (which builds first).
set -euo pipefail
cd "$(dirname "$0")/.."
targets="x86_64-unknown-linux-musl aarch64-unknown-linux-musl armv7-unknown-linux-musleabihf"
out=docs/BENCHMARKS.md
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)

sizes=""
for t in $targets; do
    h=$(stat -c %s target/$t/release/husk)
    p=$(stat -c %s target/$t/release/husk-probe)
    sizes+="| $t | $h ($(( (h + 512) / 1024 )) KiB) | $p ($(( (p + 512) / 1024 )) KiB) |"$'\n'
done

# Smallest thread stack on which the parser loads (pre-pass, serde, validation, walking
# every lazy list) the largest accepted config: every capacity full. The test bisects it by
# re-running itself in child processes with smaller and smaller stacks.
stack_cmd="cargo test --lib stack_figure -- --nocapture"
stack_release=$(cargo test --release --quiet --lib stack_figure -- --nocapture 2>/dev/null | grep -E '^stack needed' | sed 's/.*: //' || true)
stack_debug=$(cargo test --quiet --lib stack_figure -- --nocapture 2>/dev/null | grep -E '^stack needed' | sed 's/.*: //' || true)
cat >"$out" <<MD
# husk benchmarks

Written by \`just bench\` (targets/bench.sh) at commit \`$commit\` on $(date -u +%Y-%m-%d).
Re-run it to refresh; numbers are from this repository's machine (2 cores, Debian bookworm).

## Binary size (static, stripped, release: opt-level z, LTO, panic=abort)

Command: \`just size\` (stat -c %s target/<triple>/release/{husk,husk-probe}).

| target | husk bytes | husk-probe bytes |
|---|---|---|
$sizes
For comparison (as given in the project brief): crun 490 KB plus five shared libraries,
runc 8.7 MB, tini-static 708 KB.

## Parser stack

Command: \`$stack_cmd\` (debug) and the same with \`--release\`. It bisects the
smallest thread stack on which \`spec::load\` parses and validates the largest accepted
config (every capacity filled, about 1 MiB) and walks every lazy list. Budget: 512 KiB;
the test \`largest_config_parses_in_512k_of_stack\` enforces it on every \`cargo test\`.

| build | stack needed |
|---|---|
| release profile (opt-level z, LTO; host test binary) | ${stack_release:-measurement failed} |
| debug (cargo test) | ${stack_debug:-measurement failed} |
MD
echo "bench: wrote $out" >&2
cat "$out"
