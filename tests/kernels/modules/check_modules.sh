#!/usr/bin/env bash
# Multiboot modules (vmlab run --initrd, as qemu-system-i386 -kernel -initrd): the modules
# test kernel must print exactly the expected console, exit 0, in every mode that boots
# a Multiboot kernel; the variant with a data segment at 0x8000-0x9FFF, where the
# information structure used to be fixed, must boot too; and when QEMU is installed, the
# console under QEMU must be the same, byte for byte.
#   check_modules.sh VMLAB MODULES_KERNEL MODULES_LOW_KERNEL
set -uo pipefail
vmlab=$1 kernel=$2 low_kernel=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
printf 'hello module one\n' >m1.txt
seq 1 2000 >m2.txt
# Relative paths, so that the module strings the kernel prints are the same everywhere.
initrd="m1.txt first arg,,x,m2.txt"
append="hello world"
expected="vmlab modules test kernel
flags: mods yes, cmdline yes
arguments: hello world
modules: 2
module 0: string 'm1.txt first arg,x', 17 bytes, checksum 0x0c03a54a, page-aligned, after the kernel
module 1: string 'm2.txt', 8893 bytes, checksum 0x111ffafc, page-aligned, after the kernel"
failures=0

check() {  # NAME WANT_CONSOLE ARGS...
  local name=$1 want=$2
  shift 2
  local out rc
  out=$("$vmlab" run --quiet "$@" 2>&1)
  rc=$?
  if [ "$rc" -ne 0 ] || [ "$out" != "$want" ]; then
    echo "FAIL: $name: status $rc (want 0)"
    diff <(printf '%s\n' "$want") <(printf '%s\n' "$out")
    failures=$((failures + 1))
  else
    echo "PASS: $name"
  fi
}

for mode in native trap "trap --npt" "trap --cpu classic" bt; do
  # shellcheck disable=SC2086
  check "$mode" "$expected
modules: ok" --mode $mode --append "$append" --initrd "$initrd" "$kernel"
  # shellcheck disable=SC2086
  check "$mode, low segment" "$expected
low segment at 0x8000: intact
modules: ok" --mode $mode --append "$append" --initrd "$initrd" "$low_kernel"
done
check "no modules" "vmlab modules test kernel
flags: mods yes, cmdline yes
arguments:
modules: 0
modules: ok" "$kernel"

if command -v qemu-system-i386 >/dev/null; then
  # QEMU's option ROM does not boot a kernel with a segment below 1 MiB: only the first
  # kernel is compared.
  theirs=$(timeout 60 qemu-system-i386 -kernel "$kernel" -initrd "$initrd" -append "$append" \
    -m 128 -nographic -serial stdio -display none -monitor none -no-reboot -net none \
    -accel tcg -device isa-debug-exit,iobase=0xf4,iosize=0x04 </dev/null |
    tr -d '\r' | sed -n '/vmlab modules test kernel/,$p' | sed 's/^.*\(vmlab modules test kernel\)/\1/')
  if [ "$theirs" != "$expected
modules: ok" ]; then
    echo "FAIL: the console under QEMU differs (< expected, > qemu)"
    diff <(printf '%s\nmodules: ok\n' "$expected") <(printf '%s\n' "$theirs")
    failures=$((failures + 1))
  else
    echo "PASS: QEMU's console is the same"
  fi
else
  echo "SKIP: qemu-system-i386 is not installed; the QEMU comparison is left out"
fi
[ "$failures" -eq 0 ]
