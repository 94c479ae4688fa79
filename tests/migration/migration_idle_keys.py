#!/usr/bin/env python3
"""A migration whose point falls while the guest is halted, waiting for keys.

The keyboard test kernel (tests/kernels/keyboard) halts for a second of modeled time until
the `--keys` script types; a `--migrate-at` inside that wait is crossed by one idle skip,
not by instructions. The run must still migrate (at the first boundary after the skip: it
once ran the guest to its end and said "the guest stopped before cycle N"), and the two
consoles together must be the unmigrated run's, the keys typed after the move included (the
key script's position travels with the machine state). In native, trap and bt."""
import argparse
import os
import re
import sys
import tempfile

from migrate_lib import Destination, run, summary

failures = 0


def check(ok, what):
    global failures
    print(("ok " if ok else "FAIL: ") + what)
    if not ok:
        failures += 1


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--vmlab", required=True)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--keys", required=True)
    a = ap.parse_args()
    exe = os.path.abspath(a.vmlab)
    machine = ["--append", "keys", "--keys", "@" + os.path.abspath(a.keys),
               os.path.abspath(a.kernel)]
    with tempfile.TemporaryDirectory() as d:
        for mode in (["--mode", "native"], ["--mode", "trap"], ["--mode", "bt"]):
            name = mode[1]
            ref = run(exe, ["run", *mode, *machine], d)
            for at in ("500000000", "1000000500"):
                dst = Destination(exe, d)
                src = run(exe, ["run", *mode, "--migrate-to", f"127.0.0.1:{dst.port}",
                                "--migrate-at", at, *machine], d)
                code, dout, derr = dst.wait()
                moved = re.search(r"migrated to 127\.0\.0\.1:\d+ at cycle (\d+)", src.stderr)
                check(src.returncode == 0 and moved is not None and int(moved.group(1)) >= int(at),
                      f"{name} at {at}: migrated ({src.stderr.strip().splitlines()[-1:]})")
                check(code == 0 and src.stdout + dout == ref.stdout,
                      f"{name} at {at}: the two consoles are the unmigrated run's, keys included")
                check(summary(derr) is not None and summary(derr) == summary(ref.stderr),
                      f"{name} at {at}: the destination's counts {summary(derr)} are the "
                      f"unmigrated run's")
    print(f"{failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
