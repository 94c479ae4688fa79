#!/usr/bin/env python3
"""What a lab handout says the student should see is what the commands print today.

In labs/NN-name/README.md, a ```text block preceded by `<!-- lab-output -->` shows output
of the ```sh block before it. This test runs that sh block as tests/docs/doc_commands.py
does (from a scratch folder that looks like the repository root) and checks that every
line of the text block appears, in order, as part of a line of the block's stdout and
stderr (runs of blanks compare as one). Every other sh block of the handouts runs too
(doc_commands.py covers them as well); a block that ends with a usage or internal-error
status fails.

  handout_outputs.py --build DIR [--root DIR]
  handout_outputs.py --self-test     the matcher on planted lines
"""
import argparse
import glob
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs"))
import doc_commands  # noqa: E402


def handout_blocks(path):
    """[(line, sh_text, expected_lines or None)] of one handout."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    out, i, pending_output = [], 0, False
    while i < len(lines):
        line = lines[i]
        if "<!-- lab-output -->" in line:
            pending_output = True
        fence = line.startswith("```")
        if fence:
            lang = line[3:].strip()
            start = i
            i += 1
            body = []
            while i < len(lines) and not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            skip = any(doc_commands.SKIP.search(lines[b]) for b in range(max(start - 2, 0), start))
            if lang in ("sh", "bash", "shell") and not skip:
                out.append([start + 1, "\n".join(body), None])
            elif lang == "text" and pending_output:
                if not out:
                    raise SystemExit(f"{path}:{start + 1}: a lab-output block with no sh block before it")
                out[-1][2] = [l for l in body if l.strip()]
            pending_output = False
        i += 1
    return out


def in_order(expected, actual_lines):
    """The first expected line not found (in order), or None."""
    def squeeze(text):  # runs of blanks count as one (table columns)
        return " ".join(text.split())

    actual_lines = [squeeze(l) for l in actual_lines]
    at = 0
    for want in expected:
        want = squeeze(want)
        while at < len(actual_lines) and want not in actual_lines[at]:
            at += 1
        if at == len(actual_lines):
            return want
        at += 1
    return None


def self_test():
    """The matcher finds shown lines in order (blanks squeezed) and misses the others."""
    got = ["vmlab compare: x", "in     trap    100   6504.6", "done status=0"]
    cases = [(["in trap 100 6504.6", "done status=0"], None),
             (["done status=0", "in trap 100"], "in trap 100"),
             (["in trap 100 6504.7"], "in trap 100 6504.7")]
    wrong = [c for c in cases if in_order(c[0], got) != c[1]]
    print(f"self-test: {len(cases) - len(wrong)} passed, {len(wrong)} failed")
    return 1 if wrong else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build")
    parser.add_argument("--root", default=os.path.join(os.path.dirname(__file__), "..", ".."))
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    if args.self_test:
        return self_test()
    if not args.build:
        parser.error("--build is required")
    root = os.path.abspath(args.root)
    cwd = doc_commands.scratch_root(root, args.build)
    passed = failed = 0
    try:
        for path in sorted(glob.glob(os.path.join(root, "labs", "*", "README.md"))):
            rel = os.path.relpath(path, root)
            for line, text, expected in handout_blocks(path):
                bad, p = doc_commands.run_block(text, cwd)
                got = (p.stdout + p.stderr).splitlines()
                if bad:
                    print(f"FAIL {rel}:{line}: {bad}\n{p.stderr[-1500:]}")
                    failed += 1
                    continue
                missing = in_order(expected, got) if expected else None
                if missing:
                    print(f"FAIL {rel}:{line}: the handout shows {missing!r}, the commands "
                          f"printed:\n" + "\n".join(got[-40:]))
                    failed += 1
                    continue
                print(f"ok   {rel}:{line}: {text.strip().splitlines()[0]}"
                      + (f" ({len(expected)} output lines match)" if expected else ""))
                passed += 1
    finally:
        shutil.rmtree(cwd, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
