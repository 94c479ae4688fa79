#!/usr/bin/env python3
"""Runs KERNEL under vmlab with the given options and requires stats.json to count exactly
COUNT events of KIND (0: none recorded).

  expect_events.py VMLAB KERNEL KIND COUNT [VMLAB RUN OPTIONS...]
"""
import json
import os
import subprocess
import sys
import tempfile


def main():
    vmlab, kernel, kind, want = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    with tempfile.TemporaryDirectory() as out:
        p = subprocess.run([vmlab, "run", "--quiet", "--out", out, *sys.argv[5:], kernel],
                           capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
        if p.returncode != 0:
            print(f"FAIL: vmlab exited {p.returncode}: {p.stderr.decode(errors='replace')}")
            return 1
        stats = json.load(open(os.path.join(out, "stats.json")))
    got = stats["events"].get(kind, {}).get("count", 0)
    if got != want:
        print(f"FAIL: {got} {kind} events under vmlab {' '.join(sys.argv[5:])}, want {want}")
        return 1
    print(f"PASS: {got} {kind} events")
    return 0


if __name__ == "__main__":
    sys.exit(main())
