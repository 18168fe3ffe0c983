"""What the caller tests share: the private namespaces they run in, the argv-logging wrapper
that stands in for runc, the image rootfs built from the probe, and a tiny test runner.

The callers (Podman via conmon, containerd via its runc v2 shim) are the real Debian
programs, run offline as root. Each driver (run_podman.py, run_containerd.py) calls
`main(...)`, which re-executes the driver inside new mount and cgroup namespaces (see
`enter_namespaces`) and then runs its tests there.
"""

import fcntl
import io
import json
import os
import platform
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tarfile
import termios
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TRIPLE = {
    "x86_64": "x86_64-unknown-linux-musl",
    "aarch64": "aarch64-unknown-linux-musl",
    "armv7l": "armv7-unknown-linux-musleabihf",
}.get(platform.machine(), "x86_64-unknown-linux-musl")
HUSK = Path(os.environ.get("HUSK", REPO / "target" / TRIPLE / "release" / "husk"))
PROBE = Path(os.environ.get("HUSK_PROBE", HUSK.parent / "husk-probe"))
BUSYBOX = Path("/bin/busybox")
# Syscall numbers the seccomp tests call by number (the probe knows only a few names).
NR = {
    "x86_64": {"move_pages": "279", "setns": "308"},
    "aarch64": {"move_pages": "239", "setns": "268"},
    "armv7l": {"move_pages": "344", "setns": "375"},
}.get(platform.machine(), {})

# Features the callers need that husk does not have yet. A test that needs one of them is
# still run: it must fail (reported as "awaiting", counted neither as passed nor as
# failed); if it passes, the run fails and says to remove the word here. Remove a word in
# the commit that lands the feature.
AWAITING: dict = {}

INNER_ENV = "HUSK_CALLERS_CGROUP"


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def check_eq(got, want, what):
    if got != want:
        raise Failure(f"{what}: got {got!r}, want {want!r}")


def check_in(needle, hay, what):
    if needle not in hay:
        raise Failure(f"{what}: {needle!r} not in {hay!r}")


# ---------------------------------------------------------------------------------------
# Host facts and the namespaces the tests run in
# ---------------------------------------------------------------------------------------


def cgroup2_mount():
    """The host's cgroup2 mount point (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a
    hybrid v1+v2 host), from /proc/self/mountinfo."""
    for line in open("/proc/self/mountinfo"):
        left, _, right = line.partition(" - ")
        if right.split()[0] == "cgroup2":
            return left.split()[4]
    raise SystemExit("callers: no cgroup2 mount on this host")


def own_cgroup():
    for line in open("/proc/self/cgroup"):
        if line.startswith("0::"):
            return line[3:].strip()
    return "/"


def has_cap(bit):
    for line in open("/proc/self/status"):
        if line.startswith("CapEff:"):
            return bool(int(line.split()[1], 16) >> bit & 1)
    return False


CAP_SYS_RESOURCE = 24


def controllers():
    """Controllers the tests' cgroup tree can use (inside the namespaces: the root of the
    fresh cgroup2 mount)."""
    try:
        return open("/sys/fs/cgroup/cgroup.controllers").read().split()
    except OSError:
        return []


def enter_namespaces():
    """Re-execute this driver in new mount and cgroup namespaces, rooted at a cgroup of its
    own; returns only in the inner process (the outer one exits with the inner's status).

    Why: Podman and the runc v2 shim decide between cgroup v1 and v2 by statfs on
    /sys/fs/cgroup. On a hybrid v1+v2 host that is a tmpfs of v1 hierarchies, so they
    would drive v1 (which husk does not support) and never see the cgroup2 hierarchy husk
    uses. Inside a private mount namespace /sys/fs/cgroup becomes a fresh cgroup2 mount
    (the host's mounts are untouched). A cgroup namespace rooted at
    <cgroup2>/husk-callers-PID makes every cgroup the callers create land under that one
    directory, which the outer process removes afterwards, and a tmpfs on /run keeps
    /run/husk (Podman's runtime root) and /run/containerd private to the run.
    On a pure cgroup2 host the same steps apply and change nothing but the isolation."""
    if os.environ.get(INNER_ENV):
        inner_setup()
        return
    if os.geteuid() != 0:
        raise SystemExit("callers: must run as root (the callers need it)")
    base = Path(cgroup2_mount() + own_cgroup().rstrip("/")) / f"husk-callers-{os.getpid()}"
    base.mkdir()

    def into_cgroup():
        with open(base / "cgroup.procs", "w") as f:
            f.write("0")

    env = dict(os.environ, **{INNER_ENV: str(base)})
    cmd = ["unshare", "--mount", "--cgroup", "--propagation", "private",
           sys.executable, str(Path(sys.argv[0]).resolve()), *sys.argv[1:]]
    try:
        rc = subprocess.call(cmd, env=env, preexec_fn=into_cgroup)
    finally:
        remove_cgroup_tree(base)
    sys.exit(rc)


def inner_setup():
    sh(["umount", "-l", "/sys/fs/cgroup"])
    sh(["mount", "-t", "cgroup2", "cgroup2", "/sys/fs/cgroup"])
    sh(["mount", "-t", "tmpfs", "-o", "mode=755", "tmpfs", "/run"])
    # The namespace's root cgroup must hold no process: the callers enable controllers in
    # its cgroup.subtree_control (cgroup v2's no-internal-process rule).
    os.mkdir("/sys/fs/cgroup/driver")
    with open("/sys/fs/cgroup/driver/cgroup.procs", "w") as f:
        f.write("0")


def remove_cgroup_tree(base):
    """Kill what is left in the tests' cgroup tree (conmon, shims, containers of a failed
    test) and remove it, leaves first."""
    if not base.exists():
        return
    for _ in range(50):
        kill = base / "cgroup.kill"
        if kill.exists():
            kill.write_text("1")
        else:
            for d, _, _ in os.walk(base):
                for pid in open(os.path.join(d, "cgroup.procs")).read().split():
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except ProcessLookupError:
                        pass
        dirs = sorted((d for d, _, _ in os.walk(base)), key=len, reverse=True)
        try:
            for d in dirs:
                os.rmdir(d)
            return
        except OSError:
            time.sleep(0.1)
    print(f"callers: could not remove {base}", file=sys.stderr)


def sh(cmd):
    subprocess.run(cmd, check=True)


# ---------------------------------------------------------------------------------------
# Running the callers
# ---------------------------------------------------------------------------------------


class Result:
    def __init__(self, cmd, rc, out, err):
        self.cmd, self.rc, self.out, self.err = cmd, rc, out, err

    def __repr__(self):
        return f"`{' '.join(self.cmd)}` -> {self.rc}\nstdout: {self.out[-2000:]}\nstderr: {self.err[-2000:]}"


def run(cmd, *, timeout=120, env=None, stdin=subprocess.DEVNULL, want=None):
    """Run a caller's command; `want` is the exit status it must have."""
    try:
        p = subprocess.run(cmd, stdin=stdin, capture_output=True, text=True,
                           timeout=timeout, env=env)
    except subprocess.TimeoutExpired as e:
        raise Failure(f"`{' '.join(cmd)}` did not finish in {timeout} s: {e.stderr!r}")
    r = Result(cmd, p.returncode, p.stdout, p.stderr)
    if want is not None and r.rc != want:
        raise Failure(f"want exit {want}: {r!r}")
    return r


def run_tty(cmd, *, rows=33, cols=101, timeout=60, env=None):
    """Run a caller on a new pseudo-terminal as its controlling terminal and stdio, as a
    person at a terminal would (`podman run -it`, `ctr run -t`). Returns (status, output
    with \\r\\n as the terminal wrote it)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def ctty():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    p = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, env=env,
                         preexec_fn=ctty, close_fds=True)
    os.close(slave)
    out = b""
    end = time.monotonic() + timeout
    while True:
        left = end - time.monotonic()
        if left <= 0:
            p.kill()
            p.wait()
            os.close(master)
            raise Failure(f"`{' '.join(cmd)}` on a terminal did not finish in {timeout} s: {out!r}")
        r, _, _ = select.select([master], [], [], min(left, 0.5))
        if r:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: every holder of the terminal's slave side is gone
                chunk = b""
            if not chunk:
                break
            out += chunk
        elif p.poll() is not None:
            # The caller is gone; what it wrote is read, unless the container still holds
            # the slave: give that a moment, then stop reading.
            r, _, _ = select.select([master], [], [], 1)
            if not r:
                break
    rc = p.wait(timeout=max(1, end - time.monotonic()))
    os.close(master)
    return rc, out.decode(errors="replace")


def probe_report(text):
    """The probe's one-line JSON report in a caller's output."""
    for line in text.splitlines():
        line = line.strip()
        if line.startswith('{"pid"'):
            return json.loads(line)
    raise Failure(f"no probe report in output: {text[-2000:]!r}")


def actions(report):
    """The probe's `actions` as {name: result}, result being ret or errno."""
    out = {}
    for a in report["actions"]:
        key = a.get("syscall") or a.get("read") or a.get("write") or a.get("stat")
        out[key] = a.get("errno", a.get("ret"))
    return out


def wait_for(pred, what, timeout=20):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    raise Failure(f"timed out waiting for {what}")


# ---------------------------------------------------------------------------------------
# The runtime wrapper and the argv record
# ---------------------------------------------------------------------------------------

WRAPPER = """#!/bin/sh
# Stands in for runc under a caller: logs the exact argv (one line, fields separated by
# tabs), keeps a copy of the bundle's config.json on create, then execs husk. exec keeps
# the caller's stdio, pid and environment exactly as they would be for husk itself.
line=""
prev=""
bundle=""
for a in "$@"; do
    line="$line$a	"
    case "$a" in --bundle=*) bundle="${a#--bundle=}" ;; esac
    [ "$prev" = "--bundle" ] || [ "$prev" = "-b" ] && bundle="$a"
    prev="$a"
done
printf '%s\\n' "$line" >> @LOG@
case " $* " in *" create "*) [ -n "$bundle" ] && /bin/cp "$bundle/config.json" "@DIR@/config-$prev.json" ;; esac
exec @HUSK@ "$@"
"""


class Runtime:
    """The wrapper script at `path` and its log."""

    def __init__(self, work, husk=HUSK):
        self.dir = work / "runtime"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.log = self.dir / "argv.log"
        self.path = self.dir / "husk"
        self.path.write_text(WRAPPER.replace("@LOG@", str(self.log)).replace("@DIR@", str(self.dir))
                             .replace("@HUSK@", str(husk)))
        self.path.chmod(0o755)
        self.log.touch()

    def mark(self, name):
        with open(self.log, "a") as f:
            f.write(f"# {name}\n")

    def calls(self, test=None):
        """The argv lists logged (for one test, when named)."""
        out, cur = [], None
        for line in self.log.read_text().splitlines():
            if line.startswith("# "):
                cur = line[2:]
                continue
            if test is None or cur == test:
                out.append(line.rstrip("\t").split("\t"))
        return out

    def verbs(self, test=None):
        """The command word of each call, global flags skipped."""
        return [verb(c) for c in self.calls(test)]

    def config(self, cid):
        return json.loads((self.dir / f"config-{cid}.json").read_text())


GLOBAL_WITH_VALUE = {"--root", "--log", "--log-format", "--criu", "--cgroup-manager"}


def verb(argv):
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in GLOBAL_WITH_VALUE:
            i += 2
        elif a.startswith("-"):
            i += 1
        else:
            return a
    return ""


# ---------------------------------------------------------------------------------------
# The image: the static probe and busybox
# ---------------------------------------------------------------------------------------

BUSYBOX_APPLETS = ["sh", "sleep", "cat", "echo", "tty", "stty", "ls", "true"]


def rootfs_tar(path):
    """A rootfs tarball with /husk-probe, /bin/busybox and a few applet links; owned by
    root, as an image layer is."""
    def root(ti):
        ti.uid = ti.gid = 0
        ti.uname = ti.gname = "root"
        return ti

    with tarfile.open(path, "w") as t:
        for d in ["bin", "etc", "tmp"]:
            ti = tarfile.TarInfo(d)
            ti.type, ti.mode = tarfile.DIRTYPE, 0o1777 if d == "tmp" else 0o755
            t.addfile(root(ti))
        t.add(PROBE, "husk-probe", filter=root)
        t.add(BUSYBOX, "bin/busybox", filter=root)
        for a in BUSYBOX_APPLETS:
            ti = tarfile.TarInfo(f"bin/{a}")
            ti.type, ti.linkname, ti.mode = tarfile.SYMTYPE, "busybox", 0o777
            t.addfile(root(ti))
        passwd = b"root:x:0:0:root:/:/bin/sh\nuser:x:1000:1000:user:/:/bin/sh\n"
        group = b"root:x:0:\nuser:x:1000:\n"
        for name, data in [("etc/passwd", passwd), ("etc/group", group)]:
            ti = tarfile.TarInfo(name)
            ti.size, ti.mode = len(data), 0o644
            t.addfile(root(ti), io.BytesIO(data))


# ---------------------------------------------------------------------------------------
# The runner
# ---------------------------------------------------------------------------------------

TESTS = []


def test(*needs):
    """Register a test; `needs` names features from AWAITING it depends on."""
    def deco(fn):
        TESTS.append((fn, needs))
        return fn
    return deco


def normalise(argv, work):
    """An argv with the run's own ids and paths replaced, for docs/COMPATIBILITY.md."""
    out = []
    for a in argv:
        a = re.sub("[0-9a-f]{64}", "<id>", a)
        a = re.sub("[0-9a-f]{12}", "<id12>", a)
        a = a.replace(str(work), "<tmp>")
        a = re.sub(r"exec-process-[0-9]+$", "exec-process-<N>", a)
        a = re.sub(r"^/tmp/conmon-term\.[A-Za-z0-9]+$", "/tmp/conmon-term.<X>", a)
        if a.startswith("/tmp/runc-process"):
            a = "/tmp/runc-process<N>"
        if a.startswith("/tmp/pty") and a.endswith("/pty.sock"):
            a = "/tmp/pty<N>/pty.sock"
        out.append(a)
    return out


def main(name, setup, teardown):
    """Run the registered tests: `setup()` returns a context passed to every test,
    `teardown(ctx)` runs at the end. Options: --only NAME[,NAME], --keep (keep the work
    directory), --record FILE (write each test's argv sequence, normalised)."""
    args = sys.argv[1:]
    only = None
    keep = "--keep" in args
    record = None
    if "--only" in args:
        only = set(args[args.index("--only") + 1].split(","))
    if "--record" in args:
        record = Path(args[args.index("--record") + 1]).resolve()
    for p, what in [(HUSK, "husk"), (PROBE, "husk-probe"), (BUSYBOX, "busybox-static")]:
        if not p.exists():
            raise SystemExit(f"{name}: {what} not found at {p} (run `just build` / `just setup`)")
    enter_namespaces()

    work = Path(f"/tmp/husk-{name}-{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    ctx = setup(work)
    passed, failed, awaiting, waited = 0, 0, 0, set()
    recorded = []
    try:
        for fn, needs in TESTS:
            tname = fn.__name__
            if only and tname not in only:
                continue
            waits = [n for n in needs if n in AWAITING]
            ctx.runtime.mark(tname)
            try:
                fn(ctx)
                ok, err = True, None
            except Failure as e:
                ok, err = False, str(e)
            except Exception:
                ok, err = False, traceback.format_exc()
            if waits:
                if ok:
                    failed += 1
                    print(f"FAIL {tname}: passes now: remove {', '.join(waits)} from AWAITING "
                          f"in tests/callers/common.py")
                else:
                    awaiting += 1
                    waited.update(waits)
                    first = err.strip().splitlines()
                    print(f"awaiting {', '.join(waits)}: {tname}: {first[-1] if first else ''}"[:400])
            elif ok:
                passed += 1
                print(f"ok   {tname}")
            else:
                failed += 1
                print(f"FAIL {tname}: {err}")
            recorded.append((tname, ctx.runtime.calls(tname)))
    finally:
        try:
            teardown(ctx)
        except Exception:
            traceback.print_exc()
            failed += 1
        if record:
            with open(record, "w") as f:
                for tname, calls in recorded:
                    f.write(f"## {tname}\n")
                    for c in calls:
                        f.write(" ".join(normalise(c, work)) + "\n")
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"{name}: kept {work}")
    if awaiting:
        print(f"{name}: {awaiting} awaiting ({', '.join(sorted(waited))}; not counted)")
    print(f"{name}: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
