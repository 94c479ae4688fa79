#!/usr/bin/env bash
# Bad input gets one clear line on stderr and a distinct non-zero status, never a crash.
#   errors.sh VMLAB SMOKE_KERNEL
set -uo pipefail
vmlab=$1 smoke=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0 passed=0

# expect STATUS PATTERN -- ARGS...: vmlab exits with STATUS and stderr matches PATTERN.
expect() {
  local want=$1 pattern=$2
  shift 3
  local err rc
  err=$("$vmlab" "$@" 2>&1 >/dev/null)
  rc=$?
  if [ "$rc" -ne "$want" ] || ! grep -qE -- "$pattern" <<<"$err"; then
    echo "FAIL: vmlab $* -> status $rc (want $want), stderr: $err"
    failures=$((failures + 1))
  else
    passed=$((passed + 1))
  fi
}

printf 'not an elf at all' >"$tmp/text.elf"
printf '\177ELF\002\001\001' >"$tmp/elf64.elf"
head -c 100000 /dev/zero >"$tmp/zeros.elf"
# A valid ELF32 without a Multiboot header: the host's 32-bit object would do, but a
# truncated copy of the smoke kernel with its header bytes zeroed is enough.
python3 - "$smoke" "$tmp/nomb.elf" <<'PY'
import sys
data = bytearray(open(sys.argv[1], 'rb').read())
magic = (0x1BADB002).to_bytes(4, 'little')
i = data.find(magic)
data[i:i+4] = b'\0\0\0\0'
open(sys.argv[2], 'wb').write(data)
PY

expect 64 "usage: vmlab" -- run
expect 64 "no kernel image" -- run --mode native
expect 64 "unknown option '--bogus'" -- run --bogus "$smoke"
expect 64 "unknown command" -- frobnicate
expect 64 "unknown mode 'warp'" -- run --mode warp "$smoke"
expect 64 "--memory takes a size" -- run --memory lots "$smoke"
expect 64 "memory|MiB" -- run --memory 2 "$smoke"
expect 64 "--max-instructions takes a count" -- run --max-instructions -5 "$smoke"
expect 66 "missing.elf" -- run "$tmp/missing.elf"
expect 65 "text.elf" -- run "$tmp/text.elf"
expect 65 "elf64.elf" -- run "$tmp/elf64.elf"
expect 65 "zeros.elf" -- run "$tmp/zeros.elf"
expect 65 "Multiboot" -- run "$tmp/nomb.elf"
expect 72 "budget" -- run --max-instructions 1000 "$smoke"
expect 66 "nosuchdir" -- run --console "$tmp/nosuchdir/out.txt" "$smoke"
expect 66 "missing-input" -- run --input "$tmp/missing-input" "$smoke"

"$vmlab" --help | grep -q "usage: vmlab" && passed=$((passed + 1)) || { echo "FAIL: --help"; failures=$((failures + 1)); }
"$vmlab" run --help | grep -q "exit status" && passed=$((passed + 1)) || { echo "FAIL: run --help"; failures=$((failures + 1)); }

echo "$passed passed, $failures failed"
[ "$failures" -eq 0 ]
