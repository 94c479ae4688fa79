#!/usr/bin/env python3
"""The guest's diskread workload costs exactly the port accesses its file system and ATA
driver make, one trap, VM exit or BT callout each, growing linearly with the bytes read.

Each size is run with iters=1 and iters=2 (on a scratch disk `vmlab run` makes itself);
the difference of the two traces is one pass over the file, so boot, set-up and the timer
cancel. The formula is the driver's and the file system's, read from their code:

  guest/kernel/ata_dma.c  one READ DMA per request of the block seam (the buffer cache asks
                       for one sector at a time): 6 task-file writes, the bus master's start,
                       one read of its status (the transfer is over within the start), its
                       stop and one read of the drive's status = 10 port accesses a request,
                       whatever its size (by PIO, tests/kernels/ata_pio, 263 a sector)
  guest/kernel/fs.c    fs_read of a request: the root inode, the root directory's one
  guest/kernel/bcache.c  sector and the file's inode, then per sector of the request its
                       data, plus the indirect sector for each sector past the 10 direct
                       ones, all through the buffer cache; diskread empties the cache before
                       each pass (SYS_blk_drop), so a pass reads each sector it needs once:
                       the inode sector (the root's inode and the file's share it), the
                       directory sector, the indirect sector past 5 KiB, and the data

so a pass over K KiB reads 2K + 2 + (1 if 2K > 10) sectors, whatever bs is: every KiB adds
2 sector reads. Each sector read is one ATA command, one blk_request event.
(The guest finds the bus master on PCI at its first disk access, in both runs alike.)

    diskread_cost.py VMLAB GUEST MODE-OPTION...
"""
import json
import math
import os
import subprocess
import sys
import tempfile

# The channel's ports and the bus master's register block (PCI 00:01.1 BAR4, at 0xC000).
ATA_PORTS = set(range(0x1F0, 0x1F8)) | {0x3F6} | set(range(0xC000, 0xC010))
PER_SECTOR = 6 + 1 + 1 + 1 + 1
IO_OPCODES = {0xE4, 0xE5, 0xE6, 0xE7, 0xEC, 0xED, 0xEE, 0xEF, 0x6C, 0x6D, 0x6E, 0x6F}
BS = 4096
SIZES = (8, 32)  # KiB: both past the 5 KiB of direct sectors, so the growth is linear


def sector_reads(kib):
    data = 2 * kib
    return data + 2 + (1 if data > 10 else 0)


def is_io_cost(mode_opts, kind, a):
    """Whether a trace event is the monitor's cost of one port access in this mode."""
    if "bt" in mode_opts:
        return kind == "bt_callout" and a["reason"] == 4 and a["opcode"] in IO_OPCODES
    if kind != "trap":
        return False
    if "classic" in mode_opts:
        return a["reason"] == 13 and a["error_code"] == 0  # #GP of a ring-1 IN/OUT
    return a["reason"] == 30  # VT exit reason 30, I/O instruction


def run(vmlab, guest, mode_opts, kib, iters, work):
    out = os.path.join(work, f"out-{kib}-{iters}")
    cmd = [vmlab, "run", "--quiet", "--out", out, "--trace", "--trace-limit", "0"] + mode_opts + [
        "--append", f"run=diskread iters={iters} kib={kib} bs={BS}", guest]
    r = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if r.returncode != 0 or "result workload=diskread" not in r.stdout:
        sys.exit(f"FAIL: {' '.join(cmd)} exited {r.returncode}: {r.stdout[-500:]} {r.stderr}")
    want = f"bytes_per_iter={kib * 1024} requests_per_iter={math.ceil(kib * 1024 / BS)}"
    if want not in r.stdout:
        sys.exit(f"FAIL: the result line lacks '{want}': {r.stdout}")
    c = {"ata": 0, "port": 0, "io_cost": 0, "trap": 0, "bt_callout": 0, "blk_request": 0}
    with open(os.path.join(out, "trace.jsonl")) as f:
        for line in f:
            if '"kind":"port_io"' in line:
                e = json.loads(line)
                c["port"] += 1
                c["ata"] += e["args"]["port"] in ATA_PORTS
            elif '"kind":"blk_request"' in line:
                c["blk_request"] += 1
            elif '"kind":"trap"' in line or '"kind":"bt_callout"' in line:
                e = json.loads(line)
                c[e["kind"]] += 1
                c["io_cost"] += is_io_cost(mode_opts, e["kind"], e["args"])
    return c


def main():
    vmlab, guest, mode_opts = sys.argv[1], sys.argv[2], sys.argv[3:]
    native = mode_opts in ([], ["--mode", "native"])
    failures = []
    per_pass = {}
    with tempfile.TemporaryDirectory() as work:
        for kib in SIZES:
            one, two = (run(vmlab, guest, mode_opts, kib, n, work) for n in (1, 2))
            d = {k: two[k] - one[k] for k in one}
            per_pass[kib] = d
            want = PER_SECTOR * sector_reads(kib)
            checks = [(f"{kib} KiB: ATA port accesses of one pass", d["ata"], want),
                      (f"{kib} KiB: disk requests (ATA commands) of one pass", d["blk_request"],
                       sector_reads(kib))]
            if native:
                checks.append((f"{kib} KiB: traps natively", d["trap"], 0))
                checks.append((f"{kib} KiB: callouts natively", d["bt_callout"], 0))
            else:
                # One trap, exit or callout per port access, and only those: every port access
                # of the pass (the ATA's, and the timer's if one fired) costs one.
                checks.append((f"{kib} KiB: port traps/exits/callouts = port accesses",
                               d["io_cost"], d["port"]))
                checks.append((f"{kib} KiB: port traps/exits/callouts on the ATA ports",
                               d["io_cost"] - (d["port"] - d["ata"]), want))
            for what, got, expect in checks:
                ok = got == expect
                print(f"{'ok' if ok else 'FAIL'}: {what}: {got} (want {expect})")
                if not ok:
                    failures.append(what)
    grow = per_pass[SIZES[1]]["ata"] - per_pass[SIZES[0]]["ata"]
    want = PER_SECTOR * (sector_reads(SIZES[1]) - sector_reads(SIZES[0]))
    kib = SIZES[1] - SIZES[0]
    print(f"{'ok' if grow == want else 'FAIL'}: {kib} more KiB cost {grow} more port accesses "
          f"(want {want}: {want / kib:.2f} a KiB)")
    if grow != want:
        failures.append("linear growth")
    if failures:
        sys.exit("FAIL: " + "; ".join(failures))
    print("PASS")


if __name__ == "__main__":
    main()
