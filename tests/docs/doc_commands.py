#!/usr/bin/env python3
"""Every command that README.md and docs/ show runs as written from the repository root.

The checker reads each ```sh block of README.md, */README.md, labs/*/README.md and
docs/**/*.md, joins continued lines, and runs the block with bash from a scratch folder
that looks like the repository root (every top-level entry linked, `build` linked to
the build folder under test), so that a command's own output files (`--out out`) land in
the scratch folder. A block fails when
a command is not found (a bare `vmlab` instead of `build/cli/vmlab`), or vmlab ends with
a status that means the command itself was wrong or could not run: usage (64), not a
kernel (65), cannot read (66), internal error (70), not implemented (76), a signal. The
guest's own statuses (0-63) and the documented stops (71-75) are what the commands show,
and pass.

Blocks that are not commands to run say so on the line before the fence:
`<!-- doc-test: skip REASON -->` (a synopsis, an installer, a benchmark that runs for
minutes). The checker prints each block it runs and each it skips with the reason, and
fails on the first block that does not run.

  doc_commands.py --build DIR [--root DIR] [--list]
  doc_commands.py --build DIR --self-test   planted bad commands must fail, good ones pass
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

FENCE = re.compile(r"^```(sh|bash|shell)\s*$")
SKIP = re.compile(r"<!--\s*doc-test:\s*skip\s+(.+?)\s*-->")
# vmlab statuses that mean the command as written is wrong (docs/cli.md, "Exit status").
BAD_STATUS = {64: "usage error", 65: "not a kernel vmlab boots", 66: "cannot read an input",
              70: "internal error", 76: "not implemented", 126: "not executable",
              127: "command not found"}


def blocks(root):
    """(file, line, text, skip_reason) for every shell block of the documentation."""
    files = [os.path.join(root, "README.md")]
    files += sorted(glob.glob(os.path.join(root, "*", "README.md")))
    files += sorted(glob.glob(os.path.join(root, "labs", "*", "README.md")))
    files += sorted(glob.glob(os.path.join(root, "docs", "**", "*.md"), recursive=True))
    found = []
    for path in files:
        rel = os.path.relpath(path, root)
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        i = 0
        while i < len(lines):
            if FENCE.match(lines[i]):
                start = i
                body = []
                i += 1
                while i < len(lines) and not lines[i].startswith("```"):
                    body.append(lines[i])
                    i += 1
                skip = None
                for back in range(start - 1, max(start - 3, -1), -1):
                    m = SKIP.search(lines[back])
                    if m:
                        skip = m.group(1)
                        break
                found.append((rel, start + 1, "\n".join(body), skip))
            i += 1
    return found


def scratch_root(root, build):
    d = tempfile.mkdtemp(prefix="vmlab-doc-")
    for entry in os.listdir(root):
        if entry in ("build", "out") or entry.startswith("."):
            continue
        os.symlink(os.path.join(root, entry), os.path.join(d, entry))
    os.symlink(os.path.abspath(build), os.path.join(d, "build"))
    return d


def run_block(text, cwd):
    """Runs the block line by line (a failing command stops it) and returns the first
    bad status with its command, or None."""
    bad = " ".join(str(s) for s in sorted(BAD_STATUS))
    script = ("set -o pipefail\n"
              "trap 's=$?; for b in " + bad + "; do if [ $s -eq $b ]; then"
              " echo \"doc-test: status $s: $BASH_COMMAND\" >&2; exit $s; fi; done' ERR\n"
              + text + "\n")
    # HOME is the scratch folder too, so that a command that installs under $HOME (the
    # README's `cmake --install ... --prefix "$HOME/.local"`) leaves the real one alone.
    env = dict(os.environ, HOME=cwd)
    p = subprocess.run(["bash", "-c", script], cwd=cwd, capture_output=True, text=True,
                       timeout=600, stdin=subprocess.DEVNULL, env=env)
    status = p.returncode
    if status < 0:
        return f"killed by signal {-status}", p
    if status in BAD_STATUS:
        return f"status {status} ({BAD_STATUS[status]})", p
    return None, p


def self_test(build):
    cases = [("build/cli/vmlab run --help >/dev/null", True),
             ("vmlab-that-does-not-exist run x.elf", False),
             ("build/cli/vmlab run --no-such-option x.elf", False),
             ("build/cli/vmlab run build/no-such-kernel.elf", False),
             ("build/cli/vmlab run --mode native build/tests/kernels/smoke/smoke_kernel.elf\n"
              "build/cli/vmlab run --memory x build/tests/kernels/smoke/smoke_kernel.elf", False)]
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    cwd = scratch_root(os.path.abspath(root), build)
    wrong = 0
    for text, should_pass in cases:
        bad, _ = run_block(text, cwd)
        if (bad is None) != should_pass:
            print(f"self-test: {text!r} {'failed' if bad else 'passed'}, expected otherwise")
            wrong += 1
    shutil.rmtree(cwd, ignore_errors=True)
    print(f"self-test: {len(cases) - wrong} passed, {wrong} failed")
    return 1 if wrong else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", required=True, help="the build folder the docs call build/")
    parser.add_argument("--root", default=os.path.join(os.path.dirname(__file__), "..", ".."))
    parser.add_argument("--list", action="store_true", help="list the blocks, run nothing")
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    if args.self_test:
        return self_test(args.build)
    root = os.path.abspath(args.root)
    found = blocks(root)
    cwd = scratch_root(root, args.build)
    try:
        return run_all(found, cwd, args.list)
    finally:
        shutil.rmtree(cwd, ignore_errors=True)


def run_all(found, cwd, list_only):
    ran = skipped = 0
    for rel, line, text, skip in found:
        first = text.strip().splitlines()[0] if text.strip() else ""
        if skip:
            print(f"skip {rel}:{line}: {skip}")
            skipped += 1
            continue
        if list_only:
            print(f"run  {rel}:{line}: {first}")
            continue
        print(f"run  {rel}:{line}: {first}", flush=True)
        bad, p = run_block(text, cwd)
        ran += 1
        if bad:
            print(f"FAIL {rel}:{line}: {bad}")
            print(p.stderr[-2000:])
            print(f"{ran - 1} passed, 1 failed")
            return 1
    print(f"{ran} passed, 0 failed, {skipped} skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
