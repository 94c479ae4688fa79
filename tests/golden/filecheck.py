#!/usr/bin/env python3
"""A small pattern checker in the spirit of LLVM's FileCheck.

    filecheck.py CHECKFILE [INPUT]        (INPUT defaults to stdin)

CHECKFILE holds directives, one per line, anywhere in the line (so they can sit in
comments); every other line is ignored:

    CHECK: pattern          the pattern occurs on a line at or after the previous match
    CHECK-NEXT: pattern     the pattern occurs on the line right after the previous match
    CHECK-NOT: pattern      the pattern occurs on no line between the previous match and
                            the next one (or the end of the input)
    CHECK-COUNT-n: pattern  n successive CHECKs of the same pattern
    CHECK-EMPTY:            the line right after the previous match is empty

A pattern is literal text, except {{...}}, which is a Python regular expression (a
regex that ends in "}" closes at the last brace of the run: {{[0-9]{5}}}):
    CHECK: "port_io": {"id": 14, "count": {{[0-9]+}}, "cycles": 0}
Matching is within one line. Exit status 0 when every directive holds; otherwise 1 and a
report naming the directive, its line in CHECKFILE, and where in the input it looked.
"""
import re
import sys

DIRECTIVE = re.compile(r"\b(CHECK(?:-NEXT|-NOT|-EMPTY|-COUNT-(\d+))?):(.*)$")


def compile_pattern(text):
    parts, i = [], 0
    while True:
        start = text.find("{{", i)
        if start < 0:
            parts.append(re.escape(text[i:]))
            break
        end = text.find("}}", start + 2)
        if end < 0:
            raise ValueError(f"unterminated {{{{ in pattern: {text}")
        # A regex ending in a brace ({{[0-9]{5}}}) closes at the last brace of the run.
        while end + 2 < len(text) and text[end + 2] == "}":
            end += 1
        parts.append(re.escape(text[i:start]))
        parts.append("(?:" + text[start + 2:end] + ")")
        i = end + 2
    return re.compile("".join(parts))


def parse_checks(lines):
    checks = []
    for number, line in enumerate(lines, 1):
        m = DIRECTIVE.search(line)
        if not m:
            continue
        kind, count, pattern = m.group(1), m.group(2), m.group(3).strip()
        if count is not None:
            checks.extend(("CHECK", pattern, number) for _ in range(int(count)))
        else:
            checks.append((kind, pattern, number))
    return checks


class Failure(Exception):
    pass


def context(lines, at, n=3):
    out = []
    for i in range(max(0, at), min(len(lines), at + n)):
        out.append(f"  input:{i + 1}: {lines[i]}")
    return "\n".join(out) if out else "  (end of input)"


def run(checks, lines, checkfile):
    pos = 0            # first input line the next CHECK may match
    last = -1          # line of the previous match
    nots = []          # pending CHECK-NOTs: (regex, pattern, check line, range start)

    def settle_nots(end):
        for regex, pattern, number, start in nots:
            for i in range(start, end):
                if regex.search(lines[i]):
                    raise Failure(f"{checkfile}:{number}: CHECK-NOT: {pattern}\n"
                                  f"  found on input:{i + 1}: {lines[i]}")
        nots.clear()

    for kind, pattern, number in checks:
        where = f"{checkfile}:{number}: {kind}: {pattern}"
        if kind == "CHECK-EMPTY":
            i = last + 1
            if i >= len(lines) or lines[i].strip():
                raise Failure(f"{where}\n  expected an empty line\n{context(lines, i)}")
            settle_nots(i)
            pos, last = i + 1, i
            continue
        regex = compile_pattern(pattern)
        if kind == "CHECK-NOT":
            nots.append((regex, pattern, number, pos))
            continue
        if kind == "CHECK-NEXT":
            i = last + 1
            if i >= len(lines) or not regex.search(lines[i]):
                raise Failure(f"{where}\n  not on the line after the previous match:\n"
                              f"{context(lines, i, 1)}")
        else:
            i = next((k for k in range(pos, len(lines)) if regex.search(lines[k])), None)
            if i is None:
                raise Failure(f"{where}\n  no match; scanning from here:\n{context(lines, pos)}")
        settle_nots(i)
        pos, last = i + 1, i
    settle_nots(len(lines))


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    checkfile = argv[1]
    checks = parse_checks(open(checkfile, encoding="utf-8").read().splitlines())
    if not checks:
        print(f"{checkfile}: no CHECK directives", file=sys.stderr)
        return 2
    data = open(argv[2], encoding="utf-8").read() if len(argv) == 3 else sys.stdin.read()
    try:
        run(checks, data.splitlines(), checkfile)
    except Failure as f:
        print(f"FAIL: {f}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
