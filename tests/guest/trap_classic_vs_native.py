#!/usr/bin/env python3
"""The guest OS under `vmlab run --mode trap --cpu classic` against `--mode native`.

At the default 1000 MHz the unmodified guest runs every workload under trap-and-emulate on
the classic CPU and prints the same result lines as native apart from the timings (the
Popek-Goldberg hole it falls into with an earlier timer tick is tested in
modes/full-emulation/tests/classic_guest_test.cpp and described in
docs/modes/trap-and-emulate.md). Same comparison as trap_vs_native.py.

Exit status: 0 pass, 1 fail.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from trap_vs_native import comparable, run  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vmlab", required=True)
    ap.add_argument("--kernel", required=True)
    args = ap.parse_args()
    failures = 0
    for append in ["run=all", "run=forkwait n=300"]:
        rc, native = run(args.vmlab, args.kernel, ["--mode", "native"], append)
        want = comparable(native)
        rc2, out = run(args.vmlab, args.kernel, ["--mode", "trap", "--cpu", "classic"], append)
        got = comparable(out)
        if rc != 0 or rc2 != 0 or got != want or not want:
            print(f"FAIL: '{append}' (native exit {rc}, classic exit {rc2}):")
            for a, b in zip(want, got):
                if a != b:
                    print(f"  native:  {a}\n  classic: {b}")
            print(out[-600:])
            failures += 1
        else:
            print(f"ok: classic '{append}': {len(got)} lines match native apart from timings")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
