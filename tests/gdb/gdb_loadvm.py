#!/usr/bin/env python3
"""`monitor loadvm FILE` through the gdb stub (docs/gdb.md, "Snapshots from gdb"), with the
real gdb in batch mode: stop at a kernel function (A), `monitor savevm`, run on to a later
stop (B), then `monitor loadvm` the file: the run's machine becomes the snapshot's, gdb stays
attached and reads the registers and memory as they were at A (after `maintenance flush
register-cache`), a breakpoint set before the load is hit on the loaded machine, and the
guest continued to its
end prints what the run without gdb printed after A: the console is the run's up to B, then
its tail from A; the summary's instructions and modeled cycles, the exit status and the
event counts of stats.json are the run's without gdb. Refused, with the session going on:
a missing file, a file of another configuration (--restore's checks), no FILE.

  gdb_loadvm.py --vmlab V --kernel K --mode MODE
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

from gdb_session import MODES, TIMEOUT, expect, gdb

APPEND = "run=syscall iters=50"
SUMMARY = re.compile(r"\((\d+) instructions, (\d+) modeled cycles")


def run(args, extra, cwd, append=APPEND):
    return subprocess.run([args.vmlab, "run", *MODES[args.mode], "--append", append, *extra,
                           args.kernel], cwd=cwd, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=TIMEOUT)


def events(path):
    with open(path) as f:
        return {k: v["count"] for k, v in json.load(f)["events"].items()}


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
        other = os.path.join(tmp, "other.vmsnap")
        plain = run(args, ["--out", "plain"], tmp)
        made = run(args, ["--snapshot-at-insn", "100000", other], tmp, "run=syscall iters=49")
        if made.returncode != plain.returncode or not os.path.exists(other):
            sys.exit(f"FAIL: no snapshot of another configuration: {made.stderr}")
        proc = subprocess.Popen([args.vmlab, "run", *MODES[args.mode], "--gdb", "0",
                                 "--gdb-wait", "--out", "debugged", "--append", APPEND,
                                 args.kernel], cwd=tmp, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = proc.stderr.readline()
        m = re.match(r"gdb: listening on 127\.0\.0\.1:(\d+)$", line.strip())
        if not m:
            proc.kill()
            sys.exit(f"FAIL: no 'gdb: listening' line from vmlab, got {line!r}")
        out = gdb(args, int(m.group(1)), [
            "break sys_getpid", "continue", "print kstat.syscalls", f"monitor savevm {snap}",
            "ignore 1 5", "continue", "print kstat.syscalls",
            "monitor loadvm", f"monitor loadvm {other}", f"monitor loadvm {snap}.missing",
            f"monitor loadvm {snap}", "maintenance flush register-cache", "print kstat.syscalls",
            "info registers eip", "continue", "print kstat.syscalls", "delete", "continue"])
        console, err = proc.communicate(timeout=TIMEOUT)
        expect(out, r"^Breakpoint 1, sys_getpid", "the breakpoint")
        expect(out, r"^saved " + re.escape(snap) + r" \(\d+ bytes\) at instruction \d+, cycle \d+$",
               "monitor savevm's answer")
        values = [int(v) for v in re.findall(r"^\$\d+ = (\d+)$", out, re.M)]
        if len(values) != 4:
            sys.exit(f"FAIL: four values of kstat.syscalls, got {values}\n{out}")
        at_a, at_b, loaded, after = values
        if not (at_b > at_a and loaded == at_a and after > at_a):
            sys.exit(f"FAIL: kstat.syscalls at A {at_a}, B {at_b}, after loadvm {loaded} (A's), "
                     f"at the next breakpoint {after}\n{out}")
        expect(out, r"^error: monitor loadvm takes one FILE$", "loadvm without a file")
        expect(out, r"^error: monitor loadvm: .*other\.vmsnap.*another configuration.*cmdline",
               "loadvm of another configuration refused")
        expect(out, r"^error: monitor loadvm: .*\.missing", "loadvm of a missing file refused")
        expect(out, r"^loaded " + re.escape(snap) + r" at instruction \d+, cycle \d+ \(",
               "monitor loadvm's answer")
        expect(out, r"^eip\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <sys_getpid>", "EIP as in the snapshot")
        if out.count("Breakpoint 1, sys_getpid") != 3:
            sys.exit(f"FAIL: the breakpoint at A, B and after the load\n{out}")

        restored = run(args, ["--restore", snap], tmp)
        tail = restored.stdout
        if restored.returncode != plain.returncode or not tail or \
                not plain.stdout.endswith(tail):
            sys.exit(f"FAIL: the restore of the snapshot (the tail from A)\n{restored.stderr}")
        head = console[:len(console) - len(tail)] if console.endswith(tail) else None
        if head is None or not plain.stdout.startswith(head) or \
                len(head) < len(plain.stdout) - len(tail):
            sys.exit("FAIL: the debugged run's console is not the run's up to B, then its tail "
                     f"from A\n--- console:\n{console}\n--- tail from A:\n{tail}")
        if proc.returncode != plain.returncode:
            sys.exit(f"FAIL: the debugged run exits {proc.returncode}, not {plain.returncode}")
        want = SUMMARY.search(plain.stderr).group(0)
        expect(err, re.escape(want), "the loaded run's instructions and cycles")
        got, ref = events(os.path.join(tmp, "debugged", "stats.json")), events(
            os.path.join(tmp, "plain", "stats.json"))
        if got != ref:
            diff = {k: (got.get(k), ref.get(k)) for k in set(got) | set(ref)
                    if got.get(k) != ref.get(k)}
            sys.exit(f"FAIL: stats.json's event counts differ from the run's: {diff}")
        how = re.search(r"^loaded .*\)", out, re.M).group(0)
    print(f"{args.mode}: loadvm OK (A {at_a}, B {at_b} syscalls; {want[1:]}; {how})")


if __name__ == "__main__":
    main()
