#!/usr/bin/env python3
"""Runs one golden test: boots a kernel with vmlab as the check file's RUN: line says, then
checks one output file against the check file's patterns (filecheck.py).

    run_golden.py --vmlab VMLAB --kernel KERNEL.elf CHECKFILE

The check file says what to run and what to check:
    RUN: run -q --out %out --trace %kernel     (the arguments after `vmlab`)
    INPUT: trace.jsonl                         (a file in %out, or `console`)
The kernel is copied to a temporary directory as `kernel.elf` and vmlab runs there, so
the command line the guest sees (and prints) is the same wherever the build lives.
"""
import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import filecheck  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vmlab", required=True)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("checkfile")
    a = ap.parse_args()
    text = open(a.checkfile, encoding="utf-8").read()
    run = re.search(r"\bRUN:(.*)$", text, re.M)
    inp = re.search(r"\bINPUT:(.*)$", text, re.M)
    if not run or not inp:
        print(f"{a.checkfile}: needs a RUN: and an INPUT: line", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(a.kernel, os.path.join(tmp, "kernel.elf"))
        args = [w.replace("%out", "out").replace("%kernel", "kernel.elf")
                for w in shlex.split(run.group(1))]
        r = subprocess.run([os.path.abspath(a.vmlab)] + args, cwd=tmp, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=300)
        if r.returncode != 0:
            print(f"vmlab {' '.join(args)} exited {r.returncode}:\n{r.stderr}", file=sys.stderr)
            return 1
        name = inp.group(1).strip()
        data = r.stdout if name == "console" else open(os.path.join(tmp, "out", name),
                                                       encoding="utf-8").read()
        checks = filecheck.parse_checks(text.splitlines())
        try:
            filecheck.run(checks, data.splitlines(), a.checkfile)
        except filecheck.Failure as f:
            print(f"FAIL: {f}", file=sys.stderr)
            print(f"(reproduce: cd into a directory holding the kernel as kernel.elf and run "
                  f"vmlab {' '.join(args)})", file=sys.stderr)
            return 1
    print(f"{os.path.basename(a.checkfile)}: {len(checks)} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
