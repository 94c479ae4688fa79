#!/usr/bin/env bash
# The guest's file system end to end: `vmlab mkfs` an image, boot the guest OS twice on it
# with shell sessions (session1.txt, then session2.txt: what the first wrote is still
# there), require each console (after the banner line) to be sessionN.expected (under
# --mode pv sessionN.pv.expected: the same but the kstat line's free memory, since the pv
# guest has less RAM and grants the block ring's pages), then `vmlab fsck` the image:
# clean, and the files and contents expected.
#   guest_fs.sh VMLAB GUEST [VMLAB RUN OPTIONS...]
set -uo pipefail
vmlab=$1 guest=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$vmlab" mkfs "$work/disk.img" --size 256K >/dev/null || { echo "FAIL: mkfs"; exit 1; }
suffix=
case " $* " in *" --mode pv "*) suffix=.pv ;; esac
for n in 1 2; do
  out=$("$vmlab" run --quiet --disk "$work/disk.img" --input "$here/session$n.txt" "$@" "$guest")
  rc=$?
  expected="$here/session$n$suffix.expected"
  if [ "$(printf '%s\n' "$out" | sed 1d)" != "$(cat "$expected")" ]; then
    echo "FAIL: session $n's console differs (< vmlab $*, > $(basename "$expected"))"
    diff <(printf '%s\n' "$out" | sed 1d) "$expected"
    exit 1
  fi
  [ "$rc" -eq 0 ] || { echo "FAIL: session $n: vmlab exited $rc"; exit 1; }
done
fsck=$("$vmlab" fsck "$work/disk.img" --list)
want="abcdefghijklmnopqrstuvwxyz1 2
empty 1
f1 2731
f3 8193
f5 3414
$work/disk.img: clean, 5 files, 44 of 512 sectors in use"
if [ "$fsck" != "$want" ]; then
  echo "FAIL: fsck after the sessions:"
  diff <(printf '%s\n' "$fsck") <(printf '%s\n' "$want")
  exit 1
fi
# f3 is 8193 bytes of the alphabet over and over, as fsstress wrote it.
got=$("$vmlab" fsck "$work/disk.img" --cat f3 | sha256sum)
want=$(python3 -c "import sys; sys.stdout.write(''.join(chr(97 + i % 26) for i in range(8193)))" | sha256sum)
[ "$got" = "$want" ] || { echo "FAIL: f3's contents"; exit 1; }
echo "PASS: two sessions, fsck clean, contents as written (vmlab $*)"
