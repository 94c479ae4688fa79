"""Lab 07 grader: the emulated ATA disk against the PV block ring, from real runs."""
import subprocess

from labkit.grade import test

BLK_PORT = 3
ATA_DATA_PORT = 0x1F0
FSSTRESS = "fsstress 10\nexit 0\n"
BLKREAD = "blkread 0 8\nexit 0\n"


def ring(run):
    """The block ring's notifications: (to the back end, to the front end, requests)."""
    notes = [e["args"] for e in run.events("ring_notify") if e["args"]["ring"] == BLK_PORT]
    front = sum(1 for a in notes if not a.get("to_front"))
    back = [a for a in notes if a.get("to_front")]
    return front, len(back), sum(a["entries"] for a in back)


def number(g, key):
    try:
        return float(g.answer(key))
    except ValueError:
        g.fail(f"answers.txt {key}: is not a number")


@test(30, "notify avoidance: no notification while the back end is still working")
def avoided(g):
    run = g.disk_run("pv", FSSTRESS)
    front, back, requests = ring(run)
    g.expect(requests > 0, "no request went through the block ring")
    g.expect(front <= back, f"{front} notifications to the back end for {back} batches it "
             f"answered ({requests} requests): not avoided")


@test(15, "the file system on the ring is whole: fsck clean, fsstress's files as written")
def whole(g):
    run = g.disk_run("pv", FSSTRESS)
    g.expect("fsstress 9" in run.console, "fsstress did not finish under --mode pv")
    p = subprocess.run([g.vmlab, "fsck", run.image, "--list"], capture_output=True, text=True,
                       timeout=60)
    g.expect(p.returncode == 0, f"vmlab fsck: {p.stdout.strip().splitlines()[-1:]}")
    alphabet = bytes(range(ord("a"), ord("a") + 26))
    for line in p.stdout.splitlines():
        if not line.startswith("f"):
            continue
        name = line.split()[0]
        size = (int(name[1:]) * 2731) % 10241
        data = subprocess.run([g.vmlab, "fsck", run.image, "--cat", name], capture_output=True,
                              timeout=60).stdout
        g.expect(data == (alphabet * (size // 26 + 1))[:size], f"{name}: not what fsstress wrote")


@test(15, "answers.txt: 'ata-data-words-trap:', 'notifies-pv:' and 'batch-pv:' match the runs")
def figures(g):
    trap = g.disk_run("trap", BLKREAD)
    words = sum(1 for e in trap.events("port_io") if e["args"]["port"] == ATA_DATA_PORT)
    g.expect(int(number(g, "ata-data-words-trap")) == words,
             "answers.txt ata-data-words-trap: the run shows another count of data-port accesses")
    pv = g.disk_run("pv", BLKREAD)
    front, back, _ = ring(pv)
    g.expect(int(number(g, "notifies-pv")) == front + back,
             "answers.txt notifies-pv: the run shows another count of block-ring notifications")
    front, _, requests = ring(g.disk_run("pv", FSSTRESS))
    g.expect(abs(number(g, "batch-pv") - requests / front) < 0.01,
             "answers.txt batch-pv: not the fsstress run's requests per notification to the "
             "back end (two decimals)")


@test(25, "answers.txt: the questions are answered")
def answered(g):
    g.answered(["q1", "q2", "q3", "q4"])
