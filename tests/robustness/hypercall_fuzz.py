#!/usr/bin/env python3
"""Random hypercalls from a paravirtual guest: no crash, no hang, no way to ring 0.

Each kernel is random_code.py's PV stub (the vmlab PV note, ring 1, one handler for every
vector) whose 64 chunks each make one hypercall with arguments the seed picks: every
hypercall number of docs/pv-abi.md and unknown ones, counts at and past their limits
(0, 1, 2048, 2049, 2^32-1), pointers into the guest's image and stack (whose bytes, code
with random immediates, become trap tables, update batches and extended ops), into the
hypervisor hole, to unmapped and wrapping addresses, machine addresses and frame numbers
anywhere, selectors with their upper bits set, flags with undefined bits. The PV stub's
`done` pointers, trap tables and console buffers thus name memory the guest may or may
not own.

After each hypercall the chunk tries `mov %cr0, %eax`, which faults in ring 1; should it
ever run with a CS of RPL 0, the chunk writes 42 to the exit port, so a guest that reached
ring 0 ends with status 42, which nothing else here gives (a shutdown status of 42 is
never asked for). Every run must end with one of vmlab's documented statuses (never a
signal, status 70 or a timeout), never with 42, and twice the same (determinism).

  hypercall_fuzz.py --vmlab build/cli/vmlab [--seeds 8] [--first 1] [--budget 200000]
"""
import argparse
import os
import random
import struct
import subprocess
import sys
import tempfile

import random_code
from random_code import ALLOWED, BASE, CHUNK, CHUNKS

ESCAPED = 42
PV = random_code.MODES["pv"]
HYPERCALLS = [0, 1, 3, 4, 14, 15, 17, 18, 26, 29, 32, 33]
IMAGE_END = BASE + 0x1000 + CHUNKS * CHUNK


def address(r):
    """A guest-virtual address: mostly the image (code and tables) or the stack."""
    return r.choice([BASE + r.randrange(IMAGE_END - BASE), BASE + r.randrange(0x200, 0xA00),
                     0x8F000 + r.randrange(0x1000), 0x90000 - r.randrange(1, 16),
                     0xFC000000 + r.randrange(0x4000000), 0xFFFFFFFC, 0xFFF, 0,
                     IMAGE_END + r.randrange(0x100000), r.getrandbits(32)])


def count(r):
    return r.choice([0, 1, 2, 3, 16, 255, 256, 2048, 2049, 4096, 4097, 0x7FFFFFFF, 0xFFFFFFFF,
                     r.getrandbits(32)])


def selector(r):
    return r.choice([0x09, 0x11, 0x1B, 0x23, 0x08, 0x10, 0x00, 0x10011, 0x10009, 0xFFFF0011,
                     r.getrandbits(16), r.getrandbits(32)])


def machine(r):
    """A machine address or frame number: anywhere in the first 64 MiB, or anything."""
    return r.choice([r.randrange(0x4000000), r.randrange(0x4000000) | r.randrange(4),
                     r.randrange(0x4000), r.getrandbits(32), 0xFFFFF000, 0])


def arguments(r, n):
    """EBX, ECX, EDX, ESI for hypercall `n`."""
    anything = [address(r), count(r), selector(r), machine(r), r.getrandbits(32)]
    if n == 0:   # a table anywhere replaces the handler: rare, or most runs end there
        return [address(r) if r.randrange(4) == 0 else r.choice([0xFC000000, 0xFFFFFFF8, 1]),
                0, 0, 0]
    if n in (1, 26):
        return [address(r), count(r), r.choice([0, address(r)]), r.getrandbits(32)]
    if n in (3, 4):
        return [selector(r), address(r), 0, 0]
    if n == 14:
        return [address(r), machine(r) | r.getrandbits(12), r.choice([0, 1, 2, 3, 4, 0x81]), 0]
    if n == 15:
        return [r.getrandbits(32), r.choice([0, 1, r.getrandbits(32)]), 0, 0]
    if n == 17:
        return [r.choice([0, 1, 2]), r.choice([0, 1, 2, r.getrandbits(32)]), 0, 0]
    if n == 18:
        return [r.choice([0, 1, 2]), count(r), address(r), 0]
    if n == 29:
        # shutdown (2) ends the run: rare, so that most runs make many hypercalls
        command = 2 if r.randrange(12) == 0 else r.choice([0, 1, 3, r.getrandbits(32)])
        status = r.choice([0, 1, 41, 43, 255, 256, r.getrandbits(32)])
        return [command, status if status != ESCAPED else 0, 0, 0]
    if n == 32:
        return [r.choice([4, 0, 5, r.getrandbits(32)]), r.choice([0, 1, 2, 3, 4, 5, 31, 32]), 0, 0]
    if n == 33:
        return [r.choice([100, 101, 99, 102]), r.choice([0x80, 0xE9, 0xF4, 0x3F8, 0x20]),
                r.choice([0, 0x41, 255, 256, r.getrandbits(32)]), 0]
    return [r.choice(anything) for _ in range(4)]


def chunk(r):
    n = r.choice(HYPERCALLS) if r.randrange(10) else r.choice([2, 5, 40, 255, r.getrandbits(32)])
    code = b"\xb8" + struct.pack("<I", n)
    for opcode, value in zip((0xBB, 0xB9, 0xBA, 0xBE), arguments(r, n)):
        code += bytes([opcode]) + struct.pack("<I", value & 0xFFFFFFFF)
    code += random_code.HYPERCALL
    code += b"\x0f\x20\xc0"                      # mov %cr0, %eax: #GP in ring 1
    code += b"\x8c\xc8\xa8\x03\x75\x04"          # mov %cs, %eax; test $3, %al; jnz +4
    code += bytes([0xB0, ESCAPED, 0xE6, 0xF4])   # mov $42, %al; out %al, $0xf4
    assert len(code) <= CHUNK
    return code + b"\x90" * (CHUNK - len(code))


def kernel(seed):
    r = random.Random(f"vmlab hypercalls {seed}")
    image = bytearray(random_code.pv_kernel(seed))
    at = 0x1000 + 0x1000   # the chunks: file offset of BASE + 0x1000
    for i in range(CHUNKS):
        image[at + i * CHUNK:at + (i + 1) * CHUNK] = chunk(r)
    return bytes(image)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vmlab", required=True)
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--first", type=int, default=1)
    ap.add_argument("--budget", type=int, default=200000)
    a = ap.parse_args()
    failures = 0
    statuses = {}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(a.first, a.first + a.seeds):
            path = os.path.join(tmp, f"hypercalls{seed}.elf")
            with open(path, "wb") as f:
                f.write(kernel(seed))
            try:
                rc1, out1, err1, st1 = random_code.run(a.vmlab, PV, path, a.budget,
                                                       os.path.join(tmp, f"{seed}-1"))
                rc2, out2, _, st2 = random_code.run(a.vmlab, PV, path, a.budget,
                                                    os.path.join(tmp, f"{seed}-2"))
            except subprocess.TimeoutExpired:
                print(f"FAIL seed {seed}: timeout")
                failures += 1
                continue
            if rc1 == ESCAPED:
                print(f"FAIL seed {seed}: the guest ran `mov %cr0` with CS RPL 0: {err1.strip()}")
                failures += 1
            elif rc1 not in ALLOWED:
                print(f"FAIL seed {seed}: status {rc1}: {err1.strip()[-300:]}")
                failures += 1
            elif (rc1, out1, st1) != (rc2, out2, st2):
                print(f"FAIL seed {seed}: two runs differ")
                failures += 1
            statuses[rc1] = statuses.get(rc1, 0) + 1
            print(f"seed {seed}: pv={rc1}", flush=True)
    if failures:
        print(f"{failures} failure(s)")
        return 1
    summary = ", ".join(f"{n} x status {rc}" for rc, n in sorted(statuses.items()))
    print(f"PASS: {a.seeds} random-hypercall guests under pv, each twice ({summary})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
