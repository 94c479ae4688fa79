#!/usr/bin/env bash
# Boots KERNEL with `vmlab run --quiet` and the given options and requires its console to
# be byte-identical to EXPECTED and vmlab to exit 0 (the kernel's own checks passed).
# A hang is a failure too: ctest's TIMEOUT stops it.
#   expect_console.sh VMLAB KERNEL EXPECTED [VMLAB RUN OPTIONS...]
set -uo pipefail
vmlab=$1 kernel=$2 expected=$3
shift 3
ours=$("$vmlab" run --quiet "$@" "$kernel")
rc=$?
if [ "$ours" != "$(cat "$expected")" ]; then
  echo "FAIL: console differs from $expected (< vmlab $*, > expected)"
  diff <(printf '%s\n' "$ours") "$expected"
  exit 1
fi
if [ "$rc" -ne 0 ]; then
  echo "FAIL: vmlab $* exited $rc (want 0)"
  exit 1
fi
echo "PASS: $(printf '%s\n' "$ours" | wc -l) console lines as expected under vmlab $*"
