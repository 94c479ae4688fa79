#!/usr/bin/env bash
# The BIOS data area and the CGA text screen in every mode that boots a Multiboot kernel:
# the textmode test kernel's console and `--display text` screen must be exactly these.
# (Its console against QEMU's is the test textmode_kernel_matches_qemu.)
#   check_textmode.sh VMLAB TEXTMODE_KERNEL
set -uo pipefail
vmlab=$1 kernel=$2
blank_rows=""  # rows 4 to 23 are blank
for _ in $(seq 20); do blank_rows+=$'\n'; done
expected="vmlab textmode test kernel
bda com1: 0x000003f8
bda com2: 0x00000000
bda ebda segment: 0x00009fc0
bda base memory KiB: 0x0000027f
bda video mode: 0x00000003
bda columns: 0x00000050
bda crtc port: 0x000003d4
bda rows - 1: 0x00000018
crtc cursor: 0x00000123
text readback: 0x00000748
crtc cursor: 0x000000ce
textmode: ok
--- vmlab: CGA text screen, 80x25, cursor at row 2 column 46 ---
vmlab textmode test kernel

    Hello from the CGA text buffer at 0xB8000.
█$blank_rows
                                                                      last row
--- end of screen ---"
failures=0
for mode in native trap "trap --npt" "trap --cpu classic" bt; do
  # shellcheck disable=SC2086
  out=$("$vmlab" run --quiet --display text --mode $mode "$kernel")
  rc=$?
  if [ "$rc" -ne 0 ] || [ "$out" != "$expected" ]; then
    echo "FAIL: $mode: status $rc (want 0)"
    diff <(printf '%s\n' "$expected") <(printf '%s\n' "$out")
    failures=$((failures + 1))
  else
    echo "PASS: $mode"
  fi
done
[ "$failures" -eq 0 ]
