#!/usr/bin/env bash
# Runs the ata_hostile kernel on a readonly and on a writable image with the given vmlab
# options: vmlab must end normally (exit 0, console as expected), the readonly image be
# unchanged byte for byte and the writable one keep its size.
#   run_hostile.sh VMLAB KERNEL [VMLAB RUN OPTIONS...]
set -uo pipefail
vmlab=$1 kernel=$2
shift 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
want=$'ata_hostile: start\nrandom registers: done\nstring I/O: done\nbus master: done\nata_hostile: done'
python3 -c "import sys; sys.stdout.buffer.write(bytes(i * 7 % 251 for i in range(64 * 1024)))" > "$work/ro.img"
cp "$work/ro.img" "$work/rw.img"
before=$(sha256sum < "$work/ro.img")
for disk in "$work/ro.img,readonly" "$work/rw.img"; do
  out=$(timeout 120 "$vmlab" run --quiet --disk "$disk" "$@" "$kernel")
  rc=$?
  if [ "$rc" -ne 0 ] || [ "$out" != "$want" ]; then
    echo "FAIL: --disk $disk $*: exit $rc, console:"
    printf '%s\n' "$out"
    exit 1
  fi
done
[ "$(sha256sum < "$work/ro.img")" = "$before" ] || { echo "FAIL: the readonly image changed"; exit 1; }
[ "$(stat -c %s "$work/rw.img")" -eq 65536 ] || { echo "FAIL: the writable image changed size"; exit 1; }
echo "PASS: hostile ATA traffic under vmlab $*: host unharmed, readonly image unchanged"
