#!/usr/bin/env python3
"""Emulated PIO costs one trap or exit (trap modes), one callout (bt) per register access
and per data word: runs the ata_pio kernel's cost read of 1, 2 and 16 sectors in every mode and
asserts the exact counts from stats.json, and that they grow with the bytes moved.

    pio_cost.py VMLAB KERNEL
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
IO_OPCODES = {0xE4, 0xE5, 0xE6, 0xE7, 0xEC, 0xED, 0xEE, 0xEF, 0x6C, 0x6D, 0x6E, 0x6F}
# name: (vmlab options, the event each port access costs and how to tell it in the trace
# (docs/trace-format.md) from the same events with other causes, e.g. shadow page faults)
MODES = {
    "native": (["--mode", "native"], None, None),
    # VT: exit reason 30, I/O instruction (SDM Vol. 3C, Appendix C).
    "trap_vt": (["--mode", "trap"], "trap", lambda a: a["reason"] == 30),
    "trap_vt_npt": (["--mode", "trap", "--npt"], "trap", lambda a: a["reason"] == 30),
    # Classic: the ring-1 kernel's IN/OUT raise #GP (vector 13, error code 0).
    "trap_classic": (["--mode", "trap", "--cpu", "classic"], "trap",
                     lambda a: a["reason"] == 13 and a["error_code"] == 0),
    # bt: callout reason 4 (emulate one instruction) with an IN/OUT opcode.
    "bt": (["--mode", "bt"], "bt_callout",
           lambda a: a["reason"] == 4 and a["opcode"] in IO_OPCODES),
}
# Port accesses of the driver per request: READ SECTORS reads the status once and 256
# data words per sector; READ MULTIPLE (blocks of 8) the status once per block.
PER_SECTOR = 1 + 256


def run(vmlab, kernel, opts, append, work, event=None, is_io=None):
    image = os.path.join(work, "disk.img")
    subprocess.run([sys.executable, os.path.join(HERE, "make_image.py"), image], check=True)
    out = os.path.join(work, "out")
    r = subprocess.run([vmlab, "run", "--quiet", "--disk", image, "--out", out, "--trace", "--append", append]
                       + opts + [kernel], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"FAIL: vmlab {' '.join(opts)} --append '{append}' exited {r.returncode}: {r.stderr}")
    with open(os.path.join(out, "stats.json")) as f:
        stats = json.load(f)
    counts = {k: v["count"] for k, v in stats["events"].items()}
    if stats["trace"]["dropped"]:
        sys.exit("FAIL: the trace dropped events")
    counts["io_cost"] = 0
    if event is not None:
        with open(os.path.join(out, "trace.jsonl")) as f:
            for line in f:
                e = json.loads(line)
                if e["kind"] == event and is_io(e["args"]):
                    counts["io_cost"] += 1
    return counts


def main():
    vmlab, kernel = sys.argv[1], sys.argv[2]
    failures = []
    with tempfile.TemporaryDirectory() as work:
        for name, (opts, counter, is_io) in MODES.items():
            c = {n: run(vmlab, kernel, opts, f"cost sectors={n}", work, counter, is_io)
                 for n in (1, 2, 16)}
            m16 = run(vmlab, kernel, opts, "cost sectors=16 multiple", work, counter, is_io)
            m2 = run(vmlab, kernel, opts, "cost sectors=2 multiple", work, counter, is_io)
            checks = [
                # The driver's whole run: console, set-up, the task file, the data.
                ("port accesses, 1 sector", c[1]["port_io"], 334),
                ("port accesses, 16 sectors", c[16]["port_io"], 4189),
                ("port accesses, 2 sectors - 1", c[2]["port_io"] - c[1]["port_io"], PER_SECTOR),
                ("port accesses, 16 sectors - 1", c[16]["port_io"] - c[1]["port_io"],
                 15 * PER_SECTOR),
                # READ MULTIPLE of 16 in blocks of 8: two status reads, not sixteen.
                ("port accesses, READ MULTIPLE 16 - 2", m16["port_io"] - m2["port_io"],
                 14 * 256 + 1),
                ("emulated port instructions = port accesses (16 sectors)",
                 c[16]["emulated_insn"], 0 if counter is None else c[16]["port_io"]),
            ]
            if counter is None:
                checks.append(("traps natively", c[16]["trap"], 0))
                checks.append(("callouts natively", c[16]["bt_callout"], 0))
            else:
                # Every port access of the run is one such event, and nothing else is.
                checks.append((f"port {counter}s = port accesses, 1 sector", c[1]["io_cost"],
                               c[1]["port_io"]))
                checks.append((f"port {counter}s = port accesses, 16 sectors",
                               c[16]["io_cost"], c[16]["port_io"]))
                checks.append((f"port {counter}s, 2 sectors - 1",
                               c[2]["io_cost"] - c[1]["io_cost"], PER_SECTOR))
                checks.append((f"port {counter}s, 16 sectors - 1",
                               c[16]["io_cost"] - c[1]["io_cost"], 15 * PER_SECTOR))
                checks.append((f"port {counter}s, READ MULTIPLE 16 - 2",
                               m16["io_cost"] - m2["io_cost"], 14 * 256 + 1))
            for what, got, want in checks:
                status = "ok" if got == want else "FAIL"
                print(f"{status}: {name}: {what}: {got} (want {want})")
                if got != want:
                    failures.append(f"{name}: {what}")
            print(f"   {name}: 1 sector: {c[1]['port_io']} port accesses; 16 sectors: "
                  f"{c[16]['port_io']}" + ("" if counter is None else
                                           f"; port {counter}s {c[1]['io_cost']} and {c[16]['io_cost']}"))
    if failures:
        sys.exit("FAIL: " + "; ".join(failures))
    print("PASS")


if __name__ == "__main__":
    main()
