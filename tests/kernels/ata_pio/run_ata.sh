#!/usr/bin/env bash
# Boots an ATA test kernel (ata_pio, ata_dma) on a fresh copy of the test image
# (make_image.py), under vmlab (`vmlab run
# --disk IMG` with the given options) or under QEMU (`-drive file=IMG,index=0,
# media=disk,format=raw`, when VMLAB is the word qemu), and requires the console to be
# EXPECTED byte for byte (from its first line, the start line the kernel prints, on)
# and the image afterwards to have the SHA-256 in EXPECTED.sha256.
# ATA_INDEX=1 in the environment attaches the image as the slave (index=1, no master).
# Skips (77) under QEMU when qemu-system-i386 is not installed.
#   run_ata.sh VMLAB|qemu KERNEL EXPECTED [VMLAB RUN OPTIONS...]
set -uo pipefail
vmlab=$1 kernel=$2 expected=$3
shift 3
index=${ATA_INDEX:-0}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$here/make_image.py" "$work/disk.img"
if [ "$vmlab" = qemu ]; then
  if ! command -v qemu-system-i386 >/dev/null; then
    echo "SKIP: qemu-system-i386 is not installed"
    exit 77
  fi
  out=$(timeout 120 qemu-system-i386 -kernel "$kernel" -m 128 -nographic -serial stdio \
        -display none -monitor none -no-reboot -net none -accel tcg \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
        -drive "file=$work/disk.img,index=$index,media=disk,format=raw" </dev/null)
  rc=$?
  start=$(head -n 1 "$expected")
  ours=$(printf '%s\n' "$out" | tr -d '\r' | sed -n "/$start/,\$p" | sed "s/^.*\($start\)/\1/")
  want_rc=1
else
  ours=$("$vmlab" run --quiet --disk "$work/disk.img,index=$index" "$@" "$kernel")
  rc=$?
  want_rc=0
fi
if [ "$ours" != "$(cat "$expected")" ]; then
  echo "FAIL: console differs from $expected (< ${vmlab##*/} $*, > expected)"
  diff <(printf '%s\n' "$ours") "$expected"
  exit 1
fi
if [ "$rc" -ne "$want_rc" ]; then
  echo "FAIL: exit status $rc (want $want_rc)"
  exit 1
fi
sum=$(sha256sum "$work/disk.img" | cut -d' ' -f1)
if [ "$sum" != "$(cat "$expected.sha256")" ]; then
  echo "FAIL: the image after the run has SHA-256 $sum, not $(cat "$expected.sha256")"
  exit 1
fi
echo "PASS: console and image as expected under ${vmlab##*/} $*"
