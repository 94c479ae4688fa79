#!/usr/bin/env python3
"""The guest OS and the smoke kernel under `vmlab run --mode bt` against `--mode native`.

Issue 8 asks that every guest workload runs under binary translation and prints the same
result lines as native apart from timings, and that a kernel that boots under QEMU boots
unchanged under bt. This boots the guest with run=all (and forkwait alone) in both modes
and compares the result lines with the timing fields (cycles=, cycles_per_iter=) removed,
and the final "done status=" line; then the smoke kernel's whole console.

Exit status: 0 pass, 1 fail.
"""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from matches_native import compare  # noqa: E402


def run_smoke(binary, kernel, mode):
    p = subprocess.run([binary, "run", "--quiet", "--mode", mode, kernel],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=300)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vmlab", required=True)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--smoke", required=True)
    args = ap.parse_args()
    failures = compare(args.vmlab, args.kernel, [["--mode", "bt"]])
    rc_n, native = run_smoke(args.vmlab, args.smoke, "native")
    rc_b, bt = run_smoke(args.vmlab, args.smoke, "bt")
    if rc_n != rc_b or native != bt:
        print(f"FAIL: the smoke kernel's console under bt (exit {rc_b}) differs from native "
              f"(exit {rc_n})")
        print(bt[-600:])
        failures += 1
    else:
        print("ok: the smoke kernel's console under bt is native's")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
