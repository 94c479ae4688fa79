#!/usr/bin/env python3
"""Live migration between two real vmlab processes on localhost (docs/migration.md):
a pre-copy migration and a stop-and-copy one mid-workload end with the console output,
exit status, instruction count and modeled cycles of the run that never moved; stats.json
on both sides holds the rounds; the `dirty` workload's rounds level off at its writable
working set; every other mode (bt included) migrates exactly; bad options, a
source with no destination, and hostile peers get clear errors and the documented exit
statuses.

  migration_cli.py --vmlab VMLAB --guest GUEST.elf
"""
import argparse
import os
import socket
import struct
import sys
import tempfile

from migrate_lib import Destination, run, stats, summary

failures = []


def check(cond, what):
    print(("ok " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)


def migrate(exe, d, name, machine, extra):
    """A destination and a source; returns (source, (status, stdout, stderr) of the
    destination)."""
    os.makedirs(os.path.join(d, name), exist_ok=True)
    dst = Destination(exe, d, ["--out", os.path.join(name, "dst")])
    src = run(exe, ["run", *machine[:-1], "--out", os.path.join(name, "src"),
                    "--migrate-to", f"127.0.0.1:{dst.port}", *extra, machine[-1]], d)
    return src, dst.wait()


def migration_of(d, name, side):
    path = os.path.join(d, name, side, "stats.json")
    return stats(path).get("migration", {}) if os.path.exists(path) else {}


def precopy_and_stopcopy(exe, d, machine, ref):
    ref_sum = summary(ref.stderr)
    at = ref_sum[1] // 2
    results = {}
    for name, extra in (("precopy", ["--migrate-at", str(at)]),
                        ("stopcopy", ["--migrate-at", str(at), "--migrate-precopy", "off"])):
        src, (dcode, dout, derr) = migrate(exe, d, name, machine, extra)
        check(src.returncode == 0 and "vmlab: migrated to 127.0.0.1:" in src.stderr,
              f"{name}: the source ends with its migration line: {src.stderr.strip()}")
        check(src.stdout + dout == ref.stdout,
              f"{name}: the two consoles together are the unmigrated run's")
        check(len(src.stdout) > 0 and len(dout) > 0, f"{name}: both sides printed part of it")
        check(dcode == ref.returncode, f"{name}: the destination ends with the guest's "
              f"status ({dcode}, want {ref.returncode}): {derr.strip()}")
        check(summary(derr) == ref_sum, f"{name}: the destination's instructions and modeled "
              f"cycles are the unmigrated run's: {summary(derr)} vs {ref_sum}")
        s, t = migration_of(d, name, "src"), migration_of(d, name, "dst")
        results[name] = s
        check(s.get("completed") and s.get("role") == "source" and
              t.get("role") == "destination", f"{name}: both stats.json have the migration")
        check(s.get("migrated_at_cycle", -1) >= at and s.get("pages_missed_by_log") == 0,
              f"{name}: paused at or after --migrate-at, no page missed by the dirty log")
        check(t.get("pages_received") == s.get("total_pages") and
              s.get("total_bytes", 0) > 4096 * s.get("total_pages", 1),
              f"{name}: the destination received every page sent")
        check(t.get("resumed_at_cycle") == s.get("migrated_at_cycle"),
              f"{name}: the destination resumed where the source paused")
    pre, stop = results["precopy"], results["stopcopy"]
    rounds = pre.get("rounds", [])
    check(len(rounds) >= 1 and rounds[0]["pages_sent"] > 100,
          f"pre-copy: round 0 sends the non-zero pages, later rounds the dirty ones: "
          f"{[(r['pages_sent'], r['pages_dirtied']) for r in rounds]}")
    check(stop.get("rounds") == [] and stop.get("stop_reason") == "precopy off",
          "stop-and-copy: no rounds")
    check(stop.get("downtime_cycles", 0) > 2 * pre.get("downtime_cycles", 1 << 62),
          f"pre-copy's downtime ({pre.get('downtime_cycles')}) is a fraction of "
          f"stop-and-copy's ({stop.get('downtime_cycles')})")


def dirty_plateau(exe, d, guest):
    # forkwait with parent_touch=100: the parent writes the same 100 pages after each
    # wait, fork writes its own handful: after round 0 each round dirties the same set,
    # the writable working set, and pre-copy stops for not shrinking.
    dirty = ["--memory", "32", "--append", "run=forkwait parent_touch=100 iters=300", guest]
    dref = run(exe, ["run", *dirty], d)
    check(dref.returncode == 0 and "result workload=forkwait" in dref.stdout,
          "forkwait parent_touch=100 runs")
    src, (dcode, dout, derr) = migrate(exe, d, "dirty", dirty,
                                       ["--migrate-at", "2000000", "--migrate-threshold", "4"])
    check(src.stdout + dout == dref.stdout and dcode == dref.returncode and
          summary(derr) == summary(dref.stderr),
          "forkwait: the migrated run prints and counts what the unmigrated one does")
    s = migration_of(d, "dirty", "src")
    dirtied = [r["pages_dirtied"] for r in s.get("rounds", [])]
    check(len(dirtied) >= 2 and dirtied[-1] == dirtied[-2] and 100 <= dirtied[-1] <= 140 and
          s.get("stop_reason") == "no shrink",
          f"forkwait: the rounds level off at the writable working set: "
          f"{dirtied} ({s.get('stop_reason')})")


def other_modes(exe, d, machine, guest):
    # Every mode's monitor state can be loaded (engine/snapshot/state_load.h; bt's since its
    # translation cache's index is saved, modes/binary-translation/bt_state.cpp): each
    # migrates exactly. (A mode that could not would be refused before the run with 76.)
    done = []
    for mode in (["--mode", "trap"], ["--mode", "trap", "--npt"],
                 ["--mode", "trap", "--cpu", "classic"], ["--mode", "bt"], ["--mode", "pv"]):
        name = "mode-" + "-".join(x.strip("-") for x in mode[1:])
        mref = run(exe, ["run", *mode, *machine], d)
        mat = summary(mref.stderr)[1] // 2
        dst = Destination(exe, d)
        src = run(exe, ["run", *mode, *machine[:-1], "--migrate-to", f"127.0.0.1:{dst.port}",
                        "--migrate-at", str(mat), guest], d)
        if src.returncode == 76:
            dst.proc.kill()  # nobody will connect
            dst.wait()
            check(False, f"{name}: refused before the run (76): {src.stderr.strip()}")
            continue
        dcode, dout, derr = dst.wait()
        check(src.returncode == 0 and src.stdout + dout == mref.stdout and
              dcode == mref.returncode and summary(derr) == summary(mref.stderr),
              f"{name}: migrated with the unmigrated run's console and counts: "
              f"{src.stderr.strip().splitlines()[-1:]} {derr.strip().splitlines()[-1:]}")
        done.append(name + " migrated")
    print("modes: " + ", ".join(done))


def errors(exe, d, machine, guest, ref):
    for args, words in ((["--migrate-at", "5"], "need --migrate-to"),
                        (["--migrate-to", "nohost"], "HOST:PORT"),
                        (["--migrate-to", "h:0"], "HOST:PORT"),
                        (["--migrate-to", "h:1", "--migrate-precopy", "maybe"], "on or off"),
                        (["--migrate-to", "h:1", "--snapshot-on-exit", "x"], "cannot be")):
        p = run(exe, ["run", *args, guest], d)
        check(p.returncode == 64 and words in p.stderr, f"run {args}: 64, {p.stderr.strip()}")
    p = run(exe, ["migrate-listen", "99999"], d)
    check(p.returncode == 64, "migrate-listen 99999: 64")
    with socket.socket() as s0:
        s0.bind(("127.0.0.1", 0))
        free = s0.getsockname()[1]
    p = run(exe, ["run", *machine[:-1], "--migrate-to", f"127.0.0.1:{free}",
                  "--migrate-at", "1000000", guest], d)
    check(p.returncode == ref.returncode and p.stdout == ref.stdout and
          summary(p.stderr) == summary(ref.stderr) and "migration failed" in p.stderr,
          "nobody listening: the source runs to its normal end")
    # Hostile peers: the destination refuses, exits 90, never crashes.
    hostile = {
        "garbage": b"hello, this is not vmlab\n" * 10,
        "huge frame": bytes([2]) + struct.pack("<I", 0xFFFFFFF0),
        "bad magic": bytes([1]) + struct.pack("<I", 16) + b"NOTVMLAB" + b"\0" * 8,
        "pages first": bytes([2]) + struct.pack("<I", 8) + b"\0" * 8,
        "hello truncated": bytes([1]) + struct.pack("<I", 12) + b"VMLABMIG\x01\0\0\0",
    }
    for name, data in hostile.items():
        dst = Destination(exe, d)
        with socket.create_connection(("127.0.0.1", dst.port)) as c:
            try:  # the destination may refuse and close before all of it is sent
                c.sendall(data)
                c.shutdown(socket.SHUT_WR)
                c.recv(4096)
            except OSError:
                pass
        code, out, err = dst.wait()
        check(code == 90 and out == "" and "vmlab:" in err,
              f"hostile peer ({name}): 90, {err.strip().splitlines()[-1:]}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vmlab", required=True)
    ap.add_argument("--guest", required=True)
    a = ap.parse_args()
    exe = os.path.abspath(a.vmlab)
    guest = os.path.abspath(a.guest)
    machine = ["--memory", "32", "--append", "run=all iters=2", guest]
    with tempfile.TemporaryDirectory() as d:
        ref = run(exe, ["run", *machine], d)
        check(ref.returncode == 0 and summary(ref.stderr) is not None, "the reference run ends")
        for part in (lambda: precopy_and_stopcopy(exe, d, machine, ref),
                     lambda: dirty_plateau(exe, d, guest),
                     lambda: other_modes(exe, d, machine, guest),
                     lambda: errors(exe, d, machine, guest, ref)):
            try:
                part()
            except (KeyError, IndexError, TypeError, OSError, ValueError) as e:
                check(False, f"an exception: {e!r}")
    if failures:
        print(f"{len(failures)} failures")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
