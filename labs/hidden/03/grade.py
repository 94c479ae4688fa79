"""Lab 03 hidden tests: robustness of the student's fill beyond the public workloads."""
from labkit.grade import test


@test(10, "the smoke kernel and the guest's pagefault workload run under classic and VT "
      "shadow paging with the same console as native", hidden=True)
def other_kernels(g):
    native = g.completed("native", kernel="smoke")
    for mode in ("trap --cpu classic", "trap"):
        run = g.completed(mode, kernel="smoke")
        g.expect(run.console == native.console, f"{mode}: the smoke kernel's console differs")


@test(10, "deterministic: the same forkwait run twice gives the same counts and cycles",
      hidden=True)
def deterministic(g):
    a = g.completed("trap --cpu classic", "run=forkwait iters=7")
    b = g.run("trap --cpu classic", "run=forkwait iters=7", extra=["--quiet"])
    g.expect(b.status == 0 and a.stats["events"] == b.stats["events"] and
             a.stats["cycles"] == b.stats["cycles"], "two identical runs differ")


@test(10, "every hidden fault makes progress: pagefault gives one hidden fault per page",
      hidden=True)
def one_per_page(g):
    a = g.completed("trap --cpu classic", "run=pagefault iters=64")
    b = g.completed("trap --cpu classic", "run=pagefault iters=128")
    g.expect(b.count("hidden_fault") - a.count("hidden_fault") == 64,
             f"64 more pages gave {b.count('hidden_fault') - a.count('hidden_fault')} more "
             f"hidden faults, expected 64")
