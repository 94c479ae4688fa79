#!/usr/bin/env bash
# Bad input gets one clear line on stderr and a distinct non-zero status, never a crash.
#   errors.sh VMLAB SMOKE_KERNEL [PV_KERNEL]
set -uo pipefail
vmlab=$1 smoke=$2 pv_kernel=${3:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0 passed=0

# A bound on address space, so that an unbounded allocation fails the test: 8 GB, unless
# vmlab cannot even start under it (an AddressSanitizer build reserves terabytes of shadow
# memory; the Release build checks the bound).
vm_limit=8000000
(ulimit -v "$vm_limit"; "$vmlab" --version) >/dev/null 2>&1 || vm_limit=unlimited

# expect STATUS PATTERN -- ARGS...: vmlab exits with STATUS and stderr matches PATTERN.
expect() {
  local want=$1 pattern=$2
  shift 3
  local err rc
  # A bound on time and address space: a hang or an unbounded allocation is a failure too.
  err=$(ulimit -v "$vm_limit"; timeout 20 "$vmlab" "$@" 2>&1 >/dev/null)
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

# Bad host input: every file is checked for its type before it is opened for reading or
# writing, and every read is bounded; every number is parsed once, with its range.
mkfifo "$tmp/fifo"
mkdir "$tmp/dir"
expect 66 "dir: cannot read the kernel: it is a directory" -- run "$tmp/dir"
expect 66 "/proc/self/mem: cannot read the kernel" -- run /proc/self/mem
expect 66 "/dev/zero: .*not a regular file" -- run /dev/zero
expect 66 "fifo: .*not a regular file" -- run "$tmp/fifo"
expect 66 "fifo: .*not a regular file" -- run --profile "$tmp/fifo" "$smoke"
expect 66 "fifo: .*not a regular file" -- run --input "$tmp/fifo" "$smoke"
expect 66 "fifo: .*neither a regular file nor a device" -- run --console "$tmp/fifo" "$smoke"
expect 66 "dir: .*Is a directory" -- run --console "$tmp/dir" "$smoke"
expect 66 "/dev/full: cannot write the guest console: No space left on device" -- run --console /dev/full "$smoke"
# The console on stdout, and stdout cannot take it.
err=$("$vmlab" run "$smoke" 2>&1 >/dev/full)
rc=$?
if [ "$rc" -eq 66 ] && grep -q "cannot write the guest console to stdout" <<<"$err"; then
  passed=$((passed + 1))
else
  echo "FAIL: vmlab run SMOKE >/dev/full -> status $rc (want 66), stderr: $err"
  failures=$((failures + 1))
fi
truncate -s 4G "$tmp/huge.elf"  # sparse: larger than the largest guest RAM
expect 66 "huge.elf: .*larger than" -- run "$tmp/huge.elf"
expect 64 "--out takes a directory" -- run --out "" "$smoke"
expect 64 "--console takes a file" -- run --console= "$smoke"
expect 64 "--input takes a file" -- run --input "" "$smoke"
# A bad key script names its position (docs/cli.md, "Key scripts"); a missing one is 66.
expect 64 "--keys: key script, position 2: unknown key 'enterr'" -- run --keys 'ab<enterr>' "$smoke"
expect 64 "--keys: key script, position 1: '<' without a closing '>'" -- run --keys 'a<wait 5' "$smoke"
expect 64 "position 0: unknown time unit 'h'" -- run --keys '<wait 2h>a' "$smoke"
expect 66 "--keys: .*missing-keys" -- run --keys "@$tmp/missing-keys" "$smoke"
expect 64 "--max-instructions takes a count from 1 to" -- run --max-instructions 0 "$smoke"
expect 64 "--memory takes a size in MiB from 4 to 3072" -- run --memory 3073 "$smoke"
expect 64 "--memory takes a size in MiB from 4 to 3072" -- bt-dump --memory 3073 --addr c0100000 "$smoke"
expect 64 "--max-instructions takes a count from 1 to" -- bt-dump --max-instructions -5 --addr c0100000 "$smoke"
expect 64 "--max-instructions takes a count from 1 to" -- bt-dump --max-instructions 0 --addr c0100000 "$smoke"
expect 64 "--cost.*at most 1000000 cycles" -- run --cost port_io=18446744073709551615 "$smoke"
expect 64 "--cost.*at most 1000000 cycles" -- compare --cost trap=1000001
expect 64 "--iters takes a count from 1 to" -- compare --iters 0
expect 66 "fifo: cannot read the kernel: it is not a regular file" -- compare -q --kernel "$tmp/fifo"
expect 66 "dir: cannot read the kernel: it is a directory" -- compare -q --kernel "$tmp/dir"
expect 64 "--profile takes" -- compare --profile ""
expect 64 "--jobs takes" -- compare -j 0
expect 64 "--jobs takes" -- compare --jobs 257
expect 64 "unknown paper" -- reproduce nonesuch
expect 64 "name a paper" -- reproduce
expect 66 "fifo: cannot read the kernel: it is not a regular file" -- reproduce -q --kernel "$tmp/fifo" xen-2003
# The documented maximum is the guest's in every mode: the monitor's own memory comes on
# top of it. (The smoke kernel has no PV note, so under pv the machine is built and the
# kernel then refused.)
mkdir "$tmp/out" && mkfifo "$tmp/out/stats.json"
expect 66 "stats.json: cannot write the report there: it is not a regular file" -- run --out "$tmp/out" "$smoke"
# --initrd, as qemu -initrd: FILE ARGS entries separated by commas.
expect 64 "--initrd takes FILE" -- run --initrd "" "$smoke"
expect 64 "--initrd takes FILE" -- run --initrd " arg" "$smoke"
expect 64 "--initrd takes FILE" -- run --initrd "$smoke,,x," "$smoke"
expect 64 "--initrd: a PV guest gets no module list" -- run --mode pv --initrd "$smoke" "$smoke"
expect 66 "missing-module: cannot open the module" -- run --initrd "$tmp/missing-module arg" "$smoke"
expect 66 "fifo: cannot read the module: it is not a regular file" -- run --initrd "$tmp/fifo" "$smoke"
expect 66 "huge.elf: cannot read the module: it is larger than [0-9]+ bytes" -- run --memory 8 --initrd "$tmp/huge.elf" "$smoke"
for m in trap "trap --cpu classic" bt; do
  expect 72 "budget" -- run --memory 3072 --mode $m --max-instructions 1000 "$smoke"
done
expect 65 "not a paravirtualized kernel" -- run --memory 3072 --mode pv "$smoke"
if [ -n "$pv_kernel" ]; then
  expect 72 "budget" -- run --memory 3072 --mode pv --max-instructions 100000 "$pv_kernel"
fi

# QEMU users' habits: -m with a size is a helpful error, -- ends the options.
expect 64 "for 512 MiB of guest memory, as qemu's -m, use --memory 512" -- run -m 512 "$smoke"
expect 64 "more than one kernel image" -- run -- "$smoke" "$smoke"
cp "$smoke" "$tmp/-dash.elf"
(vmlab_abs=$(realpath "$vmlab") && cd "$tmp" && "$vmlab_abs" run -q -- -dash.elf >/dev/null 2>&1) && passed=$((passed + 1)) ||
  { echo "FAIL: run -- -dash.elf"; failures=$((failures + 1)); }
# (the output is read whole first: with pipefail, grep -q leaving early could end vmlab
# with SIGPIPE before it finished writing)
help_run=$("$vmlab" help run)
grep -q "usage: vmlab run" <<<"$help_run" && passed=$((passed + 1)) ||
  { echo "FAIL: help run"; failures=$((failures + 1)); }
help_all=$("$vmlab" --help)
grep -q "usage: vmlab" <<<"$help_all" && passed=$((passed + 1)) || { echo "FAIL: --help"; failures=$((failures + 1)); }
run_help=$("$vmlab" run --help)
grep -q "exit status" <<<"$run_help" && passed=$((passed + 1)) || { echo "FAIL: run --help"; failures=$((failures + 1)); }

echo "$passed passed, $failures failed"
[ "$failures" -eq 0 ]
