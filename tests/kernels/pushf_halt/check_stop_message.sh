#!/usr/bin/env bash
# Runs the pushf_halt kernel in every mode that boots a Multiboot kernel and checks how it
# ends: natively, under the VT CPU (shadow and nested paging) and under bt it sees IF = 0
# after CLI and exits 0, and vmlab's message says nothing of Popek and Goldberg; on the
# classic CPU PUSHF shows IF = 1, the kernel halts with its interrupts off (exit 73), and
# the stop message names the PUSHF at the EIP the kernel printed, in ring 1, as the last
# sensitive instruction that did not trap.
#   check_stop_message.sh VMLAB KERNEL
set -uo pipefail
vmlab=$1 kernel=$2
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
for mode in native trap "trap --npt" bt "trap --cpu classic"; do
  # shellcheck disable=SC2086
  out=$("$vmlab" run --quiet --mode $mode "$kernel" 2>/tmp/pushf_halt.$$.err)
  rc=$?
  err=$(cat /tmp/pushf_halt.$$.err)
  rm -f /tmp/pushf_halt.$$.err
  eip=$(printf '%s\n' "$out" | sed -n 's/^pushf at 0x\([0-9a-f]*\)$/\1/p' | tr 'a-f' 'A-F')
  if [ -z "$eip" ]; then
    fail "$mode: the kernel did not print its PUSHF's address: $out"
    continue
  fi
  if [ "$mode" = "trap --cpu classic" ]; then
    want="; the guest ran 1 sensitive instruction that did not trap (the Popek-Goldberg hole:"
    last="the last: pushf at EIP 0x$eip in ring 1 (the VT CPU and binary translation virtualize them)"
    [ "$rc" -eq 73 ] || fail "$mode: exit $rc (want 73, halted): $err"
    case "$out" in *"IF reads 1 after CLI: waiting for the timer"*) ;; *) fail "$mode: console: $out" ;; esac
    case "$err" in *"halted with interrupts disabled at EIP"*"$want"*"$last"*) ;;
      *) fail "$mode: the stop message does not name the PUSHF at 0x$eip: $err" ;; esac
  else
    [ "$rc" -eq 0 ] || fail "$mode: exit $rc (want 0): $err"
    case "$out" in *"IF reads 0 after CLI"*) ;; *) fail "$mode: console: $out" ;; esac
    case "$err" in *Popek*) fail "$mode: a Popek-Goldberg note where none belongs: $err" ;; esac
  fi
  [ "$failures" -eq 0 ] && echo "PASS: $mode: exit $rc; ${err:-(no message)}"
done
[ "$failures" -eq 0 ]
