"""Lab 05 grader: paravirtual page-table updates, batched, from the hypercalls of real runs."""
from labkit.grade import test

MMU_UPDATE = 1  # docs/pv-abi.md


def mmu_updates(run):
    """(hypercalls, entries) of the run's mmu_update hypercalls (the trace's number and
    arg1, the count of requests)."""
    calls = [e for e in run.events("hypercall") if e["args"]["number"] == MMU_UPDATE]
    return len(calls), sum(e["args"]["arg1"] for e in calls)


def per_fork(g):
    """Per fork: mmu_update hypercalls, entries updated, modeled cycles (pentium4)."""
    runs = [g.completed("pv", f"run=forkwait iters={n}", trace=True,
                        extra=["--trace-limit", "0", "--profile", "pentium4"]) for n in (10, 20)]
    (c1, e1), (c2, e2) = (mmu_updates(r) for r in runs)
    return (c2 - c1) / 10, (e2 - e1) / 10, (runs[1].stats["cycles"] - runs[0].stats["cycles"]) / 10


@test(15, "pv: the guest OS runs every workload with your pv_ops, as natively")
def pv_all(g):
    run = g.completed("pv", "run=all")
    native = g.completed("native", "run=all")
    # tpr writes the local APIC's TPR; a PV guest has no APIC and prints a skip line instead.
    g.expect(run.result_lines() == [l for l in native.result_lines()
                                    if not l.startswith("result workload=tpr ")],
             "the guest's result lines under --mode pv differ from native's")


@test(30, "batched: a fork's page-table updates take at most one mmu_update per 4 entries")
def batched(g):
    calls, entries, _ = per_fork(g)
    g.expect(entries > 0, "no mmu_update entries in forkwait")
    g.expect(calls * 4 <= entries,
             f"{calls:.1f} mmu_update hypercalls per fork for {entries:.1f} entries "
             f"({calls / entries:.2f} hypercalls per entry): not batched")


@test(15, "forkwait under pv: at most 40% more cycles per fork than native (pentium4)")
def cycles(g):
    _, _, pv = per_fork(g)
    runs = [g.completed("native", f"run=forkwait iters={n}", extra=["--profile", "pentium4"])
            for n in (10, 20)]
    native = (runs[1].stats["cycles"] - runs[0].stats["cycles"]) / 10
    g.expect(pv <= native * 1.4, f"{pv:.0f} modeled cycles per fork under pv, {native:.0f} "
             f"natively ({pv / native:.2f} times): the hypercalls cost too much")


@test(10, "the monitor still refuses every hostile page-table update (run=hostile)")
def hostile(g):
    run = g.completed("pv", "run=hostile")
    attempts = [l for l in run.console.splitlines() if l.startswith("hostile attempt=")]
    g.expect(len(attempts) >= 5, f"only {len(attempts)} hostile attempts ran")
    bad = [l for l in attempts if "result=refused" not in l or "unchanged=yes" not in l]
    g.expect(not bad, f"accepted or changed: {bad[0] if bad else ''}")


@test(10, "answers.txt 'hypercalls-per-fork:' and 'entries-per-fork:' match the runs")
def answers_match(g):
    calls, entries, _ = per_fork(g)
    for key, measured in (("hypercalls-per-fork", calls), ("entries-per-fork", entries)):
        try:
            given = float(g.answer(key))
        except ValueError:
            g.fail(f"answers.txt {key}: is not a number")
        g.expect(abs(given - measured) < 0.05, f"answers.txt {key}: {given}; the runs give "
                 f"another figure")


@test(20, "answers.txt: the questions are answered")
def answered(g):
    g.answered(["q1", "q2", "q3", "q4"])
