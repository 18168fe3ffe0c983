#!/usr/bin/env bash
# Fail unless each built binary is a static ELF: no INTERP and no DYNAMIC program header,
# no NEEDED library. Usage: check-static.sh TARGET...
set -euo pipefail
cd "$(dirname "$0")/.."
for t in "$@"; do
    for b in husk husk-probe; do
        f=target/$t/release/$b
        [ -f "$f" ] || { echo "check-static: $f missing" >&2; exit 1; }
        hdrs=$(readelf -lW "$f")
        if grep -qE '^\s+(INTERP|DYNAMIC)\b' <<<"$hdrs"; then
            echo "check-static: $f has an INTERP or DYNAMIC segment" >&2; exit 1
        fi
        if readelf -dW "$f" 2>/dev/null | grep -q NEEDED; then
            echo "check-static: $f needs a shared library" >&2; exit 1
        fi
        if readelf -SW "$f" | grep -qE '\.symtab'; then
            echo "check-static: $f is not stripped" >&2; exit 1
        fi
    done
done
