"""The wider random guests (issue 12, item 6): kernels that real kernels resemble.

random_code.py's kernels (--rich there and in differential.py) with the same frame (the
same layout, handler protocol, chunk addresses and register dump), but
  - an environment a real kernel builds: a GDT with ring-0 and ring-3 segments, call gates
    (DPL 3 and DPL 0, with and without parameters, one to the handler), a conforming code
    segment, segments based in the top 64 MiB, 16-bit and expand-down data; an LDT (LLDT)
    with segments and a call gate of its own; a TSS (LTR, in both variants) with SS0:ESP0
    and an I/O bitmap over ports 0-0x3FF; an IDT whose gates vary in DPL and type and
    whose vector 0x80 and a few others return with IRET (system calls); with --paging,
    the top 64 MiB mapped too (the I/O APIC and local APIC page, an alias of the low 4 MiB
    and of the page table);
  - chunks built of snippets that real kernels run, one after the other, then UD2 or
    random bytes to the chunk's end: writes to the GDT, LDT and IDT followed by loads
    through them (and LGDT of a copy); far calls and returns between rings 0 and 3
    through the gates; IOPL changes and I/O bitmap edits followed by IN and OUT; INT n;
    page-table edits followed by INVLPG or a CR3 reload and an access; PUSHF, POPF, CLI
    and STI; x87 and string instructions with segment overrides and the 67 prefix;
    accesses to the APIC pages and to the top 64 MiB; TSS stack switches (SS0:ESP0
    rewritten).
With richer=True (differential.py --richer) the chunks draw on the RICHER snippets too,
forms a real kernel uses that the rich ones lack: PUSHF/POPF flipping IOPL, IF, AC, ID at
CPL 0 and 3; LAR, LSL, VERR and VERW on every descriptor type (a free GDT slot written
with any type first), past the tables' limits and on null; CMPXCHG8B, XADD, CMPXCHG, XCHG,
BTS and INC on the pages a monitor traces (GDT and LDT slots, IDT gates, page-table and
directory entries); segment loads (MOV Sreg, LDS, LES, LFS, LGS, LSS) through gs:, ss:,
fs: and cs: overrides; INVLPG in the top 64 MiB; CR0.WP, TS, MP and NE toggled (MOV CR0,
CLTS, LMSW) before a write to a read-only page or an x87 instruction. Their chunks come
from random.Random("vmlab richer code SEED"), so that the --rich seeds keep their bytes.
The random streams are random.Random("vmlab rich code SEED") for the chunks and
random.Random("vmlab rich environment SEED") for the tables, so that --rich seeds are not
random_code's; random_code.kernel() and its seeds are unchanged.

The ring-3 variant's handler enters each chunk with IRET at CPL 3 with the EFLAGS image
at EFLAGS_VAR (IOPL chosen by the seed; snippets rewrite it). The ring-0 variant's handler
reloads DS, ES and SS and jumps to the chunk at CPL 0; its chunks may leave for ring 3 by a
far RET or IRET, and every exception there comes back through the TSS.

pv_chunks(seed) are the chunks of the ring-3 kernel that do not depend on the kernel's own
descriptor tables, TSS and I/O bitmap, which a PV guest's chunks do not share (the monitor
holds them): PUSHF/POPF/CLI/STI, INT n, x87 and string instructions, accesses to the APIC
pages, the top 64 MiB and the page tables, each faulting or not alike in pv and its native
reference (differential.py, pv_reference).
"""
import random
import struct

import random_code

BASE = random_code.BASE
CHUNKS, CHUNK = random_code.CHUNKS, random_code.CHUNK
GDT, IDT, LDT, TSS = BASE + 0x100, BASE + 0x200, BASE + 0xB80, BASE + 0xC00
COUNTER, EFLAGS_VAR, HANDLER = BASE + 0xA00, BASE + 0xA04, BASE + 0xA10
STUBS = BASE + 0xB40        # the ring-0 targets of the gates: retf, retf 8, iret
NEWGDT, NEWGDT_PTR = BASE + 0xD00, BASE + 0xDF8  # LGDT of a copy
SCRATCH = BASE + 0xE00      # x87 and string operands (0xE00-0xEFF)
CHUNKS_AT = BASE + 0x1000
PD, PT = BASE + 0x2000, BASE + 0x3000
IOMAP = 0x68                # the I/O bitmap's offset in the TSS: ports 0-0x3FF, then 0xFF
TSS_LIMIT = IOMAP + 0x80
PORTS = (0xE9, 0x80, 0x21, 0xA1)  # the ports the chunks use (deterministic in every mode)

# Selectors of the rich GDT (index << 3).
KCODE, KDATA, UCODE, UDATA, TSS_SEL, LDT_SEL = 0x08, 0x10, 0x18, 0x20, 0x28, 0x30
GATE3, GATE3_PARAMS, GATE_HANDLER, GATE0 = 0x38, 0x40, 0x48, 0x50
TOP_DATA, DATA16, EXPDOWN, CONFORMING, KDATA_BASED = 0x58, 0x60, 0x68, 0x70, 0x78
GDT_ENTRIES = 16
# LDT selectors (TI set).
LDT_ENTRIES = 8


def seg(base, limit, access, flags):
    return ((limit & 0xFFFF) | (base & 0xFFFFFF) << 16 | access << 40
            | ((limit >> 16) & 0xF) << 48 | flags << 52 | (base >> 24) << 56)


def gate(sel, offset, dpl, params=0, kind=0xC):
    return ((offset & 0xFFFF) | sel << 16 | params << 32 | (0x80 | dpl << 5 | kind) << 40
            | (offset >> 16) << 48)


FLAT_K_CODE = seg(0, 0xFFFFF, 0x9A, 0xC)
FLAT_K_DATA = seg(0, 0xFFFFF, 0x92, 0xC)
FLAT_U_CODE = seg(0, 0xFFFFF, 0xFA, 0xC)
FLAT_U_DATA = seg(0, 0xFFFFF, 0xF2, 0xC)
STUB_RETF, STUB_RETF8, STUB_IRET = STUBS, STUBS + 4, STUBS + 8


def gdt_entries():
    tss = seg(TSS, TSS_LIMIT, 0x89, 0x0)
    ldt = seg(LDT, LDT_ENTRIES * 8 - 1, 0x82, 0x0)
    return [0, FLAT_K_CODE, FLAT_K_DATA, FLAT_U_CODE, FLAT_U_DATA, tss, ldt,
            gate(KCODE, STUB_RETF, 3), gate(KCODE, STUB_RETF8, 3, params=2),
            gate(KCODE, HANDLER, 3), gate(KCODE, STUB_RETF, 0),
            seg(0xFC000000, 0x3FFF, 0xF2, 0xC),        # the top 64 MiB, DPL 3
            seg(BASE, 0xFFFF, 0xF2, 0x0),              # 16-bit data, DPL 3
            seg(0, 0xFFF, 0xF6, 0xC),                  # expand-down, DPL 3
            seg(0, 0xFFFFF, 0x9E, 0xC),                # conforming code, DPL 0
            seg(BASE, 0xFFFFF, 0x92, 0xC)]             # ring-0 data based at BASE


def ldt_entries():
    return [FLAT_U_CODE, FLAT_U_DATA, FLAT_K_DATA, seg(BASE, 0xFFFF, 0xF2, 0x0),
            seg(0xFC000000, 0x3FFF, 0xF2, 0xC), gate(KCODE, STUB_RETF, 3),
            seg(0, 0xFFFFF, 0xB2, 0xC), 0]


# Descriptors the snippets write into a slot before they load it (index into this list).
VARIANTS = [FLAT_U_DATA, FLAT_K_DATA, FLAT_U_CODE, FLAT_K_CODE,
            seg(0x12345000, 0xFFF, 0xF2, 0x4),          # small, based high
            seg(0, 0xFFF, 0xF6, 0xC),                   # expand-down
            seg(0, 0xFFFFF, 0x72, 0xC),                 # not present
            seg(0, 0xFFFFF, 0xF0, 0xC),                 # read-only
            seg(0, 0xFFFFF, 0xB2, 0xC),                 # DPL 1
            seg(0, 0xFFFFF, 0xD2, 0xC),                 # DPL 2
            seg(0xFC000000, 0x3FFF, 0xF2, 0xC),         # the top 64 MiB
            seg(TSS, 0x67, 0x89, 0x0),                  # a system descriptor (available TSS)
            gate(KCODE, STUB_RETF, 3),
            seg(0, 0xFFFFF, 0xFE, 0xC)]                 # conforming code, DPL 3

REGS = ("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi")
SREG = {"es": 0, "ss": 2, "ds": 3, "fs": 4, "gs": 5}
PREFIX = {"es": 0x26, "cs": 0x2E, "ss": 0x36, "ds": 0x3E, "fs": 0x64, "gs": 0x65}


def u32(v):
    return struct.pack("<I", v & 0xFFFFFFFF)


def mov_mem_imm(addr, value):      # mov dword [addr], imm32
    return b"\xc7\x05" + u32(addr) + u32(value)


def mov_reg_imm(reg, value):
    return bytes([0xB8 + REGS.index(reg)]) + u32(value)


def load_sreg(sreg, sel):          # mov ax, sel; mov sreg, ax
    return b"\x66\xb8" + struct.pack("<H", sel) + bytes([0x8E, 0xC0 | SREG[sreg] << 3])


def read_reg(reg, addr, prefix=b""):   # mov reg, [addr]
    return prefix + bytes([0x8B, REGS.index(reg) << 3 | 5]) + u32(addr)


def write_reg(reg, addr, prefix=b""):  # mov [addr], reg
    return prefix + bytes([0x89, REGS.index(reg) << 3 | 5]) + u32(addr)


def visible(r):
    """A register the register dump shows (EBX, ECX, EDX, ESI, EDI, EBP)."""
    return r.choice(("ebx", "ecx", "edx", "esi", "edi", "ebp"))


# --- The snippets: each takes (r, at) and returns bytes ---------------------------------

def s_gdt_write_load(r, at):
    # Not the slots the handler, the gates and the TSS's SS0 use.
    table, sel = r.choice(((GDT, r.choice((0x58, 0x60, 0x68))),
                           (LDT, r.choice((0x0C, 0x1C, 0x24, 0x34)))))
    d = r.choice(VARIANTS)
    slot = (sel & ~7) + table
    code = mov_mem_imm(slot, d & 0xFFFFFFFF) + mov_mem_imm(slot + 4, d >> 32)
    rpl = r.choice((0, 0, 3, 1))
    return code + load_sreg(r.choice(("ds", "es", "fs", "gs", "ss")), sel | rpl)


def s_load(r, at):
    sel = r.choice((UDATA | 3, KDATA, TOP_DATA | 3, DATA16 | 3, EXPDOWN | 3, KDATA_BASED,
                    0x0F, 0x14, 0x1F, 0x27, 0x33, CONFORMING, UCODE | 3, KDATA | 1))
    return load_sreg(r.choice(("ds", "es", "fs", "gs", "ss")), sel)


def s_lgdt_copy(r, at):
    # Copy the GDT (16 entries), point the copy's pointer at it, LGDT, then reload DS.
    return (load_sreg("ds", UDATA | 3) + load_sreg("es", UDATA | 3)
            + mov_reg_imm("esi", GDT) + mov_reg_imm("edi", NEWGDT) + mov_reg_imm("ecx", 32)
            + b"\xfc\xf3\xa5"                                  # cld; rep movsd
            + b"\x0f\x01\x15" + u32(NEWGDT_PTR)                # lgdt [ptr]
            + load_sreg("ds", r.choice((KDATA, UDATA | 3, TOP_DATA | 3))))


def s_lgdt_new_write(r, at):
    # Write the copy's slot, then load it (after an earlier LGDT of the copy it is the GDT).
    sel = r.choice((0x58, 0x60, 0x68))
    d = r.choice(VARIANTS)
    return (mov_mem_imm(NEWGDT + sel, d & 0xFFFFFFFF) + mov_mem_imm(NEWGDT + sel + 4, d >> 32)
            + load_sreg(r.choice(("ds", "fs", "gs")), sel | r.choice((0, 3))))


def s_lldt(r, at):
    # Shrink or restore the LDT's limit in its GDT descriptor, LLDT, then load an LDT one.
    limit = r.choice((LDT_ENTRIES * 8 - 1, 0x0F, 0x27))
    d = seg(LDT, limit, 0x82, 0x0)
    return (mov_mem_imm(GDT + LDT_SEL, d & 0xFFFFFFFF) + b"\x66\xb8" + struct.pack("<H", LDT_SEL)
            + b"\x0f\x00\xd0" + load_sreg("fs", r.choice((0x0F, 0x1F, 0x27, 0x37))))


def s_idt_write_int(r, at):
    v = r.choice((0x80, 0x81, 0x40, 0x41, r.randrange(0x20, 0x100)))
    dpl = r.choice((0, 3))
    # 32-bit interrupt and trap gates, and a call gate (not valid in the IDT: #GP). Not the
    # task gates, which no monitor reflects (they stop the run, exit 74). With --gates16
    # (_gates16) also 16-bit interrupt and trap gates (types 6 and 7), whose 16-bit offset
    # reaches LOW_HANDLER, the jump to the handler the boot code writes.
    kinds = (0xE, 0xF, 0xE, 0xF, 0xC) + ((0x6, 0x7, 0x6, 0x7) if _gates16 else ())
    kind = r.choice(kinds)
    target = r.choice((HANDLER, STUB_IRET))
    if kind in (0x6, 0x7):
        target = LOW_HANDLER
    g = gate(KCODE, target, dpl, kind=kind)
    if r.random() < 0.2:
        g &= ~(1 << 47)                     # not present
    return mov_mem_imm(IDT + 8 * v, g & 0xFFFFFFFF) + mov_mem_imm(IDT + 8 * v + 4, g >> 32) \
        + b"\xcd" + bytes([v])


def s_int(r, at):
    v = r.choice((0x80, 0x80, 0x81, 0x40, 3, 4, r.randrange(0x20, 0x100)))
    pre = mov_reg_imm(visible(r), r.getrandbits(32))
    if v == 3 and r.random() < 0.5:
        return pre + b"\xcc"
    if v == 4:
        return pre + b"\x68" + u32(0xA02) + b"\x9d\xce"   # push OF|IF; popf; into
    return pre + b"\xcd" + bytes([v])


def s_far_call(r, at):
    kind = r.randrange(7)
    if kind == 0:
        return b"\x9a" + u32(0) + struct.pack("<H", GATE3 | 3)          # call far gate
    if kind == 1:
        return (b"\x6a" + bytes([r.getrandbits(7)]) + b"\x6a" + bytes([r.getrandbits(7)])
                + b"\x9a" + u32(0) + struct.pack("<H", GATE3_PARAMS | 3))
    if kind == 2:
        return b"\x9a" + u32(0) + struct.pack("<H", r.choice((GATE0 | 3, GATE_HANDLER | 3)))
    if kind == 3:
        return b"\x9a" + u32(0) + struct.pack("<H", 0x2F)               # the LDT's gate
    if kind == 4:
        return b"\x9a" + u32(STUB_RETF) + struct.pack("<H", CONFORMING | r.choice((0, 3)))
    if kind == 5:
        return b"\xea" + u32(0) + struct.pack("<H", GATE3 | 3)          # jmp far gate
    # lcall through a far pointer in memory
    return (mov_mem_imm(SCRATCH + 0xF0, 0) + b"\x66\xc7\x05" + u32(SCRATCH + 0xF4)
            + struct.pack("<H", GATE3 | 3) + b"\xff\x1d" + u32(SCRATCH + 0xF0))


def s_to_ring3(r, at):
    # A far RET or an IRET to ring 3 at the next instruction (the ring-0 variant's way out).
    esp = r.choice((0x8F000, 0x8F800))
    if r.random() < 0.5:
        code_len = 2 + 5 + 2 + 5 + 1
        return (b"\x6a" + bytes([UDATA | 3]) + b"\x68" + u32(esp) + b"\x6a" + bytes([UCODE | 3])
                + b"\x68" + u32(at + code_len) + b"\xcb")
    fl = r.choice((0x202, 0x3202, 0x1202, 0x2, 0x40202))
    code_len = 2 + 5 + 5 + 2 + 5 + 1
    return (b"\x6a" + bytes([UDATA | 3]) + b"\x68" + u32(esp) + b"\x68" + u32(fl)
            + b"\x6a" + bytes([UCODE | 3]) + b"\x68" + u32(at + code_len) + b"\xcf")


def s_io(r, at):
    port = r.choice(PORTS)
    code = b""
    kind = r.randrange(6)
    if kind == 0:    # the I/O bitmap: allow or deny the port
        code += b"\xc6\x05" + u32(TSS + IOMAP + port // 8) + bytes([r.getrandbits(8)])
    elif kind == 1:  # IOPL through PUSHF/POPF (ring 0 changes it; ring 3 cannot)
        code += b"\x9c\x81\x0c\x24" + u32(r.choice((0x3000, 0x1000, 0x2000))) + b"\x9d"
    elif kind == 2:  # IOPL to 0
        code += b"\x9c\x81\x24\x24" + u32(0xFFFFCFFF) + b"\x9d"
    elif kind == 3:  # the ring-3 variant's EFLAGS image
        code += mov_mem_imm(EFLAGS_VAR, r.choice((0x202, 0x3202, 0x1202, 0x2202, 0x246)))
    reg = visible(r)
    if r.random() < 0.5:
        code += b"\xb0" + bytes([r.getrandbits(8)])
        # out port, al; the PIC's mask registers are only read (in al, port)
        code += bytes([0xE4 if port in (0x21, 0xA1) else 0xE6, port])
    else:
        code += b"\x66\xba" + struct.pack("<H", port) + b"\xec"      # mov dx, port; in al, dx
    return code + bytes([0x89, 0xC0 | REGS.index(reg)])             # mov reg, eax


def s_flags(r, at):
    parts = [b"\x9c\x58", b"\xfa", b"\xfb", b"\x9c\x9d", b"\x9c\x5b", b"\x68" + u32(
        r.choice((0x202, 0x3202, 0x2, 0x46, 0x40202, 0x602, 0x302, 0x4202))) + b"\x9d",
        b"\x9c\xfa\x9d", b"\x66\x9c\x66\x9d", b"\x9c\x8f\x05" + u32(SCRATCH + 0xE0)]
    return b"".join(r.choice(parts) for _ in range(r.randrange(1, 4)))


def s_paging(r, at):
    i = r.randrange(1024)
    frame = r.choice((i, r.randrange(0x400), (BASE >> 12) + r.randrange(8), 0xFEE, 0x3FF))
    flags = r.choice((0x07, 0x05, 0x03, 0x00, 0x27, 0x67, 0x17, 0x01))
    va = 0x2000000 + (i << 12) + r.randrange(0, 0x1000, 4)
    code = mov_mem_imm(PT + 4 * i, frame << 12 | flags)
    if r.random() < 0.3:   # a directory entry: a 4 MiB page or the page table
        j = r.choice((8, 8, 9, 1008, 1023, r.randrange(1024)))
        pde = r.choice(((j % 4) << 22 | 0x87, PT | 0x07, (j % 4) << 22 | 0x85, 0,
                        0xFEC00000 | 0x9F))
        code = mov_mem_imm(PD + 4 * j, pde)
        va = (j << 22) + r.randrange(0, 0x400000, 4)
        flush = b"\x0f\x20\xd8\x0f\x22\xd8"                          # mov eax, cr3; mov cr3, eax
    elif r.random() < 0.6:
        flush = b"\x0f\x01\x3d" + u32(va)                            # invlpg [va]
    else:
        flush = b"\x0f\x20\xd8\x0f\x22\xd8"
    reg = visible(r)
    access = r.choice((read_reg(reg, va), write_reg(reg, va), b"\xff\x05" + u32(va)))
    return code + flush + access


def s_x87(r, at):
    pre = PREFIX[r.choice(("ds", "es", "fs", "gs", "ss", "cs"))] if r.random() < 0.6 else None
    a16 = r.random() < 0.3
    off = r.randrange(0, 0xC0, 4)
    ops = [(0xD9, 0), (0xD9, 3), (0xDB, 0), (0xDB, 3), (0xDD, 0), (0xDD, 3), (0xD9, 7),
           (0xD9, 5), (0xD9, 6), (0xD8, 0), (0xDC, 1), (0xDE, 0)]
    code = b"\xdb\xe3" if r.random() < 0.3 else b""                   # fninit
    code += r.choice((b"\xd9\xe8", b"\xd9\xeb", b"\xd9\xee", b""))     # fld1 / fldpi / fldz
    for _ in range(r.randrange(1, 3)):
        op, reg = r.choice(ops)
        p = bytes([pre]) if pre else b""
        if a16:   # 16-bit address [disp16]: DS-relative offsets below 64 KiB
            code += p + b"\x67" + bytes([op, reg << 3 | 6]) + struct.pack("<H", 0x8000 + off)
        else:
            code += p + bytes([op, reg << 3 | 5]) + u32(SCRATCH + off)
    reg = visible(r)
    return code + b"\xdf\xe0" + bytes([0x89, 0xC0 | REGS.index(reg)])   # fnstsw ax; mov r, eax


def s_string(r, at):
    a16 = r.random() < 0.5
    # Under the 67 prefix SI, DI and CX: ECX 0x10003 is a count of 3.
    count = r.choice((0, 1, 7, 33, 0x10003) if a16 else (0, 1, 7, 33))
    code = (mov_reg_imm("esi", r.choice((SCRATCH, 0x8000, 0xFC000000 + r.randrange(0x1000),
                                         0x2000000 + r.randrange(0x3000), 0x8FFF0)))
            + mov_reg_imm("edi", r.choice((SCRATCH + 0x80, 0x8800, 0x2001000, 0x7FF0)))
            + mov_reg_imm("ecx", count))
    code += r.choice((b"", b"\xfd", b"\xfc"))
    p = b""
    if r.random() < 0.5:
        p += bytes([PREFIX[r.choice(("es", "cs", "ss", "fs", "gs"))]])
    if a16:
        p += b"\x67"
    rep = r.choice((b"", b"\xf3", b"\xf2"))
    insn = bytes([r.choice((0xA4, 0xA5, 0xA6, 0xA7, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF))])
    return code + rep + p + insn + b"\xfc"


def s_apic(r, at):
    reg = visible(r)
    kind = r.randrange(5)
    if kind == 0:
        return read_reg(reg, 0xFEE00000 + r.choice((0x20, 0x30, 0x80, 0xD0, 0xE0, 0xF0, 0x100)))
    if kind == 1:
        return mov_mem_imm(0xFEE00000 + r.choice((0x80, 0xB0, 0xD0, 0xE0)),
                           r.choice((0, 0x10, 0xFF, 0xFFFFFFFF))) + read_reg(reg, 0xFEE00080)
    if kind == 2:
        return mov_mem_imm(0xFEC00000, r.choice((0, 1, 2, 0x10, 0x11, 0x2F))) + read_reg(
            reg, 0xFEC00010)
    if kind == 3:   # the top 64 MiB, flat or through the segment based there
        off = r.randrange(0, 0x4000000, 4)
        if r.random() < 0.5:
            return read_reg(reg, 0xFC000000 + off)
        return load_sreg("fs", TOP_DATA | 3) + read_reg(reg, off, b"\x64")
    addr = r.choice((0xFFFFF000, 0xFFFFFFFD, 0xFEFFF000, 0xFC000000 + r.randrange(0x4000000)))
    return r.choice((write_reg(reg, addr), b"\xff\x05" + u32(addr)))


def s_tss_stack(r, at):
    esp0 = r.choice((0x90000, 0x8F800, 0x8D000, 0x90000))
    ss0 = r.choice((KDATA, KDATA, KDATA_BASED, 0x14))
    code = mov_mem_imm(TSS + 4, esp0) + b"\x66\xc7\x05" + u32(TSS + 8) + struct.pack("<H", ss0)
    if r.random() < 0.3:   # clear the busy bit and load TR again
        code += b"\x80\x25" + u32(GDT + TSS_SEL + 5) + b"\xfd" + b"\x66\xb8" + struct.pack(
            "<H", TSS_SEL) + b"\x0f\x00\xd8"
    return code


# --- The richer snippets (--richer): forms a real kernel uses that the rich ones lack ------

FREE_SLOTS = (0x58, 0x60, 0x68)   # GDT slots no handler, gate or TSS needs


def any_descriptor(r):
    """A descriptor of any type: a system type 0-15 or a code or data type, any DPL, present
    or not, byte or page granular, 16 or 32 bits."""
    access = (0x80 if r.random() < 0.9 else 0) | r.randrange(4) << 5 | r.randrange(32)
    return seg(r.choice((0, BASE, 0xFC000000, 0x12345000)), r.choice((0xFFFFF, 0xFFF, 0x67, 0)),
               access, r.choice((0xC, 0x4, 0x0, 0x8)))


def s_iopl_flags(r, at):
    # PUSHF, flip IOPL, IF, AC, ID, DF or the arithmetic flags, POPF, PUSHF again: what CPL 0
    # may change and what CPL 3 POPF silently keeps (SDM Vol. 2B, POPF). Not NT or TF.
    a, b = visible(r), visible(r)
    mask = r.choice((0x3000, 0x1000, 0x2000, 0x200, 0x3200, 0x40000, 0x200000, 0x400, 0x8D5))
    op = r.choice((0x35, 0x0D, 0x25))   # xor / or / and eax, imm32
    value = mask if op != 0x25 else ~mask & 0xFFFFFFFF
    o16 = b"\x66" if r.random() < 0.2 else b""
    return (o16 + b"\x9c" + o16 + b"\x58" + bytes([op]) + u32(value) + o16 + b"\x50"
            + o16 + b"\x9d" + b"\x9c" + bytes([0x58 + REGS.index(a)])
            + bytes([0x89, 0xC0 | REGS.index(b)]))   # pushf; pop a; mov b, eax


def s_descriptor_query(r, at):
    # LAR, LSL, VERR or VERW on a selector of any descriptor type (a free GDT slot written
    # first), a GDT or LDT slot beyond the table's limit, null, any RPL; from a register or
    # memory. The result and ZF (SETZ) go to visible registers.
    code = b""
    kind = r.randrange(4)
    if kind == 0:
        slot = r.choice(FREE_SLOTS)
        d = any_descriptor(r)
        code += mov_mem_imm(GDT + slot, d & 0xFFFFFFFF) + mov_mem_imm(GDT + slot + 4, d >> 32)
        sel = slot
    elif kind == 1:
        sel = r.randrange(GDT_ENTRIES + 2) << 3
    elif kind == 2:
        sel = r.randrange(LDT_ENTRIES + 2) << 3 | 4
    else:
        sel = r.choice((0, 0x4, 0xFFF8, 0x28, 0x30))
    sel |= r.randrange(4)
    dst = visible(r)
    code += mov_reg_imm(dst, 0x5A5A5A5A) + b"\x66\xb8" + struct.pack("<H", sel)
    op = r.randrange(4)
    mem = r.random() < 0.3
    if mem:
        code += b"\x66\xa3" + u32(SCRATCH + 0xD0)          # mov [SCRATCH+0xD0], ax
        modrm_rm, tail = 5, u32(SCRATCH + 0xD0)
    else:
        modrm_rm, tail = 0, b""
    mod = 0 if mem else 0xC0
    if op < 2:   # lar / lsl dst, ax or [mem]
        code += b"\x0f" + bytes([0x02 + op, mod | REGS.index(dst) << 3 | modrm_rm]) + tail
    else:        # verr / verw ax or [mem]
        code += b"\x0f\x00" + bytes([mod | (op + 2) << 3 | modrm_rm]) + tail
    z = r.choice(("ecx", "edx", "ebx"))
    return code + b"\x0f\x94" + bytes([0xC0 | REGS.index(z)])   # setz


def s_rmw_traced(r, at):
    # Read-modify-write instructions (CMPXCHG8B, LOCK XADD, LOCK CMPXCHG, XCHG, LOCK BTS,
    # LOCK INC) on the pages a monitor traces: a free GDT slot, an LDT slot, an IDT gate, a
    # page-table or page-directory entry; then, for a GDT slot, a load of it.
    kind = r.randrange(5)
    if kind == 0:
        slot = r.choice(FREE_SLOTS)
        a, new = GDT + slot, r.choice(VARIANTS)
    elif kind == 1:
        a, new = LDT + 8 * r.choice((1, 3, 4, 6, 7)), r.choice(VARIANTS)
    elif kind == 2:
        v = r.choice((0x80, 0x81, 0x40, r.randrange(0x20, 0x100)))
        a, new = IDT + 8 * v, gate(KCODE, r.choice((HANDLER, STUB_IRET)), r.choice((0, 3)))
    elif kind == 3:
        i = r.randrange(1024)
        a, new = PT + 4 * i, (i << 12 | r.choice((0x07, 0x05, 0x03, 0x00, 0x67))) | (
            r.choice((0, 0, 0x100)) << 32)
    else:
        a, new = PD + 4 * r.choice((1, 8, 9, 1008)), r.choice((0x400087, PT | 7, 0)) | 0x87 << 32
    lock = b"\xf0" if r.random() < 0.7 else b""
    op = r.randrange(6)
    code = b""
    if op == 0:   # cmpxchg8b: the expected value read first (it succeeds) or not (it fails)
        if r.random() < 0.7:
            code += b"\xa1" + u32(a) + read_reg("edx", a + 4)
        else:
            code += mov_reg_imm("eax", r.getrandbits(32)) + mov_reg_imm("edx", r.getrandbits(32))
        code += mov_reg_imm("ebx", new & 0xFFFFFFFF) + mov_reg_imm("ecx", new >> 32)
        code += lock + b"\x0f\xc7\x0d" + u32(a)
    elif op == 1:   # xadd [a], reg
        reg = visible(r)
        code += mov_reg_imm(reg, r.choice((1, 0x100, 0x80000000, 0xFFFFFFFF)))
        code += lock + b"\x0f\xc1" + bytes([REGS.index(reg) << 3 | 5]) + u32(a)
    elif op == 2:   # cmpxchg [a], reg
        reg = r.choice(("ecx", "edx", "esi", "edi"))
        code += (b"\xa1" + u32(a) if r.random() < 0.6 else mov_reg_imm("eax", 0))
        code += mov_reg_imm(reg, new & 0xFFFFFFFF)
        code += lock + b"\x0f\xb1" + bytes([REGS.index(reg) << 3 | 5]) + u32(a)
    elif op == 3:   # xchg [a], reg (locked without the prefix)
        reg = visible(r)
        code += mov_reg_imm(reg, new >> 32) + bytes([0x87, REGS.index(reg) << 3 | 5]) + u32(a + 4)
    elif op == 4:   # bts dword [a], imm8
        code += lock + b"\x0f\xba\x2d" + u32(a) + bytes([r.choice((8, 15, 40 - 32, 47 - 32, 0))])
    else:           # inc dword [a]
        code += lock + b"\xff\x05" + u32(a)
    if kind == 0 and r.random() < 0.6:
        code += load_sreg(r.choice(("ds", "es", "fs", "gs")), slot | r.choice((0, 3)))
    return code + bytes([0x89, 0xC0 | REGS.index(visible(r))])   # mov r, eax


def s_load_override(r, at):
    # Segment loads from memory through gs: and ss: (and fs:, cs:) overrides: MOV Sreg, m16,
    # and the far-pointer loads LDS, LES, LFS, LGS and LSS.
    pre = bytes([PREFIX[r.choice(("gs", "ss", "gs", "ss", "fs", "cs"))]])
    sel = r.choice((UDATA | 3, KDATA, TOP_DATA | 3, DATA16 | 3, EXPDOWN | 3, KDATA_BASED, 0x0F,
                    0x1F, 0x33, 0, UCODE | 3, TSS_SEL, FREE_SLOTS[0] | 3))
    ptr = SCRATCH + 0xC0
    code = mov_mem_imm(ptr, r.choice((0x8F000, 0x8F800, 0x90000, 0)))
    code += b"\x66\xc7\x05" + u32(ptr + 4) + struct.pack("<H", sel)
    if r.random() < 0.3:   # gs first reloaded so that the override reads through it
        code += load_sreg("gs", r.choice((UDATA | 3, KDATA, KDATA_BASED, DATA16 | 3)))
    form = r.randrange(6)
    if form == 0:
        sreg = r.choice(("ds", "es", "fs", "gs", "ss"))
        return code + pre + bytes([0x8E, SREG[sreg] << 3 | 5]) + u32(ptr + 4)
    reg = r.choice(("ebx", "esi", "edi", "ebp")) if form < 5 else "esp"
    opcode = {1: b"\xc5", 2: b"\xc4", 3: b"\x0f\xb4", 4: b"\x0f\xb5", 5: b"\x0f\xb2"}[form]
    return code + pre + opcode + bytes([REGS.index(reg) << 3 | 5]) + u32(ptr)


def s_invlpg_hole(r, at):
    # INVLPG of addresses in the top 64 MiB (the hypervisor hole under the monitors), also
    # through a segment based there, then an access there.
    reg = visible(r)
    off = r.randrange(0, 0x4000000, 4)
    if r.random() < 0.5:
        code = b"\x0f\x01\x3d" + u32(0xFC000000 + off)
    else:
        code = load_sreg("fs", TOP_DATA | 3) + b"\x64\x0f\x01\x3d" + u32(off & 0x3FFFFFF)
    return code + r.choice((read_reg(reg, 0xFC000000 + off), write_reg(reg, 0xFFC00000 + off % 0x400000),
                            b""))


def s_cr0_toggle(r, at):
    # CR0.WP, TS, MP, NE toggled (MOV CR0, CLTS, LMSW), then what they govern: a write to a
    # read-only page (with paging: a PTE made read-only first) or an x87 instruction.
    bit = r.choice((0x10000, 0x8, 0x2, 0x20, 0x10008))
    code = b"\x0f\x20\xc0" + bytes([r.choice((0x35, 0x0D, 0x25))])   # mov eax, cr0; xor/or/and
    code += u32(bit if code[-1] != 0x25 else ~bit & 0xFFFFFFFF) + b"\x0f\x22\xc0"
    if r.random() < 0.2:
        code += b"\x0f\x06"                                 # clts
    if r.random() < 0.2:
        code += b"\x0f\x01\xe0\x83\xc8\x08\x0f\x01\xf0"  # smsw eax; or eax, 8; lmsw ax
    reg = visible(r)
    if r.random() < 0.5:
        i = r.randrange(1024)
        code += mov_mem_imm(PT + 4 * i, i << 12 | 0x05) + b"\x0f\x01\x3d" + u32(0x2000000 + (i << 12))
        code += write_reg(reg, 0x2000000 + (i << 12) + r.randrange(0, 0x1000, 4))
    else:
        code += r.choice((b"\xd9\xe8", b"\x9b", b"\xdb\xe3", b"\xd9\xee\xdd\xd8"))
    return code + b"\x0f\x20\xc0" + bytes([0x89, 0xC0 | REGS.index(reg)])   # mov r, cr0


RICHER = (s_iopl_flags, s_descriptor_query, s_rmw_traced, s_load_override, s_invlpg_hole,
          s_cr0_toggle)

ALL = (s_gdt_write_load, s_load, s_lgdt_copy, s_lgdt_new_write, s_lldt, s_idt_write_int,
       s_int, s_far_call, s_to_ring3, s_io, s_flags, s_paging, s_x87, s_string, s_apic,
       s_tss_stack)
PV_SAFE = (s_int, s_flags, s_paging, s_x87, s_string, s_apic)


# --gates16 (kernel(gates16=True)): s_idt_write_int writes 16-bit gates too. A new flag, so
# that the seeds of --rich generate the same kernels as before.
_gates16 = False
LOW_HANDLER = 0x7000        # E9 rel32 to HANDLER, written by the boot code with --gates16


def chunks(seed, pv=False, gates16=False, richer=False):
    """CHUNKS * CHUNK bytes: each chunk snippets and random bytes (pv: PV_SAFE only;
    richer: the RICHER snippets too, from another random stream, so that the --rich seeds
    keep their bytes)."""
    global _gates16
    _gates16 = gates16
    r = random.Random(f"vmlab {'richer' if richer else 'rich'} code {seed}")
    kinds = PV_SAFE if pv else ALL + RICHER if richer else ALL
    out = bytearray()
    for i in range(CHUNKS):
        at = CHUNKS_AT + i * CHUNK
        chunk = b""
        for _ in range(8):
            s = r.choice(kinds)(r, at + len(chunk))
            if len(chunk) + len(s) > CHUNK:
                continue
            chunk += s
        chunk = chunk[:CHUNK]
        end = r.random()
        tail = CHUNK - len(chunk)
        if end < 0.4 and tail >= 2:
            chunk += b"\x0f\x0b" + bytes(r.getrandbits(8) for _ in range(tail - 2))  # ud2
        else:
            chunk += bytes(r.getrandbits(8) for _ in range(tail))
        out += chunk
    return bytes(out)


def handler(ring3):
    """The handler at HANDLER: the stack and data segments reset, the counter, then the
    next chunk: at CPL 0 by JMP, or with --ring3 by IRET with the EFLAGS image at
    EFLAGS_VAR; after the last chunk random_code's done (mov al, 0; out 0xf4, al; hlt)."""
    h = (b"\xbc\x00\x00\x09\x00"                             # mov esp, 0x90000
         + b"\x66\xb8\x10\x00\x8e\xd0\x8e\xd8\x8e\xc0"        # mov ax, 0x10; ss, ds, es
         + b"\xa1" + u32(COUNTER) + b"\x40" + b"\xa3" + u32(COUNTER)
         + b"\x3d" + u32(CHUNKS))
    rest = b"\x69\xc0" + u32(CHUNK) + b"\x05" + u32(CHUNKS_AT)
    if ring3:
        rest += (b"\x6a\x23" + b"\x68\x00\xf0\x08\x00" + b"\xff\x35" + u32(EFLAGS_VAR)
                 + b"\x6a\x1b" + b"\x50"
                 + b"\x66\xb9\x23\x00\x8e\xd9\x8e\xc1\x8e\xe1\x8e\xe9" + b"\xcf")
    else:
        rest += b"\xff\xe0"
    return h + b"\x73" + bytes([len(rest)]) + rest + b"\xb0\x00\xe6\xf4\xf4\xeb\xfd"


def kernel(seed, ring3=False, paging=False, gates16=False, richer=False):
    env = random.Random(f"vmlab rich environment {seed}")
    img = bytearray(0x4000)
    magic, flags = 0x1BADB002, 0x3
    img[0:12] = struct.pack("<III", magic, flags, (-(magic + flags)) & 0xFFFFFFFF)
    code_at = BASE + 0x40

    def put(addr, data):
        img[addr - BASE:addr - BASE + len(data)] = data

    put(GDT, b"".join(struct.pack("<Q", d) for d in gdt_entries()))
    put(LDT, b"".join(struct.pack("<Q", d) for d in ldt_entries()))
    put(NEWGDT_PTR, struct.pack("<HI", GDT_ENTRIES * 8 - 1, NEWGDT))
    for v in range(256):
        dpl = env.choice((0, 3)) if v >= 0x20 else 0
        kind = env.choice((0xE, 0xF))
        target = HANDLER
        if v == 0x80 or (v >= 0x40 and env.random() < 0.1):
            target, dpl = STUB_IRET, 3   # a system call that returns
        put(IDT + 8 * v, struct.pack("<Q", gate(KCODE, target, dpl, kind=kind)))
    put(STUB_RETF, b"\xcb")
    put(STUB_RETF8, b"\xca\x08\x00")
    put(STUB_IRET, b"\xcf")
    put(TSS + 4, struct.pack("<II", 0x90000, KDATA))          # ESP0, SS0
    put(TSS + 0x66, struct.pack("<H", IOMAP))
    bitmap = bytearray(b"\xff" * 0x81)
    for port in PORTS:
        if env.random() < 0.5:
            bitmap[port // 8] &= ~(1 << (port % 8))
    put(TSS + IOMAP, bytes(bitmap))
    put(COUNTER, struct.pack("<I", 0xFFFFFFFF))  # the boot code enters chunk 0 by the handler
    put(EFLAGS_VAR, struct.pack("<I", 0x202 | env.randrange(4) << 12))
    put(BASE + 0xF0, struct.pack("<HI", GDT_ENTRIES * 8 - 1, GDT))
    put(BASE + 0xF8, struct.pack("<HI", 256 * 8 - 1, IDT))
    boot = b"\x0f\x01\x15" + u32(BASE + 0xF0)                  # lgdt
    boot += b"\x0f\x01\x1d" + u32(BASE + 0xF8)                 # lidt
    boot += b"\xea" + struct.pack("<IH", code_at + len(boot) + 7, KCODE)
    boot += b"\x66\xb8\x10\x00\x8e\xd8\x8e\xc0\x8e\xd0\x8e\xe0\x8e\xe8"
    boot += b"\xbc\x00\x00\x09\x00"                            # mov esp, 0x90000
    if paging:
        # random_code's tables (16 MiB identity by 4 MiB pages, the 32-36 MiB alias through
        # the page table), and the top 64 MiB: the APIC pages' 4 MiB, the page table again
        # at 0xFC000000, the low 4 MiB at 0xFFC00000.
        for i in range(4):
            put(PD + 4 * i, struct.pack("<I", (i << 22) | 0x87))
        put(PD + 4 * 8, struct.pack("<I", PT | 0x07))
        put(PD + 4 * 1008, struct.pack("<I", PT | 0x07))
        put(PD + 4 * 1019, struct.pack("<I", 0xFEC00000 | 0x9F))
        put(PD + 4 * 1023, struct.pack("<I", 0x87))
        for i in range(1024):
            put(PT + 4 * i, struct.pack("<I", (i << 12) | 0x07))
        boot += b"\xb8" + u32(PD) + b"\x0f\x22\xd8"
        boot += b"\x0f\x20\xe0\x83\xc8\x10\x0f\x22\xe0"          # cr4 |= PSE
        boot += b"\x0f\x20\xc0\x0d\x00\x00\x00\x80\x0f\x22\xc0"  # cr0 |= PG
    boot += b"\x66\xb8" + struct.pack("<H", LDT_SEL) + b"\x0f\x00\xd0"   # lldt
    boot += b"\x66\xb8" + struct.pack("<H", TSS_SEL) + b"\x0f\x00\xd8"   # ltr
    boot += b"\xdb\xe3"                                                 # fninit
    if gates16:
        jump = b"\xe9" + struct.pack("<i", HANDLER - (LOW_HANDLER + 5)) + b"\x90\x90\x90"
        boot += mov_mem_imm(LOW_HANDLER, struct.unpack("<I", jump[:4])[0])
        boot += mov_mem_imm(LOW_HANDLER + 4, struct.unpack("<I", jump[4:])[0])
    boot += b"\xe9" + struct.pack("<i", HANDLER - (code_at + len(boot) + 5))
    assert len(boot) <= 0xB0
    put(code_at, boot)
    h = handler(ring3)
    assert HANDLER + len(h) + 0x80 <= STUBS
    put(HANDLER, h)
    put(CHUNKS_AT, chunks(seed, gates16=gates16, richer=richer))
    return elf(img)


def elf(img):
    code_at = BASE + 0x40
    ehdr = b"\x7fELF" + bytes([1, 1, 1, 0]) + b"\x00" * 8 + struct.pack(
        "<HHIIIIIHHHHHH", 2, 3, 1, code_at, 52, 0, 0, 52, 32, 1, 40, 0, 0)
    phdr = struct.pack("<IIIIIIII", 1, 0x1000, BASE, BASE, len(img), len(img) + 0x10000, 7,
                       0x1000)
    head = ehdr + phdr
    return head + b"\x00" * (0x1000 - len(head)) + bytes(img)


def with_chunks(image, data):
    """An image of random_code's (kernel or pv_kernel) with its chunks replaced."""
    img = bytearray(image)
    at = 0x1000 + (CHUNKS_AT - BASE)
    img[at:at + len(data)] = data
    return bytes(img)


def pv_kernel(seed):
    """random_code.pv_kernel(seed, ring3=True) with the PV-safe rich chunks."""
    return with_chunks(random_code.pv_kernel(seed, True), chunks(seed, pv=True))


def pv_reference_base(seed):
    """The native kernel the pv reference starts from: random_code's ring-3 paging kernel
    (its plain tables, as the PV stub's view has) with the PV-safe rich chunks."""
    return with_chunks(random_code.kernel(seed, True, True), chunks(seed, pv=True))
