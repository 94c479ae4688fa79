#!/usr/bin/env python3
"""The modes' own write tracking (docs/migration.md, "Write tracking"): with
`--migrate-tracking mode`, trap's shadow MMU write-protects the guest's frames in the
shadow tables (classic CPU and VT-x-like CPU with shadow paging), trap --npt the nested
table's entries, bt the classic monitor's shadow tables it shares (the stores the monitor
makes for translated code are its physical writes), and pv sweeps the dirty bits of the
page tables it validated. For each:

- every pre-copy round's set is a superset of the engine's dirty log's instruction stores
  (pages_missed_by_tracking 0 each round) and stop-and-copy's full comparison finds no page
  the tracking missed (pages_missed_by_log 0);
- the tracking took write faults, counted per round with their modeled cycles, and they
  are the mode's own events (trap/hidden_fault, or trap exits of reason 48 under --npt);
  pv's dirty bits take none: each round's sweep flushes the TLB (tlb_flush events);
- under bt and pv, the exact figures of each round (pages sent, dirtied, faults);
- the migrated run is exact: the destination goes on as the source itself would have.
  The reference is the same migration with the connection dropped before DONE, after which
  the source runs on from the very state it sent: its console is the source's and the
  destination's consoles together, its instructions and cycles the destination's;
- the figures are deterministic (a second migration gives the same stats);
- native has no monitor, so no tracking of its own: --migrate-tracking mode is refused (76).

  migration_tracking.py --vmlab VMLAB --guest GUEST.elf
"""
import argparse
import os
import shutil
import sys
import tempfile

from migrate_lib import Destination, Relay, run, stats, summary

failures = []
DONE = 4


def check(cond, what):
    print(("ok " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)


def migrate(exe, guest, d, machine, opts, out, drop_at=None):
    dst = Destination(exe, d, ["--out", out + "-dst"])
    relay = Relay(dst.port, drop_at)
    src = run(exe, ["run", *machine, "--out", out + "-src", "--migrate-to",
                    f"127.0.0.1:{relay.port}", *opts, guest], d)
    code, dout, derr = dst.wait()
    relay.thread.join(10)
    return src, (code, dout, derr), relay.frames_seen


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vmlab", required=True)
    ap.add_argument("--guest", required=True)
    a = ap.parse_args()
    exe = os.path.abspath(a.vmlab)
    guest = os.path.abspath(a.guest)
    workload = ["--profile", "pentium4", "--memory", "32", "--append",
                "run=forkwait parent_touch=100 iters=300"]
    base_opts = ["--migrate-threshold", "4", "--migrate-max-rounds", "8",
                 "--migrate-tracking", "mode"]
    opts = ["--migrate-at", "2000000", *base_opts]
    cases = [
        ("trap --cpu classic", ["--mode", "trap", "--cpu", "classic"], "shadow write protection",
         "hidden_fault"),
        ("trap (shadow paging)", ["--mode", "trap"], "shadow write protection", "hidden_fault"),
        ("trap --npt", ["--mode", "trap", "--npt"], "nested write protection", "trap"),
        ("bt", ["--mode", "bt"], "shadow write protection", "hidden_fault"),
        ("pv", ["--mode", "pv"], "pv dirty bits in validated page tables", "tlb_flush"),
    ]
    # (pages sent, pages dirtied, tracking faults) of each round, as this build gives them.
    exact = {
        "bt": [(198, 53, 4), (53, 25, 2), (25, 16, 2), (16, 14, 2), (14, 14, 2)],
        "pv": [(246, 121, 0), (121, 121, 0)],
    }
    with tempfile.TemporaryDirectory() as d:
        # The guest's command line starts with the kernel's path as given (Multiboot, as
        # QEMU's -kernel), and it lies in guest memory: the exact page counts below hold
        # only for one path. The kernel runs as ./guest.elf wherever the build is.
        shutil.copyfile(guest, os.path.join(d, "guest.elf"))
        guest = "guest.elf"
        for name, mode, mechanism, kind in cases:
            machine = [*mode, *workload]
            # bt translates first: by 2 M cycles its guest has run 24 k instructions.
            opts = [*base_opts, "--migrate-at", "8000000" if name == "bt" else "2000000"]
            tag = os.path.join(d, name.split()[0] + str(len(mode)))
            src, (code, dout, derr), frames = migrate(exe, guest, d, machine, opts, tag)
            check(src.returncode == 0 and code == 0, f"{name}: migrated, the guest ended well "
                  f"({src.returncode}, {code}: {derr.strip().splitlines()[-1:]})")
            if src.returncode != 0 or code != 0:
                continue
            m = stats(tag + "-src/stats.json")["migration"]
            rounds = m["rounds"]
            check(m["tracking"] == mechanism, f"{name}: tracked by {m['tracking']}")
            check(len(rounds) >= 2, f"{name}: {len(rounds)} pre-copy rounds")
            check(all(r["pages_missed_by_tracking"] == 0 for r in rounds),
                  f"{name}: each round's set holds every page the engine log saw stored to")
            check(m["pages_missed_by_log"] == 0,
                  f"{name}: stop-and-copy found no page the tracking missed")
            faults = [r["tracking_faults"] for r in rounds]
            counted = stats(tag + "-src/stats.json")["events"][kind]["count"]
            if name == "pv":
                check(all(f == 0 for f in faults) and
                      all(r["pages_dirtied"] > 0 for r in rounds),
                      f"{name}: no write faults {faults}; the sweeps found "
                      f"{[r['pages_dirtied'] for r in rounds]} pages")
                check(counted >= len(rounds) + 1,
                      f"{name}: a TLB flush per sweep among the {counted} {kind} events")
            else:
                check(all(f > 0 for f in faults[1:]) and
                      all(r["tracking_cycles"] > 0 for r in rounds[1:]),
                      f"{name}: write faults per round {faults}, cycles "
                      f"{[r['tracking_cycles'] for r in rounds]}")
                check(counted >= sum(faults),
                      f"{name}: the faults are among the {counted} {kind} events in stats.json")
            if name in exact:
                got = [(r["pages_sent"], r["pages_dirtied"], r["tracking_faults"]) for r in rounds]
                check(got == exact[name], f"{name}: rounds {got} (expected {exact[name]})")

            # The same migration again: the same figures.
            tag2 = tag + "b"
            src2, (code2, _, _), _ = migrate(exe, guest, d, machine, opts, tag2)
            m2 = stats(tag2 + "-src/stats.json")["migration"]
            check(code2 == 0 and m2["rounds"] == rounds and
                  m2["downtime_cycles"] == m["downtime_cycles"],
                  f"{name}: deterministic rounds and downtime")

            # Exactness: the connection dropped before DONE; the source runs on from the
            # state it sent.
            done = [i for i, (k, _) in enumerate(frames) if k == DONE]
            check(len(done) == 1, f"{name}: one DONE frame")
            if len(done) != 1:
                continue
            ref, (rcode, rout, _), _ = migrate(exe, guest, d, machine, opts, tag + "c",
                                               drop_at=done[0])
            check("migration failed" in ref.stderr and rcode == 90,
                  f"{name}: dropped before DONE, the source ran on")
            check(ref.stdout == src.stdout + dout and ref.returncode == code,
                  f"{name}: the two consoles together are the source's had it run on")
            check(summary(ref.stderr) == summary(derr) and summary(derr) is not None,
                  f"{name}: the destination's instructions and cycles {summary(derr)} are the "
                  f"source's had it run on")

        # The modes without tracking of their own (docs/migration.md) refuse before they run.
        for mode in ("native",):
            p = run(exe, ["run", "--mode", mode, *workload, "--migrate-to", "127.0.0.1:9", *opts,
                          guest], d)
            check(p.returncode == 76 and "no write tracking of its own" in p.stderr
                  and p.stdout == "",
                  f"{mode}: --migrate-tracking mode refused ({p.returncode})")
    if failures:
        print(f"{len(failures)} failures")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
