#!/usr/bin/env python3
"""The front ends' workload table (frontend/workloads.h) is the guest's (guest/user/workloads.c): the
same names in the same order, with the guest's quick iteration counts (its `run=all`
column) as `vmlab compare`'s defaults. The guest's table is the source; this test fails
with the first difference, so the two cannot drift.

  workloads_match_guest.py [--root DIR]
"""
import argparse
import os
import re
import sys


def guest_table(text):
    body = text[text.index("const struct workload workloads[] = {"):]
    body = body[:body.index("};")]
    return [(m.group(1), int(m.group(2)))
            for m in re.finditer(r'\{"(\w+)",\s*"[^"]*",\s*"[^"]*",\s*\d+,\s*(\d+),', body, re.S)]


def cli_table(text):
    body = text[text.index("kWorkloads = {{"):]
    body = body[:body.index("}};")]
    return [(m.group(1), int(m.group(2))) for m in re.finditer(r'\{"(\w+)",\s*(\d+)(?:,\s*\w+)?\}', body)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=os.path.join(os.path.dirname(__file__), "..", ".."))
    root = ap.parse_args().root
    guest = guest_table(open(os.path.join(root, "guest/user/workloads.c")).read())
    cli = cli_table(open(os.path.join(root, "frontend/workloads.h")).read())
    if not guest or not cli:
        print(f"FAIL: a table was not found (guest {len(guest)}, cli {len(cli)} rows)")
        return 1
    if guest != cli:
        for i, (g, c) in enumerate(zip(guest + [None] * len(cli), cli + [None] * len(guest))):
            if g != c:
                print(f"FAIL: row {i}: guest {g}, frontend/workloads.h {c}")
                return 1
    print(f"{len(guest)} workloads agree: 1 passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
