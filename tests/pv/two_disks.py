#!/usr/bin/env python3
"""Two disks in every mode (issue 17; docs/disk.md, "Two disks"): `--disk` given twice is the
ATA master and slave natively, under trap and bt, and two virtual disks with a ring, a port
and a back end each under pv (vbd 0 on port 3, vbd 1 on port 4).

The first disk holds a vmlabfs file system, the second a raw pattern (sector s is the byte
s % 251). One shell session, alike in every mode, uses both: a file written and read back
on the first, the second's sectors summed, overwritten, flushed and summed again, and the
first's raw sectors summed. Checked:

- the guest prints the same lines in every mode, with the sums the images give;
- on the host, the second image holds the written sectors and is otherwise unchanged, and
  `vmlab fsck` finds the first image's file system clean with the file in it;
- under pv, the trace shows both rings used: notifications on port 3 and on port 4, and
  the second disk's requests marked as its own (blk_request detail 0x1000 + segments);
- with one disk, `blkread 0 1 1` is a clean error, and the session goes on.

    two_disks.py VMLAB GUEST
"""
import json
import os
import subprocess
import sys
import tempfile

MODES = (["--mode", "native"], ["--mode", "trap"], ["--mode", "trap", "--cpu", "classic"],
         ["--mode", "bt"], ["--mode", "pv"])
SECTORS = 256
SESSION = ("write hello two disks\n"
           "blkread 0 8 1\n"
           "blkwrite 4 2 171 1\n"
           "blkread 4 2 1\n"
           "blkread 0 8 1\n"
           "cat hello\n"
           "blkread 0 1\n"
           "exit 0\n")


def raw_sector(s):
    return bytes([s % 251]) * 512


def expected_lines(fs_sector0_sum):
    before = sum((s % 251) * 512 for s in range(8))
    after = before - (4 % 251) * 512 - (5 % 251) * 512 + 2 * 171 * 512
    return [
        "blkread disk=1 lba=0 sectors=8 sum=%d" % before,
        "blkwrite disk=1 lba=4 sectors=2",
        "blkread disk=1 lba=4 sectors=2 sum=%d" % (2 * 171 * 512),
        "blkread disk=1 lba=0 sectors=8 sum=%d" % after,
        "two disks",
        "blkread lba=0 sectors=1 sum=%d" % fs_sector0_sum,
    ]


def main():
    vmlab, guest = sys.argv[1], sys.argv[2]
    failures = []

    def check(ok, what):
        print(("ok: " if ok else "FAIL: ") + what)
        if not ok:
            failures.append(what)

    with tempfile.TemporaryDirectory() as work:
        script = os.path.join(work, "in.txt")
        with open(script, "w") as f:
            f.write(SESSION)
        outputs = {}
        for opts in MODES:
            name = " ".join(opts[1:])
            fs_img = os.path.join(work, "fs.img")
            raw_img = os.path.join(work, "raw.img")
            subprocess.run([vmlab, "mkfs", fs_img, "--size", "256K"], check=True,
                           capture_output=True)
            with open(fs_img, "rb") as f:
                fs_sum = sum(f.read(512))
            with open(raw_img, "wb") as f:
                for s in range(SECTORS):
                    f.write(raw_sector(s))
            out = os.path.join(work, "out")
            r = subprocess.run([vmlab, "run", "--quiet", "--disk", fs_img, "--disk", raw_img,
                                "--input", script, "--out", out, "--trace", "--trace-limit", "0"]
                               + opts + [guest], capture_output=True, text=True, timeout=600)
            check(r.returncode == 0, f"{name}: vmlab run exited {r.returncode}: {r.stderr}")
            lines = [l.strip() for l in r.stdout.splitlines()
                     if l.startswith(("blkread", "blkwrite", "error", "two disks"))]
            want = expected_lines(fs_sum)
            check(lines == want, f"{name}: the session's lines {lines} (want {want})")
            outputs[name] = lines
            with open(raw_img, "rb") as f:
                raw = f.read()
            want_raw = b"".join(raw_sector(s) if s not in (4, 5) else bytes([171]) * 512
                                for s in range(SECTORS))
            check(raw == want_raw, f"{name}: the second image holds exactly what was written")
            fsck = subprocess.run([vmlab, "fsck", fs_img, "--cat", "hello"], capture_output=True,
                                  text=True)
            check(fsck.returncode == 0 and fsck.stdout == "two disks\n",
                  f"{name}: the first image's file system is clean and holds the file: "
                  f"{fsck.returncode} {fsck.stdout!r} {fsck.stderr}")
            if "pv" in opts:
                notify = {3: 0, 4: 0}
                second_requests = 0
                with open(os.path.join(out, "trace.jsonl")) as f:
                    for line in f:
                        e = json.loads(line)
                        k, a = e["kind"], e["args"]
                        if k == "ring_notify" and a["ring"] in notify:
                            notify[a["ring"]] += 1
                        elif k == "blk_request" and a["detail"] >= 0x1000:
                            second_requests += 1
                # The second disk: blkread 0 8, blkwrite 4 2 and its flush (one batch),
                # blkread 4 2, blkread 0 8: four batches, one notification each way.
                check(notify[4] == 8, f"pv: 4 batches on the second disk's ring, one "
                                      f"notification each way: {notify[4]} (want 8)")
                check(notify[3] > 0, f"pv: the first disk's ring was used: {notify[3]}")
                check(second_requests == 5, f"pv: the second disk's back end took 5 requests "
                                            f"(3 reads, a write, a flush): {second_requests}")
        check(len({tuple(v) for v in outputs.values()}) == 1, "every mode printed the same lines")

        # One disk: the second is absent, cleanly.
        one = os.path.join(work, "one.txt")
        with open(one, "w") as f:
            f.write("blkread 0 1 1\nblkread 0 1 2\nls\nexit 0\n")
        for opts in (["--mode", "native"], ["--mode", "pv"]):
            fs_img = os.path.join(work, "fs.img")
            subprocess.run([vmlab, "mkfs", fs_img, "--size", "256K"], check=True,
                           capture_output=True)
            r = subprocess.run([vmlab, "run", "--quiet", "--disk", fs_img, "--input", one] + opts
                               + [guest], capture_output=True, text=True, timeout=600)
            check(r.returncode == 0 and "error blkread disk=1 0 1" in r.stdout and
                  "error usage: blkread LBA N [DISK]" in r.stdout,
                  f"{opts[1]} with one disk: a clean error for disk 1 and a usage for disk 2: "
                  f"{r.returncode} {r.stdout}")

    print(f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
