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
import re
import subprocess
import sys

TIMING = re.compile(r" (cycles|cycles_per_iter)=[0-9.]+")


def comparable(text):
    return [TIMING.sub("", l) for l in text.replace("\r", "").split("\n")
            if l.startswith("result ") or l.startswith("done status=")]


def run(binary, kernel, mode_args, append):
    p = subprocess.run([binary, "run", "--quiet", *mode_args, "--append", append, kernel],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=300)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vmlab", required=True)
    ap.add_argument("--kernel", required=True)
    args = ap.parse_args()
    failures = 0
    for append in ["run=all", "run=forkwait n=300"]:
        rc, native = run(args.vmlab, args.kernel, ["--mode", "native"], append)
        want = comparable(native)
        if rc != 0 or not any(l.startswith("result ") for l in want):
            print(f"FAIL: native '{append}' exited {rc}")
            failures += 1
            continue
        for mode_args in (["--mode", "trap"], ["--mode", "trap", "--npt"],
                          ["--mode", "trap", "--cpu", "vt", "--npt"]):
            rc, out = run(args.vmlab, args.kernel, mode_args, append)
            got = comparable(out)
            name = " ".join(mode_args)
            if rc != 0 or got != want:
                print(f"FAIL: '{name}' '{append}' (exit {rc}) differs from native:")
                for a, b in zip(want, got):
                    if a != b:
                        print(f"  native: {a}\n  {name}: {b}")
                print(out[-600:])
                failures += 1
            else:
                print(f"ok: '{name}' '{append}': {len(got)} lines match native apart from timings")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
