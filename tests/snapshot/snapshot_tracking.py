#!/usr/bin/env python3
"""--snapshot-every with --snapshot-tracking mode (docs/snapshots.md, "Incremental
snapshots"): in every mode with a monitor the diffs' guest pages are found by the mode's own
write tracking (shadow write protection under trap and bt, nested write protection under
trap --npt, the validated page tables' dirty bits under pv), which each diff's DIFF section
and the stderr line name. The tracked run is its own run (the tracking's faults are charged),
so each diff is checked against the full snapshot that the same tracked run takes at the
same instruction (--snapshot-at-insn beside --snapshot-every): base + diffs, flattened, must
be it byte for byte, and the diff smaller than it. Twice the same run gives the same files.
The default (the engine's dirty log) is named too; native refuses mode tracking (76), and
--snapshot-tracking without --snapshot-every is a usage error (64).

  snapshot_tracking.py --vmlab VMLAB --guest GUEST.elf
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

failures = []
REPORT = re.compile(r"snapshot (\S+/snap-\d+\.vmsnap) \((base|incremental)\) at (\d+) "
                    r"instructions, (\d+) modeled cycles: (\d+) pages, (\d+) bytes(?: \((.*)\))?")


def check(cond, what):
    print(("ok " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)


def vmlab(exe, args, cwd):
    return subprocess.run([exe] + args, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=300)


def read(d, name):
    with open(os.path.join(d, name), "rb") as f:
        return f.read()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vmlab", required=True)
    ap.add_argument("--guest", required=True)
    a = ap.parse_args()
    exe = os.path.abspath(a.vmlab)
    guest = os.path.abspath(a.guest)
    workload = ["--memory", "32", "--append", "run=forkwait n=20"]
    cases = [
        ("trap --cpu classic", ["--mode", "trap", "--cpu", "classic"], "shadow write protection"),
        ("trap", ["--mode", "trap"], "shadow write protection"),
        ("trap --npt", ["--mode", "trap", "--npt"], "nested write protection"),
        ("bt", ["--mode", "bt"], "shadow write protection"),
        ("pv", ["--mode", "pv"], "pv dirty bits in validated page tables"),
        ("native, engine log", [], "engine dirty log"),
    ]
    with tempfile.TemporaryDirectory() as d:
        for i, (name, mode, mechanism) in enumerate(cases):
            tracking = ["--snapshot-tracking", "mode"] if mode else []
            series = f"s{i}"
            run = ["run", *mode, *workload, "--snapshot-every", "400000", series, *tracking]
            p = vmlab(exe, run + [guest], d)
            reports = REPORT.findall(p.stderr)
            check(p.returncode == 0 and len(reports) >= 3 and reports[0][1] == "base" and
                  all(r[1] == "incremental" and r[6] == mechanism for r in reports[1:]),
                  f"{name}: {len(reports)} snapshots, the diffs found by {mechanism} "
                  f"({p.returncode}: {p.stderr.strip().splitlines()[-1:]})")
            if len(reports) < 3:
                continue
            # The same tracked run, with a full snapshot at each diff's instruction.
            fulls = []
            for path, kind, n, *_ in reports[1:]:
                fulls += ["--snapshot-at-insn", n, f"full{i}-{n}.vmsnap"]
            q = vmlab(exe, ["run", *mode, *workload, "--snapshot-every", "400000", series + "b",
                            *tracking, *fulls, guest], d)
            check(q.returncode == 0 and REPORT.findall(q.stderr) == [
                (r[0].replace(series + "/", series + "b/"), *r[1:]) for r in reports],
                  f"{name}: the second run takes the same snapshots")
            for path, kind, n, _, pages, size, _ in reports[1:]:
                full = f"full{i}-{n}.vmsnap"
                flat = f"flat{i}-{n}.vmsnap"
                f = vmlab(exe, ["snapshot", "flatten", path, flat], d)
                same = f.returncode == 0 and os.path.exists(os.path.join(d, full)) and \
                    read(d, flat) == read(d, full)
                check(same, f"{name}: {path} ({pages} pages) with its parents is the full "
                      f"snapshot at instruction {n}")
                check(same and int(size) < len(read(d, full)),
                      f"{name}: {path} is smaller than the full snapshot")
                check(read(d, path) == read(d, path.replace(series + "/", series + "b/")),
                      f"{name}: {path} is the same file in both runs")
            info = vmlab(exe, ["snapshot", "info", reports[-1][0]], d)
            check(info.returncode == 0 and f"tracking: {mechanism}\n" in info.stdout and
                  re.search(r"^pages_logged: \d+$", info.stdout, re.M),
                  f"{name}: snapshot info names the tracking")
        p = vmlab(exe, ["run", *workload, "--snapshot-every", "400000", "n", "--snapshot-tracking",
                        "mode", guest], d)
        check(p.returncode == 76 and "no write tracking of its own" in p.stderr,
              f"native: --snapshot-tracking mode refused ({p.returncode})")
        p = vmlab(exe, ["run", *workload, "--snapshot-tracking", "mode", guest], d)
        check(p.returncode == 64 and "--snapshot-every" in p.stderr,
              f"--snapshot-tracking alone is a usage error ({p.returncode})")
    if failures:
        print(f"FAIL: {len(failures)} checks")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
