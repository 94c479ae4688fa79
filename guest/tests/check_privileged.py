#!/usr/bin/env python3
"""Checks that privileged and sensitive instructions occur only where pv_ops allows.

The rule (docs/guest.md, "pv_ops"): the only code that may execute privileged
instructions is the native pv_ops table (kernel/pv_ops_native.c, every function
named native_*) and the boot code (kernel/boot.S: _start and boot_*). Everything
else must call through pv_ops, so that a paravirtual table can replace it.

Why the built image and not the sources: what the CPU (or a monitor) will see is
the machine code, including code the compiler generated and inline assembly in
headers. objdump -d of the linked ELF, split by function symbol, shows exactly
which function each instruction belongs to. User programs must contain none.

Exit status: 0 = clean, 1 = violations (listed), 2 = the check could not run.
"""
import argparse
import re
import subprocess
import sys

# Privileged instructions (fault outside ring 0) and the Popek-Goldberg
# sensitive-but-unprivileged ones a kernel would use (they silently behave
# differently in ring 1). Moves to/from control and debug registers are
# matched on their operands below.
PRIVILEGED = {
    "cli", "sti", "hlt", "clts", "lgdt", "lidt", "lldt", "ltr", "lmsw", "invlpg",
    "invd", "wbinvd", "rdmsr", "wrmsr", "rdpmc",
    "in", "inb", "inw", "inl", "out", "outb", "outw", "outl",
    "ins", "insb", "insw", "insl", "outs", "outsb", "outsw", "outsl",
}
SENSITIVE = {
    "pushf", "pushfl", "pushfd", "popf", "popfl", "popfd", "sgdt", "sidt", "sldt",
    "str", "smsw", "lar", "lsl", "verr", "verw",
}
CONTROL_REGISTER = re.compile(r"%(cr|db|dr)[0-9]")
ALLOWED_SYMBOL = re.compile(r"^(native_|boot_|_start$)")

# The check must find these in the native table and boot code; otherwise the
# parser is broken and a pass would mean nothing.
EXPECTED_IN_KERNEL = {"lgdt", "lidt", "ltr", "invlpg", "cli", "sti", "hlt", "in", "out", "mov %cr"}


def disassemble(objdump, path):
    out = subprocess.run([objdump, "-d", "--no-show-raw-insn", path], check=True,
                         capture_output=True, text=True).stdout
    symbol = None
    for line in out.splitlines():
        header = re.match(r"^[0-9a-f]+ <([^>]+)>:$", line)
        if header:
            symbol = header.group(1)
            continue
        insn = re.match(r"^\s*([0-9a-f]+):\s+(\S+)\s*(.*)$", line)
        if insn and symbol is not None:
            yield symbol, insn.group(1), insn.group(2), insn.group(3)


def classify(mnemonic, operands):
    m = mnemonic.split(".")[0]
    if m in ("rep", "repz", "repnz", "lock") and operands:
        m = operands.split()[0]
    if m in PRIVILEGED or m in SENSITIVE:
        return m
    if m[-1:] in ("l", "w") and (m[:-1] in PRIVILEGED or m[:-1] in SENSITIVE):
        return m[:-1]  # AT&T size suffix: lidtl, lgdtl, ...
    if m.startswith("mov") and CONTROL_REGISTER.search(operands):
        return "mov %cr"
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--objdump", default="objdump")
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--user", nargs="*", default=[])
    args = ap.parse_args()

    violations = []
    found = set()
    try:
        for symbol, addr, mnemonic, operands in disassemble(args.objdump, args.kernel):
            kind = classify(mnemonic, operands)
            if not kind:
                continue
            if ALLOWED_SYMBOL.match(symbol):
                found.add(kind)
            else:
                violations.append(f"{args.kernel}: {symbol} at {addr}: {mnemonic} {operands}")
        for user in args.user:
            for symbol, addr, mnemonic, operands in disassemble(args.objdump, user):
                if classify(mnemonic, operands):
                    violations.append(f"{user}: {symbol} at {addr}: {mnemonic} {operands}")
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"check_privileged: cannot run objdump: {e}", file=sys.stderr)
        return 2

    missing = EXPECTED_IN_KERNEL - found
    if missing:
        print("check_privileged: expected instructions not found in native_*/boot code: "
              + ", ".join(sorted(missing)) + " (is the disassembly parsed correctly?)",
              file=sys.stderr)
        return 2
    if violations:
        print("privileged or sensitive instructions outside pv_ops_native.c and boot.S:")
        for v in violations:
            print("  " + v)
        return 1
    print(f"ok: {len(found)} kinds of privileged/sensitive instructions, all in native_* or boot code")
    return 0


if __name__ == "__main__":
    sys.exit(main())
