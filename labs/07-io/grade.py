"""Lab 07 grader: emulated port I/O against the PV console ring, from real runs."""
from labkit.grade import test

RUN = "run=syscall iters=10"
IO_EXIT = 30  # VT basic exit reason: I/O instruction


def ring(run):
    """(notifications, bytes) of the console ring: the back end's ring_notify events."""
    notes = run.events("ring_notify")
    return len(notes), sum(e["args"]["entries"] for e in notes)


def number(g, key):
    try:
        return float(g.answer(key))
    except ValueError:
        g.fail(f"answers.txt {key}: is not a number")


@test(15, "pv: the guest OS runs every workload with your console, as natively")
def pv_all(g):
    run = g.completed("pv", "run=all")
    g.expect(run.result_lines() == g.completed("native", "run=all").result_lines(),
             "the guest's result lines under --mode pv differ from native's")


@test(30, "batched: at most one console notification per 16 bytes under pv")
def batched(g):
    run = g.completed("pv", RUN, trace=True, extra=["--trace-limit", "0"])
    notes, sent = ring(run)
    g.expect(sent > 0, "no console bytes went through the ring")
    g.expect(notes * 16 <= sent, f"{notes} notifications for {sent} console bytes "
             f"({notes / sent:.2f} per byte): not batched")


@test(15, "the console the ring carries is the whole console, in order")
def complete(g):
    run = g.completed("pv", RUN, trace=True, extra=["--trace-limit", "0"])
    _, sent = ring(run)
    g.expect(sent == len(run.console.encode()), f"the ring carried {sent} bytes, the console "
             f"has {len(run.console.encode())}")
    g.expect("done status=0" in run.console, "the console lacks the guest's last line")


@test(15, "answers.txt: 'io-exits-trap:', 'console-bytes-trap:' and 'notifies-pv:' match the runs")
def figures(g):
    trap = g.completed("trap", RUN, trace=True, extra=["--trace-limit", "0"])
    io_exits = sum(1 for e in trap.events("trap") if e["args"]["reason"] == IO_EXIT)
    g.expect(int(number(g, "io-exits-trap")) == io_exits,
             "answers.txt io-exits-trap: the run shows another count of I/O exits")
    g.expect(int(number(g, "console-bytes-trap")) == len(trap.console.encode()),
             "answers.txt console-bytes-trap: is not the size of the console")
    pv = g.completed("pv", RUN, trace=True, extra=["--trace-limit", "0"])
    g.expect(int(number(g, "notifies-pv")) == ring(pv)[0],
             "answers.txt notifies-pv: the run shows another count of ring notifications")


@test(25, "answers.txt: the questions are answered")
def answered(g):
    g.answered(["q1", "q2", "q3", "q4"])
