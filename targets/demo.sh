#!/usr/bin/env bash
# The Quick start demo: make an OCI bundle whose rootfs holds only the static husk-probe,
# starting from `husk spec` (runc's default config), check it with `husk validate`, then
# run it with `husk run` and show what the container process saw. Needs root (namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
case "$(uname -m)" in
    x86_64) t=x86_64-unknown-linux-musl ;;
    aarch64) t=aarch64-unknown-linux-musl ;;
    armv7l) t=armv7-unknown-linux-musleabihf ;;
    *) echo "demo: no husk target for $(uname -m)" >&2; exit 1 ;;
esac
husk=$PWD/target/$t/release/husk
demo=$PWD/target/demo
rm -rf "$demo"
mkdir -p "$demo/bundle/rootfs"
cp "target/$t/release/husk-probe" "$demo/bundle/rootfs/husk-probe"

"$husk" spec --bundle "$demo/bundle"
# The default config runs "sh" on a terminal; run the probe without one instead.
sed -i -e 's|"terminal": true|"terminal": false|' \
       -e 's|^\t\t\t"sh"$|\t\t\t"/husk-probe", "env=PATH,TERM"|' "$demo/bundle/config.json"

echo "== husk validate --bundle $demo/bundle"
"$husk" validate --bundle "$demo/bundle"
echo
echo "== husk run demo (the container's view, as reported by husk-probe)"
set +e
out=$("$husk" --root "$demo/state" run --bundle "$demo/bundle" demo)
rc=$?
set -e
if command -v python3 >/dev/null; then
    printf '%s\n' "$out" | python3 -m json.tool
else
    printf '%s\n' "$out"
fi
echo "== exit status $rc"
exit $rc
