#!/usr/bin/env python3
"""Checks vmlab's run output (config.json, stats.json, trace.jsonl, trace.json) against the
schema tables of docs/trace-format.md.

The tables marked <!-- schema: NAME --> are the schema: every documented field must be
present with its type, and every field present must be documented (except inside an
"open object"). The event-kind table must match the kinds the files use, by id, name and
args.

    validate_run_output.py --doc docs/trace-format.md --dir OUT [--dir OUT2 ...]
    validate_run_output.py --doc docs/trace-format.md --vmlab VMLAB --kernel K.elf [--guest G.elf]
The second form runs vmlab itself into a temporary directory first (ctest does this).
Only the Python standard library is used.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

TYPE_RE = re.compile(r"^(open object|object|array|string|integer|number|boolean)( or null)?$")


def parse_doc(path):
    """Returns {schema name: [(path, type, nullable)]} and the event-kind table."""
    schemas, kinds = {}, {}
    current = None
    for line in open(path, encoding="utf-8"):
        m = re.match(r"<!-- schema: (.+?) -->", line.strip())
        if m:
            current = m.group(1)
            schemas.setdefault(current, [])
            continue
        if current is None:
            continue
        if not line.startswith("|"):
            if line.strip():
                current = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if set(cells[0]) <= set("-: ") or cells[0] in ("field", "id"):
            continue
        if current == "event kinds":
            kid, name, args = int(cells[0]), cells[1].strip("`"), cells[2]
            kinds[name] = (kid, [a.strip() for a in args.split(",") if a.strip()])
        else:
            t = TYPE_RE.match(cells[1])
            if not t:
                raise SystemExit(f"{path}: schema {current}: bad type {cells[1]!r}")
            schemas[current].append((cells[0].strip("`"), t.group(1), bool(t.group(2))))
    return schemas, kinds


def type_ok(value, t):
    return {
        "object": isinstance(value, dict),
        "open object": isinstance(value, dict),
        "array": isinstance(value, list),
        "string": isinstance(value, str),
        "boolean": isinstance(value, bool),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
    }[t]


class Checker:
    def __init__(self):
        self.errors = []

    def fail(self, where, msg):
        self.errors.append(f"{where}: {msg}")

    def check(self, where, value, schema):
        """Validates `value` against a list of (path, type, nullable)."""
        fields = {p: (t, n) for p, t, n in schema}
        self._walk(where, value, "", fields)

    def _walk(self, where, value, prefix, fields):
        # Members documented directly under `prefix`.
        children = {}
        for path, spec in fields.items():
            rest = path[len(prefix):] if prefix else path
            if prefix and not path.startswith(prefix):
                continue
            if not rest or (prefix and not rest.startswith(".")):
                continue
            rest = rest.lstrip(".")
            head = re.split(r"[.\[]", rest, maxsplit=1)[0]
            if head == rest or rest[len(head):] == "[]":
                children.setdefault(head, None)
        if not isinstance(value, dict):
            return
        parent_type = fields.get(prefix, ("object", False))[0] if prefix else "object"
        if "*" in children:
            for key, member in value.items():
                self._member(where, member, f"{prefix}.*" if prefix else "*", fields,
                             f"{prefix}.{key}")
            return
        for name in children:
            path = f"{prefix}.{name}" if prefix else name
            if name not in value:
                self.fail(where, f"missing field {path}")
                continue
            self._member(where, value[name], path, fields, path)
        if parent_type != "open object":
            for key in value:
                if key not in children:
                    self.fail(where, f"undocumented field {prefix + '.' if prefix else ''}{key}")

    def _member(self, where, value, path, fields, shown):
        t, nullable = fields[path]
        if value is None:
            if not nullable:
                self.fail(where, f"{shown} is null")
            return
        if not type_ok(value, t):
            self.fail(where, f"{shown} should be {t}, is {type(value).__name__}")
            return
        if t in ("object", "open object"):
            self._walk(where, value, path, fields)
        elif t == "array" and f"{path}[]" in fields:
            et, en = fields[f"{path}[]"]
            for i, element in enumerate(value):
                self._member(where, element, f"{path}[]", fields, f"{shown}[{i}]")


def check_event_args(chk, where, kind, args, kinds, extra=()):
    if kind not in kinds:
        chk.fail(where, f"kind {kind!r} is not in the documented kinds")
        return
    expected = list(extra) + kinds[kind][1]
    if list(args.keys()) != expected:
        chk.fail(where, f"{kind} args {list(args.keys())} != documented {expected}")
    for k, v in args.items():
        if not (isinstance(v, int) and 0 <= v < 2**64):
            chk.fail(where, f"{kind} arg {k} is not an unsigned integer")


def validate_dir(out, schemas, kinds, chk):
    config = json.load(open(os.path.join(out, "config.json")))
    chk.check(f"{out}/config.json", config, schemas["config.json"])
    if not re.fullmatch(r"[0-9a-f]{64}", config.get("kernel", {}).get("sha256", "")):
        chk.fail(f"{out}/config.json", "kernel.sha256 is not 64 hex digits")
    stats = json.load(open(os.path.join(out, "stats.json")))
    chk.check(f"{out}/stats.json", stats, schemas["stats.json"])
    documented = {name: kid for name, (kid, _) in kinds.items()}
    written = {name: v.get("id") for name, v in stats.get("events", {}).items()}
    if written != documented:
        chk.fail(f"{out}/stats.json", f"event kinds {written} != documented {documented}")
    if stats["events_total"] != sum(v["count"] for v in stats["events"].values()):
        chk.fail(f"{out}/stats.json", "events_total is not the sum of the counts")
    n_jsonl = 0
    jsonl = os.path.join(out, "trace.jsonl")
    if os.path.exists(jsonl):
        for i, line in enumerate(open(jsonl, encoding="utf-8")):
            where = f"{jsonl}:{i + 1}"
            e = json.loads(line)
            chk.check(where, e, schemas["trace.jsonl"])
            if e.get("seq") != i:
                chk.fail(where, f"seq {e.get('seq')} != line {i}")
            if kinds.get(e.get("kind"), (None,))[0] != e.get("kind_id"):
                chk.fail(where, f"kind_id {e.get('kind_id')} does not match {e.get('kind')}")
            check_event_args(chk, where, e.get("kind"), e.get("args", {}), kinds)
            n_jsonl += 1
        if n_jsonl != stats["trace"]["written"]:
            chk.fail(jsonl, f"{n_jsonl} lines but stats trace.written = {stats['trace']['written']}")
    chrome = os.path.join(out, "trace.json")
    if os.path.exists(chrome):
        doc = json.load(open(chrome))
        chk.check(chrome, doc, schemas["trace.json"])
        n_slices = 0
        cumulative = {}
        named = set()
        for i, e in enumerate(doc.get("traceEvents", [])):
            where = f"{chrome} event {i}"
            if e.get("ph") == "M":
                chk.check(where, e, schemas["trace.json metadata event"])
                if e.get("name") == "thread_name":
                    named.add(e.get("tid"))
            elif e.get("ph") == "C":
                chk.check(where, e, schemas["trace.json counter event"])
                cumulative[e.get("name")] = e.get("args", {}).get("cycles")
            else:
                chk.check(where, e, schemas["trace.json slice event"])
                args = dict(e.get("args", {}))
                eip = args.get("eip")
                if not (isinstance(eip, str) and re.fullmatch(r"0x[0-9A-F]{8}", eip)):
                    chk.fail(where, f"eip {eip!r} is not 0x and eight hex digits")
                args["eip"] = int(eip, 16) if isinstance(eip, str) else eip
                for name_key in ("exit_reason", "vector_name", "hypercall"):
                    if isinstance(args.get(name_key), str):
                        del args[name_key]
                check_event_args(chk, where, e.get("name"), args, kinds,
                                 extra=("seq", "cycle", "eip", "cpl", "charged"))
                if kinds.get(e.get("name"), (None,))[0] != e.get("tid"):
                    chk.fail(where, f"tid {e.get('tid')} is not the kind's id")
                if e.get("tid") not in named:
                    chk.fail(where, f"track {e.get('tid')} has no thread_name before it")
                mhz = config["cpu_mhz"]
                want = args["cycle"] / mhz
                if abs(e.get("ts", -1) - want) > 0.0011:
                    chk.fail(where, f"ts {e.get('ts')} != cycle / cpu_mhz = {want}")
                if abs(e.get("dur", -1) - args["charged"] / mhz) > 0.0011:
                    chk.fail(where, f"dur {e.get('dur')} != charged / cpu_mhz")
                n_slices += 1
        if n_slices != n_jsonl:
            chk.fail(chrome, f"{n_slices} slices but {n_jsonl} JSONL lines")
        # The counters end at the cycles each kind was charged in the trace.
        if n_jsonl and stats["trace"]["dropped"] == 0:
            for kind, v in stats["events"].items():
                if v["cycles"] and cumulative.get(kind) != v["cycles"]:
                    chk.fail(chrome, f"{kind} counter ends at {cumulative.get(kind)}, "
                                     f"stats.json says {v['cycles']} cycles")


def run_vmlab(vmlab, args):
    r = subprocess.run([vmlab] + args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True, timeout=300)
    if r.returncode != 0:
        raise SystemExit(f"vmlab {' '.join(args)} exited {r.returncode}: {r.stderr}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--doc", required=True)
    ap.add_argument("--dir", action="append", default=[])
    ap.add_argument("--vmlab")
    ap.add_argument("--kernel", help="the smoke kernel")
    ap.add_argument("--guest", help="the guest OS image")
    a = ap.parse_args()
    schemas, kinds = parse_doc(a.doc)
    for needed in ("config.json", "stats.json", "trace.jsonl", "trace.json",
                   "trace.json metadata event", "trace.json slice event",
                   "trace.json counter event"):
        if not schemas.get(needed):
            raise SystemExit(f"{a.doc}: no schema table for {needed}")
    with tempfile.TemporaryDirectory() as tmp:
        dirs = list(a.dir)
        if a.vmlab:
            smoke = os.path.join(tmp, "smoke")
            run_vmlab(a.vmlab, ["run", "-q", "--out", smoke, "--trace", a.kernel])
            dirs.append(smoke)
            if a.guest:
                guest = os.path.join(tmp, "guest")
                run_vmlab(a.vmlab, ["run", "-q", "--out", guest, "--trace", "--trace-limit", "200",
                                    "--profile", "pentium4", "--cost", "port_io=3",
                                    "--append", "run=syscall iters=50", a.guest])
                dirs.append(guest)
                stats = json.load(open(os.path.join(guest, "stats.json")))
                if not stats["workloads"] or stats["trace"]["dropped"] == 0:
                    raise SystemExit("guest run: expected a result line and dropped trace events")
                # A variant with every kind of file config.json names: an input, a key
                # script, a disk (trap with nested paging).
                files = os.path.join(tmp, "files")
                with open(os.path.join(tmp, "input.txt"), "w") as f:
                    f.write("run=syscall iters=5\n")
                with open(os.path.join(tmp, "keys.txt"), "w") as f:
                    f.write("a")
                with open(os.path.join(tmp, "disk.img"), "wb") as f:
                    f.write(bytes(1 << 20))
                run_vmlab(a.vmlab, ["run", "-q", "--out", files, "--mode", "trap", "--npt",
                                    "--input", os.path.join(tmp, "input.txt"),
                                    "--keys", "@" + os.path.join(tmp, "keys.txt"),
                                    "--disk", os.path.join(tmp, "disk.img") + ",readonly",
                                    "--max-instructions", "2M", a.kernel])
                dirs.append(files)
                config = json.load(open(os.path.join(files, "config.json")))
                roles = [f["role"] for f in config["files"]]
                stats = json.load(open(os.path.join(files, "stats.json")))
                if (roles != ["input", "keys", "disk"] or config["variant"] != "trap-npt" or
                        stats["variant"] != "trap-npt" or not config["source_commit"]):
                    raise SystemExit(f"files run: roles {roles}, variant {config['variant']}/"
                                     f"{stats['variant']}, commit {config['source_commit']!r}")
        chk = Checker()
        for d in dirs:
            validate_dir(d, schemas, kinds, chk)
    for e in chk.errors[:50]:
        print("FAIL:", e)
    if chk.errors:
        print(f"{len(chk.errors)} schema errors")
        return 1
    print(f"run output matches docs/trace-format.md ({len(dirs)} run(s), {len(kinds)} kinds)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
