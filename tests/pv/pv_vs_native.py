#!/usr/bin/env python3
"""The guest OS under `vmlab run --mode pv` (issue 6, paravirtualization).

Checks, on the built guest image:
  1. every workload (run=all) prints the same result lines as native apart from the
     timings, and the same done line; a PV run is deterministic;
  2. the `hostile` workload: each forbidden page-table update is refused and changes
     nothing, the kernel survives, the run exits 0;
  3. a system call costs no monitor entry: between runs of 100 and 200 system calls the
     `trap` and `hypercall` counts of stats.json do not move;
  4. a guest that asks for an ABI version the monitor does not offer stops with a message
     and status 3;
  5. the guest's copy of the ABI numbers (guest/kernel/pv_abi.h) matches the monitor's
     (modes/paravirt/pv_abi.h).
Exit status: 0 pass, 1 fail.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

TIMING = re.compile(r" (cycles|cycles_per_iter)=[0-9.]+")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what)
    return cond


def vmlab(binary, kernel, mode, append, extra=()):
    p = subprocess.run([binary, "run", "--quiet", "--mode", mode, "--append", append, *extra,
                        kernel], stdin=subprocess.DEVNULL, capture_output=True, timeout=300)
    return p.returncode, p.stdout.decode("utf-8", "replace").replace("\r", "")


def comparable(text):
    return [TIMING.sub("", l) for l in text.split("\n")
            if l.startswith("result ") or l.startswith("done status=")]


def stats(binary, kernel, append, out):
    rc, _ = vmlab(binary, kernel, "pv", append, ("--out", out))
    check(rc == 0, f"pv {append}: exit status {rc}")
    with open(os.path.join(out, "stats.json")) as f:
        return json.load(f)["events"]


def abi_numbers(source_dir):
    guest = open(os.path.join(source_dir, "guest/kernel/pv_abi.h")).read()
    host = open(os.path.join(source_dir, "modes/paravirt/pv_abi.h")).read()
    pairs = []
    for name, value in re.findall(r"#define HYPERVISOR_(\w+) (\d+)", guest):
        camel = "k" + "".join(w.capitalize() for w in name.split("_"))
        pairs.append((name, int(value), camel))
    for name, value in re.findall(r"#define PV_(E[A-Z]+) (\d+)", guest):
        pairs.append((name, int(value), "k" + name))
    m = re.search(r"#define PV_ABI_VERSION (\d+)", guest)
    pairs.append(("PV_ABI_VERSION", int(m.group(1)), "kAbiVersion"))
    for name, value, camel in pairs:
        hm = re.search(r"\b" + camel + r"\s*=\s*(\d+)", host)
        check(hm is not None and int(hm.group(1)) == value,
              f"ABI mismatch: guest {name}={value}, monitor {camel}="
              f"{hm.group(1) if hm else 'missing'}")
    return len(pairs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vmlab", required=True)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--source", required=True)
    a = ap.parse_args()

    # 1. Same result lines as native.
    rc_n, native = vmlab(a.vmlab, a.kernel, "native", "run=all")
    rc_p, pv = vmlab(a.vmlab, a.kernel, "pv", "run=all")
    check(rc_n == 0 and rc_p == 0, f"run=all exit statuses native {rc_n}, pv {rc_p}")
    n, p = comparable(native), comparable(pv)
    check(len(n) == 20, f"native run=all printed {len(n)} result/done lines, expected 20")
    # tpr writes the local APIC's TPR, which a PV guest does not have: pv skips it, saying so.
    n = [l for l in n if not l.startswith("result workload=tpr ")]
    check('skip workload=tpr reason="no local APIC' in pv, "pv did not skip tpr with its reason")
    check(n == p, "pv result lines differ from native:\n  " + "\n  ".join(
        f"{x!r} vs {y!r}" for x, y in zip(n, p) if x != y))
    check("boot=pv pv_ops=paravirt ring=1" in pv, "pv banner missing")
    _, pv2 = vmlab(a.vmlab, a.kernel, "pv", "run=all")
    check(pv == pv2, "two pv runs differ (determinism)")

    # 2. The hostile workload.
    rc, out = vmlab(a.vmlab, a.kernel, "pv", "run=hostile")
    attempts = re.findall(r"^hostile attempt=(\w+) result=(\w+) error=(-?\d+) unchanged=(\w+)$",
                          out, re.M)
    expected = {"pt_frame_writable": -22, "foreign_frame": -1, "hole_pde": -1, "hole_va": -1,
                "data_as_table": -22, "unpin_in_use": -16, "unvalidated_base": -22}
    check([x[0] for x in attempts] == list(expected), f"hostile attempts: {attempts}")
    for name, result, err, unchanged in attempts:
        check(result == "refused" and unchanged == "yes" and int(err) == expected[name],
              f"hostile {name}: {result} error={err} unchanged={unchanged}")
    check("hostile survived=yes" in out and rc == 0 and "done status=0" in out,
          f"hostile: the run did not continue to a clean end (status {rc})")
    print(out)

    # 3. System calls without monitor entries.
    with tempfile.TemporaryDirectory() as tmp:
        s1 = stats(a.vmlab, a.kernel, "run=syscall iters=100", os.path.join(tmp, "a"))
        s2 = stats(a.vmlab, a.kernel, "run=syscall iters=200", os.path.join(tmp, "b"))
    d = {k: s2[k]["count"] - s1[k]["count"] for k in s1}
    check(d["software_interrupt"] == 100, f"100 more INT 0x80 expected, saw {d['software_interrupt']}")
    check(d["trap"] == 0 and d["hypercall"] == 0,
          f"system calls entered the monitor: trap {d['trap']}, hypercall {d['hypercall']}")
    print(f"syscall: per 100 more calls: software_interrupt +{d['software_interrupt']}, "
          f"trap +{d['trap']}, hypercall +{d['hypercall']}")

    # 4. The ABI refusal.
    rc, out = vmlab(a.vmlab, a.kernel, "pv", "run=syscall pv_abi=2")
    check(rc == 3 and "refused PV ABI version 2 (it offers version 1)" in out,
          f"ABI refusal: status {rc}, output {out!r}")

    # 5. The two copies of the ABI.
    print(f"ABI numbers compared: {abi_numbers(a.source)}")

    if failures:
        print(f"{len(failures)} failure(s)")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
