#!/usr/bin/env python3
"""Random device programming in every mode: no crash, no internal error, no hang.

Each kernel is a Multiboot ELF whose code is a sequence of blocks, each one device
operation the seed picks: port writes and reads of every size to every device vmlab
attaches (PICs, PIT, i8042, port A and B, CMOS, the UART, the CGA CRTC, PCI configuration,
fw_cfg, the ATA channel and its bus master), and now and then to any port; REP INS/OUTS
with counts and buffers anywhere (beyond RAM, the hole, wrapping at 4 GiB, either
direction); local and I/O APIC MMIO of every size and alignment; ATA command sequences
with PIO and bus-master DMA whose descriptor tables point anywhere; PCI BARs moved onto
other devices' ports; and STI;HLT with the PIT and PICs in whatever state the previous
blocks left. Every exception and interrupt goes to one handler that acknowledges the PICs
and the local APIC and continues with the next block; after the last block it writes the
exit port. A disk image of a random size (random bytes) is attached.

vmlab must end every run with one of its documented statuses (docs/cli.md), never a
signal, status 70 (internal error) or a timeout, and each mode runs each kernel twice and
must give the same console, status, counts and disk (determinism). By default modes are
not compared with each other: the PIT and RTC read the modeled clock, whose pace differs
by mode.

With --timeless the kernels leave out what reads the modeled clock (PIT, port B, RTC
time, the local APIC's timer, STI and HLT), and every mode must then give native's
status, console and disk image: a difference is a monitor that emulated a device access
differently.

With --paging the kernel turns paging on first: the first 16 MiB and the top 64 MiB by
4 MiB pages, and 4 MiB at 16 MiB through a page table of random entries (RAM, the APICs'
pages, frames past RAM, absent ones) that some blocks rewrite, with or without INVLPG;
the random buffers lie there a third of the time, so the monitors' shadow and nested
paging meet device pages through aliases. With --ring3 the blocks run at CPL 3 with IOPL
3: the monitors emulate user-mode port I/O, string I/O and APIC accesses with user rights
(the classic CPU is then left out of the --timeless agreement: its kernel's IRET to ring 3
cannot set IOPL from ring 1, a Popek-Goldberg hole).

  device_fuzz.py --vmlab build/cli/vmlab [--seeds 8] [--first 1] [--budget 2000000]
                 [--timeless] [--paging] [--ring3] [--modes native,trap,...]
"""
import argparse
import os
import random
import struct
import subprocess
import sys
import tempfile

import random_code
from random_code import ALLOWED, MODES

BASE = 0x100000
BLOCKS = 400
COUNTER = BASE + 0x800
TABLE = BASE + 0x1000          # BLOCKS addresses
PRD = BASE + 0x1800            # a bus-master descriptor table the blocks fill
HANDLER = BASE + 0x900
CODE = BASE + 0x4000
PD = BASE + 0x2000             # --paging: the page directory and one page table
PT = BASE + 0x3000
ALIAS = 0x01000000             # --paging: the 4 MiB the page table maps (PT_FRAMES)
BUFFER = 0x200000              # 1 MiB of scratch RAM the operations mostly use
MEMORY_MIB = 16              # the memory random_code.run gives the guest (--memory 16)

PORTS = ([0x20, 0x21, 0xA0, 0xA1, 0x40, 0x41, 0x42, 0x43, 0x60, 0x64, 0x61, 0x70, 0x71,
          0x80, 0x92, 0xE9, 0x3D4, 0x3D5, 0xCF8, 0xCFC, 0xCFD, 0xCFE, 0xCFF, 0x510, 0x511,
          0x3F6] + list(range(0x1F0, 0x1F8)) + list(range(0x3F8, 0x400))
         + list(range(0xC000, 0xC010)))
# Ports whose write ends or resets the machine: rare, so that most runs go far.
ENDERS = [0xF4, 0xF5, 0xF6, 0xF7, 0x92, 0x64, 0xCF9]
# What reads the modeled clock: the PIT, port B's refresh and OUT2 bits, the RTC. The
# --timeless kernels leave these out (and the local APIC's timer, STI and HLT), so that
# every mode must print the same console and leave the same disk.
TIMED = [0x40, 0x41, 0x42, 0x43, 0x61, 0x70, 0x71]
TIMELESS = False   # set by kernel()
PAGING = False     # set by kernel()


def ports(r):
    return [p for p in PORTS if p not in TIMED] if TIMELESS else PORTS


def u32(v):
    return struct.pack("<I", v & 0xFFFFFFFF)


def u16(v):
    return struct.pack("<H", v & 0xFFFF)


def out(port, value, size):
    code = b"\xba" + u32(port) + b"\xb8" + u32(value)   # mov edx, port; mov eax, value
    return code + {1: b"\xee", 2: b"\x66\xef", 4: b"\xef"}[size]


def inp(port, size):
    # in; then the low byte to the debug console, so reads shape the console
    code = b"\xba" + u32(port) + {1: b"\xec", 2: b"\x66\xed", 4: b"\xed"}[size]
    return code + b"\xe6\xe9"                            # out 0xe9, al


def mmio_write(addr, value, size):
    return {1: b"\xc6\x05" + u32(addr) + bytes([value & 0xFF]),
            2: b"\x66\xc7\x05" + u32(addr) + u16(value),
            4: b"\xc7\x05" + u32(addr) + u32(value)}[size]


def mmio_read(addr, size):
    return {1: b"\xa0", 2: b"\x66\xa1", 4: b"\xa1"}[size] + u32(addr) + b"\xe6\xe9"


def anywhere(r):
    """A linear address (guest-physical without --paging): mostly the scratch buffer."""
    if PAGING and r.randrange(3) == 0:
        return ALIAS + r.randrange(0x400000)
    k = r.randrange(10)
    if k < 6:
        return BUFFER + r.randrange(0x100000)
    if k == 6:
        return MEMORY_MIB * 0x100000 - r.randrange(0x2000)     # the end of RAM
    if k == 7:
        return r.choice([0xFEE00000, 0xFEC00000, 0xFC000000, 0xFFFFF000]) + r.randrange(0x1000)
    if k == 8:
        return r.getrandbits(32)
    return r.randrange(0x1000, 0x9F000)                       # low memory (the stack is here)


def string_io(r):
    size = r.choice([1, 2, 4])
    port = r.choice([p for p in ports(r) if p not in ENDERS])   # OUTS writes memory's bytes
    count = r.choice([1, 2, 7, 256, 4096, r.randrange(1, 70000)])
    code = b"\xba" + u32(port) + b"\xb9" + u32(count)
    code += b"\xfd" if r.randrange(4) == 0 else b"\xfc"          # std / cld
    addr = anywhere(r)
    if r.randrange(2):
        code += b"\xbf" + u32(addr) + b"\xf3" + (b"\x66\x6d" if size == 2 else
                                                 b"\x6c" if size == 1 else b"\x6d")
    else:
        code += b"\xbe" + u32(addr) + b"\xf3" + (b"\x66\x6f" if size == 2 else
                                                 b"\x6e" if size == 1 else b"\x6f")
    return code + b"\xfc"


def ata(r):
    """A command sequence on the primary channel, PIO or DMA."""
    code = out(0x3F6, r.choice([0, 2, 4, 0]), 1) if r.randrange(4) == 0 else b""
    code += out(0x1F6, r.choice([0xE0, 0xF0, 0xA0, r.getrandbits(8)]), 1)
    code += out(0x1F2, r.choice([0, 1, 2, 8, r.getrandbits(8)]), 1)
    for port in (0x1F3, 0x1F4, 0x1F5):
        code += out(port, r.choice([0, 1, 0xFF, r.getrandbits(8)]), 1)
    command = r.choice([0x20, 0x30, 0xC8, 0xCA, 0xEC, 0xE7, 0x91, 0xEF, 0xC6, 0xC4, 0xC5,
                        0x40, 0x08, r.getrandbits(8)])
    if command in (0xC8, 0xCA) or r.randrange(5) == 0:
        # a descriptor table of 1-4 entries anywhere, maybe without its end bit
        entries = r.randrange(1, 5)
        for i in range(entries):
            last = 0x80000000 if i == entries - 1 and r.randrange(4) else 0
            code += mmio_write(PRD + 8 * i, anywhere(r), 4)
            code += mmio_write(PRD + 8 * i + 4, r.choice([0, 2, 512, 0xFFFF, r.getrandbits(16)])
                               | last, 4)
        table = PRD if r.randrange(4) else anywhere(r)
        code += out(0xC004, table, 4)
        code += out(0xC002, 0x06, 1)                            # clear error and interrupt
    code += out(0x1F7, command, 1)
    if command in (0xC8, 0xCA):
        code += out(0xC000, 0x09 if command == 0xC8 else 0x01, 1)   # start, direction
    for _ in range(r.randrange(4)):
        code += inp(r.choice([0x1F7, 0x1F0, 0xC002, 0x3F6]), r.choice([1, 2, 4]))
    if r.randrange(3) == 0:
        code += string_io_on(r, 0x1F0)
    return code


def string_io_on(r, port):
    size = r.choice([2, 4, 1])
    count = r.choice([256, 128, 512, r.randrange(1, 3000)])
    code = b"\xba" + u32(port) + b"\xb9" + u32(count) + b"\xfc"
    if r.randrange(2):
        code += b"\xbf" + u32(anywhere(r)) + b"\xf3" + (b"\x66\x6d" if size == 2 else
                                                        b"\x6c" if size == 1 else b"\x6d")
    else:
        code += b"\xbe" + u32(anywhere(r)) + b"\xf3" + (b"\x66\x6f" if size == 2 else
                                                        b"\x6e" if size == 1 else b"\x6f")
    return code


def pci(r):
    device = r.choice([(0, 0), (1, 0), (1, 1), (r.randrange(32), r.randrange(8))])
    reg = r.choice([0x00, 0x04, 0x10, 0x20, 0x3C, 0x40, r.randrange(0, 256, 4)])
    address = 0x80000000 | device[0] << 11 | device[1] << 8 | reg
    code = out(0xCF8, address, 4)
    if r.randrange(2):
        # BAR4 of the bus master onto other devices' ports, or anywhere
        value = r.choice([0x1F1, 0x3F9, 0xCF9, 0xE9, 0xF5, 0x21, 0x511, 0xFFFF,
                          r.getrandbits(32)]) if reg == 0x20 else r.getrandbits(32)
        code += out(0xCFC + (reg & 3), value, r.choice([1, 2, 4]))
    else:
        code += inp(0xCFC + r.randrange(4), r.choice([1, 2, 4]))
    return code


def apic(r):
    base = r.choice([0xFEE00000, 0xFEC00000])
    offset = r.choice([0x00, 0x10, 0x20, 0x80, 0xB0, 0xF0, 0x280, 0x300, 0x310, 0x320, 0x350,
                       0x360, 0x370, 0x380, 0x390, 0x3E0, r.randrange(0x1000)])
    if TIMELESS and base == 0xFEE00000 and 0x380 <= offset < 0x3F0:
        offset = 0x80     # the timer's registers: the TPR instead
    size = r.choice([4, 4, 1, 2])
    if r.randrange(3):
        value = r.choice([r.getrandbits(32), 0x100 | r.randrange(256), 0x4000 | r.randrange(256),
                          0xC4400, 0x400, 0x10000 | r.randrange(256)])
        return mmio_write(base + offset, value, size)
    return mmio_read(base + offset, size)


def interrupts(r):
    code = b""
    if TIMELESS:    # a PIC reprogrammed or unmasked, and interrupts left off
        pic = r.choice([0x20, 0xA0])
        code += out(pic, 0x11, 1) + out(pic + 1, r.choice([0x20, 0x28, r.getrandbits(8)]), 1)
        code += out(pic + 1, r.choice([4, 2]), 1) + out(pic + 1, r.choice([1, 3]), 1)
        return code + out(pic + 1, r.getrandbits(8), 1) + out(pic, r.choice([0x0A, 0x0B]), 1) + \
            inp(pic, 1)
    if r.randrange(2):          # the PIT: a random mode and count
        code += out(0x43, r.choice([0x34, 0x36, 0x30, 0x14, r.getrandbits(8)]), 1)
        code += out(0x40, r.getrandbits(8), 1) + out(0x40, r.getrandbits(8), 1)
    if r.randrange(3) == 0:     # reprogram a PIC, or unmask it
        pic = r.choice([0x20, 0xA0])
        code += out(pic, 0x11, 1) + out(pic + 1, r.choice([0x20, 0x28, 0x08, r.getrandbits(8)]), 1)
        code += out(pic + 1, r.choice([4, 2]), 1) + out(pic + 1, r.choice([1, 3]), 1)
    code += out(r.choice([0x21, 0xA1]), r.getrandbits(8), 1)
    # a wake-up on its way, or HLT would end the run: the PIT's IRQ 0 unmasked at vector
    # 0x20, through the local APIC's virtual wire (enabled, LINT0 ExtINT)
    code += out(0x20, 0x11, 1) + out(0x21, 0x20, 1) + out(0x21, 4, 1) + out(0x21, 1, 1)
    code += out(0x21, 0xFE, 1) + out(0x43, 0x34, 1) + out(0x40, 0x00, 1)
    code += out(0x40, r.choice([0x01, 0x10, 0x40]), 1)
    code += mmio_write(0xFEE000F0, 0x1FF, 4) + mmio_write(0xFEE00350, 0x700, 4)
    return code + b"\xfb\xf4\xfa"                     # sti; hlt; cli


def pte(r):
    """A page-table entry for the alias: RAM, the APICs' pages, nothing, or absent."""
    frame = r.choice([BUFFER + r.randrange(0x100) * 0x1000, 0xFEC00000, 0xFEE00000,
                      MEMORY_MIB * 0x100000 + r.randrange(16) * 0x1000, 0xFFFFF000,
                      0xFC000000 + r.randrange(0x4000) * 0x1000, r.getrandbits(20) << 12])
    return frame | r.choice([0x7, 0x7, 0x3, 0x5, 0x1, 0x0, 0x67, r.getrandbits(12)])


def remap(r):
    """--paging: rewrite alias entries, then INVLPG them (or not), or reload CR3."""
    code = b""
    for _ in range(r.randrange(1, 4)):
        i = r.randrange(1024)
        code += mmio_write(PT + 4 * i, pte(r), 4)
        if r.randrange(3):
            code += b"\x0f\x01\x3d" + u32(ALIAS + i * 0x1000)     # invlpg [alias page]
    if r.randrange(4) == 0:
        code += b"\x0f\x20\xd8\x0f\x22\xd8"                    # mov eax, cr3; mov cr3, eax
    return code


def block(r):
    if PAGING and r.randrange(8) == 0:
        return remap(r)
    k = r.randrange(100)
    if k < 25:
        size = r.choice([1, 1, 2, 4])
        port = r.choice(ports(r)) if r.randrange(8) else r.getrandbits(16)
        if TIMELESS and port in TIMED:
            port = 0x80
        if r.randrange(2) and port not in ENDERS:
            return out(port, r.getrandbits(32), size)
        return inp(port, size)
    if k < 35:
        return string_io(r)
    if k < 55:
        return ata(r)
    if k < 65:
        return pci(r)
    if k < 80:
        return apic(r)
    if k < 92:
        return interrupts(r)
    if k < 96:    # CMOS: any index, NMI mask bit included, then data
        index = r.getrandbits(8)
        if TIMELESS:
            index = (index & 0x80) | r.randrange(0x0E, 0x80)   # RAM only, not the clock
        return out(0x70, index, 1) + (out(0x71, r.getrandbits(8), 1)
                                      if r.randrange(2) else inp(0x71, 1))
    if k < 99 or r.randrange(40):    # fw_cfg: a selector, then reads
        return out(0x510, r.getrandbits(16), 2) + b"".join(
            inp(0x511, 1) for _ in range(r.randrange(1, 5)))
    # reset paths: port A, the 8042's pulse, CF9: rare
    return r.choice([out(0x92, 1, 1), out(0x64, 0xFE, 1), out(0xCF9, 0x06, 1)])


def handler():
    return (b"\xbc\x00\x00\x09\x00"                    # mov esp, 0x90000
            + b"\xb0\x20\xe6\x20\xe6\xa0"              # mov al, 0x20; out 0x20, al; out 0xa0, al
            + b"\xa1" + u32(COUNTER)                   # mov eax, [counter]
            + b"\x40"                                  # inc eax
            + b"\x3d" + u32(BLOCKS)                    # cmp eax, BLOCKS
            + b"\x73\x07"                              # jae done
            + b"\xff\x24\x85" + u32(TABLE)             # jmp [TABLE + eax*4]
            + b"\xb0\x00\xe6\xf4"                      # done: mov al, 0; out 0xf4, al
            + b"\xf4\xeb\xfd")                         # hlt; jmp $-1


def user_handler(eflags):
    """--ring3: every block is entered with IRET at CPL 3 (IOPL 3, so port I/O, CLI and STI
    run there), and every exception or interrupt comes back to ring 0 through the TSS."""
    return (b"\xbc\x00\x00\x09\x00"                    # mov esp, 0x90000
            + b"\x66\xb8\x10\x00\x8e\xd8\x8e\xc0"      # mov ax, 0x10; mov ds, ax; mov es, ax
            + b"\xb0\x20\xe6\x20\xe6\xa0"              # mov al, 0x20; out 0x20, al; out 0xa0, al
            + b"\xa1" + u32(COUNTER)                   # mov eax, [counter]
            + b"\x40"                                  # inc eax
            + b"\xa3" + u32(COUNTER)                   # mov [counter], eax
            + b"\x3d" + u32(BLOCKS)                    # cmp eax, BLOCKS
            + b"\x73\x23"                              # jae done
            + b"\x8b\x04\x85" + u32(TABLE)             # mov eax, [TABLE + eax*4]
            + b"\x6a\x23"                              # push 0x23 (SS)
            + b"\x68" + u32(0x8F000)                   # push 0x8f000 (ESP)
            + b"\x68" + u32(eflags)                    # push EFLAGS
            + b"\x6a\x1b"                              # push 0x1b (CS)
            + b"\x50"                                  # push eax (EIP)
            + b"\x66\xb9\x23\x00\x8e\xd9\x8e\xc1\x8e\xe1\x8e\xe9"  # user data selectors
            + b"\xcf"                                  # iret
            + b"\xb0\x00\xe6\xf4"                      # done: mov al, 0; out 0xf4, al
            + b"\xf4\xeb\xfd")                         # hlt; jmp $-1


def kernel(seed, timeless=False, paging=False, ring3=False):
    global TIMELESS, PAGING
    TIMELESS, PAGING = timeless, paging
    r = random.Random(seed)
    blocks = [mmio_write(COUNTER, i, 4) + block(r) for i in range(BLOCKS)]
    blocks.append(b"\xb0\x00\xe6\xf4\xf4\xeb\xfd")   # the end: out 0xf4; hlt
    size = CODE - BASE + sum(len(b) for b in blocks)
    img = bytearray(size)
    magic, flags = 0x1BADB002, 0x3
    img[0:12] = struct.pack("<III", magic, flags, (-(magic + flags)) & 0xFFFFFFFF)
    code_at, gdt_at, idt_at = BASE + 0x40, BASE + 0x100, BASE + 0x200
    gdt = struct.pack("<QQQ", 0, 0x00CF9A000000FFFF, 0x00CF92000000FFFF)
    tss_at = BASE + 0xC00
    if ring3:
        tss_desc = 103 | (tss_at & 0xFFFFFF) << 16 | 0x89 << 40 | (tss_at >> 24) << 56
        gdt += struct.pack("<QQQ", 0x00CFFA000000FFFF, 0x00CFF2000000FFFF, tss_desc)
        img[0xC04:0xC0C] = struct.pack("<II", 0x90000, 0x10)    # ESP0, SS0
        img[0xC66:0xC68] = struct.pack("<H", 104)               # no I/O bitmap: IOPL decides
        img[COUNTER - BASE:COUNTER - BASE + 4] = u32(0xFFFFFFFF)  # the handler enters block 0
    img[0x100:0x100 + len(gdt)] = gdt
    for v in range(64):
        img[0x200 + 8 * v:0x208 + 8 * v] = struct.pack("<HHBBH", HANDLER & 0xFFFF, 0x08, 0, 0x8E,
                                                       HANDLER >> 16)
    img[0xF0:0xF6] = struct.pack("<HI", len(gdt) - 1, gdt_at)
    img[0xF8:0xFE] = struct.pack("<HI", 64 * 8 - 1, idt_at)
    at = CODE
    for i, b in enumerate(blocks):
        if i < BLOCKS:
            img[TABLE - BASE + 4 * i:TABLE - BASE + 4 * i + 4] = u32(at)
        img[at - BASE:at - BASE + len(b)] = b
        at += len(b)
    boot = b"\x0f\x01\x15" + u32(BASE + 0xF0)        # lgdt
    boot += b"\x0f\x01\x1d" + u32(BASE + 0xF8)       # lidt
    boot += b"\xea" + struct.pack("<IH", code_at + len(boot) + 7, 0x08)  # ljmp 8:next
    boot += b"\x66\xb8\x10\x00\x8e\xd8\x8e\xc0\x8e\xd0\x8e\xe0\x8e\xe8"  # data selectors
    boot += b"\xbc\x00\x00\x09\x00"                  # mov esp, 0x90000
    if timeless:    # the PIT's counter 0 in mode 1, whose gate never rises: no more edges
        boot += out(0x43, 0x32, 1) + out(0x40, 0, 1) + out(0x40, 0, 1)
    if paging:
        # 4 MiB pages: the first 16 MiB and the top 64 MiB identity-mapped, and ALIAS through
        # one page table of random entries (pte()), which remap() blocks rewrite
        for i in list(range(4)) + list(range(1008, 1024)):
            img[PD - BASE + 4 * i:PD - BASE + 4 * i + 4] = u32((i << 22) | 0x87)
        img[PD - BASE + 4 * (ALIAS >> 22):PD - BASE + 4 * (ALIAS >> 22) + 4] = u32(PT | 0x07)
        for i in range(1024):
            img[PT - BASE + 4 * i:PT - BASE + 4 * i + 4] = u32(pte(r))
        boot += b"\xb8" + u32(PD) + b"\x0f\x22\xd8"                # mov eax, PD; mov cr3, eax
        boot += b"\x0f\x20\xe0\x83\xc8\x10\x0f\x22\xe0"          # cr4 |= PSE
        boot += b"\x0f\x20\xc0\x0d\x00\x00\x00\x80\x0f\x22\xc0"  # cr0 |= PG
    if ring3:
        boot += b"\x66\xb8\x28\x00\x0f\x00\xd8"              # mov ax, 0x28; ltr ax
    first = HANDLER if ring3 else CODE
    boot += b"\xe9" + struct.pack("<i", first - (code_at + len(boot) + 5))
    img[0x40:0x40 + len(boot)] = boot
    h = user_handler(0x3002 if timeless else 0x3202) if ring3 else handler()
    img[HANDLER - BASE:HANDLER - BASE + len(h)] = h
    return random_code.multiboot_elf(img, code_at)


def disk(seed):
    r = random.Random(seed * 7919 + 1)
    size = 512 * r.choice([1, 2, 3, 8, 128])  # vmlab refuses other sizes (exit 83)
    return bytes(r.getrandbits(8) for _ in range(size))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vmlab", required=True)
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--first", type=int, default=1)
    ap.add_argument("--budget", type=int, default=2000000)
    ap.add_argument("--modes", default=",".join(m for m in MODES if m != "pv"),
                    help="comma-separated (pv has no port access to these devices)")
    ap.add_argument("--paging", action="store_true",
                    help="turn paging on, with a page table of random entries (RAM, the "
                    "APICs' pages, nothing) that blocks rewrite")
    ap.add_argument("--ring3", action="store_true",
                    help="run the blocks at CPL 3 with IOPL 3 (port I/O, CLI and STI there)")
    ap.add_argument("--timeless", action="store_true",
                    help="leave out what reads the modeled clock, and require every mode to "
                    "give native's status, console and disk")
    a = ap.parse_args()
    modes = a.modes.split(",")
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(a.first, a.first + a.seeds):
            path = os.path.join(tmp, f"devices{seed}.elf")
            with open(path, "wb") as f:
                f.write(kernel(seed, a.timeless, a.paging, a.ring3))
            line, first = [], None
            for name in modes:
                image = os.path.join(tmp, f"disk{seed}-{name}.img")
                results, disks = [], []
                try:
                    for attempt in (1, 2):
                        with open(image, "wb") as f:   # DMA and PIO writes change it: afresh
                            f.write(disk(seed))
                        results.append(random_code.run(
                            a.vmlab, [*MODES[name], "--disk", image], path, a.budget,
                            os.path.join(tmp, f"{seed}-{name}-{attempt}")))
                        with open(image, "rb") as f:
                            disks.append(f.read())
                except subprocess.TimeoutExpired:
                    print(f"FAIL seed {seed} {name}: timeout")
                    failures += 1
                    continue
                (rc1, out1, err1, st1), (rc2, out2, _, st2) = results
                if rc1 not in ALLOWED:
                    print(f"FAIL seed {seed} {name}: status {rc1}: {err1.strip()[-300:]}")
                    failures += 1
                elif (rc1, out1, st1, disks[0]) != (rc2, out2, st2, disks[1]):
                    print(f"FAIL seed {seed} {name}: two runs differ")
                    failures += 1
                elif a.timeless and not (a.ring3 and name == "trap-classic"):
                    # (the classic CPU with --ring3: the kernel's IRET to ring 3 runs in
                    # ring 1, where the processor drops its IOPL 3 without a trap, so user
                    # port I/O faults: a Popek-Goldberg hole, docs/modes/trap-and-emulate.md)
                    if first is None:
                        first = (name, rc1, out1, disks[0])
                    elif (rc1, out1, disks[0]) != first[1:]:
                        what = [w for w, x, y in (("status", rc1, first[1]),
                                                  ("console", out1, first[2]),
                                                  ("disk", disks[0], first[3])) if x != y]
                        print(f"FAIL seed {seed} {name}: {', '.join(what)} differ from "
                              f"{first[0]}'s")
                        failures += 1
                line.append(f"{name}={rc1}")
            print(f"seed {seed}: " + " ".join(line), flush=True)
    if failures:
        print(f"{failures} failure(s)")
        return 1
    what = "timeless device-programming kernels" if a.timeless else "device-programming kernels"
    agree = ", all agreeing" if a.timeless else ""
    print(f"PASS: {a.seeds} {what}, {len(modes)} modes, each twice{agree}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
