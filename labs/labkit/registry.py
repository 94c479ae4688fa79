"""The labs: one folder labs/NN-name/ each, described by its lab.json."""
import json
import os


class LabError(Exception):
    """A clear, one-line error for the user (the command exits with status 1)."""


class Lab:
    def __init__(self, root, folder, meta):
        self.root = root
        self.folder = folder  # absolute path of labs/NN-name
        self.number = meta["number"]
        self.name = meta["name"]
        self.title = meta["title"]
        self.covers = meta["covers"]
        self.status = meta.get("status", "complete")
        self.exercise = meta.get("exercise")  # None, or {"regions": [...], "targets": [...]}
        self.answers_template = os.path.join(folder, "answers.txt")

    @property
    def slug(self):
        return f"{self.number}-{self.name}"

    @property
    def regions(self):
        return self.exercise["regions"] if self.exercise else []

    @property
    def targets(self):
        return self.exercise.get("targets", []) if self.exercise else []

    def hidden_folder(self):
        return os.path.join(self.root, "labs", "hidden", self.number)


def labs_root(root):
    return os.path.join(root, "labs")


def all_labs(root):
    found = []
    base = labs_root(root)
    for entry in sorted(os.listdir(base)):
        meta_path = os.path.join(base, entry, "lab.json")
        if not os.path.isfile(meta_path):
            continue
        with open(meta_path, encoding="utf-8") as f:
            meta = json.load(f)
        if f"{meta['number']}-{meta['name']}" != entry:
            raise LabError(f"{meta_path}: number and name do not match the folder {entry}")
        found.append(Lab(root, os.path.join(base, entry), meta))
    return found


def find_lab(root, key):
    """A lab by number ("3", "03") or by folder name ("03-shadow-paging")."""
    labs = all_labs(root)
    for lab in labs:
        if key in (lab.number, lab.slug, lab.name) or (key.isdigit() and int(key) == int(lab.number)):
            return lab
    numbers = ", ".join(lab.number for lab in labs)
    raise LabError(f"no lab '{key}' (the labs are {numbers}; see 'vmlab lab list')")
