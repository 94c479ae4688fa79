#!/usr/bin/env bash
# The measuring side of the vmlab command: run --out/--trace/--profile/--cost and compare,
# as a user sees them: outputs, determinism, and one clear error line with the documented
# status for bad input.
#   cli_measure.sh VMLAB SMOKE_KERNEL GUEST_KERNEL
set -uo pipefail
vmlab=$1 smoke=$2 guest=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0 passed=0
ok() { passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect STATUS PATTERN -- ARGS...: vmlab exits with STATUS and stderr matches PATTERN.
expect() {
  local want=$1 pattern=$2
  shift 3
  local err rc
  err=$("$vmlab" "$@" 2>&1 >/dev/null)
  rc=$?
  if [ "$rc" -ne "$want" ] || ! grep -qE -- "$pattern" <<<"$err"; then
    bad "vmlab $* -> status $rc (want $want), stderr: $err"
  else
    ok
  fi
}

expect 64 "--trace writes its files into the --out directory" -- run --trace "$smoke"
expect 64 "no cost profile 'nosuch' \(profiles: .*pentium4" -- run --profile nosuch "$smoke"
expect 64 "unknown cost 'warp'" -- run --cost warp=5 "$smoke"
expect 64 "--cost takes KEY=CYCLES" -- run --cost port_io "$smoke"
expect 64 "--trace-limit takes" -- run --trace-limit lots --out "$tmp/x" "$smoke"
expect 66 "cannot create the --out directory" -- run --out /proc/vmlab-no/out "$smoke"
expect 76 "mode 'kvm' is not implemented yet" -- run --mode kvm "$smoke"
expect 64 "unknown mode 'warp'" -- compare --modes warp --kernel "$guest"
expect 64 "unknown workload 'nosuch'" -- compare --workloads nosuch --kernel "$guest"
expect 64 "--format takes table, csv or json" -- compare --format xml --kernel "$guest"
expect 66 "cannot open the guest image" -- compare --kernel "$tmp/missing.elf"
compare_help=$("$vmlab" compare --help)  # read whole: grep -q may leave the pipe early
grep -q "differential\|2N" <<<"$compare_help" && ok || bad "compare --help"

# Two runs with --out give identical files apart from the host's wall time.
for i in 1 2; do
  "$vmlab" run -q --out "$tmp/r$i" --trace --append "run=ptemod iters=20" "$guest" >/dev/null ||
    bad "guest run $i failed"
done
for f in trace.jsonl trace.json; do
  cmp -s "$tmp/r1/$f" "$tmp/r2/$f" && ok || bad "$f differs between two identical runs"
done
# config.json records the arguments, which name the two --out directories.
diff <(sed 's#/r1#/rN#' "$tmp/r1/config.json") <(sed 's#/r2#/rN#' "$tmp/r2/config.json") >/dev/null &&
  ok || bad "config.json differs beyond the --out argument"
if diff <(grep -v wall_seconds "$tmp/r1/stats.json") <(grep -v wall_seconds "$tmp/r2/stats.json") >/dev/null; then
  ok
else
  bad "stats.json differs beyond wall_seconds"
fi
grep -q '"workload": "ptemod", "iters": 20' "$tmp/r1/stats.json" && ok || bad "stats.json lacks the ptemod result"

# compare: a progress line per cell on stderr (cells done, time), the table on stdout, one
# row per workload.
"$vmlab" compare --workloads syscall,in,ptemod >"$tmp/table" 2>"$tmp/progress" --kernel "$guest"
rc=$?
[ "$rc" -eq 0 ] && ok || bad "compare exited $rc"
grep -q '^vmlab compare: \[3/3\] [0-9.]* s$' "$tmp/progress" && ok || bad "progress: $(cat "$tmp/progress")"
grep -qE '^syscall +native +1000 +[0-9]+\.[0-9] +1\.00 .*software_interrupt 1\.00' "$tmp/table" && ok ||
  bad "table: $(cat "$tmp/table")"
grep -qE '^in +native .*port_io 1\.00' "$tmp/table" && ok || bad "table in row"
grep -qE '^ptemod +native .*invlpg 1\.00' "$tmp/table" && ok || bad "table ptemod row"

# --modes all runs what exists and says what it skipped.
"$vmlab" compare --modes all --workloads in --format csv --kernel "$guest" >"$tmp/csv" 2>"$tmp/err"
grep -q '^in,bt,2,' "$tmp/csv" && ok || bad "all: no bt row: $(cat "$tmp/csv") $(cat "$tmp/err")"
head -1 "$tmp/csv" | grep -q '^workload,mode,mode_id,iters,ok,cycles_per_op,ratio_to_native,.*,port_io_per_op,' &&
  ok || bad "csv header: $(head -1 "$tmp/csv")"
grep -qE '^in,native,0,1000,1,6\.0,1\.000,' "$tmp/csv" && ok || bad "csv row: $(cat "$tmp/csv")"

# JSON is valid, deterministic, and its per-op counts come from the differential method.
"$vmlab" compare -q --workloads syscall --format json --profile pentium4 --kernel "$guest" >"$tmp/j1"
"$vmlab" compare -q --workloads syscall --format json --profile pentium4 --kernel "$guest" >"$tmp/j2"
cmp -s "$tmp/j1" "$tmp/j2" && ok || bad "compare json differs between runs"
python3 - "$tmp/j1" <<'PY' && ok || bad "compare json content"
import json, sys
d = json.load(open(sys.argv[1]))
r = d["results"][0]
assert d["profile"] == "pentium4", d
assert r["workload"] == "syscall" and r["mode"] == "native" and r["ok"], r
assert r["events_per_op"]["software_interrupt"] == 1.0, r
# 242 cycles per INT n (Adams & Agesen Fig. 4) on top of the instructions.
assert r["cycles_per_op"] > 242, r
PY

echo "$passed passed, $failures failed"
[ "$failures" -eq 0 ]
