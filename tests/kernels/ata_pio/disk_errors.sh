#!/usr/bin/env bash
# `vmlab run --disk` with images it must refuse: each kind gets its own exit status and a
# message naming the file (docs/disk.md); a readonly disk keeps the guest's writes out.
#   disk_errors.sh VMLAB KERNEL
set -uo pipefail
vmlab=$1 kernel=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'chmod -R u+rwX "$work"; rm -rf "$work"' EXIT
fails=0
expect() {  # expect STATUS MESSAGE-PART DISK-ARG
  local want=$1 part=$2 disk=$3 out rc
  out=$("$vmlab" run --quiet --disk "$disk" "$kernel" 2>&1 >/dev/null)
  rc=$?
  if [ "$rc" -ne "$want" ] || [[ "$out" != *"$part"* ]]; then
    echo "FAIL: --disk $disk: exit $rc (want $want), message '$out' (want '$part')"
    fails=$((fails + 1))
  else
    echo "ok: --disk $disk: exit $rc: $out"
  fi
}
python3 "$here/make_image.py" "$work/good.img"
head -c 1000 /dev/zero > "$work/odd.img"
: > "$work/empty.img"
cp "$work/good.img" "$work/ro.img" && chmod 444 "$work/ro.img"
cp "$work/good.img" "$work/none.img" && chmod 000 "$work/none.img"
mkfifo "$work/fifo"
expect 80 "No such file or directory" "$work/missing.img"
expect 81 "it is a directory" "$work"
expect 82 "no permission to read it" "$work/none.img"
expect 83 "is not a positive multiple of 512" "$work/odd.img"
expect 83 "is not a positive multiple of 512" "$work/empty.img"
expect 84 "add ,readonly to --disk" "$work/ro.img"
expect 85 "it is not a regular file" "$work/fifo"
expect 64 "--disk index= takes 0" "$work/good.img,index=5"
# Read-only: the guest's first write is aborted (the kernel stops with status 2) and the
# image stays as it was.
before=$(sha256sum < "$work/ro.img")
out=$("$vmlab" run --quiet --disk "$work/ro.img,readonly" "$kernel")
rc=$?
if [ "$rc" -ne 2 ] || [[ "$out" != *"FAILED: WRITE SECTORS"* ]] ||
   [ "$(sha256sum < "$work/ro.img")" != "$before" ]; then
  echo "FAIL: readonly: exit $rc (want 2), console tail '$(printf '%s' "$out" | tail -1)'"
  fails=$((fails + 1))
else
  echo "ok: readonly: the guest's write failed, the image is unchanged"
fi
[ "$fails" -eq 0 ] && echo PASS
exit "$fails"
