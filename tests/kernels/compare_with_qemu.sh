#!/usr/bin/env bash
# Boots KERNEL under `vmlab run --mode native` and under qemu-system-i386 -kernel and
# requires byte-identical consoles from FIRST_LINE on, vmlab exiting 0 and QEMU exiting 1
# (isa-debug-exit's (0 << 1) | 1). Skips (77) when QEMU is not installed.
#   compare_with_qemu.sh VMLAB KERNEL FIRST_LINE [APPEND]
# VMLAB_RUN_ARGS, when set, holds further `vmlab run` options (split at spaces), as
# VMLAB_QEMU_ARGS holds QEMU's (run_under_qemu.sh).
set -uo pipefail
vmlab=$1 kernel=$2 first=$3 append=${4:-}
here=$(dirname "$0")
if ! command -v qemu-system-i386 >/dev/null; then
  echo "SKIP: qemu-system-i386 is not installed"
  exit 77
fi
# shellcheck disable=SC2086
ours=$("$vmlab" run --quiet --mode native ${VMLAB_RUN_ARGS:-} --append "$append" "$kernel")
ours_rc=$?
theirs=$("$here/run_under_qemu.sh" "$kernel" "$first" "$append")
theirs_rc=$?
if [ "$ours" != "$theirs" ]; then
  echo "FAIL: consoles differ (< vmlab, > qemu)"
  diff <(printf '%s\n' "$ours") <(printf '%s\n' "$theirs")
  exit 1
fi
if [ "$ours_rc" -ne 0 ] || [ "$theirs_rc" -ne 1 ]; then
  echo "FAIL: exit statuses vmlab=$ours_rc (want 0), qemu=$theirs_rc (want 1)"
  exit 1
fi
echo "PASS: $(printf '%s\n' "$ours" | wc -l) console lines identical under vmlab and QEMU"
