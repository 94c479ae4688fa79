#!/usr/bin/env bash
# The same kernel, options and input twice must give byte-identical consoles and the
# same instruction and modeled-cycle counts (DESIGN: determinism is a feature).
#   determinism.sh VMLAB KERNEL [vmlab run options...]
set -uo pipefail
vmlab=$1 kernel=$2
shift 2
run() { "$vmlab" run "$@" "$kernel" 2>&1 | sed -E 's/, [0-9.]+ s wall//'; }
a=$(run "$@")
b=$(run "$@")
if [ "$a" != "$b" ]; then
  echo "FAIL: two runs differ"
  diff <(printf '%s\n' "$a") <(printf '%s\n' "$b")
  exit 1
fi
printf '%s\n' "$a" | tail -n 1
echo "PASS: two runs identical"
