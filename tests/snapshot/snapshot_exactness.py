#!/usr/bin/env python3
"""Snapshot exactness (docs/snapshots.md): in every mode, running N instructions, taking a
snapshot, restoring it in a new process and running on gives the same console output,
instruction count, modeled cycles and stats.json counters as one run never stopped; and
taking the snapshot does not change the run that takes it.

The guest OS runs every workload (run=all iters=2: system calls, page faults, fork, exec,
context switches, the timer); the ATA kernel runs with a disk, snapshotted at many points
of its PIO transfers so that some fall with a sector half transferred; the guest's diskread
runs on a vmlabfs disk under pv (the block ring).

How each restore went is checked too: in the modes that can load their monitor's state
(LOADABLE: every mode, bt included since its translation cache's index is saved) the state
is loaded ("(state loaded)" on stderr), unless the disk is no longer as it was at the
snapshot (the ATA kernel writes it late in its run: those points are restored by
re-execution from the image as it was at boot); in a mode that could not, it would be
re-executed. One point per mode is also restored with --restore-reexecute.

  snapshot_exactness.py --vmlab VMLAB --guest GUEST.elf --ata ATA.elf --make-image PY
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

MODES = {
    "native": ["--mode", "native"],
    "trap": ["--mode", "trap"],
    "trap-npt": ["--mode", "trap", "--npt"],
    "trap-classic": ["--mode", "trap", "--cpu", "classic"],
    "bt": ["--mode", "bt"],
    "pv": ["--mode", "pv"],
}
LOADABLE = ("native", "trap", "trap-npt", "trap-classic", "bt", "pv")
SUMMARY = re.compile(r"\((\d+) instructions, (\d+) modeled cycles")


def run(vmlab, args, cwd):
    p = subprocess.run([vmlab, "run"] + args, cwd=cwd, stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=300)
    m = SUMMARY.search(p.stderr)
    return p.returncode, p.stdout, p.stderr, (m.groups() if m else None)


def stats(folder):
    with open(os.path.join(folder, "stats.json"), encoding="utf-8") as f:
        d = json.load(f)
    d.pop("host", None)  # wall time
    d.pop("trace", None)  # what the trace files hold
    return d


def mid_transfer_points(cwd, ns):
    """The points of `ns` that fall between two accesses to the ATA data port (0x1F0):
    a sector half transferred. Read from the straight native run's trace, whose cycles
    are its instructions (native-1c: one cycle each, no event charged)."""
    st = stats(os.path.join(cwd, "straight"))
    assert st["instructions"] == st["cycles"], "native-1c: cycles are instructions"
    ports = []
    with open(os.path.join(cwd, "straight", "trace.jsonl"), encoding="utf-8") as f:
        for line in f:
            e = json.loads(line)
            if e["kind"] == "port_io":
                ports.append((e["cycle"], e["args"]["port"]))
    mid = []
    for n in ns:
        before = [p for c, p in ports if c < n][-1:]
        after = [p for c, p in ports if c >= n][:1]
        if before == [0x1F0] and after == [0x1F0]:
            mid.append(n)
    return mid


def how(err):
    if "(state loaded)" in err:
        return "load"
    if "(by re-executing the guest" in err:
        return "re-execution"
    return "?"


def check_case(vmlab, name, args, points, cwd, prepare, trace=False, loads=None):
    """`loads`: "all" (every restore loads), "some" (at least one does; the others
    re-execute), or "none"."""
    failures = []
    methods = []
    prepare()
    extra = ["--trace", "--trace-limit", "0"] if trace else []
    rc, straight, _, total = run(vmlab, args + ["--out", "straight"] + extra, cwd)
    if total is None:
        return [f"{name}: the straight run printed no summary"]
    want_stats = stats(os.path.join(cwd, "straight"))
    n_total = int(total[0])
    ns = [max(1, int(n_total * frac)) for frac in points]
    if trace:
        mid = mid_transfer_points(cwd, ns)
        print(f"{name}: {len(mid)} of {len(ns)} points fall inside a sector's transfer: {mid}")
        if not mid:
            failures.append(f"{name}: no point falls inside a sector's PIO transfer")
    for i, n in enumerate(ns):
        snap = f"{name}-{n}.vmsnap"
        prepare()
        rc_a, out_a, err_a, sum_a = run(vmlab, args + ["--snapshot-at-insn", str(n), snap], cwd)
        if (rc_a, out_a, sum_a) != (rc, straight, total):
            failures.append(f"{name} N={n}: taking the snapshot changed the run")
            continue
        prepare()
        forced = ["--restore-reexecute"] if i == len(ns) // 2 else []
        rc_b, out_b, err_b, sum_b = run(vmlab, args + ["--restore", snap, "--out", "restored"]
                                        + forced, cwd)
        method = how(err_b)
        if forced and method != "re-execution":
            failures.append(f"{name} N={n}: --restore-reexecute restored by {method}")
        if not forced:
            methods.append(method)
        if rc_b != rc or sum_b != total:
            failures.append(f"{name} N={n}: restored run ended {rc_b} {sum_b}, straight {rc} "
                            f"{total}: {err_b.strip()}")
            continue
        if not straight.endswith(out_b):
            failures.append(f"{name} N={n}: the restored console is not the straight run's rest")
            continue
        if stats(os.path.join(cwd, "restored")) != want_stats:
            failures.append(f"{name} N={n}: stats.json differs from the straight run's")
            continue
        print(f"ok {name} N={n} of {n_total}: {sum_b[0]} instructions, {sum_b[1]} cycles, "
              f"{len(out_b)} console bytes after the restore, by {method}")
    if loads == "all" and any(m != "load" for m in methods):
        failures.append(f"{name}: not every restore loaded the state: {methods}")
    if loads == "some" and "load" not in methods:
        failures.append(f"{name}: no restore loaded the state: {methods}")
    if loads == "none" and any(m != "re-execution" for m in methods):
        failures.append(f"{name}: a restore did not re-execute: {methods}")
    return failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vmlab", required=True)
    ap.add_argument("--guest", required=True)
    ap.add_argument("--ata", required=True)
    ap.add_argument("--make-image", required=True)
    a = ap.parse_args()
    vmlab = os.path.abspath(a.vmlab)
    failures = []
    with tempfile.TemporaryDirectory() as cwd:
        guest = ["--memory", "32", "--append", "run=all iters=2", os.path.abspath(a.guest)]
        for mode, margs in MODES.items():
            failures += check_case(vmlab, mode, margs + guest, [0.0, 0.05, 0.37, 0.71, 0.999],
                                   cwd, lambda: None,
                                   loads="all" if mode in LOADABLE else "none")
        # The disk: a fresh image before each run (the guest writes it; a restore needs the
        # disk as the snapshotted run found it at boot).
        def fresh_image():
            subprocess.run([sys.executable, a.make_image, os.path.join(cwd, "disk.img")],
                           check=True, capture_output=True)
        ata = ["--disk", "disk.img", os.path.abspath(a.ata)]
        for mode in ("native", "trap", "trap-npt", "trap-classic", "bt"):
            failures += check_case(vmlab, "ata-" + mode, MODES[mode] + ata,
                                   [i / 8 for i in range(1, 8)], cwd, fresh_image,
                                   trace=mode == "native",
                                   loads="some" if mode in LOADABLE else "none")
        # diskread under pv (the block ring) on a vmlabfs disk that a first run already set
        # up: the setup writes the same bytes again, so the image ends as it began; the points
        # where it is as at boot load, the others (mid-setup) re-execute.
        used = os.path.join(cwd, "used.img")
        subprocess.run([vmlab, "mkfs", used, "--size", "1M"], check=True, capture_output=True)
        fs_guest = ["--memory", "32", "--disk", "disk.img", "--append",
                    "run=diskread iters=2 kib=32", os.path.abspath(a.guest)]

        def used_image():
            shutil.copyfile(used, os.path.join(cwd, "disk.img"))
        used_image()
        run(vmlab, MODES["pv"] + fs_guest, cwd)
        shutil.copyfile(os.path.join(cwd, "disk.img"), used)
        failures += check_case(vmlab, "fs-pv", MODES["pv"] + fs_guest,
                               [0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.9, 0.99], cwd, used_image,
                               loads="some")
    for f in failures:
        print("FAIL:", f)
    if failures:
        return 1
    print("PASS: every restored run equals the run never stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
