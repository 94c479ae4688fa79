#!/usr/bin/env python3
"""The layering rules of docs/architecture.md, checked over every #include in the tree.

Dependencies point down only:

    cli/  benchmarks/  gui/      front ends: may include frontend/, the modes and the engine
                                 (benchmarks also gui/, whose timeline they measure)
    frontend/                    what the front ends share (compare, reproduce): modes, engine
    modes/<mode>/                one strategy each: the engine and its own folder only
    modes/registry.*, tests      the one place that names every mode
    engine/debug                 the gdb stub over the Vm's seams: cpu, machine, vmm, debug
    engine/vmm/trace             trace writers and reports: cpu, machine, vmm/core, vmm/trace
    engine/vmm/kit               the monitor kit: cpu, machine, vmm/core, vmm/kit
    engine/vmm/core              Vm, Mode, events, recorder, cost model: cpu, machine, vmm/core
    engine/migration             live migration: cpu, machine, vmm, snapshot, migration
    engine/snapshot              snapshot files and restore: cpu, machine, vmm, snapshot
    engine/machine               the PC: cpu and machine
    engine/cpu                   the processor: itself only

A mode that includes another mode, or the engine that includes a mode or a front end,
fails this test with the file, the line and the rule it breaks. The engine's messages
must not name command-line flags either (a flag is the front end's word: the engine says
what happened, the CLI says which option changes it).

  layering.py [--root DIR]      check the tree (exit 1 on the first violations found)
  layering.py --self-test       prove the checker finds planted violations
"""
import argparse
import os
import re
import sys
import tempfile

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
# A string literal that names a long option, such as "--max-instructions".
FLAG_IN_STRING = re.compile(r'"(?:[^"\\]|\\.)*(?<![\w-])--[a-z][a-z0-9-]+(?:[^"\\]|\\.)*"')
SOURCES = (".h", ".cpp", ".hpp", ".cc")
MODES = ("full-emulation", "binary-translation", "paravirt")
VMM_PARTS = ("core", "kit", "trace")


def layer_of(path):
    """The layer a repository-relative path belongs to, or None when it is not checked."""
    parts = path.split("/")
    if parts[0] == "engine" and len(parts) > 2:
        if parts[1] == "vmm" and len(parts) > 3 and parts[2] in VMM_PARTS:
            return "engine/vmm/" + parts[2]
        return "engine/" + parts[1]  # engine/vmm's own tests see all three parts
    if parts[0] == "modes":
        if len(parts) > 2 and parts[1] in MODES and parts[2] != "tests":
            return "modes/" + parts[1]
        return "modes"  # the registry and the modes' tests
    if parts[0] in ("cli", "benchmarks", "gui", "frontend"):
        return parts[0]
    return None


def allowed(layer, target):
    """Whether a file of `layer` may include the repository-relative header `target`."""
    t = target.split("/")
    if layer == "engine/cpu":
        return target.startswith("engine/cpu/")
    if layer == "engine/machine":
        return target.startswith(("engine/cpu/", "engine/machine/"))
    below_vmm = ("engine/cpu/", "engine/machine/", "engine/vmm/core/")
    if layer == "engine/vmm/core":
        return target.startswith(below_vmm)
    if layer in ("engine/vmm/kit", "engine/vmm/trace"):
        return target.startswith(below_vmm + (layer + "/",))
    if layer == "engine/vmm":
        return target.startswith(("engine/cpu/", "engine/machine/", "engine/vmm/"))
    if layer == "engine/debug":
        return target.startswith(("engine/cpu/", "engine/machine/", "engine/vmm/",
                                  "engine/debug/"))
    if layer == "engine/snapshot":
        return target.startswith(("engine/cpu/", "engine/machine/", "engine/vmm/",
                                  "engine/snapshot/"))
    if layer == "engine/migration":
        return target.startswith(("engine/cpu/", "engine/machine/", "engine/vmm/",
                                  "engine/snapshot/", "engine/migration/"))
    if layer.startswith("modes/"):
        return target.startswith("engine/") or target.startswith(layer + "/")
    if layer == "modes":
        return t[0] in ("engine", "modes")
    if layer == "frontend":
        return t[0] in ("engine", "modes", "frontend")
    if layer in ("cli", "gui"):
        return t[0] in ("engine", "modes", "frontend", layer)
    if layer == "benchmarks":
        return t[0] in ("engine", "modes", "frontend", "gui", layer)
    return True


def check(root):
    problems = []
    for top in ("engine", "modes", "frontend", "cli", "benchmarks", "gui"):
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for name in sorted(files):
                if not name.endswith(SOURCES):
                    continue
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, root).replace(os.sep, "/")
                layer = layer_of(rel)
                if layer is None:
                    continue
                with open(full, encoding="utf-8", errors="replace") as f:
                    lines = f.read().splitlines()
                for number, line in enumerate(lines, 1):
                    m = INCLUDE.match(line)
                    if m and "/" in m.group(1) and not allowed(layer, m.group(1)):
                        problems.append(f"{rel}:{number}: {layer} may not include "
                                        f"\"{m.group(1)}\" (docs/architecture.md, Layers)")
                    if (layer.startswith("engine/") and "/tests/" not in rel
                            and not line.lstrip().startswith("//")
                            and FLAG_IN_STRING.search(line)):
                        problems.append(f"{rel}:{number}: an engine message names a "
                                        "command-line flag; say what happened and let the "
                                        "front end name the option")
    return problems


def self_test():
    planted = {
        "engine/cpu/a.cpp": '#include "engine/vmm/core/vm.h"\n',
        "engine/machine/b.cpp": '#include "modes/registry.h"\n',
        "engine/vmm/c.cpp": '#include "cli/options.h"\n',
        "engine/vmm/d.cpp": 'const char* m = "see --idle-limit";\n',
        "modes/paravirt/e.cpp": '#include "modes/binary-translation/bt_mode.h"\n',
        "modes/full-emulation/f.h": '#include "modes/paravirt/pv_abi.h"\n',
        "frontend/g.cpp": '#include "cli/options.h"\n',
        "engine/vmm/h.cpp": '#include "frontend/variants.h"\n',
        "modes/paravirt/i.cpp": '#include "frontend/variants.h"\n',
        "engine/vmm/j.cpp": '#include "engine/debug/gdb_stub.h"\n',
        "engine/debug/k.cpp": '#include "modes/registry.h"\n',
        "engine/vmm/core/l.cpp": '#include "engine/vmm/kit/shadow_mmu.h"\n',
        "engine/vmm/kit/m.h": '#include "engine/vmm/trace/run_report.h"\n',
        "engine/vmm/trace/n.cpp": '#include "engine/vmm/kit/guest_memory.h"\n',
        "engine/snapshot/o.cpp": '#include "engine/debug/gdb_stub.h"\n',
        "engine/vmm/p.cpp": '#include "engine/snapshot/snapshot_file.h"\n',
        "engine/migration/q.cpp": '#include "engine/debug/gdb_stub.h"\n',
        "engine/snapshot/r.cpp": '#include "engine/migration/protocol.h"\n',
        # What is allowed: none of these may be reported.
        "modes/paravirt/ok.cpp": '#include "engine/vmm/core/vm.h"\n#include "modes/paravirt/x.h"\n',
        "modes/registry.cpp": '#include "modes/paravirt/pv_mode.h"\n',
        "modes/paravirt/tests/t.cpp": '#include "modes/binary-translation/bt_mode.h"\n',
        "engine/vmm/ok.cpp": '#include "engine/cpu/cpu.h"\n// see --trace\nint x = a--b;\n',
        "cli/ok.cpp": '#include "modes/registry.h"\nconst char* h = "--mode";\n',
        "cli/ok2.cpp": '#include "frontend/variants.h"\n',
        "frontend/ok.cpp": '#include "modes/registry.h"\n#include "frontend/variants.h"\n',
        "engine/debug/ok.cpp": '#include "engine/vmm/core/vm.h"\n#include "engine/debug/x.h"\n',
        "engine/vmm/kit/ok.cpp": '#include "engine/vmm/core/event.h"\n#include "engine/vmm/core/p2m.h"\n',
        "engine/vmm/trace/ok.cpp": '#include "engine/vmm/core/vm.h"\n',
        "engine/snapshot/ok.cpp": '#include "engine/vmm/core/vm.h"\n#include "engine/snapshot/x.h"\n',
        "engine/migration/ok.cpp": '#include "engine/snapshot/vm_capture.h"\n',
    }
    with tempfile.TemporaryDirectory() as root:
        for rel, text in planted.items():
            os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
            with open(os.path.join(root, rel), "w", encoding="utf-8") as f:
                f.write(text)
        found = sorted({p.split(":")[0] for p in check(root)})
    expected = sorted(["engine/cpu/a.cpp", "engine/machine/b.cpp", "engine/vmm/c.cpp",
                       "engine/vmm/d.cpp", "modes/paravirt/e.cpp", "modes/full-emulation/f.h",
                       "frontend/g.cpp", "engine/vmm/h.cpp", "modes/paravirt/i.cpp",
                       "engine/vmm/j.cpp", "engine/debug/k.cpp", "engine/vmm/core/l.cpp",
                       "engine/vmm/kit/m.h", "engine/vmm/trace/n.cpp",
                       "engine/snapshot/o.cpp", "engine/vmm/p.cpp",
                       "engine/migration/q.cpp", "engine/snapshot/r.cpp"])
    if found != expected:
        print(f"self-test: expected violations in {expected}, found {found}")
        return 1
    print(f"self-test: {len(expected)} planted violations found, nothing allowed reported")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=os.path.join(os.path.dirname(__file__), "..", ".."))
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    if args.self_test:
        return self_test()
    problems = check(os.path.abspath(args.root))
    for p in problems:
        print(p)
    if problems:
        print(f"layering: {len(problems)} violation(s)")
        return 1
    print("layering: every include points down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
