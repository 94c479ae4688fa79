#!/usr/bin/env python3
"""The classic I/O lesson in exact counts (issue 17; docs/disk.md, "Cost in each mode"):
the guest OS reads N sectors of the raw disk in one request of its block seam (the shell's
`blkread 0 N`), for N = 1, 8 and 128.

- Emulated ATA with its bus master (native, trap on the VT CPU, bt): the probe's 268 port
  accesses on the channel and the bus master (device control, select, status, IDENTIFY's
  task file and status and its 256 words by PIO; the bus master's table address and status),
  then one READ DMA per 8 sectors (the guest's driver moves a user buffer through a bounce
  page of 8 sectors, guest/kernel/ata_dma.c) of 10 port accesses (6 task-file writes, the
  bus master's start, status and stop, the drive's status), whatever the sectors; under a
  monitor each one is a trap (VM exit, reason 30) or a callout. (By PIO it was 263 port
  accesses a sector: tests/kernels/ata_pio.)
- The PV block ring: ceil(N / 32) requests (32 sectors, 4 granted pages, per request), one
  batch: exactly one notification to the back end (one event_channel_op hypercall on port
  3) and one back to the front end, whatever N is, and no port access at all.

    blk_ring_cost.py VMLAB GUEST
"""
import json
import os
import subprocess
import sys
import tempfile

IO_OPCODES = {0xE4, 0xE5, 0xE6, 0xE7, 0xEC, 0xED, 0xEE, 0xEF, 0x6C, 0x6D, 0x6E, 0x6F}
# The channel's ports and the bus master's register block (PCI 00:01.1 BAR4, at 0xC000).
ATA_PORTS = set(range(0x1F0, 0x1F8)) | {0x3F6} | set(range(0xC000, 0xC010))
PROBE, PER_COMMAND, SECTORS_PER_COMMAND = 268, 10, 8
SIZES = (1, 8, 128)
BLK_PORT, EVTCHN_OP, EVTCHNOP_SEND = 3, 32, 4


def run(vmlab, guest, opts, n, work):
    image = os.path.join(work, "raw.img")
    with open(image, "wb") as f:
        for s in range(256):
            f.write(bytes([s % 251]) * 512)
    script = os.path.join(work, "in.txt")
    with open(script, "w") as f:
        f.write(f"blkread 0 {n}\nexit 0\n")
    out = os.path.join(work, "out")
    r = subprocess.run([vmlab, "run", "--quiet", "--disk", image, "--input", script, "--out", out,
                        "--trace"] + opts + [guest], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"FAIL: vmlab {' '.join(opts)} blkread {n} exited {r.returncode}: {r.stderr}")
    want = sum(s % 251 for s in range(n)) * 512
    if f"blkread lba=0 sectors={n} sum={want}" not in r.stdout:
        sys.exit(f"FAIL: {' '.join(opts)} blkread {n}: no 'sum={want}' in:\n{r.stdout}")
    with open(os.path.join(out, "stats.json")) as f:
        stats = json.load(f)
    if stats["trace"]["dropped"]:
        sys.exit("FAIL: the trace dropped events")
    c = {"ata": 0, "ata_exits": 0, "front": 0, "back": 0, "front_entries": 0,
         "back_entries": 0, "send": 0}
    with open(os.path.join(out, "trace.jsonl")) as f:
        for line in f:
            e = json.loads(line)
            k, a = e["kind"], e["args"]
            if k == "port_io" and a["port"] in ATA_PORTS:
                c["ata"] += 1
            elif k == "trap" and a["reason"] == 30 and a["error_code"] >> 16 in ATA_PORTS:
                # VM exit, I/O instruction: the qualification's bits 31:16 are the port
                # (SDM Vol. 3C, Table 28-5).
                c["ata_exits"] += 1
            elif k == "ring_notify" and a["ring"] == BLK_PORT:
                side = "back" if a.get("to_front") else "front"
                c[side] += 1
                c[side + "_entries"] += a["entries"]
            elif k == "hypercall" and a["number"] == EVTCHN_OP and a["arg0"] == EVTCHNOP_SEND \
                    and a["arg1"] == BLK_PORT:
                c["send"] += 1
    return c


def main():
    vmlab, guest = sys.argv[1], sys.argv[2]
    failures = []

    def check(name, what, got, want):
        print(f"{'ok' if got == want else 'FAIL'}: {name}: {what}: {got} (want {want})")
        if got != want:
            failures.append(f"{name}: {what}")

    with tempfile.TemporaryDirectory() as work:
        for name, opts in (("native", ["--mode", "native"]), ("trap_vt", ["--mode", "trap"])):
            for n in SIZES:
                c = run(vmlab, guest, opts, n, work)
                commands = (n + SECTORS_PER_COMMAND - 1) // SECTORS_PER_COMMAND
                check(name, f"ATA port accesses, {n} sectors", c["ata"],
                      PROBE + commands * PER_COMMAND)
                if name == "trap_vt":
                    check(name, f"I/O exits for them, {n} sectors", c["ata_exits"], c["ata"])
                check(name, f"block-ring notifications, {n} sectors", c["front"] + c["back"], 0)
        for n in SIZES:
            c = run(vmlab, guest, ["--mode", "pv"], n, work)
            requests = (n + 31) // 32
            check("pv", f"ATA port accesses, {n} sectors", c["ata"], 0)
            check("pv", f"event_channel_op sends on port 3, {n} sectors", c["send"], 1)
            check("pv", f"notifications to the back end, {n} sectors", c["front"], 1)
            check("pv", f"notifications to the front end, {n} sectors", c["back"], 1)
            check("pv", f"requests in the batch, {n} sectors", c["front_entries"], requests)
            check("pv", f"responses in the batch, {n} sectors", c["back_entries"], requests)
    if failures:
        sys.exit("FAIL: " + "; ".join(failures))
    print("PASS")


if __name__ == "__main__":
    main()
