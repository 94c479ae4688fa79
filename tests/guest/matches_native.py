"""What the guest-OS comparisons against native share (trap_vs_native.py,
trap_classic_vs_native.py, bt_vs_native.py): boot the guest with run=all and with forkwait
alone, natively and in other modes, and compare the result lines with the timing fields
(cycles=, cycles_per_iter=) removed, and the final "done status=" line.
"""
import re
import subprocess

TIMING = re.compile(r" (cycles|cycles_per_iter)=[0-9.]+")


def comparable(text):
    return [TIMING.sub("", l) for l in text.replace("\r", "").split("\n")
            if l.startswith("result ") or l.startswith("done status=")]


def run(binary, kernel, mode_args, append):
    p = subprocess.run([binary, "run", "--quiet", *mode_args, "--append", append, kernel],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=300)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def compare(vmlab, kernel, modes):
    """Boots the guest natively and under each of `modes` (vmlab run options) with run=all
    and forkwait alone; prints a line per comparison and returns how many failed."""
    failures = 0
    for append in ["run=all", "run=forkwait n=300"]:
        rc, native = run(vmlab, kernel, ["--mode", "native"], append)
        want = comparable(native)
        if rc != 0 or not any(l.startswith("result ") for l in want):
            print(f"FAIL: native '{append}' exited {rc}")
            failures += 1
            continue
        for mode_args in modes:
            rc, out = run(vmlab, kernel, mode_args, append)
            got = comparable(out)
            name = " ".join(mode_args)
            if rc != 0 or got != want:
                print(f"FAIL: '{name}' '{append}' (exit {rc}) differs from native:")
                for a, b in zip(want, got):
                    if a != b:
                        print(f"  native: {a}\n  {name}: {b}")
                print(out[-600:])
                failures += 1
            else:
                print(f"ok: '{name}' '{append}': {len(got)} lines match native apart from timings")
    return failures
