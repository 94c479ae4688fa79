#!/usr/bin/env python3
"""Checks modes/README.md's "Where is X in each mode" table against the tree.

Every cell names files (`path/to/file.cpp`) and the functions that handle the operation
(`Class::method`, `function`). Each named file must exist, and each function must be
found in the file named before it in the same cell, or, as the table's own rule says
("a function named without its file is defined in a file named earlier in the same row"),
in a file named earlier in the row (a term in code font, such as an event's or a field's
name, may also be in a file the cell names after it). A function `Class::method` is found when the file
holds `Class::method`, or declares `class Class`/`struct Class` and holds `method(`; a
plain name when the file holds it as a word. So a rename or a move that leaves the table
behind fails here, with the row, the column and what is missing.

  where_is_table.py [--root DIR]
  where_is_table.py --self-test     prove the checker finds a planted stale cell
"""
import argparse
import os
import re
import sys
import tempfile

HEADING = "## Where is X in each mode"
SOURCE = re.compile(r"^[\w./-]+\.(?:c|h|S|cpp|ld)$")
IDENT = re.compile(r"^[A-Za-z_]\w*(?:::[A-Za-z_]\w*)*$")
CODE = re.compile(r"`([^`]+)`")


def table_rows(text):
    """The table's rows as (label, [cells]); the header and the separator are left out."""
    start = text.find(HEADING)
    if start < 0:
        return None
    rows = []
    for line in text[start:].splitlines()[1:]:
        if line.startswith("## "):
            break
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not cells[0] or set(cells[0]) <= set("-"):
            continue  # the header row (empty corner) and the separator
        rows.append((cells[0].strip("*"), cells[1:]))
    return rows


def found(root, path, name, cache):
    if path not in cache:
        with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
            cache[path] = f.read()
    text = cache[path]
    if "::" in name:
        owner, _, member = name.rpartition("::")
        short = owner.rpartition("::")[2]
        if name in text:
            return True
        declares = re.search(r"\b(?:class|struct)\s+" + re.escape(short) + r"\b", text)
        return bool(declares) and re.search(r"\b" + re.escape(member) + r"\s*\(", text) is not None
    return re.search(r"\b" + re.escape(name) + r"\b", text) is not None


def check(root):
    readme = os.path.join(root, "modes", "README.md")
    with open(readme, encoding="utf-8") as f:
        rows = table_rows(f.read())
    if not rows:
        return ["modes/README.md: no \"Where is X in each mode\" table"]
    header = ["native", "trap classic", "trap VT", "trap VT + nested paging", "bt", "pv"]
    problems = []
    cache = {}
    for label, cells in rows:
        if len(cells) != len(header):
            problems.append(f"row '{label}': {len(cells)} cells, expected {len(header)}")
            continue
        row_files = []
        for column, cell in zip(header, cells):
            cell_file = None
            # Terms in code font (an event's name, a field) may name the file after them.
            later = [t for t in CODE.findall(cell) if SOURCE.match(t) and "/" in t
                     and os.path.isfile(os.path.join(root, t))]
            for token in CODE.findall(cell):
                where = f"row '{label}', column '{column}'"
                if SOURCE.match(token) and "/" in token:
                    if not os.path.isfile(os.path.join(root, token)):
                        problems.append(f"{where}: file {token} does not exist")
                        continue
                    cell_file = token
                    row_files.append(token)
                    continue
                if not IDENT.match(token):
                    continue  # `%gs`, `mmuext_op(NEW_BASEPTR)`: prose in code font
                candidates = ([cell_file] if cell_file else []) + row_files[::-1]
                candidates += [t for t in later if t not in candidates]
                if not candidates:
                    problems.append(f"{where}: `{token}` names no file before it")
                elif not any(found(root, p, token, cache) for p in candidates):
                    problems.append(f"{where}: `{token}` is not in {candidates[0]}"
                                    + ("" if len(candidates) == 1 else " nor in the row's earlier files"))
    return problems


def self_test(root):
    """A copy of the table with one function renamed and one file moved must fail twice."""
    with open(os.path.join(root, "modes", "README.md"), encoding="utf-8") as f:
        text = f.read()
    planted = text.replace("`PrivilegedEmulator::port_io`", "`PrivilegedEmulator::no_such_port_io`", 1)
    planted = planted.replace("`engine/cpu/exec_io.cpp`", "`engine/cpu/no_such_exec_io.cpp`", 1)
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "modes"))
        with open(os.path.join(tmp, "modes", "README.md"), "w", encoding="utf-8") as f:
            f.write(planted)
        for top in ("engine", "modes", "guest"):
            for dirpath, _, files in os.walk(os.path.join(root, top)):
                rel = os.path.relpath(dirpath, root)
                for name in files:
                    if name.endswith((".c", ".h", ".S", ".cpp")):
                        os.makedirs(os.path.join(tmp, rel), exist_ok=True)
                        os.symlink(os.path.join(dirpath, name), os.path.join(tmp, rel, name))
        problems = check(tmp)
    wanted = ["no_such_port_io", "no_such_exec_io.cpp"]
    missing = [w for w in wanted if not any(w in p for p in problems)]
    if missing:
        print("self-test: the checker missed " + ", ".join(missing), file=sys.stderr)
        return 1
    print(f"self-test: {len(problems)} planted problems found")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=os.path.join(os.path.dirname(__file__), "..", ".."))
    ap.add_argument("--self-test", action="store_true")
    args = ap.parse_args()
    root = os.path.abspath(args.root)
    if args.self_test:
        return self_test(root)
    problems = check(root)
    for p in problems:
        print("modes/README.md: " + p, file=sys.stderr)
    if problems:
        return 1
    print("modes/README.md: every cell of the \"Where is X\" table names a real file and function")
    return 0


if __name__ == "__main__":
    sys.exit(main())
