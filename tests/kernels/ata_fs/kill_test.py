#!/usr/bin/env python3
"""Nothing lost: boots the guest OS on a fresh vmlabfs image running `fsstress 400`
(files of 0-10 KiB created, written and every other one removed, one FLUSH CACHE per
operation), kills vmlab with SIGKILL at pseudo-random moments, and requires `vmlab fsck`
to find the file system consistent each time (leaks allowed, docs/disk.md) and every file
it lists to hold exactly what fsstress wrote (the one being written at the kill may still
be short, a prefix of whole writes): the writes reached the image in order.

    kill_test.py VMLAB GUEST [ROUNDS [VMLAB RUN OPTIONS...]]
"""
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

ALPHABET = bytes(range(ord("a"), ord("a") + 26))


def expected(name):
    i = int(name[1:])
    size = (i * 2731) % 10241
    return (ALPHABET * (size // 26 + 1))[:size]


def main():
    vmlab, guest = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    mode_args = sys.argv[4:]
    rng = random.Random(17)
    failures = 0
    with tempfile.TemporaryDirectory() as work:
        script = os.path.join(work, "in.txt")
        with open(script, "w") as f:
            f.write("fsstress 400\nexit 0\n")
        for k in range(rounds):
            image = os.path.join(work, f"disk{k}.img")
            subprocess.run([vmlab, "mkfs", image, "--size", "4M"], check=True,
                           stdout=subprocess.DEVNULL)
            p = subprocess.Popen([vmlab, "run", "--quiet", "--disk", image, "--input", script]
                                 + mode_args + [guest], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            # Wait until the guest has started writing, then a random while longer.
            line = p.stdout.readline()
            while line and not line.startswith(b"fsstress"):
                line = p.stdout.readline()
            time.sleep(rng.uniform(0.0, 1.5))
            p.send_signal(signal.SIGKILL)
            p.wait()
            p.stdout.close()
            r = subprocess.run([vmlab, "fsck", image, "--list"], capture_output=True, text=True)
            files = [l.split() for l in r.stdout.splitlines()
                     if l and not l.startswith(("leak:", "error:", image))]
            summary = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""
            bad = []
            if r.returncode != 0:
                bad.append(f"fsck exited {r.returncode}: {r.stdout.strip()}")
            # The file being written when the kill came may be short: fsstress writes it
            # 512 bytes at a time and fs.c writes the inode's size after the data, so it
            # holds a whole number of those writes (none: created, still empty). Every
            # other file holds exactly what fsstress wrote.
            last = max((int(n[1:]) for n, _ in files), default=-1)
            for name, size in files:
                data = subprocess.run([vmlab, "fsck", image, "--cat", name],
                                      capture_output=True).stdout
                in_progress = (int(name[1:]) == last and len(data) % 512 == 0
                               and data == expected(name)[:len(data)])
                if (data != expected(name) and not in_progress) or int(size) != len(data):
                    bad.append(f"{name}: {len(data)} bytes, not what fsstress wrote")
            status = "FAIL" if bad else "ok"
            print(f"{status}: kill {k}: {summary} ({len(files)} files checked)")
            for b in bad:
                print("   " + b)
            failures += bool(bad)
    if failures:
        sys.exit(f"FAIL: {failures} of {rounds} killed runs left a damaged file system")
    print("PASS")


if __name__ == "__main__":
    main()
