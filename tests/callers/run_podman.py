#!/usr/bin/env python3
"""Podman (with conmon) drives husk as its OCI runtime, offline, as root.

    tests/callers/run_podman.py [--only TEST[,TEST]] [--keep] [--record FILE]

Podman is configured as a user would register husk: a `husk` entry in containers.conf's
[engine.runtimes] (here the argv-logging wrapper, see common.py), listed in
`runtime_supports_json` as runc is so that conmon passes `--log-format=json --log FILE`,
and selected with `podman --runtime husk`. The image is imported with `podman import`
from a tarball the test builds (the static husk-probe and busybox-static).

How this host is worked around, without skipping anything (each decided from what the
host has, so a host with more runs the real thing):
- cgroup v1+v2 hybrid: the driver runs in its own mount and cgroup namespaces with a
  fresh cgroup2 on /sys/fs/cgroup (common.enter_namespaces).
- no systemd as PID 1: cgroup_manager = cgroupfs; events_logger = file (no journald).
- storage: vfs (no overlay mount needed, works on any filesystem, all under a temp dir).
- network: none (offline; no CNI/netavark run).
- no CAP_SYS_RESOURCE (the sandbox lacks it; it is also why RLIMIT_MEMLOCK cannot be
  raised): Podman's default rlimits (nofile 1048576, nproc 32768) are above what a process
  here may set, so runc fails the same way (`setrlimit RLIMIT_NOFILE: EPERM`);
  default_ulimits lowers them to 1024, and the test checks the container got exactly that.
- no pids controller in the cgroup2 hierarchy: Podman's default pids limit (2048) would
  fail every container, so pids_limit = 0 by default; `--pids-limit` is tested explicitly.
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    CAP_SYS_RESOURCE, HUSK, NR, Runtime, actions, check, check_eq, check_in,
    controllers, has_cap, main, probe_report, rootfs_tar, run, run_tty, test, wait_for)

IMAGE = "localhost/husk-probe:callers"
REFERENCE = "/usr/bin/runc"  # what husk must match (installed with containerd)


class Ctx:
    def __init__(self, work):
        self.work = work
        self.runtime = Runtime(work)
        self.env = dict(os.environ,
                        CONTAINERS_CONF=str(work / "containers.conf"),
                        CONTAINERS_STORAGE_CONF=str(work / "storage.conf"),
                        CONTAINERS_REGISTRIES_CONF=str(work / "registries.conf"))
        self.write_config()

    def write_config(self):
        w = self.work
        containers = ["[containers]", 'netns = "none"']
        if "pids" not in controllers():
            containers.append("pids_limit = 0")
        if not has_cap(CAP_SYS_RESOURCE):
            containers.append('default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]')
        engine = [
            "[engine]",
            'cgroup_manager = "cgroupfs"',
            'events_logger = "file"',
            f'tmp_dir = "{w}/tmp"',
            'runtime = "husk"',
            'runtime_supports_json = ["husk", "runc"]',
            "[engine.runtimes]",
            f'husk = ["{self.runtime.path}"]',
        ]
        (w / "containers.conf").write_text("\n".join(containers + engine) + "\n")
        (w / "storage.conf").write_text(
            f'[storage]\ndriver = "vfs"\ngraphroot = "{w}/storage"\nrunroot = "{w}/run"\n')
        (w / "registries.conf").write_text("unqualified-search-registries = []\n")

    def podman(self, *args, want=None, timeout=120, runtime="husk"):
        return run(["podman", "--runtime", runtime, *args], env=self.env, want=want,
                   timeout=timeout)

    def state(self, name, fmt="{{.State.Status}} {{.State.ExitCode}}"):
        return self.podman("inspect", "--format", fmt, name, want=0).out.strip()

    def cgroup_gone(self, cid):
        check(not list(Path("/sys/fs/cgroup").glob(f"**/*{cid}*")),
              f"a cgroup of {cid[:12]} is left behind")

    def husk_state_gone(self, cid):
        r = run([str(HUSK), "state", cid])
        check(r.rc != 0 and "container does not exist" in r.err,
              f"husk still has state for {cid[:12]}: {r!r}")


def setup(work):
    ctx = Ctx(work)
    tar = work / "rootfs.tar"
    rootfs_tar(tar)
    ctx.podman("import", "--change", "CMD /husk-probe", str(tar), IMAGE, want=0)
    return ctx


def teardown(ctx):
    ctx.podman("rm", "--all", "--force", "--time", "0")


def create_argv(ctx, test):
    calls = [c for c in ctx.runtime.calls(test) if "create" in c]
    check(calls, "no create call logged")
    return calls[0]


@test()
def run_exit_code(ctx):
    """`podman run` returns the container's exit status; the container is what Podman's
    config.json asks for (a new hostname, Podman's seccomp profile, the rlimits)."""
    r = ctx.podman("run", "--rm", "--pull=never", IMAGE, "/husk-probe", "exit", "3", want=3)
    rep = probe_report(r.out)
    check_eq(rep["pid"], 1, "pid inside")
    check_eq(len(rep["hostname"]), 12, "hostname (the short container id)")
    check_eq(rep["seccomp"], 2, "seccomp mode (filter)")
    if not has_cap(CAP_SYS_RESOURCE):
        check_eq(rep["rlimits"]["nofile"], [1024, 1024], "RLIMIT_NOFILE (default_ulimits)")
    check_eq(ctx.runtime.verbs("run_exit_code"), ["create", "start", "delete"], "calls")
    argv = create_argv(ctx, "run_exit_code")
    check_eq(argv[:2], ["--log-format=json", "--log"], "conmon's global flags")
    check_in("--pid-file", argv, "create flags")
    check(r.err == "", f"podman printed errors: {r.err!r}")


@test()
def info_version(ctx):
    """`podman info` runs `husk --version` and shows its first line as the version."""
    r = ctx.podman("info", "--format", "{{json .Host.OCIRuntime}}", want=0)
    info = json.loads(r.out)
    check_eq(info["name"], "husk", "runtime name")
    check(info["version"].startswith("husk version "), f"version: {info['version']!r}")
    check_eq(ctx.runtime.calls("info_version"), [["--version"]], "calls")


@test()
def run_bad_command(ctx):
    """Podman maps the runtime's error text to 127 (command not found) and 126 (not
    executable), as with runc: husk's wording has to carry those words."""
    r = ctx.podman("run", "--rm", IMAGE, "/no/such/program", want=127)
    check("no such file or directory" in r.err or "executable file not found" in r.err,
          f"error wording: {r.err!r}")
    r = ctx.podman("run", "--rm", IMAGE, "/etc", want=126)
    check_in("permission denied", r.err.lower(), "error wording for a directory")


@test()
def run_detached_lifecycle(ctx):
    """run -d, ps, pause/unpause, stop (SIGTERM, then SIGKILL: the probe is PID 1 of its
    pid namespace and has no handler, so the kernel drops SIGTERM), logs, rm."""
    t = "run_detached_lifecycle"
    cid = ctx.podman("run", "-d", "--name", "life", IMAGE,
                     "/husk-probe", "report", "sleep", "600", want=0).out.strip()
    check_eq(ctx.state("life"), "running 0", "status after run -d")
    check_in("life", ctx.podman("ps", "--format", "{{.Names}}", want=0).out, "podman ps")
    pid = int(ctx.state("life", "{{.State.Pid}}"))
    check(Path(f"/proc/{pid}").exists(), f"container pid {pid} is not alive")
    ctx.podman("pause", "life", want=0)
    check_eq(ctx.state("life"), "paused 0", "status after pause")
    state = open(f"/proc/{pid}/status").read()
    check("State:\tS" in state or "State:\tD" in state, "paused process is not sleeping")
    ctx.podman("unpause", "life", want=0)
    check_eq(ctx.state("life"), "running 0", "status after unpause")
    ctx.podman("stop", "--time", "1", "life", want=0)
    check_eq(ctx.state("life"), "exited 137", "status after stop")
    logs = ctx.podman("logs", "life", want=0).out
    check_eq(probe_report(logs)["pid"], 1, "report in podman logs")
    ctx.podman("rm", "life", want=0)
    check("life" not in ctx.podman("ps", "-a", "--format", "{{.Names}}", want=0).out,
          "container still listed after rm")
    ctx.husk_state_gone(cid)
    ctx.cgroup_gone(cid)
    calls = ctx.runtime.calls(t)
    verbs = ctx.runtime.verbs(t)
    check_eq(verbs[:2], ["create", "start"], "first calls")
    check(["kill", cid, "15"] == calls[verbs.index("kill")][-3:], f"stop's kill: {calls}")
    check_in(["kill", cid, "9"], [c[-3:] for c in calls], "stop's second kill")
    check_in("pause", verbs, "calls")
    check_in("resume", verbs, "calls")
    check_eq(calls[-1][-3:], ["delete", "--force", cid], "last call")


@test()
def kill_signal(ctx):
    """`podman kill --signal` passes the number; a handled signal ends a shell that traps
    it, an unhandled SIGKILL gives 137."""
    ctx.podman("run", "-d", "--name", "sig", IMAGE, "/bin/sh", "-c",
               "trap 'exit 42' USR1; while true; do sleep 1; done", want=0)
    ctx.podman("kill", "--signal", "USR1", "sig", want=0)
    wait_for(lambda: ctx.state("sig").startswith("exited"), "the trap to end the shell")
    check_eq(ctx.state("sig"), "exited 42", "status after SIGUSR1")
    ctx.podman("rm", "sig", want=0)
    verbs = ctx.runtime.calls("kill_signal")
    check_in(["kill", verbs[0][-1], "10"], [c[-3:] for c in verbs], "kill call with the number")


@test("exec")
def exec_in_running(ctx):
    """`podman exec`: the exit status, the container's namespaces, -e, --user, --workdir."""
    t = "exec_in_running"
    ctx.podman("run", "-d", "--name", "ex", IMAGE, "/husk-probe", "report", "sleep", "600",
               want=0)
    try:
        first = probe_report(wait_for(lambda: ctx.podman("logs", "ex").out, "the report"))
        ctx.podman("exec", "ex", "/husk-probe", "exit", "5", want=5)
        rep = probe_report(ctx.podman("exec", "-e", "FOO=bar", "--user", "1000:1000",
                                      "--workdir", "/tmp", "ex", "/husk-probe", "env=FOO",
                                      want=0).out)
        check_eq(rep["ns"], first["ns"], "namespaces of the exec")
        check_eq(rep["env"], {"FOO": "bar"}, "exec environment")
        check_eq([rep["uid"], rep["gid"], rep["cwd"]], [1000, 1000, "/tmp"], "exec identity")
        check(rep["pid"] != 1, "exec is not PID 1")
        check_eq(rep["seccomp"], 2, "exec seccomp mode")
        ex = [c for c in ctx.runtime.calls(t) if "exec" in c]
        check(ex and "--process" in ex[0] and "--detach" in ex[0], f"exec call: {ex}")
    finally:
        ctx.podman("rm", "--force", "--time", "0", "ex")


@test("tty")
def run_terminal(ctx):
    """`podman run -it`: conmon passes --console-socket, receives the pty master, relays
    it to the caller's terminal; the window size arrives in the container."""
    rc, out = run_tty(["podman", "--runtime", "husk", "run", "--rm", "-it", IMAGE,
                       "/bin/sh", "-c", "tty; stty size; exit 4"], env=ctx.env)
    check_eq(rc, 4, f"exit status (output {out!r})")
    check_in("/dev/pts/0", out, "tty inside")
    check_in("33 101", out, "window size inside")
    check_in("--console-socket", create_argv(ctx, "run_terminal"), "create flags")


@test("exec", "tty")
def exec_tty(ctx):
    """`podman exec -it` into a running container."""
    ctx.podman("run", "-d", "--name", "ext", IMAGE, "/husk-probe", "sleep", "600", want=0)
    try:
        rc, out = run_tty(["podman", "--runtime", "husk", "exec", "-it", "ext",
                           "/bin/sh", "-c", "tty; stty size; exit 6"], env=ctx.env)
        check_eq(rc, 6, f"exit status (output {out!r})")
        check_in("33 101", out, "window size inside")
    finally:
        ctx.podman("rm", "--force", "--time", "0", "ext")


@test("init")
def init_path(ctx):
    """`--init --init-path husk`: husk runs as /run/podman-init -- CMD, the command is its
    child, its exit status comes back, and SIGTERM from `podman stop` reaches it."""
    args = ["--init", "--init-path", str(HUSK)]
    r = ctx.podman("run", "--rm", *args, IMAGE, "/husk-probe", "exit", "3", want=3)
    rep = probe_report(r.out)
    check_eq(rep["ppid"], 1, "parent of the command (the init)")
    check(rep["pid"] != 1, "the command is not PID 1")
    ctx.podman("run", "-d", "--name", "ini", *args, IMAGE, "/husk-probe", "sleep", "600",
               want=0)
    ctx.podman("stop", "--time", "30", "ini", want=0)
    check_eq(ctx.state("ini"), "exited 143", "status after stop (SIGTERM forwarded)")
    kills = [c[-1] for c in ctx.runtime.calls("init_path") if "kill" in c]
    check_eq(kills, ["15"], "kill calls (no SIGKILL needed)")
    ctx.podman("rm", "ini", want=0)


def limit_test(ctx, test, controller, flag, value, field, file, want_value):
    """A resource flag: where the cgroup2 hierarchy has the controller, the container's
    cgroup holds the limit; where it does not (this host: memory and pids are bound to
    cgroup v1), husk refuses clearly and leaves nothing behind."""
    if controller in controllers():
        rep = probe_report(ctx.podman("run", "--rm", flag, value, IMAGE, "/husk-probe", "read",
                                      f"/sys/fs/cgroup/{file}", want=0).out)
        check_eq(rep["actions"][0].get("text", "").strip(), want_value, file)
        return
    r = ctx.podman("run", "--rm", "--name", f"lim-{controller}", flag, value, IMAGE,
                   "/husk-probe")
    # Podman turns "no such file or directory" in the runtime's error into 127.
    check_eq(r.rc, 127, f"podman's status for the refused limit: {r!r}")
    check_in(f"controller {controller} not available", r.err, "husk's error")
    check_in(f"linux.resources.{field}", r.err, "the field named")
    argv = create_argv(ctx, test)
    cfg = ctx.runtime.config(argv[-1])
    res = cfg["linux"]["resources"]
    check(res.get(controller), f"podman passed no {controller} resources: {res}")
    check_eq([c for c in ctx.runtime.verbs(test)], ["create", "delete"], "calls")
    ctx.husk_state_gone(argv[-1])
    ctx.cgroup_gone(argv[-1])


@test()
def memory_limit(ctx):
    limit_test(ctx, "memory_limit", "memory", "--memory", "64m", "memory", "memory.max",
               str(64 << 20))
    if "memory" not in controllers():
        res = ctx.runtime.config(create_argv(ctx, "memory_limit")[-1])["linux"]["resources"]
        check_eq(res["memory"]["limit"], 64 << 20, "memory.limit podman passed")


@test()
def pids_limit(ctx):
    limit_test(ctx, "pids_limit", "pids", "--pids-limit", "20", "pids.limit", "pids.max", "20")
    if "pids" not in controllers():
        res = ctx.runtime.config(create_argv(ctx, "pids_limit")[-1])["linux"]["resources"]
        check_eq(res["pids"]["limit"], 20, "pids.limit podman passed")


SECCOMP_PROBE = ["/husk-probe", "syscall", "getpid", "syscall", NR["move_pages"], "0", "0",
                 "0", "0", "0", "0", "syscall", "personality", "syscall", "9999"]


@test()
def seccomp_default_profile(ctx):
    """Podman's default profile (containers-common's seccomp.json, as Podman reduces it
    for the container's capabilities): move_pages is denied with EPERM, personality(-1)
    matches none of the allowed argument values (compared on all 64 bits, as libseccomp
    does) and gets the default action ENOSYS; the same calls under runc agree."""
    rep = probe_report(ctx.podman("run", "--rm", IMAGE, *SECCOMP_PROBE, want=0).out)
    check_eq(rep["seccomp"], 2, "seccomp mode")
    got = actions(rep)
    check_eq(got[NR["move_pages"]], "EPERM", "move_pages")
    check_eq(got["personality"], "ENOSYS", "personality(0xffffffffffffffff)")
    check_eq(got["9999"], "ENOSYS", "an unknown syscall")
    check(isinstance(got["getpid"], int), f"getpid: {got['getpid']}")
    cfg = ctx.runtime.config(create_argv(ctx, "seccomp_default_profile")[-1])
    check_eq(cfg["linux"]["seccomp"]["defaultAction"], "SCMP_ACT_ERRNO", "profile passed")
    ref = probe_report(ctx.podman("run", "--rm", IMAGE, *SECCOMP_PROBE, want=0,
                                  runtime=REFERENCE).out)
    check_eq(got, actions(ref), "husk against runc on the same profile")
    check_eq(rep["seccomp"], ref["seccomp"], "seccomp mode against runc")


@test()
def seccomp_unconfined(ctx):
    """`--security-opt seccomp=unconfined`: no filter, the same calls succeed."""
    rep = probe_report(ctx.podman("run", "--rm", "--security-opt", "seccomp=unconfined",
                                  IMAGE, *SECCOMP_PROBE, want=0).out)
    check_eq(rep["seccomp"], 0, "seccomp mode")
    got = actions(rep)
    check_eq([got[NR["move_pages"]], got["personality"]], [0, 0], "move_pages, personality")


if __name__ == "__main__":
    main("podman", setup, teardown)
