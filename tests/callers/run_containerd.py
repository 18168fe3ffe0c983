#!/usr/bin/env python3
"""containerd, through its runc v2 shim (containerd-shim-runc-v2), drives husk, offline, as
root; ctr is the client.

    tests/callers/run_containerd.py [--only TEST[,TEST]] [--keep] [--record FILE]

A private containerd: its own config (root, state and sockets under a temp dir, the CRI
plugin off), started by the test and stopped at the end. Every task uses the runtime
io.containerd.runc.v2 with `ctr run --runc-binary <wrapper>`, which sets the shim's
runtime option BinaryName (the same option CRI's runtimes.runc.options.BinaryName sets;
SystemdCgroup stays false): the shim then runs husk for every runc call. The image is an
OCI image layout the test writes itself (index.json, manifest, config, one layer tar of
the static husk-probe and busybox-static) and loads with `ctr images import`.

How this host is worked around, without skipping anything:
- cgroup v1+v2 hybrid: the shim, like Podman, picks v1 or v2 by statfs on /sys/fs/cgroup;
  the driver runs in its own mount and cgroup namespaces with a fresh cgroup2 there
  (common.enter_namespaces).
- no cpu controller in the cgroup2 hierarchy: ctr puts cpu.shares 1024 in every spec by
  default (`--cpu-shares`), which runc fails as husk does (cpu.weight cannot be written),
  so `--cpu-shares 0` is passed where the controller is missing.
"""

import hashlib
import io
import json
import os
import platform
import signal
import subprocess
import sys
import tarfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    HUSK, NR, Runtime, actions, check, check_eq, check_in, controllers, main, probe_report,
    rootfs_tar, run, run_tty, test, verb, wait_for)

IMAGE = "localhost/husk-probe:callers"
REFERENCE = "/usr/bin/runc"
GOARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm"}.get(platform.machine(), "amd64")


class Ctx:
    def __init__(self, work):
        self.work = work
        self.runtime = Runtime(work)
        self.sock = work / "containerd.sock"
        cfg = work / "containerd.toml"
        cfg.write_text(f"""version = 2
root = "{work}/root"
state = "{work}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "{self.sock}"
[ttrpc]
  address = "{self.sock}.ttrpc"
[debug]
  address = "{work}/debug.sock"
""")
        self.log = open(work / "containerd.log", "w")
        self.daemon = subprocess.Popen(["containerd", "--config", str(cfg)],
                                       stdout=self.log, stderr=self.log)
        wait_for(lambda: self.sock.exists() and self.ctr("version").rc == 0, "containerd")

    def ctr(self, *args, want=None, timeout=120):
        return run(["ctr", "--address", str(self.sock), *args], want=want, timeout=timeout)

    def run_args(self, binary=None):
        a = ["--runc-binary", str(binary or self.runtime.path)]
        if "cpu" not in controllers():
            a += ["--cpu-shares", "0"]
        return a

    def task_status(self, cid):
        for line in self.ctr("task", "ls", want=0).out.splitlines()[1:]:
            f = line.split()
            if f and f[0] == cid:
                return f[2], int(f[1])
        return None, None

    def cleanup(self, cid):
        self.ctr("task", "kill", "--signal", "SIGKILL", "--all", cid)
        wait_for(lambda: self.task_status(cid)[0] in (None, "STOPPED"), f"{cid} to stop")
        self.ctr("task", "delete", cid)
        self.ctr("container", "delete", cid)


def oci_layout(layer_tar, out_tar, ref):
    """Write an OCI image layout (oci-layout, index.json, blobs) holding one
    uncompressed layer, as a tar that `ctr images import` reads."""
    blobs = {}

    def blob(data):
        d = hashlib.sha256(data).hexdigest()
        blobs[d] = data
        return {"digest": "sha256:" + d, "size": len(data)}

    layer = Path(layer_tar).read_bytes()
    lb = blob(layer)
    config = {"architecture": GOARCH, "os": "linux",
              "config": {"Cmd": ["/husk-probe"], "Env": ["PATH=/bin"]},
              "rootfs": {"type": "layers", "diff_ids": [lb["digest"]]}}
    cb = blob(json.dumps(config).encode())
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": dict(cb, mediaType="application/vnd.oci.image.config.v1+json"),
                "layers": [dict(lb, mediaType="application/vnd.oci.image.layer.v1.tar")]}
    mb = blob(json.dumps(manifest).encode())
    index = {"schemaVersion": 2, "manifests": [dict(
        mb, mediaType="application/vnd.oci.image.manifest.v1+json",
        annotations={"io.containerd.image.name": ref,
                     "org.opencontainers.image.ref.name": ref.rsplit(":", 1)[1]})]}
    files = {"oci-layout": b'{"imageLayoutVersion":"1.0.0"}',
             "index.json": json.dumps(index).encode()}
    files.update({f"blobs/sha256/{d}": data for d, data in blobs.items()})
    with tarfile.open(out_tar, "w") as t:
        for name, data in files.items():
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))


def setup(work):
    ctx = Ctx(work)
    rootfs_tar(work / "rootfs.tar")
    oci_layout(work / "rootfs.tar", work / "image.tar", IMAGE)
    ctx.ctr("images", "import", str(work / "image.tar"), want=0)
    check_in(IMAGE, ctx.ctr("images", "ls", "-q", want=0).out, "imported image")
    return ctx


def teardown(ctx):
    for line in ctx.ctr("container", "ls", "-q").out.split():
        ctx.cleanup(line)
    ctx.daemon.send_signal(signal.SIGTERM)
    try:
        ctx.daemon.wait(timeout=20)
    except subprocess.TimeoutExpired:
        ctx.daemon.kill()
        ctx.daemon.wait()
    ctx.log.close()


def create_argv(ctx, test):
    calls = [c for c in ctx.runtime.calls(test) if "create" in c]
    check(calls, "no create call logged")
    return calls[0]


@test()
def run_exit_code(ctx):
    """`ctr run` returns the task's exit status; the shim's calls carry --root, --log and
    --log-format json; the state is gone after --rm."""
    t = "run_exit_code"
    r = ctx.ctr("run", "--rm", *ctx.run_args(), IMAGE, "c-exit", "/husk-probe", "exit", "4",
                want=4)
    rep = probe_report(r.out)
    check_eq(rep["pid"], 1, "pid inside")
    check_eq(rep["no_new_privs"], 1, "no_new_privs (ctr's default spec)")
    argv = create_argv(ctx, t)
    check_eq(argv[argv.index("--log-format") + 1], "json", "--log-format")
    check_in("--pid-file", argv, "create flags")
    verbs = ctx.runtime.verbs(t)
    check_eq(verbs[:2], ["create", "start"], "first calls")
    check_in("delete", verbs, "calls")
    check_eq(ctx.ctr("container", "ls", "-q", want=0).out.strip(), "", "containers left")


@test()
def run_bad_command(ctx):
    """A missing program fails the task's creation; the shim reports husk's last JSON log
    line as the reason and cleans up with `delete --force`, after which nothing is left.
    (containerd.log may show "failed to remove runc container ... exit status 255" from
    the shim's cleanup: its reaper loses the status now and then; runc 1.1.5 gets the same
    here, and the log shows husk exited 0.)"""
    t = "run_bad_command"
    r = ctx.ctr("run", "--rm", *ctx.run_args(), IMAGE, "c-bad", "/no/such/program")
    check(r.rc != 0, f"ctr run succeeded: {r!r}")
    check_in("exec /no/such/program: ENOENT (no such file or directory)", r.err,
             "reason ctr shows")
    check_eq([c[-3:] for c in ctx.runtime.calls(t) if "delete" in c],
             [["delete", "--force", "c-bad"]], "cleanup call")
    gone = run([str(HUSK), "--root", "/run/containerd/runc/default", "state", "c-bad"])
    check_in("container does not exist", gone.err, "husk state after the cleanup")
    check(not list(Path("/sys/fs/cgroup").glob("**/c-bad")), "cgroup left behind")
    check_eq(ctx.ctr("container", "ls", "-q", want=0).out.strip(), "", "containers left")


@test()
def detached_kill_pause_delete(ctx):
    """run -d, task ls/ps, pause/resume, kill (SIGTERM to a shell that traps it), delete
    (the exit status), kill --all with SIGKILL."""
    t = "detached_kill_pause_delete"
    ctx.ctr("run", "-d", *ctx.run_args(), IMAGE, "c-sh", "/bin/sh", "-c",
            "trap 'exit 42' TERM; while true; do sleep 1; done", want=0)
    status, pid = ctx.task_status("c-sh")
    check_eq(status, "RUNNING", "status after run -d")
    ps = ctx.ctr("task", "ps", "c-sh", want=0).out.split()
    check_in(str(pid), ps, "task ps")
    ctx.ctr("task", "pause", "c-sh", want=0)
    check_eq(ctx.task_status("c-sh")[0], "PAUSED", "status after pause")
    ctx.ctr("task", "resume", "c-sh", want=0)
    check_eq(ctx.task_status("c-sh")[0], "RUNNING", "status after resume")
    ctx.ctr("task", "kill", "c-sh", want=0)
    wait_for(lambda: ctx.task_status("c-sh")[0] == "STOPPED", "the trap to end the task")
    r = ctx.ctr("task", "delete", "c-sh", want=0)
    check_in("exit code 42", r.err, "task delete")
    ctx.ctr("container", "delete", "c-sh", want=0)

    ctx.ctr("run", "-d", *ctx.run_args(), IMAGE, "c-kill", "/husk-probe", "sleep", "600",
            want=0)
    ctx.ctr("task", "kill", "--all", "--signal", "SIGKILL", "c-kill", want=0)
    wait_for(lambda: ctx.task_status("c-kill")[0] == "STOPPED", "SIGKILL to end the task")
    check_in("exit code 137", ctx.ctr("task", "delete", "c-kill", want=0).err, "task delete")
    ctx.ctr("container", "delete", "c-kill", want=0)

    calls = [c[c.index(verb(c)):] for c in ctx.runtime.calls(t)]
    for want in (["ps", "--format", "json", "c-sh"], ["pause", "c-sh"], ["resume", "c-sh"],
                 ["kill", "c-sh", "15"], ["delete", "c-sh"],
                 ["kill", "--all", "c-kill", "9"], ["delete", "c-kill"]):
        check_in(want, calls, "shim calls")


@test("exec")
def exec_in_task(ctx):
    """`ctr task exec`: exit status, the task's namespaces."""
    t = "exec_in_task"
    ctx.ctr("run", "-d", *ctx.run_args(), IMAGE, "c-ex", "/husk-probe", "sleep", "600",
            want=0)
    try:
        ctx.ctr("task", "exec", "--exec-id", "e1", "c-ex", "/husk-probe", "exit", "6", want=6)
        rep = probe_report(ctx.ctr("task", "exec", "--exec-id", "e2", "c-ex", "/husk-probe",
                                   want=0).out)
        check(rep["pid"] != 1, "exec is not PID 1")
        _, pid = ctx.task_status("c-ex")
        check_eq(rep["ns"]["pid"], os.readlink(f"/proc/{pid}/ns/pid"), "pid namespace")
        ex = [c for c in ctx.runtime.calls(t) if "exec" in c]
        check(ex and "--process" in ex[0] and "--detach" in ex[0], f"exec call: {ex}")
    finally:
        ctx.cleanup("c-ex")


# ctr sets the window size with a Resize after the task started (runc's container sees 0x0
# at first as well), so the shell waits for it, a bounded number of times.
WAIT_SIZE = ("i=0; until stty size 2>/dev/null | grep -qx '33 101' || [ $i -ge 100 ]; do "
             "sleep 0.1; i=$((i+1)); done; ")


@test("tty")
def run_terminal(ctx):
    """`ctr run -t`: the shim passes --console-socket, gets the pty master and copies it to
    ctr's terminal; the window size arrives inside."""
    cmd = ["ctr", "--address", str(ctx.sock), "run", "--rm", "-t", *ctx.run_args(), IMAGE,
           "c-tty", "/bin/sh", "-c", "tty; " + WAIT_SIZE + "stty size; exit 5"]
    try:
        rc, out = run_tty(cmd)
        check_eq(rc, 5, f"exit status (output {out!r})")
        check_in("/dev/pts/0", out, "tty inside")
        check_in("33 101", out, "window size inside")
        check_in("--console-socket", create_argv(ctx, "run_terminal"), "create flags")
    finally:
        ctx.ctr("container", "delete", "c-tty")


@test("exec", "tty")
def exec_terminal(ctx):
    """`ctr task exec -t` into a running task."""
    ctx.ctr("run", "-d", *ctx.run_args(), IMAGE, "c-ext", "/husk-probe", "sleep", "600",
            want=0)
    try:
        rc, out = run_tty(["ctr", "--address", str(ctx.sock), "task", "exec", "-t",
                           "--exec-id", "t1", "c-ext", "/bin/sh", "-c",
                           "tty; " + WAIT_SIZE + "stty size; exit 7"])
        check_eq(rc, 7, f"exit status (output {out!r})")
        check_in("33 101", out, "window size inside")
    finally:
        ctx.cleanup("c-ext")


SECCOMP_PROBE = ["/husk-probe", "syscall", "getpid", "syscall", NR["move_pages"], "0", "0",
                 "0", "0", "0", "0", "syscall", "personality", "syscall", NR["setns"], "-1",
                 "0"]


def seccomp_pair(ctx, name, probe):
    """The probe's actions under `ctr run --seccomp` (containerd's default profile) with
    husk, and with runc as the reference."""
    rep = probe_report(ctx.ctr("run", "--rm", "--seccomp", *ctx.run_args(), IMAGE, name,
                               *probe, want=0).out)
    ref = probe_report(ctx.ctr("run", "--rm", "--seccomp", *ctx.run_args(REFERENCE), IMAGE,
                               name + "-runc", *probe, want=0).out)
    return rep, ref


@test()
def seccomp_default_profile(ctx):
    """`ctr run --seccomp`: containerd's default profile; the calls behave as under runc."""
    rep, ref = seccomp_pair(ctx, "c-sc", SECCOMP_PROBE)
    check_eq(rep["seccomp"], 2, "seccomp mode")
    got = actions(rep)
    check(isinstance(got["getpid"], int), f"getpid: {got['getpid']}")
    check_eq(got["personality"], "EPERM", "personality(-1) (default action)")
    check_eq(got, actions(ref), "husk against runc on the same profile")


@test()
def seccomp_unknown_syscall(ctx):
    """A syscall number above every one the profile names gets ENOSYS from runc (its
    patchbpf stub: new syscalls look absent, so libc falls back), not the default action
    (EPERM in containerd's profile)."""
    rep, ref = seccomp_pair(ctx, "c-sc-new", ["/husk-probe", "syscall", "9999"])
    check_eq(actions(ref)["9999"], "ENOSYS", "runc")
    check_eq(actions(rep)["9999"], "ENOSYS", "husk")


if __name__ == "__main__":
    main("containerd", setup, teardown)
