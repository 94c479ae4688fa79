"""Marked solution regions in the sources, and the starters that replace them.

A region is the lines between a BEGIN and an END marker comment:

    // LAB 03 BEGIN solution: fill        (the reference implementation)
    ...
    // LAB 03 END

`vmlab lab start` replaces the lines with the lab's starter (labs/NN-name/starter/NAME.txt),
turns the BEGIN marker into `BEGIN starter: NAME`, and keeps the reference it removed in
labs/.state/NN/NAME.ref, from which `vmlab lab reset` restores it. lab.json records the
SHA-256 of each reference region, so that a region somebody edited is never overwritten.
"""
import hashlib
import os
import re

from labkit.registry import LabError

BEGIN = re.compile(r"LAB (\d\d) BEGIN (solution|starter): ([A-Za-z0-9_]+)")
END = re.compile(r"LAB (\d\d) END")


def digest(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Region:
    def __init__(self, path, lines, begin, end, kind, name):
        self.path = path
        self.lines = lines  # the whole file, with line ends
        self.begin = begin  # index of the BEGIN line
        self.end = end  # index of the END line
        self.kind = kind  # "solution" or "starter"
        self.name = name

    @property
    def body(self):
        return "".join(self.lines[self.begin + 1:self.end])

    def replaced(self, body, kind):
        begin_line = self.lines[self.begin].replace(f"BEGIN {self.kind}:", f"BEGIN {kind}:")
        if body and not body.endswith("\n"):
            body += "\n"
        return "".join(self.lines[:self.begin] + [begin_line] + [body] +
                       self.lines[self.end:])


def find(root, number, spec):
    """The region `spec` ({"file", "name"}) of lab `number` in the tree at `root`."""
    path = os.path.join(root, spec["file"])
    if not os.path.isfile(path):
        raise LabError(f"{spec['file']}: no such file (lab {number} edits it)")
    with open(path, encoding="utf-8") as f:
        lines = f.readlines()
    begin = end = None
    kind = None
    for i, line in enumerate(lines):
        m = BEGIN.search(line)
        if m and m.group(1) == number and m.group(3) == spec["name"]:
            if begin is not None:
                raise LabError(f"{spec['file']}:{i + 1}: a second BEGIN marker for "
                               f"lab {number} region {spec['name']}")
            begin, kind = i, m.group(2)
            continue
        m = END.search(line)
        if m and m.group(1) == number and begin is not None and end is None:
            end = i
    if begin is None or end is None:
        raise LabError(f"{spec['file']}: the markers of lab {number} region {spec['name']} "
                       f"are missing (a 'LAB {number} BEGIN ...: {spec['name']}' and a "
                       f"'LAB {number} END' comment)")
    return Region(path, lines, begin, end, kind, spec["name"])


def starter_text(lab, spec):
    path = os.path.join(lab.folder, "starter", spec["name"] + ".txt")
    with open(path, encoding="utf-8") as f:
        return f.read()


def state_path(root, lab, spec):
    return os.path.join(root, "labs", ".state", lab.number, spec["name"] + ".ref")


def write(path, text):
    tmp = path + ".lab-tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def start(root, lab):
    """Replaces every reference region of the lab with its starter."""
    if not lab.regions:
        raise LabError(f"lab {lab.number} has no coding exercise: nothing to start "
                       f"(read labs/{lab.slug}/README.md)")
    found = [(spec, find(root, lab.number, spec)) for spec in lab.regions]
    for spec, region in found:
        if region.kind == "starter":
            raise LabError(f"lab {lab.number} is already started ({spec['file']}, "
                           f"region {spec['name']}); 'vmlab lab reset {lab.number}' "
                           f"puts the reference back")
        if digest(region.body) != spec["sha256"]:
            raise LabError(f"{spec['file']}: region {spec['name']} differs from the reference "
                           f"recorded in labs/{lab.slug}/lab.json; nothing was changed (undo "
                           f"your edits there, e.g. 'git checkout {spec['file']}', first)")
    for spec, _ in found:
        region = find(root, lab.number, spec)  # afresh: regions may share a file
        saved = state_path(root, lab, spec)
        os.makedirs(os.path.dirname(saved), exist_ok=True)
        write(saved, region.body)
        write(region.path, region.replaced(starter_text(lab, spec), "starter"))
    return [spec["file"] for spec, _ in found]


def reset(root, lab):
    """Puts the reference back (or, in a student tree without it, the starter)."""
    if not lab.regions:
        raise LabError(f"lab {lab.number} has no coding exercise: nothing to reset")
    found = [(spec, find(root, lab.number, spec)) for spec in lab.regions]
    if all(region.kind == "solution" for _, region in found):
        raise LabError(f"lab {lab.number} is not started: the reference is in place")
    restored = []
    for spec, _ in found:
        region = find(root, lab.number, spec)  # afresh: regions may share a file
        saved = state_path(root, lab, spec)
        if os.path.isfile(saved):
            with open(saved, encoding="utf-8") as f:
                body = f.read()
            if digest(body) != spec["sha256"]:
                raise LabError(f"{saved}: the saved reference does not match lab.json")
            write(region.path, region.replaced(body, "solution"))
            os.remove(saved)
            restored.append((spec["file"], "reference"))
        else:
            write(region.path, region.replaced(starter_text(lab, spec), "starter"))
            restored.append((spec["file"], "starter"))
    return restored


def verify(root, lab):
    """Problems with the lab's regions in the reference tree (for CI and instructors)."""
    problems = []
    for spec in lab.regions:
        try:
            region = find(root, lab.number, spec)
        except LabError as e:
            problems.append(str(e))
            continue
        if region.kind != "solution":
            problems.append(f"{spec['file']}: region {spec['name']} holds the starter")
        elif digest(region.body) != spec["sha256"]:
            problems.append(f"{spec['file']}: region {spec['name']} changed: its SHA-256 is "
                            f"{digest(region.body)}, lab.json says {spec['sha256']} (check the "
                            f"starter still fits, then 'python3 labs/lab.py rehash "
                            f"{lab.number}')")
        if not os.path.isfile(os.path.join(lab.folder, "starter", spec["name"] + ".txt")):
            problems.append(f"labs/{lab.slug}/starter/{spec['name']}.txt is missing")
    return problems


def rehash(root, lab):
    """The reference hashes of the lab's regions as they are now."""
    out = []
    for spec in lab.regions:
        region = find(root, lab.number, spec)
        if region.kind != "solution":
            raise LabError(f"{spec['file']}: region {spec['name']} holds the starter")
        out.append(dict(spec, sha256=digest(region.body)))
    return out
