#!/usr/bin/env python3
"""Every lab's starter fails its grader with the message the handout promises, and
start/reset/export behave (tests/labs/, docs/labs.md).

One scratch copy of the source tree under $TMPDIR (never the real tree), configured and
built once (only the targets the graders run: vmlab, the guest, the smoke kernel; through
ccache when it is installed, with the copy's folder as the base directory so that a warm
cache serves every file). Then, for each lab with an exercise, in turn:

- `lab start NN` refuses on an edited region and changes nothing;
- `lab start NN` starts; a second start refuses;
- `lab reset NN` gives back the reference byte for byte; start again;
- an incremental build of the lab's targets (the starter must compile with the project's
  flags, warnings as errors); `lab check NN` exits 1, prints FAIL lines, a Score and a
  tally, and shows the lab's promised message (lab.json "message");
- `lab reset NN`, so that the next lab starts from the reference;
- the instructor's export with `--lab NN` leaves out labs/hidden and holds the starter.

  starter_fails.py --root SRC [--lab NN]... [--keep]

Cost: the first build is a full build of vmlab and the guest (seconds on a warm ccache,
several minutes on a cold one, on two cores); each lab then rebuilds one or two files.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "labs"))
from labkit.registry import all_labs, find_lab  # noqa: E402


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def copy_tree(root, dest):
    def ignore(folder, names):
        skip = {".git", ".state", "out", "__pycache__"}
        if os.path.abspath(folder) == root:
            skip |= {n for n in names if n.startswith("build")}
        return [n for n in names if n in skip]
    shutil.copytree(root, dest, ignore=ignore, symlinks=True)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def check_start_reset(lab, src, lab_py, failures):
    originals = {s["file"]: read(os.path.join(src, s["file"])) for s in lab.regions}
    # A region somebody edited is never overwritten: start refuses and changes nothing.
    first = lab.regions[0]
    path = os.path.join(src, first["file"])
    text = originals[first["file"]]
    marker = f"LAB {lab.number} BEGIN solution: {first['name']}"
    at = text.index("\n", text.index(marker)) + 1
    edited = text[:at] + "  // a student's edit\n" + text[at:]
    write(path, edited)
    p = run(lab_py + ["start", lab.number])
    if p.returncode != 1 or "differs from the reference" not in p.stderr:
        failures.append(f"start on an edited region did not refuse: {p.stderr.strip()}")
    if read(path) != edited:
        failures.append("start on an edited region changed the file")
    write(path, text)
    p = run(lab_py + ["start", lab.number])
    if p.returncode != 0:
        failures.append(f"lab start failed: {p.stderr.strip()}")
    p = run(lab_py + ["start", lab.number])
    if p.returncode != 1 or "already started" not in p.stderr:
        failures.append(f"a second start did not refuse: {p.returncode} {p.stderr.strip()}")
    run(lab_py + ["reset", lab.number])
    for f, content in originals.items():
        if read(os.path.join(src, f)) != content:
            failures.append(f"reset did not give back {f} byte for byte")
    p = run(lab_py + ["start", lab.number])
    if p.returncode != 0:
        failures.append(f"start after reset failed: {p.stderr.strip()}")


def check_lab(lab, root, src, build, scratch, env, t0):
    failures = []
    lab_py = ["python3", os.path.join(src, "labs", "lab.py"), "--root", src, "--build", build]
    check_start_reset(lab, src, lab_py, failures)
    targets = sorted(set(lab.targets) | {"vmlab", "vmlab_guest", "smoke_kernel"})
    p = run(["cmake", "--build", build, "--target"] + targets + ["-j2"], env=env)
    if p.returncode != 0:
        print(p.stdout[-5000:] + p.stderr[-3000:])
        failures.append("the starter does not build: a starter must compile and fail at run "
                        "time")
    else:
        answers = os.path.join(root, "labs", "hidden", lab.number, "answers.txt")
        p = run(lab_py + ["check", lab.number, "--no-build", "--answers", answers], env=env)
        print(p.stdout + p.stderr[-2000:])
        if p.returncode != 1:
            failures.append(f"lab check exited {p.returncode} on the starter, expected 1")
        if "FAIL [" not in p.stdout:
            failures.append("lab check printed no FAIL line on the starter")
        if lab.exercise["message"] not in p.stdout:
            failures.append(f"lab check did not show the promised message "
                            f"{lab.exercise['message']!r}")
        if "Score: " not in p.stdout or " passed, " not in p.stdout:
            failures.append("lab check printed no Score or tally line")
    started = {s["file"]: read(os.path.join(src, s["file"])) for s in lab.regions}
    p = run(lab_py + ["reset", lab.number])
    if p.returncode != 0:
        failures.append(f"the final reset failed: {p.stderr.strip()}")

    dest = os.path.join(scratch, f"student-{lab.number}")
    p = run(["python3", os.path.join(root, "labs", "lab.py"), "--root", root, "export", dest,
             "--lab", lab.number])
    if p.returncode != 0:
        failures.append(f"export failed: {p.stderr.strip()}")
    else:
        if os.path.exists(os.path.join(dest, "labs", "hidden")):
            failures.append("the export holds labs/hidden")
        for f, text in started.items():
            if read(os.path.join(dest, f)) != text:
                failures.append(f"the export's {f} is not the started one")
        shutil.rmtree(dest, ignore_errors=True)
    for f in failures:
        print(f"FAIL lab {lab.number}: {f}")
    print(f"lab {lab.number} starter: {'ok' if not failures else 'FAILED'} "
          f"({time.monotonic() - t0:.1f}s)", flush=True)
    return failures


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", required=True)
    ap.add_argument("--lab", action="append", help="only this lab (repeatable; default all)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = ap.parse_args()
    root = os.path.abspath(args.root)
    labs = [find_lab(root, k) for k in args.lab] if args.lab else \
        [lab for lab in all_labs(root) if lab.regions]
    scratch = tempfile.mkdtemp(prefix="vmlab-labs-")
    src = os.path.join(scratch, "src")
    build = os.path.join(src, "build")
    t0 = time.monotonic()
    failures = []
    try:
        copy_tree(root, src)
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
            raise SystemExit("the scratch copy of the reference does not build")
        print(f"scratch build of the reference done ({time.monotonic() - t0:.1f}s)", flush=True)
        for lab in labs:
            failures += check_lab(lab, root, src, build, scratch, env, t0)
    finally:
        if args.keep:
            print(f"kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    print(f"{len(labs)} labs, {len(failures)} problems ({time.monotonic() - t0:.1f}s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
