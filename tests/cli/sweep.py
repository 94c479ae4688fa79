#!/usr/bin/env python3
"""`vmlab sweep`: a grid's cells in their folders, the combined CSV/JSON, resuming, bad grids.

- A 12-cell grid (3 modes x 2 workloads x 1 profile x 2 cost sets) with two workers writes
  one folder per cell (result.json, measurement.bin) and results.csv / results.json.
- Resuming: with one cell's folder deleted, a second run measures only that cell (stderr
  says 11 of 12 were measured) and writes the same results.csv, byte for byte; the same
  grid measured from scratch with one worker gives the same bytes too.
- A cost override changes what it should: trap=1000 makes bt's syscall cheaper, native's not.
- The same grid written in TOML (GRID.toml) gives the same results.csv, byte for byte.
- Skipped cells: a grid whose `disk` has no vmlabfs makes the guest skip the disk workload
  in every mode; results.csv says ok 0, skipped 1, the exit status is 0, a second run
  measures nothing, and the image is never written. On a vmlabfs image the same cells run.
- Bad input: a malformed grid (JSON or TOML), an unknown mode, no --out, a missing grid file,
  a missing disk image.

  sweep.py --vmlab VMLAB --kernel GUEST
"""
import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile

GRID = {
    "modes": ["native", "trap", "bt"],
    "workloads": ["syscall", {"name": "forkwait", "args": "child_touch=4 parent_touch=1",
                              "iters": 20}],
    "profiles": ["pentium4"],
    "costs": [{}, {"trap": 1000}],
}

# GRID in TOML (docs/sweep.md): an inline-table workload and a [[costs]] array of tables.
GRID_TOML = """# modes x workloads x profiles x cost sets
modes = ["native", "trap", "bt"]
workloads = ["syscall", { name = "forkwait", args = "child_touch=4 parent_touch=1", iters = 20 }]
profiles = ["pentium4"]

[[costs]]

[[costs]]
trap = 1000
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vmlab", required=True)
    ap.add_argument("--kernel", required=True)
    a = ap.parse_args()
    failures, passed = [], 0

    def check(ok, what):
        nonlocal passed
        if ok:
            passed += 1
        else:
            failures.append(what)
            print("FAIL:", what)

    def sweep(*args):
        p = subprocess.run([a.vmlab, "sweep", "--kernel", a.kernel, *args], capture_output=True,
                           text=True, timeout=600)
        return p.returncode, p.stdout, p.stderr

    with tempfile.TemporaryDirectory() as tmp:
        grid = os.path.join(tmp, "grid.json")
        with open(grid, "w") as f:
            json.dump(GRID, f)
        out = os.path.join(tmp, "out")
        rc, _, err = sweep("-q", "-j", "2", "--out", out, grid)
        check(rc == 0, f"sweep exited {rc}: {err}")
        cells = sorted(os.listdir(os.path.join(out, "cells")))
        check(len(cells) == 12 and cells[0] == "0000-native-syscall-pentium4-c0",
              f"12 cell folders: {cells}")
        for c in cells:
            d = os.path.join(out, "cells", c)
            check(os.path.exists(os.path.join(d, "measurement.bin")) and
                  json.load(open(os.path.join(d, "result.json")))["ok"], f"{c} has its result")
        first = open(os.path.join(out, "results.csv")).read()
        rows = list(csv.DictReader(first.splitlines()))
        check(len(rows) == 12 and all(r["ok"] == "1" for r in rows), "results.csv: 12 ok rows")
        by = {(r["mode"], r["workload"], r["costs"]): float(r["cycles_per_op"]) for r in rows}
        check(by[("bt", "syscall", "trap=1000")] < by[("bt", "syscall", "")] and
              by[("native", "syscall", "trap=1000")] == by[("native", "syscall", "")],
              f"the cost override acts on bt, not on native: {by}")
        check(len(json.load(open(os.path.join(out, "results.json")))["cells"]) == 12,
              "results.json has 12 cells")

        shutil.rmtree(os.path.join(out, "cells", cells[4]))
        os.remove(os.path.join(out, "results.csv"))
        rc, _, err = sweep("-j", "2", "--out", out, grid)
        check(rc == 0 and "11 of 12 cells already measured" in err and "[1/1]" in err,
              f"the resumed sweep measures one cell: {err}")
        check(open(os.path.join(out, "results.csv")).read() == first,
              "the resumed sweep writes the same results.csv")

        grid_toml = os.path.join(tmp, "grid.toml")
        with open(grid_toml, "w") as f:
            f.write(GRID_TOML)
        out_toml = os.path.join(tmp, "toml")
        rc, _, err = sweep("-q", "-j", "2", "--out", out_toml, grid_toml)
        check(rc == 0 and open(os.path.join(out_toml, "results.csv")).read() == first,
              f"the TOML grid writes the same results.csv: {rc} {err}")
        saved = json.load(open(os.path.join(out_toml, "grid.json")))
        check(saved["costs"] == [{}, {"trap": 1000}], f"grid.json keeps the TOML grid: {saved}")
        for text, want in [("modes = [\"bt\"\nworkloads = 1", "not valid TOML"),
                           ("modes = [\"warp\"]\nworkloads = [\"in\"]", 'unknown mode "warp"'),
                           ("x = " + "[" * 100 + "]" * 100, "nest more than 64 deep")]:
            with open(grid_toml, "w") as f:
                f.write(text)
            rc, _, err = sweep("--out", os.path.join(tmp, "badtoml"), grid_toml)
            check(rc == 64 and want in err, f"TOML grid {text!r}: {rc} {err}")

        out1 = os.path.join(tmp, "serial")
        rc, _, _ = sweep("-q", "-j", "1", "--out", out1, grid)
        check(rc == 0 and open(os.path.join(out1, "results.csv")).read() == first,
              "one worker writes the same results.csv as two")

        # Skipped cells, for a real reason: the grid's `disk` is a raw image with no vmlabfs on
        # it, so the guest cannot run the disk workload (its `skip workload=...` line) in any
        # mode. The sweep keeps those cells as skipped (ok 0, skipped 1, the reason), exits 0,
        # does not measure them again, and never writes the image (each boot has a copy).
        raw = os.path.join(tmp, "raw.img")
        with open(raw, "wb") as f:
            f.write(bytes(1 << 20))
        skip_grid = os.path.join(tmp, "skip.json")
        with open(skip_grid, "w") as f:
            json.dump({"modes": ["native", "pv"],
                       "workloads": [{"name": "filecreate0", "iters": 2},
                                     {"name": "syscall", "iters": 100}],
                       "profiles": ["pentium4"], "disk": raw}, f)
        out_skip = os.path.join(tmp, "skip")
        rc, _, err = sweep("-q", "-j", "2", "--out", out_skip, skip_grid)
        check(rc == 0, f"a sweep with skipped cells exits 0: {rc} {err}")
        skipped_text = open(os.path.join(out_skip, "results.csv")).read()
        rows = {(r["mode"], r["workload"]): r for r in csv.DictReader(skipped_text.splitlines())}
        for mode in ("native", "pv"):
            r = rows[(mode, "filecreate0")]
            check(r["ok"] == "0" and r["skipped"] == "1", f"{mode} filecreate0 skipped: {r}")
            r = rows[(mode, "syscall")]
            check(r["ok"] == "1" and r["skipped"] == "0", f"{mode} syscall measured: {r}")
        check(err.count("skipped: no usable file system") == 2,
              f"stderr names the two skipped cells and the guest's reason: {err}")
        cells = json.load(open(os.path.join(out_skip, "results.json")))["cells"]
        check(sorted(c["workload"] for c in cells if c.get("skipped")) ==
              ["filecreate0", "filecreate0"] and
              all("no vmlabfs" in c["reason"] for c in cells if c.get("skipped")),
              f"results.json marks the skipped cells with the reason: {cells}")
        check(open(raw, "rb").read() == bytes(1 << 20), "the grid's disk image is never written")
        os.remove(os.path.join(out_skip, "results.csv"))
        rc, _, err = sweep("-j", "2", "--out", out_skip, skip_grid)
        check(rc == 0 and "4 of 4 cells already measured" in err and
              open(os.path.join(out_skip, "results.csv")).read() == skipped_text,
              f"skipped cells are results: a second run measures nothing: {rc} {err}")
        # The same grid on a vmlabfs image measures every cell.
        fsimg = os.path.join(tmp, "fs.img")
        subprocess.run([a.vmlab, "mkfs", fsimg, "--size", "1M"], check=True, capture_output=True)
        with open(skip_grid, "w") as f:
            json.dump({"modes": ["native", "pv"], "workloads": [{"name": "filecreate0", "iters": 2}],
                       "profiles": ["pentium4"], "disk": fsimg}, f)
        rc, _, err = sweep("-q", "-j", "2", "--out", os.path.join(tmp, "fsdisk"), skip_grid)
        rows = list(csv.DictReader(open(os.path.join(tmp, "fsdisk", "results.csv"))))
        check(rc == 0 and [(r["ok"], r["skipped"]) for r in rows] == [("1", "0"), ("1", "0")],
              f"on a vmlabfs image the disk workload runs: {rc} {err} {rows}")
        with open(skip_grid, "w") as f:
            json.dump({"modes": ["native"], "workloads": ["filecreate0"],
                       "disk": os.path.join(tmp, "none.img")}, f)
        rc, _, err = sweep("--out", os.path.join(tmp, "nodisk"), skip_grid)
        check(rc == 66 and "is not a readable image file" in err, f"missing disk: {rc} {err}")

        for text, status, want in [
            ("{", 64, "line 1, column 2"),
            ('{"modes": ["warp"], "workloads": ["in"]}', 64, 'unknown mode "warp"'),
        ]:
            with open(grid, "w") as f:
                f.write(text)
            rc, _, err = sweep("--out", os.path.join(tmp, "bad"), grid)
            check(rc == status and want in err, f"grid {text!r}: {rc} {err}")
        rc, _, err = sweep(grid)
        check(rc == 64 and "--out DIR is required" in err, f"no --out: {rc} {err}")
        rc, _, err = sweep("--out", os.path.join(tmp, "x"), os.path.join(tmp, "none.json"))
        check(rc == 66 and "cannot read" in err, f"missing grid: {rc} {err}")

    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
