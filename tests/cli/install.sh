#!/usr/bin/env bash
# `cmake --install` puts vmlab, the guest image, the profiles and the docs under a prefix,
# and the installed vmlab finds its profiles and its guest relative to its own binary, even
# after the prefix is moved (cli/resources.h).
#   install.sh BUILD_DIR SMOKE_KERNEL
set -euo pipefail
build=$(cd "$1" && pwd) smoke=$(realpath "$2")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
for f in bin/vmlab share/vmlab/guest/vmlab_guest.elf share/vmlab/profiles/pentium4.profile \
         share/doc/vmlab/README.md share/doc/vmlab/LICENSE share/doc/vmlab/cli.md; do
  [ -f "$tmp/prefix/$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done
mv "$tmp/prefix" "$tmp/moved"
cd "$tmp"
env -u VMLAB_PROFILES_DIR -u VMLAB_GUEST_KERNEL "$tmp/moved/bin/vmlab" run --out "$tmp/o" \
  --profile pentium4 "$smoke" >/dev/null 2>&1 || { echo "FAIL: the moved vmlab did not run"; exit 1; }
grep -q "\"$tmp/moved/share/vmlab/profiles/pentium4.profile\"" "$tmp/o/config.json" ||
  { echo "FAIL: the profile did not come from the moved prefix"; grep profile "$tmp/o/config.json"; exit 1; }
out=$(env -u VMLAB_PROFILES_DIR -u VMLAB_GUEST_KERNEL "$tmp/moved/bin/vmlab" compare \
  --modes native --workloads syscall --iters 10 --format csv 2>&1) ||
  { echo "FAIL: compare with the installed guest: $out"; exit 1; }
grep -q "syscall" <<<"$out" || { echo "FAIL: compare printed no syscall row: $out"; exit 1; }
echo "1 passed, 0 failed"
