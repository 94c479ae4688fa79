#!/usr/bin/env python3
"""`monitor savevm FILE` through the gdb stub (docs/gdb.md, "Snapshots from gdb"), with the
real gdb in batch mode: stop at a kernel function, save the machine, let the guest finish;
then `vmlab run --restore FILE` must go on from that instruction and end as the run did (the
console after the snapshot, exit status, instructions and modeled cycles), and both must be
the run without gdb. `monitor savevm` with no file gets an error (gdb_loadvm.py tests
`monitor loadvm`).

  gdb_savevm.py --vmlab V --kernel K --mode MODE
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

from gdb_session import MODES, TIMEOUT, expect, gdb

APPEND = "run=syscall iters=50"
SUMMARY = re.compile(r"\((\d+) instructions, (\d+) modeled cycles")


def run(args, extra, cwd):
    return subprocess.run([args.vmlab, "run", *MODES[args.mode], "--append", APPEND, *extra,
                           args.kernel], cwd=cwd, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=TIMEOUT)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vmlab", required=True)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--mode", required=True, choices=sorted(MODES))
    args = ap.parse_args()
    args.vmlab = os.path.abspath(args.vmlab)
    args.kernel = os.path.abspath(args.kernel)
    with tempfile.TemporaryDirectory() as tmp:
        snap = os.path.join(tmp, "at-getpid.vmsnap")
        plain = run(args, [], tmp)
        proc = subprocess.Popen([args.vmlab, "run", *MODES[args.mode], "--gdb", "0",
                                 "--gdb-wait", "--append", APPEND, args.kernel], cwd=tmp,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        line = proc.stderr.readline()
        m = re.match(r"gdb: listening on 127\.0\.0\.1:(\d+)$", line.strip())
        if not m:
            proc.kill()
            sys.exit(f"FAIL: no 'gdb: listening' line from vmlab, got {line!r}")
        out = gdb(args, int(m.group(1)), [
            "break sys_getpid", "continue", "continue", "delete",
            f"monitor savevm {snap}", "monitor savevm", "continue"])
        console, err = proc.communicate(timeout=TIMEOUT)
        expect(out, r"^Breakpoint 1, sys_getpid", "the breakpoint")
        expect(out, r"^saved " + re.escape(snap) + r" \(\d+ bytes\) at instruction \d+, cycle \d+$",
               "monitor savevm's answer")
        expect(out, r"^error: monitor savevm takes one FILE$", "savevm without a file")
        if console != plain.stdout or proc.returncode != plain.returncode:
            sys.exit("FAIL: the run under gdb is not the run without it")
        want = SUMMARY.search(plain.stderr).group(0)
        expect(err, re.escape(want), "the gdb run's instructions and cycles")

        restored = run(args, ["--restore", snap], tmp)
        expect(restored.stderr, r"restored .*at-getpid\.vmsnap at", "the restore line")
        if restored.returncode != plain.returncode:
            sys.exit(f"FAIL: the restored run exits {restored.returncode}, "
                     f"not {plain.returncode}\n{restored.stderr}")
        if not restored.stdout or not plain.stdout.endswith(restored.stdout):
            print(restored.stdout)
            sys.exit("FAIL: the restored run's console is not the end of the run's")
        expect(restored.stderr, re.escape(want), "the restored run's instructions and cycles")
        how = re.search(r"restored .*", restored.stderr).group(0)
    print(f"{args.mode}: savevm OK ({want[1:]}; {how})")


if __name__ == "__main__":
    main()
