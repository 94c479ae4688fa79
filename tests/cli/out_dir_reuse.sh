#!/usr/bin/env bash
# A --out folder used again holds only the new run's files: a run without --trace removes
# the trace an earlier run left there (its events would not match the new stats.json).
#   out_dir_reuse.sh VMLAB KERNEL
set -uo pipefail
vmlab=$1 kernel=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$vmlab" run --quiet --out "$dir/o" --trace "$kernel" >/dev/null || { echo "FAIL: traced run"; exit 1; }
for f in config.json stats.json trace.jsonl trace.json; do
  [ -f "$dir/o/$f" ] || { echo "FAIL: the traced run wrote no $f"; exit 1; }
done
"$vmlab" run --quiet --out "$dir/o" "$kernel" >/dev/null || { echo "FAIL: second run"; exit 1; }
for f in trace.jsonl trace.json; do
  if [ -e "$dir/o/$f" ]; then echo "FAIL: $f of the earlier run is still in the folder"; exit 1; fi
done
grep -q '"enabled": false' "$dir/o/config.json" || {
  echo "FAIL: config.json does not say the run was not traced"; cat "$dir/o/config.json"; exit 1; }
echo "PASS: a reused --out folder holds only the new run's files"
