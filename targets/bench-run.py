#!/usr/bin/env python3
"""Time sequential `RUNTIME --root DIR run --bundle B ID` containers (stdlib only).

Usage: bench-run.py OUT.json N WORKDIR NAME=BUNDLE=COMMAND... (COMMAND: words split on
spaces, the runtime and any global flags, e.g. `crun=/b=crun --cgroup-manager=disabled`).

Pass 1 (timing): N rounds; each round runs every runtime once, in an order rotated by one each
round, so no runtime always follows the same one. Each run is posix_spawn + wait4 (stdout to
/dev/null, stderr to a file shown on failure), timed with CLOCK_MONOTONIC from just before the
spawn to just after the reap.

Pass 2 (memory): N runs per runtime under GNU `/usr/bin/time -f %M`, i.e. ru_maxrss of the
runtime process as wait4 reports it: the peak RSS of that process, or of a descendant it reaped
if larger (the kernel keeps the maximum, never a sum). Kept apart from pass 1 so that the extra
fork and exec of time(1) are not in the timings.

Every run uses its own container id and each runtime its own --root state directory.
"""

import json
import os
import statistics
import sys
import time


def spawn_wait(argv, errpath):
    fa = [
        (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, errpath, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
    ]
    t0 = time.monotonic_ns()
    pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=fa)
    _, status, _ = os.wait4(pid, 0)
    t1 = time.monotonic_ns()
    return t1 - t0, os.waitstatus_to_exitcode(status)


def fail(name, argv, code, errpath):
    with open(errpath, errors="replace") as f:
        err = f.read().strip()
    sys.exit(f"bench: {name} exited {code}: {' '.join(argv)}\n{err}")


def main():
    out, n, work = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    runtimes = []
    for spec in sys.argv[4:]:
        name, bundle, cmd = spec.split("=", 2)
        runtimes.append((name, (bundle, cmd.split())))
    errpath = os.path.join(work, "stderr")
    res = {name: {"ns": [], "time_maxrss_kib": []} for name, _ in runtimes}

    def argv_for(name, bc, tag, i):
        bundle, cmd = bc
        root = os.path.join(work, "state-" + name)
        os.makedirs(root, exist_ok=True)
        return cmd + ["--root", root, "run", "--bundle", bundle, f"bench-{tag}-{i}"]

    for i in range(n):
        k = i % len(runtimes)
        for name, cmd in runtimes[k:] + runtimes[:k]:
            argv = argv_for(name, cmd, "t", i)
            ns, code = spawn_wait(argv, errpath)
            if code != 0:
                fail(name, argv, code, errpath)
            res[name]["ns"].append(ns)

    rssfile = os.path.join(work, "rss")
    for name, cmd in runtimes:
        for i in range(n):
            argv = ["/usr/bin/time", "-f", "%M", "-o", rssfile] + argv_for(name, cmd, "m", i)
            _, code = spawn_wait(argv, errpath)
            if code != 0:
                fail(name, argv, code, errpath)
            with open(rssfile) as f:
                res[name]["time_maxrss_kib"].append(int(f.read().split()[-1]))

    summary = {}
    for name, cmd in runtimes:
        r = res[name]
        ms = [x / 1e6 for x in r["ns"]]
        left = os.listdir(os.path.join(work, "state-" + name))
        summary[name] = {
            "command": " ".join(cmd[1]),
            "n": len(ms),
            "mean_ms": statistics.fmean(ms),
            "median_ms": statistics.median(ms),
            "min_ms": min(ms),
            "p90_ms": statistics.quantiles(ms, n=10)[-1],
            "stdev_ms": statistics.stdev(ms),
            "max_rss_kib": max(r["time_maxrss_kib"]),
            "median_rss_kib": statistics.median(r["time_maxrss_kib"]),
            "left_in_root": left,
        }
    with open(out, "w") as f:
        json.dump(summary, f, indent=1)


if __name__ == "__main__":
    main()
