"""Lab 06 grader: VM exits, shadow vs nested paging, exit costs; answers checked on runs."""
from labkit.grade import test

FORK = "run=forkwait iters=10"


def exits_by_reason(run):
    counts = {}
    for e in run.events("trap"):
        counts[e["args"]["reason"]] = counts.get(e["args"]["reason"], 0) + 1
    return counts


def number(g, key):
    try:
        return float(g.answer(key))
    except ValueError:
        g.fail(f"answers.txt {key}: is not a number")


@test(10, "VT shadow paging and nested paging run forkwait with native's results")
def both_run(g):
    native = g.completed("native", FORK)
    for mode in ("trap", "trap --npt"):
        g.expect(g.completed(mode, FORK).result_lines() == native.result_lines(),
                 f"--mode {mode}: result lines differ from native's")


@test(15, "answers.txt 'top-exit-reason:' and 'exits-shadow:' match the VM exits of forkwait")
def exits_answer(g):
    run = g.completed("trap", FORK, trace=True, extra=["--trace-limit", "0"])
    counts = exits_by_reason(run)
    top = max(counts.values())
    g.expect(counts.get(int(number(g, "top-exit-reason"))) == top,
             "answers.txt top-exit-reason: is not the most frequent exit reason of the run")
    g.expect(int(number(g, "exits-shadow")) == run.count("trap"),
             "answers.txt exits-shadow: is not the run's VM exit count")


@test(15, "nested paging: no hidden faults, no traced PT writes, 2-D walks instead")
def npt_events(g):
    run = g.completed("trap --npt", FORK)
    shadow = g.completed("trap", FORK)
    g.expect(run.count("hidden_fault") == 0 and run.count("guest_pt_write") == 0,
             "hidden faults or traced page-table writes under --npt")
    g.expect(run.count("nested_walk") > 0, "no nested_walk under --npt")
    g.expect(run.count("trap") < shadow.count("trap"), "--npt did not take fewer exits")
    g.expect(int(number(g, "exits-npt")) == run.count("trap"),
             "answers.txt exits-npt: is not the --npt run's VM exit count")


@test(20, "answers.txt: forkwait cycles per iteration on Prescott and Sandy Bridge, shadow and NPT")
def generations(g):
    for key, profile, mode in (("prescott-shadow", "vtx-prescott", "trap"),
                               ("prescott-npt", "vtx-prescott", "trap --npt"),
                               ("sandybridge-shadow", "vtx-sandybridge", "trap"),
                               ("sandybridge-npt", "vtx-sandybridge", "trap --npt")):
        run = g.completed(mode, FORK, extra=["--profile", profile])
        measured = run.workload("forkwait")["cycles_per_iter"]
        g.expect(abs(number(g, key) - measured) <= 0.01 * measured,
                 f"answers.txt {key}: the run gives another figure (within 1%)")


@test(40, "answers.txt: the questions are answered")
def answered(g):
    g.answered(["q1", "q2", "q3", "q4", "q5"])
