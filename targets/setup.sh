#!/usr/bin/env bash
# Install what husk's builds and tests need on a fresh Debian bookworm machine (root, rustup).
# Idempotent: each step checks first, so every Justfile recipe may call it cheaply.
# `targets/setup.sh callers` also installs the real callers `just callers` runs.
# The Debian mirror is taken from this machine's own apt sources, never written here.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'setup: %s\n' "$*" >&2; }

# --- Rust: rust-src for -Zbuild-std (all three targets build core from source) ---
if ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
    log "rustup component add rust-src"
    rustup component add rust-src
fi
if ! rustup component list --installed 2>/dev/null | grep -q '^clippy'; then
    rustup component add clippy rustfmt
fi

# --- just ---
if ! command -v just >/dev/null 2>&1; then
    log "cargo install just"
    cargo install --locked just
fi

# --- Debian packages: qemu-system from bookworm-backports, busybox-static, cpio, e2fsprogs ---
mirror_uri() {
    # First URI of a source that serves the plain Debian archive (suite bookworm).
    local uri=""
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        uri=$(awk '/^URIs:/ {u=$2} /^Suites:/ && / bookworm( |$)/ {print u; exit}' \
            /etc/apt/sources.list.d/debian.sources)
    fi
    if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
        uri=$(awk '$1=="deb" && $3=="bookworm" {print $2; exit}' /etc/apt/sources.list)
    fi
    [ -n "$uri" ] || { echo "setup: no bookworm source in /etc/apt/sources*" >&2; exit 1; }
    printf '%s\n' "$uri"
}
export -f mirror_uri 2>/dev/null || true

need_pkgs=()
command -v qemu-system-x86_64 >/dev/null || need_pkgs+=(qemu-system-x86)
command -v qemu-system-aarch64 >/dev/null || need_pkgs+=(qemu-system-arm)
[ -x /bin/busybox ] || need_pkgs+=(busybox-static)
command -v cpio >/dev/null || need_pkgs+=(cpio)
command -v readelf >/dev/null || need_pkgs+=(binutils)
command -v python3 >/dev/null || need_pkgs+=(python3)
# mkfs.ext4 -d, e2fsck, dumpe2fs, debugfs: the realroot boot's disk image, made and checked
# on the host.
command -v debugfs >/dev/null || need_pkgs+=(e2fsprogs)
if [ ${#need_pkgs[@]} -gt 0 ]; then
    uri=$(mirror_uri)
    src=/etc/apt/sources.list.d/husk-extra.sources
    if [ ! -f "$src" ]; then
        log "adding bookworm-backports and bullseye from $uri to $src"
        cat >"$src" <<SRC
Types: deb
URIs: $uri
Suites: bookworm-backports bullseye
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    fi
    log "apt-get install ${need_pkgs[*]}"
    apt-get update -qq
    # qemu-system must match the qemu-utils already installed from backports: take the
    # whole qemu family (qemu-system-common, -data, seabios...) from there.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        -t bookworm-backports "${need_pkgs[@]}"
fi

# --- Host C toolchain, libseccomp-dev and strace: tests/seccomp_libseccomp.rs and the seccomp
# benchmark build targets/seccomp/export-libseccomp.c against libseccomp to compare its
# filters with husk's. From bookworm itself, matching the libseccomp2 already installed. ---
host_pkgs=()
command -v cc >/dev/null || host_pkgs+=(gcc libc6-dev)
command -v pkg-config >/dev/null || host_pkgs+=(pkg-config)
[ -f /usr/include/seccomp.h ] || host_pkgs+=(libseccomp-dev)
# strace: tests/cgroups.rs kills a create right after its cgroup's mkdir (strace -e inject).
command -v strace >/dev/null || host_pkgs+=(strace)
if [ ${#host_pkgs[@]} -gt 0 ]; then
    log "apt-get install ${host_pkgs[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${host_pkgs[@]}"
fi

# --- Kernels for the QEMU guests ---
qemu-tests/fetch-kernels.sh

# --- The real callers (tests/callers), only when asked: Podman with conmon (bookworm:
# podman 4.3, conmon 2.1; it pulls golang-github-containers-common for seccomp.json and
# containernetworking-plugins as its network stack, unused offline), containerd 1.6 (ships
# ctr and containerd-shim-runc-v2) and runc (a containerd dependency; the seccomp tests
# compare husk with it). No recommends: no buildah, slirp4netns, fuse-overlayfs (the tests
# use vfs storage and no network). ---
install_callers() {
    local need=()
    command -v podman >/dev/null || need+=(podman)
    command -v conmon >/dev/null || need+=(conmon)
    command -v containerd >/dev/null || need+=(containerd)
    command -v ctr >/dev/null || need+=(containerd)
    command -v containerd-shim-runc-v2 >/dev/null || need+=(containerd)
    [ -x /usr/bin/runc ] || need+=(runc)
    [ -f /usr/share/containers/seccomp.json ] || need+=(golang-github-containers-common)
    command -v unshare >/dev/null || need+=(util-linux)
    if [ ${#need[@]} -gt 0 ]; then
        log "apt-get install ${need[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${need[@]}"
    fi
}
if [ "${1:-}" = callers ]; then
    install_callers
fi
