#!/usr/bin/env python3
"""Boot benchmarks of husk as PID 1 under QEMU (TCG), per arch; writes a section of
docs/BENCHMARKS.md between the markers `<!-- bench-boot -->` and `<!-- /bench-boot -->`.

usage: targets/bench-boot.py [--no-build] [ARCH...]   (default: x86_64 aarch64 armv7)
BENCH_BOOT_N: boots per variant and arch (default 5)

1. Boot to first output: the probe's first step (`clock`) records CLOCK_BOOTTIME, the time
   since the kernel started, then the probe prints its report line. Two variants, the same
   kernel, console and payload:
   - floor: the probe is /init itself (the kernel starts it; its steps come from the
     kernel command line after `--`);
   - husk: husk is /init and runs the probe as its only service (a container with its
     own pid and mount namespaces and a cgroup), printed by husk as `[first] ...`.
   Boots alternate floor/husk; QEMU is stopped once the line is seen.
2. PID 1 memory: husk supervising 10 services (each a probe in its own pid and mount
   namespaces, sleeping), then one more that sends SIGUSR2 to PID 1: husk logs its Rss
   (smaps_rollup), VmRSS and VmHWM as the shutdown begins, with all 10 still running.
   Next to it, the floor: the probe as /init, its own Rss (`procfs rss` steps).
"""
import importlib.machinery
import importlib.util
import json
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
OUT = os.path.join(REPO, "docs", "BENCHMARKS.md")
NOTE = ("Where husk's part goes, measured by hand on aarch64 (temporary timestamps in the code, an unloaded moment, with cgroup2 favordynmods): copying the initramfs to a tmpfs about 50 ms, mounting the base system 20 ms, settings, log files and cgroup controllers 40 ms, reading and validating the bundle 20 ms, `create` 100 ms (cgroup 30, clone 25, the container process building its root 55), `start` and the probe's exec 35 ms. Under TCG every mount change, cgroup write and clone costs tens of times its native time (a whole `husk run` takes about 5 ms natively, see above), while the floor's boot is mostly the kernel's own; on hardware the share would be far smaller, but that is not what was measured. The 2% target is not met under QEMU.")
WORK = os.path.join(REPO, "target", "bench-boot")

loader = importlib.machinery.SourceFileLoader("qemu_run", os.path.join(REPO, "qemu-tests", "run"))
spec = importlib.util.spec_from_loader("qemu_run", loader)
qr = importlib.util.module_from_spec(spec)
loader.exec_module(qr)


def bundle(c, name, args, annotations, husk_bin, probe_bin, ns=("pid", "mount")):
    cfg = {"ociVersion": "1.0.2", "annotations": annotations,
           "process": {"args": args, "env": [], "cwd": "/"},
           "root": {"path": "rootfs"},
           "linux": {"namespaces": [{"type": t} for t in ns]}}
    b = f"etc/husk/bundles/{name}"
    c.file(f"{b}/config.json", json.dumps(cfg).encode())
    for d in ["proc", "sys", "dev", "tmp"]:
        c.dir(f"{b}/rootfs/{d}")
    c.file(f"{b}/rootfs/husk-probe", probe_bin, 0o755)


def initramfs(path, init_bin, add=None):
    c = qr.Cpio()
    for d in ["dev", "proc", "sys", "run", "tmp", "etc/husk/bundles"]:
        c.dir(d)
    c.chardev("dev/console", 5, 1)
    c.file("init", init_bin, 0o755)
    if add:
        add(c)
    with open(path, "wb") as f:
        f.write(c.finish())


def boot_until(arch, initrd, append, done, timeout=240):
    """Boot; return the console text once `done(text)` holds, or None."""
    a = qr.ARCHES[arch]
    kernel = os.path.join(REPO, "qemu-tests", "cache", "kernels", a["kernel"], "vmlinuz")
    cmd = a["qemu"] + ["-m", "512", "-smp", "1", "-nographic", "-no-reboot", "-accel", "tcg",
                       "-nic", "none", "-kernel", kernel, "-initrd", initrd,
                       "-append", f"console={a['console']} panic=-1 quiet {append}".strip()]
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    os.set_blocking(p.stdout.fileno(), False)
    buf = b""
    start = time.monotonic()
    found = None
    try:
        while time.monotonic() - start < timeout:
            chunk = p.stdout.read()
            if chunk:
                buf += chunk
                text = buf.decode("utf-8", "replace").replace("\r", "")
                if done(text):
                    found = text
                    break
            elif p.poll() is not None:
                break
            else:
                time.sleep(0.02)
    finally:
        p.kill()
        p.wait()
    return found


def uptime_ms(text, name=None):
    """CLOCK_BOOTTIME of the probe's clock step, in ms (and the line it was found in)."""
    if name:
        lines = qr.outputs(text).get(name, [])
    else:
        # (On x86_64 the first line also holds the firmware's screen codes.)
        lines = [l for l in text.splitlines() if '{"pid":' in l]
    for l in lines:
        m = re.search(r'"uptime_ns":(\d+)\}', l)
        if m:
            return int(m.group(1)) / 1e6, l
    return None, None


def first_output(arch, husk, probe, n):
    os.makedirs(WORK, exist_ok=True)
    hb, pb = open(husk, "rb").read(), open(probe, "rb").read()
    floor_rd = os.path.join(WORK, f"{arch}-floor.cpio")
    husk_rd = os.path.join(WORK, f"{arch}-husk.cpio")
    initramfs(floor_rd, pb)
    initramfs(husk_rd, hb, lambda c: bundle(c, "first", ["/husk-probe", "clock", "report",
                                                         "sleep", "1000"], {}, hb, pb))
    floor, husk_ms, inboot = [], [], []
    for i in range(n):
        t = boot_until(arch, floor_rd, "-- clock report sleep 1000",
                       lambda x: uptime_ms(x)[0] is not None)
        ms, _ = uptime_ms(t or "")
        if ms is None:
            raise SystemExit(f"bench-boot: {arch}: floor boot {i} printed no clock")
        floor.append(ms)
        t = boot_until(arch, husk_rd, "", lambda x: uptime_ms(x, "first")[0] is not None)
        ms, _ = uptime_ms(t or "", "first")
        st = re.search(r"as PID 1, started (\d+) ms after the kernel", t or "")
        if ms is None or not st:
            raise SystemExit(f"bench-boot: {arch}: husk boot {i} printed no [first] clock")
        husk_ms.append(ms)
        inboot.append(ms - int(st.group(1)))
        print(f"bench-boot: {arch} #{i + 1}: floor {floor[-1]:.0f} ms, husk {ms:.0f} ms",
              file=sys.stderr, flush=True)
    return floor, husk_ms, inboot


def pid1_memory(arch, husk, probe):
    hb, pb = open(husk, "rb").read(), open(probe, "rb").read()
    rd = os.path.join(WORK, f"{arch}-ten.cpio")

    def add(c):
        for k in range(1, 11):
            bundle(c, f"svc-{k:02d}", ["/husk-probe", "sleep", "1000"], {}, hb, pb)
        # Started last (name order, no dependencies): all ten run by then.
        bundle(c, "zz-stop", ["/husk-probe", "kill", "1", "12"], {}, hb, pb, ns=("mount",))
    initramfs(rd, hb, add)
    line = r"PID 1 VmRSS (\d+) kB, VmHWM (\d+) kB, Rss (\d+) kB"
    t = boot_until(arch, rd, "", lambda x: re.search(line, x))
    m = re.search(line, t or "")
    if not m:
        raise SystemExit(f"bench-boot: {arch}: no memory line")
    started = len(re.findall(r"husk: info: svc-\d+: started", t))
    # The floor: the probe as /init, its Rss counted the same way.
    fl = os.path.join(WORK, f"{arch}-floor.cpio")
    t = boot_until(arch, fl, "-- procfs rss report sleep 1000",
                   lambda x: re.search(r'"rss_kib":(\d+)\}', x))
    f = re.search(r'"rss_kib":(\d+)\}', t or "")
    if not f:
        raise SystemExit(f"bench-boot: {arch}: the floor printed no rss")
    return int(m.group(3)), int(m.group(1)), int(m.group(2)), started, int(f.group(1))


def main(argv):
    build = "--no-build" not in argv
    arches = [a for a in argv if a in qr.ARCHES] or ["x86_64", "aarch64", "armv7"]
    n = int(os.environ.get("BENCH_BOOT_N", "5"))
    rows, mem = [], []
    for arch in arches:
        t = qr.ARCHES[arch]["target"]
        husk, probe = (qr.cargo_build(t) if build else
                       [os.path.join(REPO, "target", t, "release", x)
                        for x in ("husk", "husk-probe")])
        floor, hk, inb = first_output(arch, husk, probe, n)
        rows.append((arch, floor, hk, inb))
        mem.append((arch,) + pid1_memory(arch, husk, probe))
    commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=REPO,
                            capture_output=True, text=True).stdout.strip() or "unknown"
    load = open("/proc/loadavg").read().split()[:3]
    kernels = {a: open(os.path.join(REPO, "qemu-tests", "cache", "kernels",
                                    qr.ARCHES[a]["kernel"], "package")).read().strip()
               for a in arches}
    md = [f"## Boot: husk as PID 1 under QEMU",
          "",
          f"Command: `just bench-boot` (targets/bench-boot.py) at commit `{commit}` on "
          f"{time.strftime('%Y-%m-%d', time.gmtime())}; {n} boots per variant and arch, "
          f"alternating; QEMU TCG (no KVM), 1 CPU, 512 MiB, on this 2-core machine "
          f"(load average at the end: {' '.join(load)}; other work was running).",
          "",
          "**Boot to first output**: CLOCK_BOOTTIME (time since the kernel started) read by "
          "the probe's first step, just before it prints its line. Floor: the probe is "
          "/init (the kernel starts it). husk: husk is /init, moves the initramfs to a "
          "tmpfs, mounts the base system, reads the bundle and runs the probe as a "
          "service (its own pid and mount namespaces, a cgroup), whose line husk prints "
          "as `[first] ...`.",
          "",
          "Two ways to count what husk adds. *Across boots*: husk's median minus the floor's "
          "(includes unpacking the larger initramfs, but TCG on a shared machine makes whole "
          "boots vary by more than the difference). *Within the boot*: from husk's own start "
          "(it logs it, CLOCK_MONOTONIC) to the service's clock, i.e. everything husk does "
          "before the payload runs, without the kernel's variance; as a share of the floor's "
          "median.",
          "",
          "| arch (kernel) | floor ms (median; min-max) | husk ms (median; min-max) | across boots (median) | within the boot: husk start to service (median; min-max) |",
          "|---|---|---|---|---|"]
    verdicts = []
    for arch, floor, hk, inb in rows:
        fm, hm, im = statistics.median(floor), statistics.median(hk), statistics.median(inb)
        add = hm - fm
        pct = 100 * add / fm
        ipct = 100 * im / fm
        md.append(f"| {arch} ({kernels[arch]}) | {fm:.0f}; {min(floor):.0f}-{max(floor):.0f} "
                  f"| {hm:.0f}; {min(hk):.0f}-{max(hk):.0f} | {add:+.0f} ms ({pct:+.1f}%) "
                  f"| {im:.0f} ms ({ipct:.1f}%); {min(inb):.0f}-{max(inb):.0f} |")
        verdicts.append((arch, ipct))
    md += ["",
           "**PID 1 memory** while supervising 10 services (each a probe sleeping in its own "
           "pid and mount namespaces), logged by husk as the shutdown begins with all 10 "
           "running: Rss from /proc/self/smaps_rollup (resident pages counted by a page-table "
           "walk, the figure used here), and VmRSS, VmHWM (peak) from /proc/self/status, "
           "which on Linux 6.1 lag by up to 64 page faults (per-task counters synced in "
           "batches). Floor: the probe as /init (it mounts /proc itself, then reads its own "
           "smaps_rollup Rss before building its report).",
           "",
           "| arch | services running | husk PID 1 Rss KiB | VmRSS / VmHWM KiB | floor: probe as /init, Rss KiB |",
           "|---|---|---|---|---|"]
    for arch, rss, vmrss, hwm, started, frss in mem:
        md.append(f"| {arch} | {started} | {rss} | {vmrss} / {hwm} | {frss} |")
    worst = max(p for _, p in verdicts)
    mem_max = max(max(r, h) for _, r, _, h, _, _ in mem)
    md += ["",
           "Targets from the issue: husk adds at most 2% to boot-to-first-output on every "
           f"arch: within the boot, worst here {worst:.1f}% (" + ", ".join(f"{a} {p:.1f}%" for a, p in verdicts)
           + f"): **{'met' if worst <= 2 else 'NOT met'}**. PID 1 under 1 MiB RSS: at most "
           f"{mem_max} KiB (Rss or VmHWM, the larger): "
           f"**{'met' if mem_max < 1024 else 'NOT met'}**. TCG timing on a "
           "shared machine is noisy: compare the min-max spread with the difference.",
           "",
           NOTE]
    section = "\n".join(md) + "\n"
    text = open(OUT).read() if os.path.exists(OUT) else ""
    a, b = "<!-- bench-boot -->", "<!-- /bench-boot -->"
    block = f"{a}\n{section}{b}"
    if a in text and b in text:
        text = text[:text.index(a)] + block + text[text.index(b) + len(b):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    with open(OUT, "w") as f:
        f.write(text)
    print(section)


if __name__ == "__main__":
    main(sys.argv[1:])
