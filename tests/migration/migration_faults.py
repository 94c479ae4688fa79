#!/usr/bin/env python3
"""A connection dropped mid-migration (docs/migration.md, "Faults"): a relay between the
source and the destination closes both connections before the N-th frame, for frames
picked by deterministic seeds across the whole transfer (HELLO, each round's pages, the
state, DONE). The source must run on to its normal end with the unmigrated run's console,
exit status, instructions and modeled cycles; the destination must discard what it
received, print nothing of the guest and exit 90 with a message.

  migration_faults.py --vmlab VMLAB --guest GUEST.elf [--seeds N]
"""
import argparse
import os
import random
import sys
import tempfile

from migrate_lib import Destination, Relay, run, summary

failures = []


def check(cond, what):
    print(("ok " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vmlab", required=True)
    ap.add_argument("--guest", required=True)
    ap.add_argument("--seeds", type=int, default=12)
    a = ap.parse_args()
    exe = os.path.abspath(a.vmlab)
    guest = os.path.abspath(a.guest)
    machine = ["--memory", "32", "--append", "run=forkwait parent_touch=100 iters=300"]
    with tempfile.TemporaryDirectory() as d:
        ref = run(exe, ["run", *machine, guest], d)
        ref_sum = summary(ref.stderr)
        check(ref.returncode == 0 and ref_sum is not None, "the reference run ends")
        opts = ["--migrate-at", "1000000", "--migrate-threshold", "4",
                "--migrate-max-rounds", "6"]

        # A relay that drops nothing: the migration goes through it, and its frames are the
        # ones the seeds choose from (all but the last, COMMIT: docs/migration.md says why).
        dst = Destination(exe, d)
        relay = Relay(dst.port, None)
        src = run(exe, ["run", *machine, "--migrate-to", f"127.0.0.1:{relay.port}", *opts,
                        guest], d)
        code, out, err = dst.wait()
        relay.thread.join(10)
        frames = relay.frames_seen
        rounds = sorted({r for k, r in frames if k == 2})
        check(src.returncode == 0 and src.stdout + out == ref.stdout and code == 0,
              f"through the relay: migrated, {len(frames)} frames, rounds {rounds}")
        check(len(rounds) >= 3, "the transfer has several rounds to drop in")

        for seed in range(1, a.seeds + 1):
            drop = random.Random(seed).randrange(0, len(frames) - 1)
            kind, rnd = frames[drop]
            where = {1: "HELLO", 2: f"PAGES of round {rnd}", 3: "STATE", 4: "DONE"}.get(kind, kind)
            dst = Destination(exe, d)
            relay = Relay(dst.port, drop)
            src = run(exe, ["run", *machine, "--migrate-to", f"127.0.0.1:{relay.port}", *opts,
                            guest], d)
            code, out, err = dst.wait()
            check(src.returncode == ref.returncode and src.stdout == ref.stdout and
                  summary(src.stderr) == ref_sum and "migration failed" in src.stderr,
                  f"seed {seed}, dropped before frame {drop} ({where}): the source ran on to "
                  f"its normal end")
            check(code == 90 and out == "" and ("discarded" in err or "no HELLO" in err),
                  f"seed {seed}: the destination discarded it and exited 90: "
                  f"{err.strip().splitlines()[-1:]}")
    if failures:
        print(f"{len(failures)} failures")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
