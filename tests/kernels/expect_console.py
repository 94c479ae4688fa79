#!/usr/bin/env python3
"""Boots one test kernel in several modes and compares each run's console with an expected
file, byte for byte, and its exit status with 0 (the kernel's own verdict through the exit
port). A mode may name its own expected file ("MODE=FILE") where it differs by design; the
caller documents why next to that file.

usage: expect_console.py --vmlab VMLAB --kernel KERNEL.elf --expected FILE
                         --mode "native" --mode "trap --npt" --mode "bt=OTHER_FILE" ...
"""
import argparse
import difflib
import subprocess
import sys


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--vmlab", required=True)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--expected", required=True)
    ap.add_argument("--mode", action="append", required=True)
    ap.add_argument("--append", default=None)
    args = ap.parse_args()
    failed = 0
    for spec in args.mode:
        mode, _, override = spec.partition("=")
        expected_path = override or args.expected
        with open(expected_path, encoding="utf-8") as f:
            expected = f.read()
        cmd = [args.vmlab, "run", "-q", "--max-instructions", "50M", "--mode", *mode.split()]
        if args.append:
            cmd += ["--append", args.append]
        cmd.append(args.kernel)
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        problems = []
        if run.returncode != 0:
            problems.append(f"exit status {run.returncode} (stderr: {run.stderr.strip()})")
        if run.stdout != expected:
            diff = difflib.unified_diff(expected.splitlines(True), run.stdout.splitlines(True),
                                        expected_path, f"--mode {mode}")
            problems.append("console differs:\n" + "".join(diff))
        if problems:
            failed += 1
            print(f"FAIL --mode {mode}: " + "\n".join(problems))
        else:
            print(f"ok   --mode {mode}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
