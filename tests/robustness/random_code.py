#!/usr/bin/env python3
"""Random guest code in every mode: no crash, no internal error, no hang.

Each kernel is a Multiboot ELF that loads a flat GDT and an IDT whose 256 gates all lead
to one handler; the handler resets the stack and jumps to the next of 64 chunks of 48
random bytes (the seed fixes them), and after the last one writes the exit port. Random
code faults, loads junk into segment registers, rewrites the IDT, halts and loops: the
guest may triple-fault, halt, run out of budget or use something vmlab does not model,
but vmlab itself must end every run with one of its documented statuses (docs/cli.md),
never a signal, status 70 (internal error) or a timeout. Each mode also runs every
kernel twice and must give the same console, status and counts (determinism).

With --ring3 the chunks run at CPL 3 (entered with IRET, IF set), so every fault, INT and
privileged instruction crosses from user to kernel mode and back. With --paging the kernel
turns paging on first (4 MiB and 4 KiB pages, tables the random code may rewrite), which
exercises the monitors' shadow and nested paging.

Under --mode pv every kernel is the PV stub (pv_kernel): the same chunks in a kernel with
the vmlab PV note that registers its handler with the monitor by hypercalls, in ring 1 (or
ring 3 with --ring3); the paging variant has no pv run.

With --rich the kernels are rich_code.py's instead (snippets that real kernels run, in an
environment a real kernel builds); without it every seed gives the same bytes as before.

  random_code.py --vmlab build/cli/vmlab [--seeds 8] [--first 1] [--budget 200000] [--ring3]
                 [--paging] [--rich]
"""
import argparse
import os
import random
import struct
import subprocess
import sys
import tempfile

BASE = 0x100000
CHUNKS, CHUNK = 64, 48
MODES = {
    "native": ["--mode", "native"],
    "trap": ["--mode", "trap"],
    "trap-npt": ["--mode", "trap", "--npt"],
    "trap-classic": ["--mode", "trap", "--cpu", "classic"],
    "bt": ["--mode", "bt"],
    "pv": ["--mode", "pv"],
}
# 0-63 guest exit values; 71 triple fault (pv: the monitor killed the domain), 72 budget,
# 73 halted/idle, 74 unsupported, 75 reset (docs/cli.md). Under pv every kernel is the PV
# stub (pv_kernel), so 65 (no PV note) is a failure.
ALLOWED = set(range(64)) | {71, 72, 73, 74, 75}


def handler(counter, chunks):
    return (b"\xbc\x00\x00\x09\x00"                    # mov esp, 0x90000
            + b"\xa1" + struct.pack("<I", counter)     # mov eax, [counter]
            + b"\x40"                                  # inc eax
            + b"\xa3" + struct.pack("<I", counter)     # mov [counter], eax
            + b"\x3d" + struct.pack("<I", CHUNKS)      # cmp eax, CHUNKS
            + b"\x73\x0d"                              # jae done
            + b"\x69\xc0" + struct.pack("<I", CHUNK)   # imul eax, eax, CHUNK
            + b"\x05" + struct.pack("<I", chunks)      # add eax, chunks
            + b"\xff\xe0"                              # jmp eax
            + b"\xb0\x00\xe6\xf4"                      # done: mov al, 0; out 0xf4, al
            + b"\xf4\xeb\xfd")                         # hlt; jmp $-1


def user_handler(counter, chunks):
    """The ring-3 variant: each chunk is entered with IRET at CPL 3 (IF set), and every
    exception, interrupt or INT brings the processor back to ring 0 through the TSS."""
    return (b"\xbc\x00\x00\x09\x00"                    # mov esp, 0x90000
            + b"\x66\xb8\x10\x00\x8e\xd8\x8e\xc0"      # mov ax, 0x10; mov ds, ax; mov es, ax
            + b"\xa1" + struct.pack("<I", counter)     # mov eax, [counter]
            + b"\x40"                                  # inc eax
            + b"\xa3" + struct.pack("<I", counter)     # mov [counter], eax
            + b"\x3d" + struct.pack("<I", CHUNKS)      # cmp eax, CHUNKS
            + b"\x73\x27"                              # jae done
            + b"\x69\xc0" + struct.pack("<I", CHUNK)   # imul eax, eax, CHUNK
            + b"\x05" + struct.pack("<I", chunks)      # add eax, chunks
            + b"\x6a\x23"                              # push 0x23 (SS)
            + b"\x68\x00\xf0\x08\x00"                    # push 0x8f000 (ESP)
            + b"\x68\x02\x02\x00\x00"                    # push 0x202 (EFLAGS, IF)
            + b"\x6a\x1b"                              # push 0x1b (CS)
            + b"\x50"                                  # push eax (EIP)
            + b"\x66\xb9\x23\x00\x8e\xd9\x8e\xc1\x8e\xe1\x8e\xe9"  # user data selectors
            + b"\xcf"                                  # iret
            + b"\xb0\x00\xe6\xf4"                      # done: mov al, 0; out 0xf4, al
            + b"\xf4\xeb\xfd")                         # hlt; jmp $-1


def kernel(seed, ring3=False, paging=False):
    rnd = random.Random(seed)
    img = bytearray(0x4000 if paging else 0x1000 + CHUNKS * CHUNK)
    magic, flags = 0x1BADB002, 0x3
    img[0:12] = struct.pack("<III", magic, flags, (-(magic + flags)) & 0xFFFFFFFF)
    code_at, gdt_at, idt_at = BASE + 0x40, BASE + 0x100, BASE + 0x200
    counter, handler_at, chunks = BASE + 0xA00, BASE + 0xA10, BASE + 0x1000
    tss_at = BASE + 0xC00
    gdt = struct.pack("<QQQ", 0, 0x00CF9A000000FFFF, 0x00CF92000000FFFF)
    if ring3:
        tss_desc = (103 | (tss_at & 0xFFFFFF) << 16 | 0x89 << 40 | (tss_at >> 24) << 56)
        gdt += struct.pack("<QQQ", 0x00CFFA000000FFFF, 0x00CFF2000000FFFF, tss_desc)
        img[0xC04:0xC0C] = struct.pack("<II", 0x90000, 0x10)  # ESP0, SS0
        img[0xC66:0xC68] = struct.pack("<H", 104)  # no I/O bitmap
        img[0xA00:0xA04] = struct.pack("<I", 0xFFFFFFFF)  # the handler enters chunk 0
    img[0x100:0x100 + len(gdt)] = gdt
    for v in range(256):
        img[0x200 + 8 * v:0x208 + 8 * v] = struct.pack(
            "<HHBBH", handler_at & 0xFFFF, 0x08, 0, 0x8E, handler_at >> 16)
    img[0xF0:0xF6] = struct.pack("<HI", len(gdt) - 1, gdt_at)
    img[0xF8:0xFE] = struct.pack("<HI", 256 * 8 - 1, idt_at)
    boot = b"\x0f\x01\x15" + struct.pack("<I", BASE + 0xF0)   # lgdt
    boot += b"\x0f\x01\x1d" + struct.pack("<I", BASE + 0xF8)  # lidt
    boot += b"\xea" + struct.pack("<IH", code_at + len(boot) + 7, 0x08)  # ljmp 8:next
    boot += b"\x66\xb8\x10\x00\x8e\xd8\x8e\xc0\x8e\xd0\x8e\xe0\x8e\xe8"  # data selectors
    boot += b"\xbc\x00\x00\x09\x00"                           # mov esp, 0x90000
    if paging:
        # A page directory at BASE+0x2000: the first 16 MiB identity-mapped by 4 MiB pages,
        # and 32-36 MiB an alias of 0-4 MiB through a page table at BASE+0x3000 (4 KiB
        # pages), all user-accessible; the random code may rewrite both.
        pd, pt = BASE + 0x2000, BASE + 0x3000
        for i in range(4):
            img[0x2000 + 4 * i:0x2004 + 4 * i] = struct.pack("<I", (i << 22) | 0x87)
        img[0x2000 + 4 * 8:0x2004 + 4 * 8] = struct.pack("<I", pt | 0x07)
        for i in range(1024):
            img[0x3000 + 4 * i:0x3004 + 4 * i] = struct.pack("<I", (i << 12) | 0x07)
        boot += b"\xb8" + struct.pack("<I", pd) + b"\x0f\x22\xd8"   # mov eax, pd; mov cr3, eax
        boot += b"\x0f\x20\xe0\x83\xc8\x10\x0f\x22\xe0"          # cr4 |= PSE
        boot += b"\x0f\x20\xc0\x0d\x00\x00\x00\x80\x0f\x22\xc0"  # cr0 |= PG
    if ring3:
        boot += b"\x66\xb8\x28\x00\x0f\x00\xd8"              # mov ax, 0x28; ltr ax
    first = handler_at if ring3 else chunks
    boot += b"\xe9" + struct.pack("<i", first - (code_at + len(boot) + 5))
    img[0x40:0x40 + len(boot)] = boot
    h = user_handler(counter, chunks) if ring3 else handler(counter, chunks)
    img[0xA10:0xA10 + len(h)] = h
    for i in range(CHUNKS):
        img[0x1000 + i * CHUNK:0x1000 + (i + 1) * CHUNK] = bytes(
            rnd.getrandbits(8) for _ in range(CHUNK))
    return multiboot_elf(img, code_at)


def multiboot_elf(img, entry):
    """An ELF of one segment: `img` loaded at BASE (its memory 64 KiB longer, zeroed),
    entered at `entry`; `img` starts with the Multiboot header."""
    ehdr = b"\x7fELF" + bytes([1, 1, 1, 0]) + b"\x00" * 8 + struct.pack(
        "<HHIIIIIHHHHHH", 2, 3, 1, entry, 52, 0, 0, 52, 32, 1, 40, 0, 0)
    phdr = struct.pack("<IIIIIIII", 1, 0x1000, BASE, BASE, len(img), len(img) + 0x10000, 7,
                       0x1000)
    head = ehdr + phdr
    return head + b"\x00" * (0x1000 - len(head)) + bytes(img)


# --- The PV stub (--mode pv boots only kernels with the vmlab PV note, docs/pv-abi.md) ---
HYPERCALL = b"\xcd\x82"                             # int 0x82
PV_RING1_CS, PV_RING1_DS = 0x09, 0x11


def pv_handler(counter, chunks, ring3):
    """The handler of the PV stub, in ring 1: the monitor bounces every exception and INT n
    here (its trap table names it for all vectors but the hypercall's); it resets the stack
    and the data segments and enters the next chunk, in ring 1 or with IRET in ring 3;
    after the last one, sched_op shutdown(0) (ring 1 has no port I/O and no HLT)."""
    h = (b"\xbc\x00\x00\x09\x00"                     # mov esp, 0x90000
         + b"\x66\xb8\x11\x00\x8e\xd8\x8e\xc0"       # mov ax, 0x11; mov ds, ax; mov es, ax
         + b"\xa1" + struct.pack("<I", counter)      # mov eax, [counter]
         + b"\x40"                                   # inc eax
         + b"\xa3" + struct.pack("<I", counter)      # mov [counter], eax
         + b"\x3d" + struct.pack("<I", CHUNKS)       # cmp eax, CHUNKS
         + (b"\x73\x27" if ring3 else b"\x73\x0d")  # jae done
         + b"\x69\xc0" + struct.pack("<I", CHUNK)    # imul eax, eax, CHUNK
         + b"\x05" + struct.pack("<I", chunks))      # add eax, chunks
    if ring3:
        h += (b"\x6a\x23"                            # push 0x23 (SS: the PV user data)
              + b"\x68\x00\xf0\x08\x00"                # push 0x8f000 (ESP)
              + b"\x68\x02\x02\x00\x00"                # push 0x202 (EFLAGS, IF)
              + b"\x6a\x1b"                          # push 0x1b (CS: the PV user code)
              + b"\x50"                              # push eax (EIP)
              + b"\x66\xb9\x23\x00\x8e\xd9\x8e\xc1\x8e\xe1\x8e\xe9"  # user data selectors
              + b"\xcf")                             # iret
    else:
        h += b"\xff\xe0"                             # jmp eax
    return (h + b"\xb8\x1d\x00\x00\x00"               # done: mov eax, 29 (sched_op)
            + b"\xbb\x02\x00\x00\x00"                 # mov ebx, 2 (SCHEDOP_shutdown)
            + b"\x31\xc9" + HYPERCALL                 # xor ecx, ecx (status 0); int 0x82
            + b"\xeb\xfe")                            # jmp $


def pv_kernel(seed, ring3=False):
    """The same 64 random chunks as kernel(seed, ring3), for --mode pv: an ELF with the
    vmlab PV note (type 1, ABI version 1) that follows the PV entry protocol (ring 1,
    paging on, ESI = the start-info page; docs/pv-abi.md, "Boot"). It registers one
    handler for every vector but the hypercall's (set_trap_table; DPL 3, so any INT n is
    allowed) and its ring-1 stack (stack_switch), and with ring3 makes the chunks' page and
    the user stack user-accessible (mmu_update on the directory entry, update_va_mapping
    on the pages, machine frames from the P2M the start-info page names). The random code
    runs where the other modes run it and may make hypercalls of its own. A PV guest cannot
    load page tables of its own, so there is no paging variant."""
    rnd = random.Random(seed)
    img = bytearray(0x1000 + CHUNKS * CHUNK)
    magic, flags = 0x1BADB002, 0x3
    img[0:12] = struct.pack("<III", magic, flags, (-(magic + flags)) & 0xFFFFFFFF)
    code_at, table_at = BASE + 0x40, BASE + 0x200
    counter, handler_at, chunks = BASE + 0xA00, BASE + 0xA10, BASE + 0x1000
    # The trap table: 255 entries {vector, flags (DPL 3), cs, handler} and the terminator.
    entries = [v for v in range(256) if v != 0x82]
    for i, v in enumerate(entries):
        img[0x200 + 8 * i:0x208 + 8 * i] = struct.pack("<BBHI", v, 3, PV_RING1_CS, handler_at)
    assert 0x200 + 8 * (len(entries) + 1) <= 0xA00
    boot = b"\xbc\x00\x00\x09\x00"                            # mov esp, 0x90000
    boot += b"\xb8\x00\x00\x00\x00\xbb" + struct.pack("<I", table_at) + HYPERCALL
    boot += (b"\xb8\x03\x00\x00\x00\xbb" + struct.pack("<I", PV_RING1_DS)  # stack_switch
             + b"\xb9\x00\x00\x09\x00" + HYPERCALL)
    if ring3:
        boot += b"\x8b\x7e\x20"              # mov edi, [esi+32]: the P2M (pfn -> mfn)
        boot += b"\x8b\x6e\x2c"              # mov ebp, [esi+44]: the page directory
        boot += (b"\x8b\x45\x00\x83\xc8\x04\x50"  # push [ebp] | U: directory entry 0
                 + b"\x89\xe8\x2d\x00\x00\x00\xc0\xc1\xe8\x0c"  # its pfn
                 + b"\x8b\x04\x87\xc1\xe0\x0c\x50"  # push its machine address
                 + b"\x89\xe3\xb9\x01\x00\x00\x00\x31\xd2"  # mmu_update(esp, 1, 0)
                 + b"\xb8\x01\x00\x00\x00" + HYPERCALL + b"\x83\xc4\x08")
        for page in (0x8E000, chunks & ~0xFFF):  # the user stack, the chunks
            boot += (b"\x8b\x87" + struct.pack("<I", (page >> 12) * 4)  # mov eax, [edi+pfn*4]
                     + b"\xc1\xe0\x0c\x83\xc8\x07\x89\xc1"  # ecx = mfn << 12 | P | W | U
                     + b"\xbb" + struct.pack("<I", page)  # ebx = va
                     + b"\xba\x01\x00\x00\x00"  # edx = UVMF_TLB_FLUSH
                     + b"\xb8\x0e\x00\x00\x00" + HYPERCALL)  # update_va_mapping
        img[0xA00:0xA04] = struct.pack("<I", 0xFFFFFFFF)  # the handler enters chunk 0
    first = handler_at if ring3 else chunks
    boot += b"\xe9" + struct.pack("<i", first - (code_at + len(boot) + 5))
    img[0x40:0x40 + len(boot)] = boot
    assert 0x40 + len(boot) <= 0x200
    h = pv_handler(counter, chunks, ring3)
    img[0xA10:0xA10 + len(h)] = h
    for i in range(CHUNKS):
        img[0x1000 + i * CHUNK:0x1000 + (i + 1) * CHUNK] = bytes(
            rnd.getrandbits(8) for _ in range(CHUNK))
    note = struct.pack("<III", 6, 4, 1) + b"vmlab\x00\x00\x00" + struct.pack("<I", 1)
    ehdr = b"\x7fELF" + bytes([1, 1, 1, 0]) + b"\x00" * 8 + struct.pack(
        "<HHIIIIIHHHHHH", 2, 3, 1, code_at, 52, 0, 0, 52, 32, 2, 40, 0, 0)
    note_at = 52 + 2 * 32
    phdr = struct.pack("<IIIIIIII", 1, 0x1000, BASE, BASE, len(img), len(img) + 0x10000, 7,
                       0x1000)
    phdr += struct.pack("<IIIIIIII", 4, note_at, 0, 0, len(note), len(note), 4, 4)
    head = ehdr + phdr + note
    return head + b"\x00" * (0x1000 - len(head)) + bytes(img)


def run(vmlab, mode_args, path, budget, out):
    args = [vmlab, "run", "--max-instructions", str(budget), "--memory", "16", "--out", out,
            *mode_args, path]
    p = subprocess.run(args, capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
    stats = open(os.path.join(out, "stats.json")).read() if os.path.exists(
        os.path.join(out, "stats.json")) else ""
    # The wall time differs from run to run; everything else must not.
    lines = [l for l in stats.splitlines() if "wall" not in l]
    return p.returncode, p.stdout, p.stderr.decode(errors="replace"), lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vmlab", required=True)
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--first", type=int, default=1)
    ap.add_argument("--budget", type=int, default=200000)
    ap.add_argument("--ring3", action="store_true", help="run the chunks at CPL 3")
    ap.add_argument("--paging", action="store_true", help="turn paging on first")
    ap.add_argument("--rich", action="store_true", help="rich_code.py's kernels")
    a = ap.parse_args()
    if a.rich:
        import rich_code
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(a.first, a.first + a.seeds):
            path = os.path.join(tmp, f"random{seed}.elf")
            with open(path, "wb") as f:
                f.write(rich_code.kernel(seed, a.ring3, a.paging) if a.rich
                        else kernel(seed, a.ring3, a.paging))
            pv_path = os.path.join(tmp, f"random{seed}-pv.elf")
            with open(pv_path, "wb") as f:
                f.write(rich_code.pv_kernel(seed) if a.rich and a.ring3
                        else rich_code.with_chunks(pv_kernel(seed, False),
                                                   rich_code.chunks(seed, pv=True))
                        if a.rich else pv_kernel(seed, a.ring3))
            line = []
            for name, mode_args in MODES.items():
                if name == "pv" and a.paging:
                    continue  # a PV guest has no page tables of its own to turn on
                image = pv_path if name == "pv" else path
                try:
                    rc1, out1, err1, st1 = run(a.vmlab, mode_args, image, a.budget,
                                               os.path.join(tmp, f"{seed}-{name}-1"))
                    rc2, out2, _, st2 = run(a.vmlab, mode_args, image, a.budget,
                                            os.path.join(tmp, f"{seed}-{name}-2"))
                except subprocess.TimeoutExpired:
                    print(f"FAIL seed {seed} {name}: timeout")
                    failures += 1
                    continue
                if rc1 not in ALLOWED:
                    print(f"FAIL seed {seed} {name}: status {rc1}: {err1.strip()[-300:]}")
                    failures += 1
                elif (rc1, out1, st1) != (rc2, out2, st2):
                    print(f"FAIL seed {seed} {name}: two runs differ")
                    failures += 1
                line.append(f"{name}={rc1}")
            print(f"seed {seed}: " + " ".join(line))
    if failures:
        print(f"{failures} failure(s)")
        return 1
    where = ("ring 3" if a.ring3 else "ring 0") + (", paging" if a.paging else "")
    print(f"PASS: {a.seeds} random kernels ({where}), {len(MODES)} modes, each twice")
    return 0


if __name__ == "__main__":
    sys.exit(main())
