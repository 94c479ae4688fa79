#!/usr/bin/env bash
# Boots a real kernel written elsewhere (fetched by scripts/fetch-outside-kernels.sh, never
# committed) and requires its console to be EXPECTED byte for byte and vmlab's exit status
# to be STATUS: how far the kernel gets in that mode, measured exactly (vmlab is
# deterministic: the same console, counts and cycles every run). Skips (77) when the
# kernel is absent or is another build than the one EXPECTED was recorded with.
#   run_outside.sh VMLAB KERNEL SHA256 EXPECTED STATUS [VMLAB RUN OPTIONS...]
set -uo pipefail
vmlab=$1 kernel=$2 sha=$3 expected=$4 status=$5
shift 5
if [ ! -s "$kernel" ]; then
  echo "SKIP: $kernel is absent; scripts/fetch-outside-kernels.sh fetches it"
  exit 77
fi
have=$(sha256sum "$kernel" | cut -d' ' -f1)
if [ "$have" != "$sha" ]; then
  echo "SKIP: $kernel is another build (sha256 $have) than $expected was recorded with ($sha)"
  exit 77
fi
ours=$("$vmlab" run --quiet "$@" "$kernel")
rc=$?
if [ "$ours" != "$(cat "$expected")" ]; then
  echo "FAIL: console differs from $expected (< vmlab $*, > expected)"
  diff <(printf '%s\n' "$ours") "$expected" | head -40
  exit 1
fi
if [ "$rc" -ne "$status" ]; then
  echo "FAIL: vmlab $* exited $rc (want $status)"
  exit 1
fi
echo "PASS: $(printf '%s\n' "$ours" | wc -l) console lines as expected, exit status $rc, under vmlab $*"
