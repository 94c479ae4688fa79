#!/usr/bin/env python3
"""Nothing typed is lost: a shell session of 1302 bytes, five times the guest's 256-byte
serial input ring, given at once (`--input`, as a paste) while the shell is busy with
`fsstress 10`, must run whole: the guest's UART driver stops taking input while its ring
is full (the receive interrupt off, the bytes held in the UART's FIFO and the line behind
it) and takes it again as the shell reads; under --mode pv the monitor moves input into
the console ring only as far as the guest leaves room (docs/disk.md, "Limits";
docs/pv-abi.md, "The console ring"). Every one of the 40 `write` commands must have made
its file, and the shell must reach `exit 0`.

    paste_test.py VMLAB GUEST [VMLAB RUN OPTIONS...]
"""
import os
import subprocess
import sys
import tempfile

FILES = 40


def main():
    vmlab, guest, mode_args = sys.argv[1], sys.argv[2], sys.argv[3:]
    session = "fsstress 10\n" + "".join(
        f"write p{i:02d} pasted line number {i:02d}\n" for i in range(FILES)) + "ls\nexit 0\n"
    assert len(session) > 5 * 256
    with tempfile.TemporaryDirectory() as work:
        image = os.path.join(work, "disk.img")
        script = os.path.join(work, "in.txt")
        with open(script, "w") as f:
            f.write(session)
        subprocess.run([vmlab, "mkfs", image, "--size", "1M"], check=True,
                       stdout=subprocess.DEVNULL)
        r = subprocess.run([vmlab, "run", "--quiet", "--disk", image, "--input", script]
                           + mode_args + [guest], capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=300)
        failures = []
        if r.returncode != 0 or "done status=0" not in r.stdout:
            failures.append(f"the session did not end with exit 0 (vmlab exited {r.returncode}): "
                            f"{r.stdout[-300:]} {r.stderr[-300:]}")
        listing = subprocess.run([vmlab, "fsck", image, "--list"], capture_output=True,
                                 text=True).stdout
        made = {l.split()[0] for l in listing.splitlines() if l.startswith("p")}
        want = {f"p{i:02d}" for i in range(FILES)}
        if made != want:
            failures.append(f"missing files: {sorted(want - made)}")
        for i in (0, FILES - 1):
            data = subprocess.run([vmlab, "fsck", image, "--cat", f"p{i:02d}"],
                                  capture_output=True, text=True).stdout
            if data != f"pasted line number {i:02d}\n":
                failures.append(f"p{i:02d} holds {data!r}")
        for f in failures:
            print("FAIL:", f)
        if failures:
            sys.exit(1)
        print(f"PASS: {len(session)} bytes of input, {FILES} files written, nothing lost")


if __name__ == "__main__":
    main()
