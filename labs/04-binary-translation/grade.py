"""Lab 04 grader: CLI and STI translated into in-TC sequences, checked on real runs."""
from labkit.grade import test


def irqmask(g):
    t = g.compare("native,bt", "irqmask")
    return t[("irqmask", "native")], t[("irqmask", "bt")]


@test(20, "bt: the guest OS runs every workload with your translation, as natively")
def bt_all(g):
    run = g.completed("bt", "run=all")
    g.expect(run.result_lines() == g.completed("native", "run=all").result_lines(),
             "the guest's result lines under --mode bt differ from native's")


@test(30, "irqmask (STI + CLI): in-TC sequences, no callout per operation")
def in_tc(g):
    _, bt = irqmask(g)
    callouts = float(bt["bt_callout_per_op"])
    in_tc_ops = float(bt["bt_in_tc_per_op"])
    g.expect(callouts < 0.5, f"{callouts:.2f} callouts per irqmask op under bt: CLI and STI "
             f"still call out")
    g.expect(in_tc_ops >= 2, f"{in_tc_ops:.2f} in-TC sequences per irqmask op (STI and CLI "
             f"should count 2)")


@test(15, "irqmask under bt costs at most 5 times native (pentium4)")
def cost(g):
    native, bt = irqmask(g)
    ratio = float(bt["cycles_per_op"]) / float(native["cycles_per_op"])
    g.expect(ratio <= 5, f"irqmask under bt: {ratio:.1f} times native: CLI and STI still "
             f"call out")


@test(10, "the virtual IF is kept: a workload that sleeps on the timer wakes (ctxsw, forkwait)")
def wakes(g):
    for w in ("run=ctxsw iters=20", "run=forkwait iters=5"):
        run = g.completed("bt", w)
        g.expect(run.result_lines() == g.completed("native", w).result_lines(),
                 f"{w}: result lines differ from native's")


@test(10, "answers.txt 'irqmask-bt:' is the cycles/op of irqmask under bt (pentium4)")
def figure(g):
    _, bt = irqmask(g)
    try:
        given = float(g.answer("irqmask-bt"))
    except ValueError:
        g.fail("answers.txt irqmask-bt: is not a number")
    measured = float(bt["cycles_per_op"])
    g.expect(abs(given - measured) <= 0.01 * measured,
             f"answers.txt irqmask-bt: {given}; vmlab compare gives another figure")


@test(15, "answers.txt: the questions are answered")
def answered(g):
    g.answered(["q1", "q2", "q3", "q4"])
