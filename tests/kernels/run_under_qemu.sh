#!/usr/bin/env bash
# Boots a Multiboot kernel under qemu-system-i386 (TCG) with the devices vmlab models,
# and prints the guest's console from its first line on (SeaBIOS's banner is cut off).
#   run_under_qemu.sh KERNEL.elf FIRST_LINE [APPEND]
# Exit status: QEMU's, i.e. (v << 1) | 1 for a guest write of v to port 0xF4.
# VMLAB_QEMU_ARGS, when set, holds further QEMU arguments (split at spaces).
set -uo pipefail
kernel=$1 first=$2 append=${3:-}
args=(-kernel "$kernel" -m 128 -nographic -serial stdio -display none -monitor none -no-reboot
      -net none -accel tcg -device isa-debug-exit,iobase=0xf4,iosize=0x04)
[ -n "$append" ] && args+=(-append "$append")
# shellcheck disable=SC2206
[ -n "${VMLAB_QEMU_ARGS:-}" ] && args+=(${VMLAB_QEMU_ARGS})
out=$(timeout 60 qemu-system-i386 "${args[@]}" </dev/null)
rc=$?
printf '%s\n' "$out" | tr -d '\r' | sed -n "/$first/,\$p" | sed "s/^.*\($first\)/\1/"
exit $rc
