#!/usr/bin/env bash
# Like tests/kernels/expect_console.sh, but vmlab must exit STATUS: on the classic CPU the
# kernel sees the Popek-Goldberg differences (CS's RPL 1 and IF on through PUSHF, docs/
# modes/trap-and-emulate.md) and reports them, so it exits 1 there by design.
#   expect_status.sh VMLAB KERNEL EXPECTED STATUS [VMLAB RUN OPTIONS...]
set -uo pipefail
vmlab=$1 kernel=$2 expected=$3 status=$4
shift 4
ours=$("$vmlab" run --quiet "$@" "$kernel")
rc=$?
if [ "$ours" != "$(cat "$expected")" ]; then
  echo "FAIL: console differs from $expected (< vmlab $*, > expected)"
  diff <(printf '%s\n' "$ours") "$expected"
  exit 1
fi
if [ "$rc" -ne "$status" ]; then
  echo "FAIL: vmlab $* exited $rc (want $status)"
  exit 1
fi
echo "PASS: console as expected and exit status $rc under vmlab $*"
