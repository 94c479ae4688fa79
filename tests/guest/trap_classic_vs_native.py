#!/usr/bin/env python3
"""The guest OS under `vmlab run --mode trap --cpu classic` against `--mode native`.

At the default 1000 MHz the unmodified guest runs every workload under trap-and-emulate on
the classic CPU and prints the same result lines as native apart from the timings (the
Popek-Goldberg hole it falls into with an earlier timer tick is tested in
modes/full-emulation/tests/classic_guest_test.cpp and described in
docs/modes/trap-and-emulate.md). Same comparison as trap_vs_native.py (matches_native.py).

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
    return 1 if compare(args.vmlab, args.kernel, [["--mode", "trap", "--cpu", "classic"]]) else 0


if __name__ == "__main__":
    sys.exit(main())
