#!/usr/bin/env python3
"""Boots the vmlab guest under qemu-system-i386 (TCG) and checks its output.

Cases: every workload through run=all (quick iteration counts), single
workloads with iters=/n=, an unknown workload (error status), the interactive
shell driven through the UART, and a second run=all whose result lines must
equal the first apart from the timing fields.

The result-line format checked here is the one documented in docs/guest.md:
  result workload=<name> iters=<n> cycles=<total> cycles_per_iter=<int>.<digit>[ extra=...]
and the run ends with "done status=<n>", which is also written to port 0xF4
(QEMU's isa-debug-exit then exits with (n << 1) | 1).

Exit status: 0 = pass, 1 = fail, 77 = skipped (QEMU not installed).
"""
import argparse
import re
import shutil
import subprocess
import sys
import threading
import time

WORKLOADS = ["syscall", "in", "irqmask", "tpr", "callret", "pgfault", "divzero", "ptemod",
             "ptemod_same", "nullcall", "nullio", "ctxsw", "forkexit", "forkexec", "pagefault", "mmap",
             "protfault", "forkwait", "compute"]
RESULT = re.compile(r"^result workload=([a-z0-9_]+) iters=([0-9]+) cycles=([0-9]+) "
                    r"cycles_per_iter=([0-9]+)\.([0-9])((?: [a-z_]+=[0-9a-zA-Z_.]+)*)$")
ANSI = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]|\x1bc")
TIMEOUT = 120

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what)
    return cond


def qemu_cmd(qemu, kernel, append):
    cmd = [qemu, "-kernel", kernel, "-nographic", "-serial", "stdio", "-display", "none",
           "-monitor", "none", "-no-reboot", "-net", "none",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    if append is not None:
        cmd += ["-append", append]
    return cmd


def clean_lines(raw):
    text = ANSI.sub("", raw.decode("utf-8", "replace")).replace("\r", "")
    return text.split("\n")


def boot(qemu, kernel, append):
    p = subprocess.run(qemu_cmd(qemu, kernel, append), stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=TIMEOUT)
    return p.returncode, clean_lines(p.stdout)


def results(lines):
    out = []
    for line in lines:
        if line.startswith("result "):
            m = RESULT.match(line)
            check(m is not None, f"malformed result line: {line!r}")
            if m:
                out.append(m)
    return out


def done_status(lines):
    done = [l for l in lines if l.startswith("done ")]
    if not check(len(done) == 1, f"expected one 'done' line, got {done}"):
        return None
    m = re.match(r"^done status=([0-9]+)$", done[0])
    check(m is not None, f"malformed done line {done[0]!r}")
    return int(m.group(1)) if m else None


def expect_run(qemu, kernel, append, status, names, iters=None):
    print(f"-- {append!r}")
    rc, lines = boot(qemu, kernel, append)
    check(any("vmlab-guest " in l and "pv_ops=native" in l for l in lines),
          f"{append}: no boot banner")
    res = results(lines)
    check([m.group(1) for m in res] == names,
          f"{append}: workloads {[m.group(1) for m in res]} != {names}")
    if iters is not None:
        check(all(int(m.group(2)) == iters for m in res), f"{append}: iters != {iters}")
    for m in res:
        total, it = int(m.group(3)), int(m.group(2))
        tenths = (total * 10 + it // 2) // it
        check(f"{tenths // 10}.{tenths % 10}" == f"{m.group(4)}.{m.group(5)}",
              f"{append}: cycles_per_iter inconsistent in {m.group(0)!r}")
        check(total > 0, f"{append}: zero cycles in {m.group(0)!r}")
    check(done_status(lines) == status, f"{append}: done status != {status}")
    check(rc == (status << 1) | 1, f"{append}: QEMU exit code {rc}, expected {(status << 1) | 1}")
    for l in lines:
        if l.startswith(("panic", "kill ", "error ")):
            print("   " + l)
    return res


def shell_session(qemu, kernel):
    """Types commands at the shell once its prompt appears (input is interrupt driven)."""
    print("-- shell")
    p = subprocess.Popen(qemu_cmd(qemu, kernel, None), stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = bytearray()

    def reader():
        while True:
            b = p.stdout.read1(4096)
            if not b:
                return
            out.extend(b)

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    deadline = time.time() + TIMEOUT
    while b"vmlab$ " not in out and time.time() < deadline and p.poll() is None:
        time.sleep(0.05)
    try:
        p.stdin.write(b"list\nsyscall iters=50\nforkwait n=5\nexit 3\n")
        p.stdin.flush()
        p.wait(timeout=TIMEOUT)
    except (BrokenPipeError, subprocess.TimeoutExpired):
        p.kill()
        p.wait()
    t.join(timeout=5)
    lines = clean_lines(bytes(out))
    res = results(lines)
    check([(m.group(1), m.group(2)) for m in res] == [("syscall", "50"), ("forkwait", "5")],
          f"shell: results {[m.group(0) for m in res]}")
    check(any(l.strip().startswith("forkwait") and "iters=40000" in l for l in lines),
          "shell: 'list' output missing forkwait")
    check(done_status(lines) == 3, "shell: done status != 3")
    check(p.returncode == 7, f"shell: QEMU exit code {p.returncode}, expected 7")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--qemu", default="qemu-system-i386")
    args = ap.parse_args()
    qemu = shutil.which(args.qemu)
    if not qemu:
        print(f"SKIP: {args.qemu} not installed")
        return 77

    first = expect_run(qemu, args.kernel, "run=all", 0, WORKLOADS)
    expect_run(qemu, args.kernel, "run=syscall iters=1000", 0, ["syscall"], iters=1000)
    expect_run(qemu, args.kernel, "run=forkwait n=100", 0, ["forkwait"], iters=100)
    expect_run(qemu, args.kernel, "run=all iters=3", 0, WORKLOADS, iters=3)
    expect_run(qemu, args.kernel, "run=nosuch", 2, [])
    # A disk workload without a drive: skipped with a reason, not failed.
    rc, lines = boot(qemu, args.kernel, "run=diskread")
    check(any(l.startswith('skip workload=diskread reason="no usable file system') for l in lines)
          and not results(lines) and done_status(lines) == 0,
          f"run=diskread without a drive: no skip line: {lines[-4:]}")
    expect_run(qemu, args.kernel, "run=syscall iters=x", 2, [])
    shell_session(qemu, args.kernel)

    # Determinism: apart from the timings, a second run prints the same results.
    second = expect_run(qemu, args.kernel, "run=all", 0, WORKLOADS)
    strip = lambda res: [(m.group(1), m.group(2), m.group(6)) for m in res]
    check(strip(first) == strip(second), "run=all: results differ between runs beyond timings")

    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
