#!/usr/bin/env python3
"""The guest OS under `vmlab run --mode trap` (the VT CPU, shadow paging) and
`--mode trap --npt` (nested paging) against `--mode native`.

Issue 5 asks that the unmodified guest run every workload in both VT variants and print
the same result lines as native apart from the timings. This boots the guest with run=all
(and forkwait alone) in each mode and compares the result lines with the timing fields
(cycles=, cycles_per_iter=) removed, and the final "done status=" line.

Exit status: 0 pass, 1 fail.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from matches_native import compare  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vmlab", required=True)
    ap.add_argument("--kernel", required=True)
    args = ap.parse_args()
    modes = (["--mode", "trap"], ["--mode", "trap", "--npt"],
             ["--mode", "trap", "--cpu", "vt", "--npt"])
    return 1 if compare(args.vmlab, args.kernel, modes) else 0


if __name__ == "__main__":
    sys.exit(main())
