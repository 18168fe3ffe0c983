#!/usr/bin/env bash
# Measure what docs/BENCHMARKS.md records, and rewrite it: binary sizes per target, the
# stack the config parser needs for the largest accepted config, husk against crun and
# runc: time per `run` of one bundle and peak RSS (needs root), and last the seccomp
# section (targets/bench-seccomp.sh).
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
# --- Runtime comparison: husk, crun and runc run the same bundle ---
# Debian's crun, runc and GNU time (for %M), installed only when missing.
need=()
command -v crun >/dev/null || need+=(crun)
command -v runc >/dev/null || need+=(runc)
[ -x /usr/bin/time ] || need+=(time)
command -v python3 >/dev/null || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
    echo "bench: apt-get install ${need[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

case "$(uname -m)" in
    x86_64) host_t=x86_64-unknown-linux-musl ;;
    aarch64) host_t=aarch64-unknown-linux-musl ;;
    armv7l) host_t=armv7-unknown-linux-musleabihf ;;
    *) echo "bench: no husk target for $(uname -m)" >&2; exit 1 ;;
esac
husk=$PWD/target/$host_t/release/husk
n=${BENCH_N:-200}
work=$PWD/target/bench
rm -rf "$work"
mkdir -p "$work/bundle/rootfs"
cp "target/$host_t/release/husk-probe" "$work/bundle/rootfs/husk-probe"
"$husk" spec --bundle "$work/bundle"
# One config for all three: husk spec's, without linux.resources (crun cannot load a device
# cgroup program here: RLIMIT_MEMLOCK is fixed), no terminal, and ociVersion 1.1.0 because
# Debian's crun 1.8.1 refuses 1.3.0 ("unknown version specified"). The probe's `exit 0`
# still prints its one-line report (it always does), to /dev/null.
# The second bundle also drops the /sys/fs/cgroup mount (see "Where husk's time goes").
python3 - "$work" <<'PY'
import copy, json, os, sys
work = sys.argv[1]
path = os.path.join(work, "bundle", "config.json")
with open(path) as f:
    c = json.load(f)
c["ociVersion"] = "1.1.0"
c["process"]["terminal"] = False
c["process"]["args"] = ["/husk-probe", "exit", "0"]
c["linux"].pop("resources", None)
with open(path, "w") as f:
    json.dump(c, f, indent=1)
d = copy.deepcopy(c)
d["root"]["path"] = os.path.join(work, "bundle", "rootfs")
d["mounts"] = [m for m in d["mounts"] if m["destination"] != "/sys/fs/cgroup"]
os.makedirs(os.path.join(work, "bundle-nocg"))
with open(os.path.join(work, "bundle-nocg", "config.json"), "w") as f:
    json.dump(d, f, indent=1)
PY
"$husk" validate --bundle "$work/bundle" >/dev/null

# This host is hybrid (cgroup v1 controllers, a cgroup2 hierarchy at /sys/fs/cgroup/unified);
# crun refuses hybrid mode even with --cgroup-manager=disabled ("cgroups in hybrid mode not
# supported"). All three therefore run in one private mount namespace where that cgroup2
# mount is moved out of /sys/fs/cgroup (bound at /run/husk-bench-cg2, then unmounted from
# its usual place), so crun and runc see a plain cgroup v1 host while the cgroup2 hierarchy
# stays mounted, as on any host that has one. The host's mounts are not touched (private
# propagation), and no new cgroup2 mount is made (that would reset its root options).
cg_root=$(stat -f -c %T /sys/fs/cgroup)
cg_unified=$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null || echo none)
hide_unified=no
if [ "$cg_root" = tmpfs ] && [ "$cg_unified" = cgroup2fs ]; then hide_unified=yes; fi
# The last two run the second bundle (no /sys/fs/cgroup mount) in the same rotation.
b=$work/bundle b2=$work/bundle-nocg
runtimes=("husk=$b=$husk" "crun=$b=crun" "crun-nocg=$b=crun --cgroup-manager=disabled"
    "runc=$b=runc" "husk-nomnt=$b2=$husk" "crun-nocg-nomnt=$b2=crun --cgroup-manager=disabled")
bench_in_ns() { # OUT
    unshare --mount --propagation private -- bash -euc '
        if [ "$1" = yes ]; then
            mkdir -p /run/husk-bench-cg2
            mount --bind /sys/fs/cgroup/unified /run/husk-bench-cg2
            umount /sys/fs/cgroup/unified
        fi
        shift
        exec python3 "$@"' bench "$hide_unified" targets/bench-run.py "$1" "$n" "$work" \
        "${runtimes[@]}"
}
run_cmd="BENCH_N=$n just bench"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench: $n rounds of ${#runtimes[@]} runs, then $n runs each under /usr/bin/time" >&2
bench_in_ns "$work/runs.json"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
rss_floor=0
for _ in $(seq 20); do
    /usr/bin/time -f %M -o "$work/rss" "target/$host_t/release/husk-probe" exit 0 >/dev/null
    m=$(tail -1 "$work/rss")
    [ "$m" -gt "$rss_floor" ] && rss_floor=$m
done
crun_version=$(crun --version | head -1)
runc_version=$(runc --version | head -1)
kernel="$(uname -sr) ($(uname -m))"
cpus=$(nproc)

# Markdown tables from the driver's JSON.
tables=$(python3 - "$work/runs.json" <<'PY'
import json, sys
main = json.load(open(sys.argv[1]))
labels = {"husk": "husk", "crun": "crun", "crun-nocg": "crun --cgroup-manager=disabled",
          "runc": "runc", "husk-nomnt": "husk, no /sys/fs/cgroup mount",
          "crun-nocg-nomnt": "crun --cgroup-manager=disabled, no /sys/fs/cgroup mount"}
def table(r, keys, rss):
    h = r["husk"]
    print("| runtime | mean ms | median ms | min ms | p90 ms | husk speed-up (mean / median) |"
          + (" peak RSS KiB (max / median) |" if rss else ""))
    print("|---|---|---|---|---|---|" + ("---|" if rss else ""))
    for k in keys:
        x = r[k]
        ratio = "1" if k == "husk" else "%.2fx / %.2fx" % (
            x["mean_ms"] / h["mean_ms"], x["median_ms"] / h["median_ms"])
        line = "| %s | %.2f | %.2f | %.2f | %.2f | %s |" % (
            labels[k], x["mean_ms"], x["median_ms"], x["min_ms"], x["p90_ms"], ratio)
        if rss:
            line += " %d / %d |" % (x["max_rss_kib"], x["median_rss_kib"])
        print(line)
table(main, ["husk", "crun", "crun-nocg", "runc"], True)
print()
print("TABLE2")
table(main, ["husk", "husk-nomnt", "crun-nocg", "crun-nocg-nomnt"], True)
print()
print("CHECK")
for k in main:
    if main[k]["left_in_root"]:
        print("- %s left in its --root: %s" % (labels[k], " ".join(main[k]["left_in_root"])))
h, c = main["husk"], main["crun"]
print("VERDICT")
d = main["crun-nocg"]
print("%.2f %.2f %d %.2f %.2f" % (c["mean_ms"] / h["mean_ms"], c["median_ms"] / h["median_ms"],
                                  h["max_rss_kib"], d["mean_ms"] / h["mean_ms"],
                                  d["median_ms"] / h["median_ms"]))
PY
)
main_table=$(printf '%s\n' "${tables%%TABLE2*}" | sed '/^$/d')
rest=${tables#*TABLE2}
nocg_table=$(printf '%s\n' "${rest%%CHECK*}" | sed '/^$/d')
rest=${rest#*CHECK}
check_table=${rest%%VERDICT*}
read -r crun_mean_ratio crun_median_ratio husk_rss nocg_mean_ratio nocg_median_ratio <<<"$(printf %s "${rest#*VERDICT}" | tail -1)"
check_table=$(printf '%s\n' "$check_table" | sed '/^$/d')
[ -n "$check_table" ] || check_table="Every runtime's --root was empty after the runs."
speed_ok=$(python3 -c "print('meets' if min($crun_mean_ratio, $crun_median_ratio) >= 2 else 'does NOT meet')")
rss_ok=$([ "$husk_rss" -le 1024 ] && echo meets || echo "does NOT meet")

# The boot section (`just bench-boot`, targets/bench-boot.py) is kept as it was.
boot_block=$(sed -n '/^<!-- bench-boot -->$/,/^<!-- \/bench-boot -->$/p' "$out" 2>/dev/null || true)

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
cat >>"$out" <<MD

## Per-container time and memory: husk, crun, runc

Command: \`$run_cmd\` (targets/bench.sh, driver targets/bench-run.py). N = $n sequential
\`RUNTIME --root DIR run --bundle B ID\` per runtime, each with its own \`--root\` and a new
container id every run, stdout to /dev/null. Rounds run every runtime once, in an order
rotated by one each round. Wall time is CLOCK_MONOTONIC from just before posix_spawn to
just after wait4 in a Python (stdlib) loop, so it includes the exec of the runtime and the
whole container life: create, the probe's run (it reads /proc and prints one JSON line of
about 2 KiB, then exits 0), and teardown.

- Kernel: $kernel, $cpus CPUs; load average before/after: $load_before / $load_after
  (the machine is shared; other builds may have been running).
- husk: \`target/$host_t/release/husk\` at commit \`$commit\`
- crun: \`$crun_version\` (Debian package \`crun\`)
- runc: \`$runc_version\` (Debian package \`runc\`)
- Config (same file for all): \`husk spec\` with \`process.terminal\` false, args
  \`/husk-probe exit 0\`, no \`linux.resources\`, and \`ociVersion\` 1.1.0 (crun 1.8.1
  refuses 1.3.0). Namespaces pid, network, ipc, uts, mount; 7 mounts; masked and
  read-only paths as runc's default.

$main_table
Speed-up is the other runtime's time divided by husk's (above 1: husk is faster).

**Peak RSS** is GNU \`/usr/bin/time -f %M\` around the runtime, in a second pass of N runs
per runtime (so the extra fork and exec of time(1) stay out of the timings); the table gives
the maximum and the median over runs. %M is \`ru_maxrss\` of the runtime process as wait4
reports it: that process's own peak RSS, or that of a descendant it reaped if larger (the
kernel keeps a maximum, not a sum). It thus covers runc's \`runc init\` child and, for all
three, the container process (the probe). It also has a floor: the child that time(1)
forks carries time's own pages until it execs, and the kernel counts that mm too. The
floor measured here, \`/usr/bin/time -f %M husk-probe exit 0\` (a 31 KiB static program)
outside any container, max of 20 runs: **$rss_floor KiB**. A figure near the floor says
little about the runtime itself; it bounds it from above.
$check_table

### How the runtimes were made to run here

This host mounts cgroup v1 controllers under /sys/fs/cgroup (a tmpfs) and a cgroup2
hierarchy at /sys/fs/cgroup/unified (hybrid), and RLIMIT_MEMLOCK cannot be raised.

- crun refuses hybrid hosts ("cgroups in hybrid mode not supported, drop all controllers
  from cgroupv2"), with or without \`--cgroup-manager=disabled\`. So all three runtimes run
  inside one private mount namespace (\`unshare --mount --propagation private\`) in which
  the cgroup2 mount is moved from /sys/fs/cgroup/unified to /run/husk-bench-cg2 (bind, then
  unmount): crun and runc then see a plain cgroup v1 host, and the cgroup2 hierarchy stays
  mounted. The host's own mounts are not changed. (Applied here: $hide_unified.)
- For a config's \`cgroup\` mount without a cgroup namespace, crun and runc bind the v1
  hierarchies they find, and husk binds the cgroup2 mount it finds (read-only): all three
  bind, none mounts a new cgroup filesystem.
- crun and runc then create and remove a v1 cgroup per container (their defaults); husk
  creates and removes a v2 cgroup per container in the cgroup2 hierarchy. So the first
  crun row is the like-for-like one; the row \`crun --cgroup-manager=disabled\` (no cgroup at
  all) shows how much of crun's time its cgroup handling takes.
- \`linux.resources\` is left out for all: with devices rules crun needs a BPF program,
  which fails under the fixed RLIMIT_MEMLOCK.
- runc needs no flag.

### Where husk's time goes

The same rounds also ran a second bundle, identical but without the \`/sys/fs/cgroup\`
mount, with husk and with \`crun --cgroup-manager=disabled\` (speed-up against the first
row, husk with the mount):

$nocg_table
For a \`cgroup\` mount without a cgroup namespace husk binds the runtime's cgroup2 mount
(read-only); it mounts a new cgroup2 instance only when none is mounted. That matters: a
cgroup2 mount made in the initial cgroup namespace makes the kernel re-apply the
hierarchy's root options for the whole host and, by our reading of the kernel source
(apply_cgroup_root_flags, cgroup_favor_dynmods), take the global cgroup threadgroup rwsem
for writing, which waits for an RCU grace period. Measured by hand with mount(2) in a loop:
7 to 15 ms per cgroup2 mount when they are 0.2 s apart, about 0.1 ms for a bind of the
existing mount. (Before the bind, at commit e4f5998, that mount was most of husk's time.)
Profiling by hand at commit e4f5998
(\`strace -f -T\`, \`strace -c -f\` of one \`husk run\`) showed nothing else of that size:
about 490 system calls in all (about 100 prctl, 90 close, 54 openat2, 16 mount plus the new
mount API), and the state file written twice (created, then running), each fsync'd before
its rename: 0.2 to 0.4 ms per fsync, the next largest item (no longer fsynced since 2026-11-30, as runc does not).

### Targets from the project brief

- husk at least 2x faster than crun per container: husk/crun speed-up here is
  ${crun_mean_ratio}x (mean) / ${crun_median_ratio}x (median): husk **$speed_ok** the target.
  Against \`crun --cgroup-manager=disabled\`: ${nocg_mean_ratio}x / ${nocg_median_ratio}x.
  Without the /sys/fs/cgroup mount, see "Where husk's time goes".
- husk at most 1 MiB peak RSS: $husk_rss KiB here: husk **$rss_ok** the target.
MD
[ -z "$boot_block" ] || printf '\n%s\n' "$boot_block" >>"$out"
# The seccomp section (compiler against libseccomp), appended by its own script.
targets/bench-seccomp.sh
echo "bench: wrote $out" >&2
cat "$out"
