"""Lab 05 hidden tests."""
from labkit.grade import test


@test(10, "ptemod: still one PTE change per iteration, each applied (guest_pt_write)", hidden=True)
def ptemod(g):
    a = g.completed("pv", "run=ptemod iters=100")
    b = g.completed("pv", "run=ptemod iters=200")
    g.expect(b.count("guest_pt_write") - a.count("guest_pt_write") == 100,
             "100 more ptemod iterations did not give 100 more guest_pt_write events")


@test(10, "forkexec and mmap under pv: same results as native (every queued entry is sent "
      "before it is needed)", hidden=True)
def other_workloads(g):
    for w in ("run=forkexec iters=5", "run=mmap iters=10", "run=pagefault iters=32"):
        run = g.completed("pv", w)
        g.expect(run.result_lines() == g.completed("native", w).result_lines(),
                 f"{w}: result lines differ from native's")
