#!/usr/bin/env python3
"""The engine and the modes never name a front end's options in their messages.

engine/ and modes/ sit below every front end (docs/architecture.md): their errors and stop
messages reach the CLI, the GUI and the lab graders alike, so a message must say what is
wrong in the machine's terms ("nested paging needs the VT CPU"), never in one front end's
flags ("--npt needs --cpu vt"), which the GUI's user has never seen. This scans every string
literal in engine/ and modes/ (tests excluded) for something spelt like a long option.

    engine_messages.py --root REPO       check the tree
    engine_messages.py --self-test       plant a flag in a scratch tree and find it
"""
import argparse
import os
import re
import sys
import tempfile

LITERAL = re.compile(r'"(?:[^"\\\n]|\\.)*"')
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]+")


def code_of(line):
    """The line without a // comment (one outside a string literal)."""
    out, in_str, i = [], False, 0
    while i < len(line):
        c = line[i]
        if in_str:
            if c == "\\":
                out.append(line[i : i + 2])
                i += 2
                continue
            if c == '"':
                in_str = False
        elif c == '"':
            in_str = True
        elif line.startswith("//", i):
            break
        out.append(c)
        i += 1
    return "".join(out)


def violations(root):
    found = []
    for top in ("engine", "modes"):
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames[:] = [d for d in dirnames if d != "tests"]
            for name in sorted(filenames):
                if not name.endswith((".cpp", ".h")):
                    continue
                path = os.path.join(dirpath, name)
                with open(path, encoding="utf-8", errors="replace") as f:
                    for number, line in enumerate(f, 1):
                        for literal in LITERAL.findall(code_of(line)):
                            for flag in FLAG.findall(literal):
                                found.append(f"{os.path.relpath(path, root)}:{number}: {flag} in {literal}")
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root")
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    if a.self_test:
        with tempfile.TemporaryDirectory() as tmp:
            os.makedirs(os.path.join(tmp, "modes", "x", "tests"))
            os.makedirs(os.path.join(tmp, "engine"))
            with open(os.path.join(tmp, "modes", "x", "m.cpp"), "w") as f:
                f.write('// --comment-flag is fine\nauto e = Error{"use --npt here"};  // "--x"\n')
            with open(os.path.join(tmp, "modes", "x", "tests", "t.cpp"), "w") as f:
                f.write('EXPECT_EQ(s, "--flag in a test is fine");\n')
            with open(os.path.join(tmp, "engine", "e.cpp"), "w") as f:
                f.write('auto s = "a -- b, x--y, -m";\n')
            got = violations(tmp)
            ok = len(got) == 1 and got[0].startswith("modes/x/m.cpp:2: --npt")
            print("1 passed, 0 failed" if ok else f"0 passed, 1 failed: {got}")
            return 0 if ok else 1
    found = violations(a.root)
    for v in found:
        print(v)
    print(f"{0 if found else 1} passed, {1 if found else 0} failed")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
