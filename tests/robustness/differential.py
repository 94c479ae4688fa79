#!/usr/bin/env python3
"""Modes must agree (issue 12, item 6): random guests give in every mode what they give
natively.

Each kernel is one of tests/robustness/random_code.py's (imported: the same seeds give the
same code), with one change: when the last chunk is done, the handler writes the last
chunk's EBX, ECX, EDX, ESI, EDI and EBP to the 0xE9 debug console (4 bytes each, little-
endian) before it writes the exit port, so that the console carries the final registers.
Every mode must end each kernel with native's exit status; when native ends by the exit
port (a status 0-63), the console (which holds the registers) must be byte-identical too.
A run that ends on the budget is compared by status only: the budget counts delivered
exceptions, and a monitor takes exceptions native does not (hidden page faults), so the
point where the budget runs out differs; when only one side ran out, both run again with
four times the budget before they are compared.

trap-classic may differ where the classic CPU has a Popek-Goldberg hole (docs/modes/
trap-and-emulate.md): a run whose stats count a sensitive_no_trap event is excused.
Every other disagreement must be in the --known file ("SEED MODE [ring3] [paging]" per
line, # comments), which lists the ones not fixed yet; a disagreement not listed fails the
test, and a listed one that now agrees is reported so that the list can shrink.

PV (--mode pv) runs another image, random_code.pv_kernel(seed, ring3): the same chunks in a
kernel with the PV note, whose handler is in ring 1 and ends with console_io and sched_op
shutdown(0), because ring 1 has no port I/O (docs/pv-abi.md). What it must agree with
native on is what its chunks can see, so pv joins only with --ring3 and is compared with
a native reference built for it (pv_reference): the ring-3 native kernel with paging on
and, as under the PV stub, only the user stack page (0x8E000) and the chunks' page
(0x101000) user-accessible. A chunk at CPL 3 then reaches the same memory with the same
contents in both, takes its first fault or INT n at the same instruction (which vector,
#PF, #GP or a direct INT n through the DPL-3 trap table, does not matter: the handler
only counts), and the handler dumps the last chunk's EBX, ECX, EDX, ESI, EDI and EBP in
both (console_io under pv). Status and console must be identical. Without --ring3 the
chunks would run in ring 1 under pv and in ring 0 natively, where every privileged
instruction and port access stops a pv chunk and not a native one, and the random code
may write the exit port natively only: nothing comparable, so no pv run; without its
own page tables a PV guest has no --paging variant either. The differences PV has by
design and a ring-3 chunk can see are the descriptor tables and control registers that
are the monitor's (SGDT, SIDT, SLDT, STR, SMSW, and LAR, LSL, VERR, VERW on the monitor's
GDT, whose user segments stop below the hypervisor hole): nothing is excused for them
automatically; each disagreement is listed in --pv-known ("SEED pv ring3", # the cause),
which follows the same rules as --known. pv runs with --pv (with the other modes) or
--pv-only.

  differential.py --vmlab build/cli/vmlab [--seeds 40] [--first 1 | --only S,S,...]
                  [--budget 100000]
                  [--ring3] [--paging] [--known tests/robustness/differential.known]
                  [--ring3 --pv|--pv-only --pv-known tests/robustness/differential_pv.known]
                  [--rich | --gates16 | --richer]

With --rich the kernels are rich_code.py's (the same frame and register dump; snippets
that real kernels run, in an environment a real kernel builds), and the known lists name
them "SEED MODE rich [ring3] [paging]"; under pv its chunks are the PV-safe ones, and the
reference random_code's ring-3 paging kernel with those chunks. --gates16 is --rich whose IDT
writes include 16-bit interrupt and trap gates (new kernels: --rich's stay the same); its
known entries read "SEED MODE rich gates16 [ring3] [paging]". --richer: rich_code's
kernels whose chunks also draw on its RICHER snippets (IOPL through POPF, LAR/LSL/VERR/VERW
on every descriptor type, read-modify-write instructions on traced pages, segment loads
through overrides, INVLPG in the top 64 MiB, CR0.WP/TS toggles), named "SEED MODE richer
[ring3] [paging]" in the known list; no pv variant.
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import random_code  # noqa: E402
import rich_code  # noqa: E402

MODES = ["native", "trap", "trap-npt", "trap-classic", "bt"]
DONE = b"\xb0\x00\xe6\xf4\xf4\xeb\xfd"  # the handler's done: mov al, 0; out 0xf4, al; hlt


def dump_registers():
    code = b""
    for mov in (b"\x89\xd8", b"\x89\xc8", b"\x89\xd0", b"\x89\xf0", b"\x89\xf8", b"\x89\xe8"):
        code += mov                                 # mov eax, ebx/ecx/edx/esi/edi/ebp
        code += (b"\xe6\xe9" + b"\xc1\xe8\x08") * 3  # out 0xe9, al; shr eax, 8
        code += b"\xe6\xe9"
    return code + DONE


def kernel(seed, ring3, paging, rich=False, gates16=False, richer=False):
    if gates16 or richer:
        return with_dump(rich_code.kernel(seed, ring3, paging, gates16=gates16, richer=richer))
    return with_dump((rich_code if rich else random_code).kernel(seed, ring3, paging))


def with_dump(image):
    img = bytearray(image)
    at = img.find(DONE)
    assert at > 0 and img.find(DONE, at + 1) < 0
    dump = dump_registers()
    # The handler's done label is its last bytes; the space after it is free up to the TSS.
    assert all(b == 0 for b in img[at + len(DONE):at + len(dump)])
    img[at:at + len(dump)] = dump
    return bytes(img)


# The PV stub's done: sched_op(SCHEDOP_shutdown, 0).
PV_DONE = b"\xb8\x1d\x00\x00\x00\xbb\x02\x00\x00\x00\x31\xc9\xcd\x82\xeb\xfe"
PV_DUMP_AT = random_code.BASE + 0xF00  # free space in the PV stub's first page
PV_USER_PAGES = (0x8E000, random_code.BASE + 0x1000)  # what pv_kernel makes user-accessible


# xor ebx, ebx; xor ecx, ecx; xor edx, edx; xor esi, esi; xor edi, edi; xor ebp, ebp
CLEAR = b"\x31\xdb\x31\xc9\x31\xd2\x31\xf6\x31\xff\x31\xed"


def clear_before_first_chunk(img, boot_end):
    """Boot code ends with `jmp rel32` at boot_end - 5 (file offsets): put CLEAR before it,
    so that the first chunk starts with the same registers in both kernels (the entry
    protocols differ: Multiboot's EBX and the PV stub's hypercall arguments, start-info
    pointer, P2M and directory addresses would otherwise leak into the dump)."""
    assert img[boot_end - 5] == 0xE9 and all(b == 0 for b in img[boot_end:boot_end + 12])
    target = boot_end + struct.unpack_from("<i", img, boot_end - 4)[0]
    img[boot_end - 5:boot_end + 12] = CLEAR + b"\xe9" + struct.pack(
        "<i", target - (boot_end + len(CLEAR)))


def boot_end(img):
    """The file offset just past the boot code's final jmp, the one to the handler at
    BASE+0xA10 (with --ring3 the handler enters the first chunk); the code starts at
    BASE+0x40, file offset 0x1040."""
    for end in range(0x1045, 0x1100):
        rel = 0x1A10 - end
        if img[end - 5] == 0xE9 and struct.unpack_from("<i", img, end - 4)[0] == rel:
            return end
    raise AssertionError("no jmp to the handler in the boot code")


def pv_kernel(seed, rich=False):
    """random_code.pv_kernel(seed, ring3=True) (rich: rich_code.pv_kernel(seed)), whose
    handler, after the last chunk, stores EBX, ECX, EDX, ESI, EDI and EBP at PV_DUMP_AT and
    writes those 24 bytes to the console with console_io (hypercall 18) before sched_op
    shutdown(0)."""
    img = bytearray(rich_code.pv_kernel(seed) if rich else random_code.pv_kernel(seed, True))
    at = img.find(PV_DONE)
    assert at > 0 and img.find(PV_DONE, at + 1) < 0
    dump = b""
    for i, modrm in enumerate((0x1D, 0x0D, 0x15, 0x35, 0x3D, 0x2D)):  # ebx ecx edx esi edi ebp
        dump += b"\x89" + bytes([modrm]) + struct.pack("<I", PV_DUMP_AT + 4 * i)
    dump += (b"\xb8\x12\x00\x00\x00\x31\xdb"                 # mov eax, 18; xor ebx, ebx
             + b"\xb9\x18\x00\x00\x00"                       # mov ecx, 24
             + b"\xba" + struct.pack("<I", PV_DUMP_AT) + b"\xcd\x82")  # mov edx, buf; int 0x82
    dump += PV_DONE
    offset = 0x1000 + PV_DUMP_AT - random_code.BASE  # the ELF's first page is its headers
    assert at + len(dump) <= offset and all(b == 0 for b in img[at + len(PV_DONE):offset + 24])
    img[at:at + len(dump)] = dump
    clear_before_first_chunk(img, boot_end(img))
    return bytes(img)


def pv_reference(seed, rich=False):
    """The native kernel pv is compared with: kernel(seed, ring3=True, paging=True) with
    the PV stub's view from ring 3. The first 4 MiB are mapped by the page table at
    BASE+0x3000, identity, supervisor-only but for PV_USER_PAGES; 4-16 MiB by supervisor
    4 MiB pages; nothing above (the alias at 32 MiB goes). rich: random_code's kernel
    with the PV-safe rich chunks (rich_code.pv_reference_base), the tables being the
    monitor's under pv."""
    img = bytearray(with_dump(rich_code.pv_reference_base(seed)) if rich
                    else kernel(seed, True, True))
    pd, pt = 0x1000 + 0x2000, 0x1000 + 0x3000  # file offsets of BASE+0x2000, BASE+0x3000
    img[pd:pd + 4096] = bytes(4096)
    img[pd:pd + 4] = struct.pack("<I", (random_code.BASE + 0x3000) | 0x07)
    for i in range(1, 4):
        img[pd + 4 * i:pd + 4 * i + 4] = struct.pack("<I", (i << 22) | 0x83)
    for i in range(1024):
        user = (i << 12) in PV_USER_PAGES
        img[pt + 4 * i:pt + 4 * i + 4] = struct.pack("<I", (i << 12) | (0x07 if user else 0x03))
    clear_before_first_chunk(img, boot_end(img))
    return bytes(img)


def run(vmlab, mode, path, budget, out):
    # The guest sees its image's path on its command line (in memory that random code may
    # read), so vmlab runs in the image's folder with a path that is the same every time.
    args = [os.path.abspath(vmlab), "run", "--max-instructions", str(budget), "--memory", "16",
            "--out", out, *random_code.MODES[mode], os.path.basename(path)]
    p = subprocess.run(args, capture_output=True, timeout=120, stdin=subprocess.DEVNULL,
                       cwd=os.path.dirname(path))
    sensitive = 0
    try:
        stats = json.load(open(os.path.join(out, "stats.json")))
        sensitive = stats["events"].get("sensitive_no_trap", {}).get("count", 0)
    except (OSError, ValueError, KeyError):
        pass
    return p.returncode, p.stdout, p.stderr.decode(errors="replace").strip(), sensitive


def load_known(path):
    known = set()
    if path and os.path.exists(path):
        for line in open(path):
            line = line.split("#")[0].split()
            if line:
                known.add(" ".join(line))
    return known


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vmlab", required=True)
    ap.add_argument("--seeds", type=int, default=40)
    ap.add_argument("--first", type=int, default=1)
    ap.add_argument("--only", help="comma-separated seeds instead of --first/--seeds "
                    "(the regressions a wider sweep found)")
    ap.add_argument("--budget", type=int, default=100000)
    ap.add_argument("--ring3", action="store_true")
    ap.add_argument("--paging", action="store_true")
    ap.add_argument("--known")
    ap.add_argument("--pv", action="store_true",
                    help="with --ring3: also pv against its native reference")
    ap.add_argument("--pv-only", action="store_true", help="--pv, and no other mode")
    ap.add_argument("--pv-known", help="the pv disagreements not fixed yet")
    ap.add_argument("--gates16", action="store_true",
                    help="--rich, with 16-bit interrupt and trap gates among the IDT writes "
                    "(rich_code.py; new kernels, --rich's are unchanged)")
    ap.add_argument("--rich", action="store_true",
                    help="rich_code.py's kernels (what real kernels do) instead of "
                    "random_code.py's")
    ap.add_argument("--richer", action="store_true",
                    help="rich_code.py's kernels with its --richer snippets too (another "
                    "random stream: the --rich seeds keep their bytes)")
    a = ap.parse_args()
    with_pv = a.pv or a.pv_only
    if with_pv and (not a.ring3 or a.paging):
        ap.error("pv is compared only with --ring3 and without --paging (see the docstring)")
    if with_pv and a.richer:
        ap.error("--richer has no pv variant: its snippets use the kernel's own tables")
    known = load_known(a.known) | load_known(a.pv_known)
    modes = ["native"] if a.pv_only else MODES
    if a.gates16 and with_pv:
        ap.error("--gates16 is not compared under pv (its chunks write no IDT)")
    a.rich = a.rich or a.gates16
    flavour = ("richer " if a.richer else "rich " if a.rich else "") + (
        "gates16 " if a.gates16 else "") + ("ring3 " if a.ring3 else "") + (
        "paging" if a.paging else "")
    new, excused, fixed, agree = [], 0, [], 0
    with tempfile.TemporaryDirectory() as tmp:
        seeds = ([int(x) for x in a.only.split(",")] if a.only
                 else range(a.first, a.first + a.seeds))
        for seed in seeds:
            path = os.path.join(tmp, f"diff{seed}.elf")
            with open(path, "wb") as f:
                f.write(kernel(seed, a.ring3, a.paging, a.rich, a.gates16, a.richer))
            results = {m: run(a.vmlab, m, path, a.budget, os.path.join(tmp, f"{seed}-{m}"))
                       for m in modes}
            rc0, out0, _, _ = results["native"]
            line = [f"native={rc0}"]
            all_agree = True
            native4 = None
            compared = modes[1:]
            if with_pv:
                # pv against its own native reference (the docstring says why).
                ref = os.path.join(tmp, f"diff{seed}-pvref.elf")
                with open(ref, "wb") as f:
                    f.write(pv_reference(seed, a.rich))
                pv = os.path.join(tmp, f"diff{seed}-pv.elf")
                with open(pv, "wb") as f:
                    f.write(pv_kernel(seed, a.rich))
                results["pv"] = run(a.vmlab, "pv", pv, a.budget, os.path.join(tmp, f"{seed}-pv"))
                compared = compared + ["pv"]
            for m in compared:
                if m == "pv":
                    path, native4 = ref, None
                    rc0, out0, _, _ = run(a.vmlab, "native", ref, a.budget,
                                          os.path.join(tmp, f"{seed}-pvref"))
                    line.append(f"pvref={rc0}")
                    image = pv
                else:
                    image = path
                rc, out, err, sensitive = results[m]
                same = rc == rc0 and (rc0 > 63 or out == out0)
                if not same and 72 in (rc, rc0):
                    # One side ran out of budget: the modes spend it differently (a
                    # monitor's hidden faults are delivered exceptions too), so give both
                    # four times as much and compare again.
                    if native4 is None:
                        native4 = run(a.vmlab, "native", path, 4 * a.budget,
                                      os.path.join(tmp, f"{seed}-native-4"))
                    rc0_4, out0_4 = native4[0], native4[1]
                    rc, out, err, sensitive = run(a.vmlab, m, image, 4 * a.budget,
                                                  os.path.join(tmp, f"{seed}-{m}-4"))
                    same = rc == rc0_4 and (rc0_4 > 63 or out == out0_4)
                key = " ".join(f"{seed} {m} {flavour}".split())
                if same:
                    line.append(f"{m}=ok")
                    if key in known:
                        fixed.append(key)
                    continue
                all_agree = False
                what = f"status {rc}" if rc != rc0 else "console/registers differ"
                if m == "trap-classic" and sensitive:
                    excused += 1
                    line.append(f"{m}=PG({what})")
                elif key in known:
                    line.append(f"{m}=known({what})")
                else:
                    line.append(f"{m}=NEW({what})")
                    new.append(f"{key}: {what} ({'pvref' if m == 'pv' else 'native'} {rc0}); "
                               f"{err[-160:]}")
            agree += all_agree
            print(f"seed {seed}: " + " ".join(line))
    print(f"{agree} of {len(seeds)} kernels agree in all modes; {excused} Popek-Goldberg "
          f"differences excused on the classic CPU")
    for k in fixed:
        print(f"NOW AGREES (remove it from the known list): {k}")
    for n in new:
        print(f"FAIL {n}")
    if new:
        print(f"{len(new)} new disagreement(s)")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
