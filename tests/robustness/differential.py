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
test, and a listed one that now agrees is reported so that the list can shrink. PV joins
when the random kernels get their PV stub.

  differential.py --vmlab build/cli/vmlab [--seeds 40] [--first 1] [--budget 100000]
                  [--ring3] [--paging] [--known tests/robustness/differential.known]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import random_code  # noqa: E402

MODES = ["native", "trap", "trap-npt", "trap-classic", "bt"]
DONE = b"\xb0\x00\xe6\xf4\xf4\xeb\xfd"  # the handler's done: mov al, 0; out 0xf4, al; hlt


def dump_registers():
    code = b""
    for mov in (b"\x89\xd8", b"\x89\xc8", b"\x89\xd0", b"\x89\xf0", b"\x89\xf8", b"\x89\xe8"):
        code += mov                                 # mov eax, ebx/ecx/edx/esi/edi/ebp
        code += (b"\xe6\xe9" + b"\xc1\xe8\x08") * 3  # out 0xe9, al; shr eax, 8
        code += b"\xe6\xe9"
    return code + DONE


def kernel(seed, ring3, paging):
    img = bytearray(random_code.kernel(seed, ring3, paging))
    at = img.find(DONE)
    assert at > 0 and img.find(DONE, at + 1) < 0
    dump = dump_registers()
    # The handler's done label is its last bytes; the space after it is free up to the TSS.
    assert all(b == 0 for b in img[at + len(DONE):at + len(dump)])
    img[at:at + len(dump)] = dump
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
    ap.add_argument("--budget", type=int, default=100000)
    ap.add_argument("--ring3", action="store_true")
    ap.add_argument("--paging", action="store_true")
    ap.add_argument("--known")
    a = ap.parse_args()
    known = load_known(a.known)
    flavour = ("ring3 " if a.ring3 else "") + ("paging" if a.paging else "")
    new, excused, fixed, agree = [], 0, [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(a.first, a.first + a.seeds):
            path = os.path.join(tmp, f"diff{seed}.elf")
            with open(path, "wb") as f:
                f.write(kernel(seed, a.ring3, a.paging))
            results = {m: run(a.vmlab, m, path, a.budget, os.path.join(tmp, f"{seed}-{m}"))
                       for m in MODES}
            rc0, out0, _, _ = results["native"]
            line = [f"native={rc0}"]
            all_agree = True
            native4 = None
            for m in MODES[1:]:
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
                    rc, out, err, sensitive = run(a.vmlab, m, path, 4 * a.budget,
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
                    new.append(f"{key}: {what} (native {rc0}); {err[-160:]}")
            agree += all_agree
            print(f"seed {seed}: " + " ".join(line))
    print(f"{agree} of {a.seeds} kernels agree in all modes; {excused} Popek-Goldberg "
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
