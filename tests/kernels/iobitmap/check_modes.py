#!/usr/bin/env python3
"""Runs the I/O permission test kernel (iobitmap.c) in every non-PV mode and requires the
console native gives (which tests/kernels/compare_with_qemu.sh checks against QEMU).

The one documented difference is the classic CPU's: IRET in ring 1 drops the IOPL of its
EFLAGS image without a trap (SDM Vol. 2, IRET: IOPL changes only at CPL 0), so a user IOPL
that the kernel grants through IRET never reaches the monitor, and the bitmap still decides
(docs/modes/trap-and-emulate.md, "The Popek-Goldberg holes").

    check_modes.py VMLAB KERNEL
"""
import subprocess
import sys

BANNER = "vmlab iobitmap test kernel"
BITMAP = "IOPL 0, bitmap: ok GP ok GP ok ok ok GP ok GP"
NATIVE = [BANNER, BITMAP, "IOPL 3: ok ok ok ok ok ok ok ok ok ok"]
CLASSIC = [BANNER, BITMAP, "IOPL 3: ok GP ok GP ok ok ok GP ok GP"]

MODES = [
    (["--mode", "native"], NATIVE),
    (["--mode", "trap", "--cpu", "vt"], NATIVE),
    (["--mode", "trap", "--cpu", "vt", "--npt"], NATIVE),
    (["--mode", "bt"], NATIVE),
    (["--mode", "trap", "--cpu", "classic"], CLASSIC),
]


def main():
    vmlab, kernel = sys.argv[1], sys.argv[2]
    failed = 0
    for args, want in MODES:
        r = subprocess.run([vmlab, "run", "--quiet", "--max-instructions", "10M", *args, kernel],
                           capture_output=True, text=True, timeout=120)
        got = r.stdout.splitlines()
        if got != want or r.returncode != 0:
            failed += 1
            print(f"FAIL {' '.join(args)}: exit {r.returncode}, console:")
            print("\n".join(got))
            print(r.stderr)
        else:
            print(f"PASS {' '.join(args)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
