#!/usr/bin/env bash
# Boots KERNEL with `vmlab run --quiet` and the given options and requires the run to stop
# with exit status 74 (an unmodeled feature), its console to be byte-identical to
# EXPECTED and its stop message (stderr) to contain MESSAGE_FILE's one line.
#   expect_stop.sh VMLAB KERNEL EXPECTED MESSAGE_FILE [VMLAB RUN OPTIONS...]
set -uo pipefail
vmlab=$1 kernel=$2 expected=$3 message=$4
shift 4
err=$(mktemp)
trap 'rm -f "$err"' EXIT
ours=$("$vmlab" run --quiet "$@" "$kernel" 2>"$err")
rc=$?
if [ "$ours" != "$(cat "$expected")" ]; then
  echo "FAIL: console differs from $expected (< vmlab $*, > expected)"
  diff <(printf '%s\n' "$ours") "$expected"
  exit 1
fi
if [ "$rc" -ne 74 ]; then
  echo "FAIL: vmlab $* exited $rc (want 74); stderr:"
  cat "$err"
  exit 1
fi
if ! grep -qF -- "$(cat "$message")" "$err"; then
  echo "FAIL: the stop message lacks: $(cat "$message")"
  cat "$err"
  exit 1
fi
echo "PASS: stopped (74) after $(printf '%s\n' "$ours" | wc -l) console lines: $(cat "$message")"
