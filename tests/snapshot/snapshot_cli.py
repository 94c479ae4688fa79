#!/usr/bin/env python3
"""vmlab run --restore refuses what it must, with the message and exit status
docs/snapshots.md promises; --snapshot-at CYCLES takes its snapshot at the first instruction
boundary at or after CYCLES; --snapshot-every writes a base and incremental snapshots whose
sizes it reports, each of which, composed with its parents, equals the full snapshot taken
at the same point, and restores exactly.

  snapshot_cli.py --vmlab VMLAB --guest GUEST.elf --smoke SMOKE.elf
"""
import argparse
import hashlib
import os
import re
import subprocess
import sys
import tempfile

SUMMARY = re.compile(r"\((\d+) instructions, (\d+) modeled cycles")
failures = []


def check(cond, what):
    print(("ok " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)


def vmlab(exe, args, cwd):
    return subprocess.run([exe] + args, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=300)


def reseal(data):
    return data[:-32] + hashlib.sha256(data[:-32]).digest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vmlab", required=True)
    ap.add_argument("--guest", required=True)
    ap.add_argument("--smoke", required=True)
    a = ap.parse_args()
    exe = os.path.abspath(a.vmlab)
    guest = os.path.abspath(a.guest)
    base = ["run", "--memory", "32", "--append", "run=all iters=2"]
    with tempfile.TemporaryDirectory() as d:
        p = vmlab(exe, base + ["--snapshot-at-insn", "700000", "s.vmsnap", guest], d)
        check(p.returncode == 0, "the snapshot run ends as the guest says")
        good = open(os.path.join(d, "s.vmsnap"), "rb").read()

        def refused(args, status, words, what, data=None, name="x.vmsnap"):
            if data is not None:
                with open(os.path.join(d, name), "wb") as f:
                    f.write(data)
            p = vmlab(exe, base + args + ["--restore", name], d)
            check(p.returncode == status and all(w in p.stderr for w in words),
                  f"{what}: exit {p.returncode} (want {status}): {p.stderr.strip()}")

        refused([guest], 88, ["not a vmlab snapshot"], "not a snapshot", b"hello\n" * 100)
        refused([guest], 88, ["corrupt snapshot", "checksum"], "truncated", good[:len(good) // 2])
        flipped = bytearray(good)
        flipped[len(good) // 3] ^= 0x40
        refused([guest], 88, ["checksum"], "one bit flipped", bytes(flipped))
        v2 = bytearray(good)
        v2[8] = 2
        refused([guest], 86, ["format version 2"], "another format version", bytes(v2))
        other = good.replace(b"0.1.0", b"9.9.9", 1)
        refused([guest], 86, ["written by vmlab 9.9.9"], "another vmlab version",
                reseal(other))
        # The CPU section altered, checksum made to match: the re-executed machine differs.
        i = good.find(b"CPU ")
        cpu = bytearray(good)
        cpu[i + 12] ^= 1  # EAX's low byte
        refused([guest], 89, ["differs from the snapshot in section CPU"], "altered state",
                reseal(bytes(cpu)))
        i = good.find(b"DEVS")
        devs = bytearray(good)
        devs[i + 12 + 2] ^= 0x01  # the master PIC's IMR
        refused([guest], 89, ["differs from the snapshot in section DEVS"], "altered devices",
                reseal(bytes(devs)))
        refused([os.path.abspath(a.smoke)], 87, ["kernel_sha256", "cmdline"],
                "another kernel", good)
        refused(["--mode", "bt", guest], 87, ["mode: the snapshot has 'native"], "another mode",
                good)
        p = vmlab(exe, ["run", "--memory", "64", "--append", "run=all iters=2", "--restore",
                        "s.vmsnap", guest], d)
        check(p.returncode == 87 and "memory_mib" in p.stderr, "another memory size")
        p = vmlab(exe, base + ["--restore", "missing.vmsnap", guest], d)
        check(p.returncode == 66, f"a missing file: exit {p.returncode}")

        # --snapshot-at CYCLES: the first instruction boundary at or after CYCLES.
        p = vmlab(exe, base + ["--snapshot-at", "1500000", "c.vmsnap", guest], d)
        info = vmlab(exe, ["snapshot", "info", "c.vmsnap"], d).stdout
        cycles = int(re.search(r"^cycles: (\d+)$", info, re.M).group(1))
        insns = int(re.search(r"^instructions: (\d+)$", info, re.M).group(1))
        p = vmlab(exe, base + ["--snapshot-at-insn", str(insns - 1), "c1.vmsnap", guest], d)
        before = int(re.search(r"^cycles: (\d+)$",
                               vmlab(exe, ["snapshot", "info", "c1.vmsnap"], d).stdout,
                               re.M).group(1))
        check(cycles >= 1500000 and before < 1500000,
              f"--snapshot-at 1500000 at {insns} instructions, {cycles} cycles "
              f"(one instruction earlier: {before})")

        # --snapshot-every: base + incremental snapshots.
        p = vmlab(exe, base + ["--snapshot-every", "500000", "series", guest], d)
        straight = SUMMARY.search(p.stderr).groups()
        reports = re.findall(r"snapshot (series/snap-\d+\.vmsnap) \((base|incremental)\) at "
                             r"(\d+) instructions, (\d+) modeled cycles: (\d+) pages, (\d+) bytes",
                             p.stderr)
        check(len(reports) >= 4 and reports[0][1] == "base" and
              all(r[1] == "incremental" for r in reports[1:]),
              f"--snapshot-every reports {len(reports)} snapshots, a base first")
        for r in reports:
            print("   ", r[0], r[1], "pages", r[4], "bytes", r[5])
        for path, kind, n, _, _, _ in reports[1:]:
            full = f"full-{n}.vmsnap"
            vmlab(exe, base + ["--snapshot-at-insn", n, full, guest], d)
            flat = f"flat-{n}.vmsnap"
            f = vmlab(exe, ["snapshot", "flatten", path, flat], d)
            same = (f.returncode == 0 and open(os.path.join(d, flat), "rb").read() ==
                    open(os.path.join(d, full), "rb").read())
            check(same, f"{path} with its parents equals the full snapshot at instruction {n}")
            full_bytes = os.path.getsize(os.path.join(d, full))
            check(os.path.getsize(os.path.join(d, path)) < full_bytes,
                  f"{path} is smaller than the full snapshot ({full_bytes} bytes)")
        last = reports[-1][0]
        p = vmlab(exe, base + ["--restore", last, guest], d)
        m = SUMMARY.search(p.stderr)
        check(p.returncode == 0 and m and m.groups() == straight,
              f"a restore from {last} ends as the straight run ({m.groups() if m else None})")
        # A parent that went missing.
        os.remove(os.path.join(d, reports[0][0]))
        p = vmlab(exe, base + ["--restore", last, guest], d)
        check(p.returncode == 66 and "snap-0000.vmsnap" in p.stderr,
              f"a missing parent is named: {p.stderr.strip()}")
    if failures:
        print(f"FAIL: {len(failures)} checks")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
