#!/usr/bin/env python3
"""A lab's starter fails its grader with the message the handout promises, and start/reset
behave (tests/labs/, docs/labs.md).

In a scratch copy of the source tree under $TMPDIR (never the real tree): `lab start NN`
refuses on an edited region and changes nothing, then starts; a second start refuses, `lab reset NN` gives back the reference byte for byte, start
again; then configure a build of the copy and build only the targets the grader runs
(vmlab, the guest, the smoke kernel) through ccache with the copy's folder as the base
directory, so that every file the starter did not touch comes from the cache the real
build filled; then `lab check NN` must exit 1, print FAIL lines, and show the lab's
promised message (lab.json "message"). Finally the instructor's export leaves out the
hidden tests and the reference region.

  starter_fails.py --root SRC --lab NN [--keep]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "labs"))
from labkit.registry import find_lab  # noqa: E402


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def copy_tree(root, dest):
    def ignore(folder, names):
        skip = {".git", ".state", "out", "__pycache__"}
        if os.path.abspath(folder) == root:
            skip |= {n for n in names if n.startswith("build")}
        return [n for n in names if n in skip]
    shutil.copytree(root, dest, ignore=ignore, symlinks=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", required=True)
    ap.add_argument("--lab", required=True)
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = ap.parse_args()
    root = os.path.abspath(args.root)
    lab = find_lab(root, args.lab)
    message = lab.exercise["message"]
    scratch = tempfile.mkdtemp(prefix=f"vmlab-lab{lab.number}-")
    src = os.path.join(scratch, "src")
    build = os.path.join(src, "build")
    failures = []
    t0 = time.monotonic()
    try:
        copy_tree(root, src)
        lab_py = ["python3", os.path.join(src, "labs", "lab.py"), "--root", src, "--build", build]
        originals = {s["file"]: open(os.path.join(src, s["file"]), encoding="utf-8").read()
                     for s in lab.regions}
        # A region somebody edited is never overwritten: start refuses and changes nothing.
        first = lab.regions[0]
        path = os.path.join(src, first["file"])
        text = originals[first["file"]]
        marker = f"LAB {lab.number} BEGIN solution: {first['name']}"
        at = text.index("\n", text.index(marker)) + 1
        edited = text[:at] + "  // a student's edit\n" + text[at:]
        with open(path, "w", encoding="utf-8") as f:
            f.write(edited)
        p = run(lab_py + ["start", lab.number])
        if p.returncode != 1 or "differs from the reference" not in p.stderr:
            failures.append(f"start on an edited region did not refuse: {p.stderr.strip()}")
        if open(path, encoding="utf-8").read() != edited:
            failures.append("start on an edited region changed the file")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        p = run(lab_py + ["start", lab.number])
        if p.returncode != 0:
            failures.append(f"lab start failed: {p.stderr.strip()}")
        p = run(lab_py + ["start", lab.number])
        if p.returncode != 1 or "already started" not in p.stderr:
            failures.append(f"a second start did not refuse: {p.returncode} {p.stderr.strip()}")
        p = run(lab_py + ["reset", lab.number])
        for f, text in originals.items():
            if open(os.path.join(src, f), encoding="utf-8").read() != text:
                failures.append(f"reset did not give back {f} byte for byte")
        p = run(lab_py + ["start", lab.number])
        if p.returncode != 0:
            failures.append(f"start after reset failed: {p.stderr.strip()}")
        print(f"start/reset checked ({time.monotonic() - t0:.1f}s)", flush=True)

        env = dict(os.environ, CCACHE_BASEDIR=scratch, CCACHE_NOHASHDIR="1")
        launcher = []
        if shutil.which("ccache"):
            launcher = ["-DCMAKE_CXX_COMPILER_LAUNCHER=ccache", "-DCMAKE_C_COMPILER_LAUNCHER=ccache"]
        p = run(["cmake", "-S", src, "-B", build, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release"]
                + launcher, env=env)
        if p.returncode != 0:
            print(p.stdout[-3000:] + p.stderr[-3000:])
            raise SystemExit("configuring the scratch build failed")
        p = run(["cmake", "--build", build, "--target", "vmlab", "vmlab_guest", "smoke_kernel",
                 "-j2"], env=env)
        if p.returncode != 0:
            print(p.stdout[-5000:] + p.stderr[-3000:])
            raise SystemExit("the starter does not build: a starter must compile and fail "
                             "at run time")
        print(f"scratch build of the starter done ({time.monotonic() - t0:.1f}s)", flush=True)

        answers = os.path.join(root, "labs", "hidden", lab.number, "answers.txt")
        p = run(lab_py + ["check", lab.number, "--no-build", "--answers", answers], env=env)
        print(p.stdout)
        if p.returncode != 1:
            failures.append(f"lab check exited {p.returncode} on the starter, expected 1")
        if "FAIL [" not in p.stdout:
            failures.append("lab check printed no FAIL line on the starter")
        if message not in p.stdout:
            failures.append(f"lab check did not show the promised message {message!r}")
        if "Score: " not in p.stdout or " passed, " not in p.stdout:
            failures.append("lab check printed no Score or tally line")

        # The instructor's export: no hidden tests, the starter instead of the reference.
        dest = os.path.join(scratch, "student")
        p = run(["python3", os.path.join(root, "labs", "lab.py"), "--root", root, "export",
                 dest, "--lab", lab.number])
        if p.returncode != 0:
            failures.append(f"export failed: {p.stderr.strip()}")
        else:
            if os.path.exists(os.path.join(dest, "labs", "hidden")):
                failures.append("the export holds labs/hidden")
            for s in lab.regions:
                exported = open(os.path.join(dest, s["file"]), encoding="utf-8").read()
                started = open(os.path.join(src, s["file"]), encoding="utf-8").read()
                if exported != started:
                    failures.append(f"the export's {s['file']} is not the started one")
    finally:
        if args.keep:
            print(f"kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    for f in failures:
        print("FAIL " + f)
    print(f"lab {lab.number} starter: {'ok' if not failures else 'FAILED'} "
          f"({time.monotonic() - t0:.1f}s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
