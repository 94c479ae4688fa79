#!/usr/bin/env bash
# `cpack` makes a Debian package that holds what `cmake --install` installs, declares every
# shared library its programs load in Depends (so apt brings them on a clean Debian 12),
# and runs from its own files: the package is unpacked (dpkg-deb -x, no root needed) into a
# folder and its vmlab boots a kernel and finds its profiles and guest there.
#   package.sh BUILD_DIR SMOKE_KERNEL
set -euo pipefail
build=$(cd "$1" && pwd) smoke=$(realpath "$2")
command -v cpack >/dev/null && command -v dpkg-deb >/dev/null && command -v dpkg-shlibdeps >/dev/null ||
  { echo "SKIP: cpack, dpkg-deb or dpkg-shlibdeps missing (dpkg-dev)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
(cd "$build" && cpack -B "$tmp/pkg" >"$tmp/cpack.log" 2>&1) ||
  { echo "FAIL: cpack"; cat "$tmp/cpack.log"; exit 1; }
deb=$(ls "$tmp"/pkg/vmlab_*_amd64.deb)
depends=$(dpkg-deb -f "$deb" Depends)
# The package names in Depends, one per line.
names=$(tr ',' '\n' <<<"$depends" | sed 's/(.*//; s/ //g')
dpkg-deb -x "$deb" "$tmp/root"
for prog in "$tmp"/root/usr/bin/*; do
  # Each library the program itself names (DT_NEEDED), resolved as the loader would, must
  # belong to a package in Depends.
  for lib in $(readelf -d "$prog" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
    path=$(ldd "$prog" | awk -v l="$lib" '$1 == l { print $3 }')
    [ -n "$path" ] || { echo "FAIL: $(basename "$prog") needs $lib, which is not found"; exit 1; }
    owner=$(dpkg -S "$path" 2>/dev/null || dpkg -S "${path#/usr}" 2>/dev/null ||
            dpkg -S "$(realpath "$path")" 2>/dev/null || dpkg -S "/usr$(realpath "$path")" 2>/dev/null || true)
    owner=${owner%%:*}
    [ -n "$owner" ] || { echo "FAIL: no package owns $path ($lib)"; exit 1; }
    grep -qx "$owner" <<<"$names" ||
      { echo "FAIL: $(basename "$prog") loads $lib from $owner, which Depends lacks: $depends"; exit 1; }
  done
  passed=$((passed + 1))
done
for f in usr/bin/vmlab usr/share/vmlab/guest/vmlab_guest.elf usr/share/vmlab/profiles/pentium4.profile \
         usr/share/doc/vmlab/LICENSE usr/share/doc/vmlab/labs/05-paravirt/README.md; do
  [ -f "$tmp/root/$f" ] || { echo "FAIL: the package lacks $f"; exit 1; }
done
passed=$((passed + 1))
cd "$tmp"
env -u VMLAB_PROFILES_DIR -u VMLAB_GUEST_KERNEL "$tmp/root/usr/bin/vmlab" run --out "$tmp/o" \
  --profile pentium4 "$smoke" >/dev/null 2>&1 || { echo "FAIL: the packaged vmlab did not run"; exit 1; }
grep -q "\"$tmp/root/usr/share/vmlab/profiles/pentium4.profile\"" "$tmp/o/config.json" ||
  { echo "FAIL: the profile did not come from the package"; exit 1; }
out=$(env -u VMLAB_PROFILES_DIR -u VMLAB_GUEST_KERNEL "$tmp/root/usr/bin/vmlab" compare \
  --modes native,pv --workloads syscall --iters 10 --format csv 2>&1) ||
  { echo "FAIL: compare with the packaged guest: $out"; exit 1; }
[ "$(grep -c '^syscall,[a-z]*,[0-9]*,10,1,' <<<"$out")" = 2 ] || { echo "FAIL: compare rows: $out"; exit 1; }
passed=$((passed + 1))
echo "$passed passed, 0 failed"
