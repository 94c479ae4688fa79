#!/usr/bin/env python3
"""vmlab's course labs: list them, start an exercise, check it (docs/labs.md).

`vmlab lab ...` runs this script with --vmlab and --build filled in; it also runs by hand:

    python3 labs/lab.py --build build list
    python3 labs/lab.py --build build check 01
"""
import argparse
import importlib.util
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from labkit import grade, regions  # noqa: E402
from labkit.registry import LabError, all_labs, find_lab  # noqa: E402

DESCRIPTION = "vmlab's course labs: handouts in labs/NN-name/README.md, graded by 'check'."


def rel(root, path):
    return os.path.relpath(path, root)


# Labs of issue 16 that have no folder yet: listed so that nobody takes them for done.
PLANNED = []  # (number, name, covers), e.g. a ninth lab announced before its folder exists


def cmd_list(args):
    labs = all_labs(args.root)
    print(f"{'lab':<4} {'name':<20} {'exercise':<9} {'state':<12} covers")
    rows = [(lab.number, lab.name, "yes" if lab.regions else "no", lab.status, lab.covers)
            for lab in labs]
    have = {lab.number for lab in labs}
    rows += [(n, name, "-", "not started", covers) for n, name, covers in PLANNED if n not in have]
    for number, name, exercise, state, covers in sorted(rows):
        print(f"{number:<4} {name:<20} {exercise:<9} {state:<12} {covers}")
    print("\nHandouts: labs/NN-name/README.md. 'vmlab lab start NN' prepares an exercise, "
          "'vmlab lab check NN' grades it.")
    return 0


def rebuild_command(args, lab):
    targets = " ".join(lab.targets) or "vmlab"
    return f"cmake --build {rel(os.getcwd(), args.build)} --target {targets} -j2"


def cmd_start(args):
    lab = find_lab(args.root, args.lab)
    regions.start(args.root, lab)
    print(f"lab {lab.number} ({lab.title}) started: the reference implementation is replaced "
          f"by a starter in")
    for spec in lab.regions:
        print(f"  {spec['file']}  (between the 'LAB {lab.number} BEGIN starter: {spec['name']}' "
              f"and 'LAB {lab.number} END' comments)")
    print(f"Read labs/{lab.slug}/README.md, edit there, rebuild with\n"
          f"  {rebuild_command(args, lab)}\n"
          f"and grade with 'vmlab lab check {lab.number}' (it rebuilds too). "
          f"'vmlab lab reset {lab.number}' puts the reference back.")
    return 0


def cmd_reset(args):
    lab = find_lab(args.root, args.lab)
    for path, what in regions.reset(args.root, lab):
        print(f"{path}: the {what} is back")
    print(f"Rebuild with: {rebuild_command(args, lab)}")
    return 0


def build_targets(args, lab):
    """Builds what the graders run: vmlab, the guest and the smoke kernel."""
    targets = ["vmlab", "vmlab_guest", "smoke_kernel"]
    cmd = ["cmake", "--build", args.build, "--target"] + targets + ["-j2"]
    print("building: " + " ".join(cmd), flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        tail = "\n".join((p.stdout + p.stderr).splitlines()[-40:])
        print(tail)
        raise LabError(f"the build failed (status {p.returncode}); fix the errors above, or "
                       f"run '{' '.join(cmd)}' yourself")


def load_tests(path):
    spec = importlib.util.spec_from_file_location(
        "lab_grade_" + os.path.basename(os.path.dirname(path)), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)


def cmd_check(args):
    lab = find_lab(args.root, args.lab)
    if not os.path.isfile(args.vmlab):
        raise LabError(f"{args.vmlab}: no vmlab binary (build first: cmake --build "
                       f"{args.build} -j2)")
    if not args.no_build:
        build_targets(args, lab)
    grade.TESTS.clear()
    load_tests(os.path.join(lab.folder, "grade.py"))
    if args.hidden:
        hidden = os.path.join(lab.hidden_folder(), "grade.py")
        if not os.path.isfile(hidden):
            raise LabError(f"--hidden: {rel(args.root, hidden)} is not in this tree (the "
                           f"hidden tests are the instructor's)")
        load_tests(hidden)
    answers = args.answers or os.path.join(lab.folder, "answers.txt")
    grader = grade.Grader(lab, args.vmlab, args.build, answers, verbose=args.verbose)
    print(f"== lab {lab.number}: {lab.title} ==", flush=True)
    return grade.run_tests(grader, args.hidden)


def cmd_export(args):
    """A student tree: the repository without the hidden tests and instructor answers,
    with the starters of the chosen labs in place of their reference regions."""
    dest = os.path.abspath(args.dest)
    if os.path.exists(dest):
        raise LabError(f"{dest} exists; export makes a new folder")
    chosen = [find_lab(args.root, k) for k in args.lab] if args.lab else \
        [lab for lab in all_labs(args.root) if lab.regions]
    for lab in chosen:
        if not lab.regions:
            raise LabError(f"lab {lab.number} has no coding exercise to export a starter for")
        problems = regions.verify(args.root, lab)
        if problems:
            raise LabError("; ".join(problems))

    def ignore(folder, names):
        skip = {".git", ".state", "out", "__pycache__"}
        if os.path.abspath(folder) == os.path.abspath(args.root):
            skip |= {n for n in names if n.startswith("build")}
        if os.path.abspath(folder) == os.path.join(os.path.abspath(args.root), "labs"):
            skip.add("hidden")
        return [n for n in names if n in skip]

    shutil.copytree(args.root, dest, ignore=ignore, symlinks=True)
    for lab in chosen:
        for spec in lab.regions:
            region = regions.find(dest, lab.number, spec)
            regions.write(region.path,
                          region.replaced(regions.starter_text(lab, spec), "starter"))
        print(f"lab {lab.number}: starter in {', '.join(s['file'] for s in lab.regions)}")
    print(f"student tree in {dest} (no labs/hidden, no reference for labs "
          f"{', '.join(lab.number for lab in chosen)})")
    return 0


def cmd_verify(args):
    bad = 0
    for lab in all_labs(args.root):
        for problem in regions.verify(args.root, lab):
            print(f"lab {lab.number}: {problem}")
            bad += 1
        for needed in ("README.md", "grade.py", "answers.txt"):
            if not os.path.isfile(os.path.join(lab.folder, needed)):
                print(f"lab {lab.number}: labs/{lab.slug}/{needed} is missing")
                bad += 1
    print(f"{'ok' if bad == 0 else str(bad) + ' problems'}")
    return 1 if bad else 0


def cmd_rehash(args):
    import json
    lab = find_lab(args.root, args.lab)
    path = os.path.join(lab.folder, "lab.json")
    with open(path, encoding="utf-8") as f:
        meta = json.load(f)
    meta["exercise"]["regions"] = regions.rehash(args.root, lab)
    regions.write(path, json.dumps(meta, indent=2) + "\n")
    print(f"{rel(args.root, path)}: reference hashes updated")
    return 0


class Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        print(f"{self.prog}: {message}", file=sys.stderr)
        sys.exit(64)  # a usage error, as every vmlab command (docs/cli.md)


def parser():
    default_build = os.path.join(os.getcwd(), "build")
    p = Parser(prog="vmlab lab", description=DESCRIPTION)
    p.add_argument("--root", default=os.path.dirname(HERE), help=argparse.SUPPRESS)
    p.add_argument("--build", default=default_build, help=argparse.SUPPRESS)
    p.add_argument("--vmlab", default=None, help=argparse.SUPPRESS)
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.add_parser("list", help="the labs: number, name, exercise or not, what each covers")
    s = sub.add_parser("start", help="prepare a lab's exercise: its reference code becomes a starter")
    s.add_argument("lab", metavar="NN", help="the lab: its number (01 to 08) or folder name")
    s = sub.add_parser("reset", help="put a started lab's reference code back")
    s.add_argument("lab", metavar="NN", help="the lab: its number (01 to 08) or folder name")
    s = sub.add_parser("check", help="grade a lab: build, run the guest, check events and answers")
    s.add_argument("lab", metavar="NN", help="the lab: its number (01 to 08) or folder name")
    s.add_argument("--hidden", action="store_true",
                   help="also run the hidden tests (labs/hidden/NN, instructors only)")
    s.add_argument("--answers", metavar="FILE",
                   help="answers file (default labs/NN-name/answers.txt)")
    s.add_argument("--no-build", action="store_true", help="do not rebuild first")
    s.add_argument("-v", "--verbose", action="store_true", help="print each vmlab command")
    s = sub.add_parser("export", help="instructors: a student tree without solutions or hidden tests")
    s.add_argument("dest", metavar="DIR",
                   help="the new folder for the student tree (must not exist yet)")
    s.add_argument("--lab", action="append", metavar="NN",
                   help="apply this lab's starter (repeatable; default every exercise)")
    sub.add_parser("verify", help="instructors: every lab's files, markers and reference hashes")
    s = sub.add_parser("rehash", help="instructors: record a changed reference region's hash")
    s.add_argument("lab", metavar="NN", help="the lab: its number (01 to 08) or folder name")
    p.commands = sub.choices  # name -> its parser, for errors in the command's own words
    return p


def main(argv):
    p = parser()
    args, extra = p.parse_known_args(argv)
    if extra:
        # An unknown option of a command: the command's usage, not the top level's
        # ("vmlab lab check 01 --bogus" shows check's options).
        p.commands.get(args.command, p).error("unrecognized arguments: " + " ".join(extra))
    if not args.command:
        p.print_help(sys.stderr)
        return 64
    args.root = os.path.abspath(args.root)
    args.build = os.path.abspath(args.build)
    if args.vmlab is None:
        args.vmlab = os.path.join(args.build, "cli", "vmlab")
    handlers = {"list": cmd_list, "start": cmd_start, "reset": cmd_reset, "check": cmd_check,
                "export": cmd_export, "verify": cmd_verify, "rehash": cmd_rehash}
    try:
        return handlers[args.command](args)
    except LabError as e:
        print(f"vmlab lab: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("vmlab lab: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
