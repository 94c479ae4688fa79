#!/usr/bin/env python3
"""The hostile PV kernel (tests/kernels/pv_hostile) under --mode pv: both ways to ring 0
through the pages the monitor writes, and the other refusals, tried as guest code. The run
must end with exit status 0 and exactly the console below (each attempt and its result).

  hostile_pv.py --vmlab build/cli/vmlab --kernel build/tests/kernels/pv_hostile/pv_hostile_kernel.elf
"""
import argparse
import os
import subprocess
import sys
import tempfile

EXPECTED = """shared_info_remap_read_only=0
unmap_page_0=0
shared_info_pin_l1=-22
shared_info_pin_l2=-22
shared_info_baseptr=-22
shared_info_as_l1_in_directory=-22
fault_at_3=-1
console_ring_remap_read_only=0
console_ring_pin_l1=-22
console_ring_pin_l2=-22
map_monitor_gdt=-1
map_monitor_tss_writable=-1
global_bit=-22
pin_writable_frame=-22
stack_switch_selector_0x10011=-22
set_callbacks_selector_0x10009=-22
unwritable_done=-14
still_mapped=7
trap_table_with_ring0_entry=-1
page_fault_still_handled=-1
hostile pv: every attempt refused
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vmlab", required=True)
    ap.add_argument("--kernel", required=True)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        console = os.path.join(tmp, "console.txt")
        p = subprocess.run([a.vmlab, "run", "--mode", "pv", "--memory", "16",
                            "--max-instructions", "1000000", "--console", console,
                            "--out", os.path.join(tmp, "out"), a.kernel],
                           capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
        out = open(console).read() if os.path.exists(console) else p.stdout.decode()
    if p.returncode != 0 or out != EXPECTED:
        print(f"FAIL: status {p.returncode}\n--- console ---\n{out}--- stderr ---\n"
              f"{p.stderr.decode(errors='replace')}")
        return 1
    print("PASS: every hostile attempt refused, the monitor unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
