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
import re
import subprocess
import sys

TIMING = re.compile(r" (cycles|cycles_per_iter)=[0-9.]+")


def comparable(text):
    return [TIMING.sub("", l) for l in text.replace("\r", "").split("\n")
            if l.startswith("result ") or l.startswith("done status=")]


def run(binary, kernel, mode, append):
    args = [binary, "run", "--quiet", "--mode", mode]
    if append:
        args += ["--append", append]
    p = subprocess.run(args + [kernel], stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=300)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vmlab", required=True)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--smoke", required=True)
    args = ap.parse_args()
    failures = 0
    for append in ["run=all", "run=forkwait n=300"]:
        rc, native = run(args.vmlab, args.kernel, "native", append)
        want = comparable(native)
        rc_bt, out = run(args.vmlab, args.kernel, "bt", append)
        got = comparable(out)
        if rc != 0 or not any(l.startswith("result ") for l in want):
            print(f"FAIL: native '{append}' exited {rc}")
            failures += 1
        elif rc_bt != 0 or got != want:
            print(f"FAIL: bt '{append}' (exit {rc_bt}) differs from native:")
            for a, b in zip(want, got):
                if a != b:
                    print(f"  native: {a}\n  bt:     {b}")
            print(out[-600:])
            failures += 1
        else:
            print(f"ok: bt '{append}': {len(got)} lines match native apart from timings")
    rc_n, native = run(args.vmlab, args.smoke, "native", "")
    rc_b, bt = run(args.vmlab, args.smoke, "bt", "")
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
