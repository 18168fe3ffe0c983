#!/usr/bin/env bash
# Fetch the Debian kernels the QEMU harness boots, into qemu-tests/cache/kernels/<name>/vmlinuz.
#   x86_64  linux-image-amd64 (bookworm, 6.1)     aarch64 linux-image-arm64 (bookworm, 6.1)
#   armv7   linux-image-armmp (bookworm, 6.1)     aarch64-5.10 linux-image-arm64 (bullseye)
# With each kernel, cache/kernels/<name>/brd.ko (RAM disks, for the scenarios boot) and
# cache/kernels/<name>/rootdisk/: the modules a first stage needs to mount an ext4 root from
# a virtio disk (virtio_blk, virtio_pci, virtio_mmio, ext4, crc32c_generic) and their
# dependencies, read from each module's `depends=` (the package ships no modules.dep: depmod
# makes it when installed), with `order` listing them dependencies first, for insmod.
# Also busybox-static per arch (bookworm), into cache/busybox/<name>/busybox: the first
# stage of the `root=disk` boots (an initramfs script that mounts the disk and
# switch_roots into husk).
# The mirror comes from this machine's apt sources. Cached: what is present is not fetched again.
set -euo pipefail
cd "$(dirname "$0")"
cache=$PWD/cache
mkdir -p "$cache/kernels"

uri=$(awk '/^URIs:/ {u=$2} /^Suites:/ && / bookworm( |$)/ {print u; exit}' \
    /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[ -n "$uri" ] || uri=$(awk '$1=="deb" && $3=="bookworm" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$uri" ] || { echo "fetch-kernels: no bookworm source in /etc/apt/sources*" >&2; exit 1; }

# name  debian-arch  suite  metapackage
kernels="x86_64 amd64 bookworm linux-image-amd64
aarch64 arm64 bookworm linux-image-arm64
armv7 armhf bookworm linux-image-armmp
aarch64-5.10 arm64 bullseye linux-image-arm64"

# apt options for one architecture and suite, with their own lists and cache (updated once).
apt_for() { # arch suite -> sets $apt and the array opts
    local arch=$1 suite=$2
    apt=$cache/apt-$arch-$suite
    mkdir -p "$apt/lists/partial" "$apt/archives/partial"
    printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' "$uri" "$suite" >"$apt/sources.list"
    opts=(-oAPT::Architecture="$arch" -oAPT::Architectures="$arch"
        -oDir::State::Lists="$apt/lists" -oDir::Etc::SourceList="$apt/sources.list"
        -oDir::Etc::SourceParts=/nonexistent -oDir::Cache="$apt" -oDebug::NoLocking=1 -qq)
    [ -n "$(ls "$apt/lists" 2>/dev/null | grep Packages)" ] || apt-get "${opts[@]}" update
}

# rootdisk_modules TREE OUT NAME... : copy the modules NAME... of the unpacked package TREE
# and every module they depend on into OUT, and list them in OUT/order, each after its
# dependencies. A name that is built into this kernel (modules.builtin) is skipped; one
# that is neither is an error. An xz-compressed module is stored decompressed.
rootdisk_modules() {
    local tree=$1 out=$2
    shift 2
    local -A path=() seen=()
    local f n builtin
    builtin=$(echo "$tree"/lib/modules/*/modules.builtin)
    while IFS= read -r f; do
        n=$(basename "$f")
        n=${n%.xz}
        n=${n%.ko}
        path[${n//-/_}]=$f
    done < <(find "$tree"/lib/modules/*/kernel -name '*.ko' -o -name '*.ko.xz')
    rm -rf "$out"
    mkdir -p "$out"
    visit() {
        local n=$1 f d deps
        [ -z "${seen[$n]:-}" ] || return 0
        seen[$n]=1
        f=${path[$n]:-}
        if [ -z "$f" ]; then
            tr - _ <"$builtin" | grep -q "/$n\.ko$" && return 0
            echo "fetch-kernels: no module $n in $tree" >&2
            exit 1
        fi
        # .modinfo holds NUL-separated key=value strings; depends= names the modules
        # this one needs (comma-separated, possibly empty).
        if [[ $f == *.xz ]]; then xz -dc "$f"; else cat "$f"; fi >"$out/$n.ko"
        deps=$(tr '\0' '\n' <"$out/$n.ko" | sed -n 's/^depends=//p' | head -n1)
        for d in ${deps//,/ }; do
            visit "$d"
        done
        echo "$n.ko" >>"$out/order"
    }
    for n in "$@"; do
        visit "$n"
    done
}

fetch() { # name arch suite meta
    local name=$1 arch=$2 suite=$3 meta=$4
    local out=$cache/kernels/$name
    [ -s "$out/vmlinuz" ] && [ -s "$out/brd.ko" ] && [ -s "$out/rootdisk/order" ] && return 0
    mkdir -p "$out"
    local apt opts
    apt_for "$arch" "$suite"
    # the metapackage depends on the versioned image package: take that one
    local pkg
    pkg=$(apt-cache "${opts[@]}" depends "$meta" | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
    [ -n "$pkg" ] || { echo "fetch-kernels: cannot resolve $meta for $arch/$suite" >&2; exit 1; }
    echo "fetch-kernels: $name <- $pkg ($suite/$arch)" >&2
    # A cache made before rootdisk/ existed has the package already: not downloaded again.
    ls "$apt"/archives/"${pkg}"_*.deb >/dev/null 2>&1 ||
        (cd "$apt/archives" && apt-get "${opts[@]}" download "$pkg:$arch")
    local deb
    deb=$(ls "$apt"/archives/"${pkg}"_*.deb | head -n1)
    local tmp
    tmp=$(mktemp -d)
    dpkg-deb -x "$deb" "$tmp"
    cp "$tmp"/boot/vmlinuz-* "$out/vmlinuz"
    # The RAM disk driver (block major 1, no dependencies): PID 1 loads it in the scenarios
    # boot (husk.modules=brd) so blockIO limits have a real device (/dev/ram0 is 1:0).
    cp "$tmp"/lib/modules/*/kernel/drivers/block/brd.ko "$out/brd.ko"
    rootdisk_modules "$tmp" "$out/rootdisk" virtio_blk virtio_pci virtio_mmio ext4 crc32c_generic
    echo "$pkg" >"$out/package"
    rm -rf "$tmp"
}

while read -r name arch suite meta; do
    fetch "$name" "$arch" "$suite" "$meta"
done <<<"$kernels"

fetch_busybox() { # name arch
    local name=$1 arch=$2
    local out=$cache/busybox/$name
    [ -x "$out/busybox" ] && return 0
    mkdir -p "$out"
    local apt opts
    apt_for "$arch" bookworm
    echo "fetch-kernels: busybox $name <- busybox-static (bookworm/$arch)" >&2
    (cd "$apt/archives" && apt-get "${opts[@]}" download "busybox-static:$arch")
    local tmp
    tmp=$(mktemp -d)
    dpkg-deb -x "$(ls "$apt"/archives/busybox-static_*_"$arch".deb | head -n1)" "$tmp"
    cp "$tmp/bin/busybox" "$out/busybox"
    rm -rf "$tmp"
}

fetch_busybox x86_64 amd64
fetch_busybox aarch64 arm64
fetch_busybox armv7 armhf
