"""Lab 08 grader: the student's reproduction of Adams & Agesen's nanobenchmarks, and a
prediction of one cost change, checked against vmlab compare's own runs."""
from labkit.grade import test

WORKLOADS = "syscall,in,ptemod_same,forkwait"
MODES = "native,trap,bt"
# answers.txt key -> (workload, mode) of vmlab compare's cycles/op
FIGURES = {"syscall-trap": ("syscall", "trap"), "syscall-bt": ("syscall", "bt"),
           "in-trap": ("in", "trap"), "in-bt": ("in", "bt"),
           "ptemod-trap": ("ptemod_same", "trap"), "ptemod-bt": ("ptemod_same", "bt"),
           "forkwait-trap": ("forkwait", "trap"), "forkwait-bt": ("forkwait", "bt")}


def number(g, key):
    try:
        return float(g.answer(key))
    except ValueError:
        g.fail(f"answers.txt {key}: is not a number")


@test(10, "vmlab compare runs the nanobenchmarks in native, trap and bt (pentium4)")
def compare_runs(g):
    table = g.compare(MODES, WORKLOADS)
    missing = [k for k in FIGURES.values() if k not in table or table[k]["ok"] != "1"]
    g.expect(not missing, f"no result for {missing}")


@test(30, "answers.txt: the eight cycles/op figures are vmlab's (within 1%)")
def figures(g):
    table = g.compare(MODES, WORKLOADS)
    for key, cell in FIGURES.items():
        measured = float(table[cell]["cycles_per_op"])
        given = number(g, key)
        g.expect(abs(given - measured) <= 0.01 * max(measured, 1),
                 f"answers.txt {key}: {given}; vmlab compare gives another figure")


@test(20, "answers.txt: a cost change, predicted within 10% and measured within 1%")
def prediction(g):
    change = g.answer("cost-change").strip()
    if "=" not in change:
        g.fail("answers.txt cost-change: is not KEY=CYCLES (e.g. event.trap=1000)")
    workload, mode = (g.answer("cost-change-cell").replace(",", " ").split() + ["", ""])[:2]
    if (workload, mode) not in FIGURES.values():
        g.fail("answers.txt cost-change-cell: is not 'WORKLOAD MODE' from the table")
    table = g.compare(MODES, WORKLOADS, costs=[change])
    measured = float(table[(workload, mode)]["cycles_per_op"])
    base = float(g.compare(MODES, WORKLOADS)[(workload, mode)]["cycles_per_op"])
    g.expect(abs(measured - base) > 0.01 * base,
             f"{change} changes {workload} under {mode} by less than 1%: pick a cost that matters")
    g.expect(abs(number(g, "cost-change-measured") - measured) <= 0.01 * measured,
             "answers.txt cost-change-measured: vmlab compare gives another figure")
    g.expect(abs(number(g, "cost-change-predicted") - measured) <= 0.10 * measured,
             f"answers.txt cost-change-predicted: more than 10% from the measured "
             f"{measured:.1f}")


@test(40, "answers.txt: the questions are answered")
def answered(g):
    g.answered(["q1", "q2", "q3", "q4", "q5"])
