#!/usr/bin/env python3
"""Bus-master DMA costs a few port accesses per request, whatever its size: runs the ata_dma
kernel's cost read (one READ DMA of 1, 2 and 16 sectors through one PRD, after the PCI
set-up) in every mode and asserts the exact counts from stats.json and the trace: the same
port accesses for 1 and 16 sectors, one disk request, and under a monitor one trap, exit or
callout per port access, as for PIO (tests/kernels/ata_pio/pio_cost.py, where 16 sectors
cost 15 x 257 accesses more than one).

    dma_cost.py VMLAB KERNEL
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ata_pio"))
import pio_cost  # noqa: E402  (the modes, the run and its counts)

import tempfile  # noqa: E402

# The whole cost run's port accesses: the console lines, the PCI set-up (BAR4, the command
# register), nIEN, the device register, and the request itself: the bus master's status
# cleared, the table address, the direction, the task file (6), start, one status poll
# (the transfer is over within the start), stop, and the drive's status.
TOTAL = 89


def main():
    vmlab, kernel = sys.argv[1], sys.argv[2]
    failures = []
    with tempfile.TemporaryDirectory() as work:
        for name, (opts, counter, is_io) in pio_cost.MODES.items():
            c = {n: pio_cost.run(vmlab, kernel, opts, f"cost sectors={n}", work, counter, is_io)
                 for n in (1, 2, 16)}
            checks = [
                ("port accesses, 1 sector", c[1]["port_io"], TOTAL),
                ("port accesses, 2 sectors", c[2]["port_io"], TOTAL),
                ("port accesses, 16 sectors", c[16]["port_io"], TOTAL),
                ("disk requests, 16 sectors", c[16]["blk_request"], 1),
                ("emulated port instructions = port accesses (16 sectors)",
                 c[16]["emulated_insn"], 0 if counter is None else c[16]["port_io"]),
            ]
            if counter is None:
                checks.append(("traps natively", c[16]["trap"], 0))
                checks.append(("callouts natively", c[16]["bt_callout"], 0))
            else:
                for n in (1, 16):
                    checks.append((f"port {counter}s = port accesses, {n} sectors",
                                   c[n]["io_cost"], TOTAL))
            for what, got, want in checks:
                status = "ok" if got == want else "FAIL"
                print(f"{status}: {name}: {what}: {got} (want {want})")
                if got != want:
                    failures.append(f"{name}: {what}")
    if failures:
        sys.exit("FAIL: " + "; ".join(failures))
    print("PASS")


if __name__ == "__main__":
    main()
