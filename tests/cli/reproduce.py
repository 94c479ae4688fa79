#!/usr/bin/env python3
"""`vmlab reproduce` and the parallel runner, end to end.

- The text of `vmlab reproduce all` equals tests/cli/reproduce.expected byte for byte (the
  runs are deterministic, so every figure is exact), with one worker and with two; its exit
  status is 1 exactly when a claim line says FAILS.
- --out writes report.md, report.json (valid, one entry per paper), results.csv (one row per
  figure cell) and every figure as SVG, and as PNG where vmlab was built with Qt.
- `vmlab compare` prints the same bytes with -j 1 and -j 2.
- Malformed arguments: a usage error (64) or a missing file (66) with one clear line.

  reproduce.py --vmlab VMLAB --kernel GUEST [--update]   (--update rewrites the expected text)
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
EXPECTED = os.path.join(HERE, "reproduce.expected")


def run(vmlab, *args, timeout=600):
    p = subprocess.run([vmlab, *args], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vmlab", required=True)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--update", action="store_true")
    a = ap.parse_args()
    failures = []
    passed = 0

    def check(ok, what):
        nonlocal passed
        if ok:
            passed += 1
        else:
            failures.append(what)
            print("FAIL:", what)

    # Malformed arguments.
    for args, status, pattern in [
        ([], 64, "name a paper"),
        (["nonesuch"], 64, "unknown paper 'nonesuch'"),
        (["--frobnicate", "all"], 64, "unknown option '--frobnicate'"),
        (["-j", "0", "all"], 64, "--jobs takes"),
        (["-j", "x", "all"], 64, "--jobs takes"),
        (["--out", "", "all"], 64, "--out takes a folder"),
        (["--out"], 64, "needs a value"),
        (["--kernel", "/nonexistent/guest.elf", "xen-2003"], 66, "guest.elf"),
    ]:
        rc, _, err = run(a.vmlab, "reproduce", *args, timeout=60)
        check(rc == status and pattern in err,
              f"vmlab reproduce {' '.join(args)}: status {rc} (want {status}), stderr {err!r}")

    # forkwait's process size (docs/guest.md): a bad value is the guest's usage error.
    for bad in ("child_touch=x", "parent_touch=1025"):
        rc, out, _ = run(a.vmlab, "run", "-q", "--append", f"run=forkwait n=2 {bad}", a.kernel,
                         timeout=60)
        check(rc == 1 and "error workload=forkwait" in out, f"forkwait {bad}: status {rc}")
    rc, out, _ = run(a.vmlab, "run", "-q", "--append",
                     "run=forkwait n=3 child_touch=4 parent_touch=2", a.kernel, timeout=60)
    check(rc == 0 and "result workload=forkwait iters=3" in out, "forkwait with a process size")

    rc, out, _ = run(a.vmlab, "reproduce", "--list")
    check(rc == 0 and "adams-agesen-2006" in out and "xen-2003" in out, "--list names the papers")
    rc, out, _ = run(a.vmlab, "reproduce", "--help")
    check(rc == 0 and "usage: vmlab reproduce" in out, "--help")

    with tempfile.TemporaryDirectory() as tmp:
        outs = {}
        for jobs in ("1", "2"):
            d = os.path.join(tmp, "j" + jobs)
            rc, out, err = run(a.vmlab, "reproduce", "all", "-q", "-j", jobs, "--out", d,
                               "--kernel", a.kernel)
            outs[jobs] = (rc, out, d)
        rc, text, d = outs["1"]
        if a.update:
            with open(EXPECTED, "w", encoding="utf-8") as f:
                f.write(text)
            print(f"wrote {EXPECTED}")
        with open(EXPECTED, encoding="utf-8") as f:
            expected = f.read()
        check(text == expected, "reproduce all (-j 1) prints tests/cli/reproduce.expected")
        if text != expected:
            for i, (x, y) in enumerate(zip(text.splitlines(), expected.splitlines())):
                if x != y:
                    print(f"  first difference, line {i + 1}:\n    got  {x}\n    want {y}")
                    break
        check(outs["2"][1] == text, "reproduce all: -j 2 prints the same bytes as -j 1")
        want_rc = 1 if "FAILS" in expected else 0
        check(rc == want_rc and outs["2"][0] == want_rc,
              f"status {rc}/{outs['2'][0]}, want {want_rc} (1 exactly when a claim fails)")
        for name in ("report.md", "report.json", "results.csv"):
            with open(os.path.join(d, name), "rb") as f1, \
                    open(os.path.join(outs["2"][2], name), "rb") as f2:
                check(f1.read() == f2.read(), f"{name} is the same with -j 1 and -j 2")
        report = json.load(open(os.path.join(d, "report.json"), encoding="utf-8"))
        ids = [p["id"] for p in report["papers"]]
        check(ids == ["adams-agesen-2006", "xen-2003", "nested-paging"], f"report.json papers {ids}")
        claims = [c for p in report["papers"] for c in p["claims"]]
        # A claim the guest could not check (a skipped cell) is neither holding nor failing.
        check(sum(not c["holds"] and not c.get("skipped") for c in claims)
              == expected.count("  FAILS  "),
              "report.json's failing claims are the text's")
        rows = list(csv.DictReader(open(os.path.join(d, "results.csv"), encoding="utf-8")))
        cells = sum(len(f["rows"]) for p in report["papers"] for f in p["figures"])
        check(len(rows) == cells and cells > 0, f"results.csv has {len(rows)} rows, {cells} cells")
        walks = [r for r in rows if r["figure"] == "walks" and r["row"] == "mmap"]
        check([r["ours_value"] for r in walks][:2] == ["2.0", "2.0"],
              f"native and shadow walks read 2 entries per TLB miss: {walks}")
        p4 = [r for r in rows if r["figure"] == "fig4" and r["row"] == "in" and r["variant"] == "bt"]
        check(len(p4) == 1 and p4[0]["paper_value"] == "216.000", "fig4 in/bt paper value 216")
        for p in report["papers"]:
            for f in p["figures"]:
                svg = os.path.join(d, f["id"] + ".svg")
                check(os.path.exists(svg) and open(svg).read().startswith("<svg "), f"{svg}")
                png = os.path.join(d, f["id"] + ".png")
                if os.path.exists(png):
                    check(open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n", f"{png} is a PNG")
        md = open(os.path.join(d, "report.md"), encoding="utf-8").read()
        check(md.startswith("# vmlab reproduce") and "### Claims" in md, "report.md")

    # compare: the same bytes serially and in parallel.
    outs = []
    for jobs in ("1", "2"):
        rc, out, _ = run(a.vmlab, "compare", "-q", "--modes", "all", "--workloads",
                         "syscall,in,ptemod,forkwait", "--profile", "pentium4", "--format", "csv",
                         "-j", jobs, "--kernel", a.kernel)
        outs.append((rc, out))
    check(outs[0] == outs[1] and outs[0][0] == 0 and outs[0][1].count("\n") == 25,
          "compare -j 1 and -j 2 print the same CSV")

    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
