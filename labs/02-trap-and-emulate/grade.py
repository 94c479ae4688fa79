"""Lab 02 grader: MOV to/from control registers, emulated; checked on real runs."""
from labkit.grade import test

CLASSIC = "trap --cpu classic"
MOV_TO_CR, MOV_FROM_CR = 0x122, 0x120  # emulated_insn opcodes (0F 22, 0F 20)
GP = 13


@test(20, "classic: the guest OS runs every workload with your emulation, as natively")
def classic_all(g):
    run = g.completed(CLASSIC, "run=all")
    g.expect(run.result_lines() == g.completed("native", "run=all").result_lines(),
             "the guest's result lines under --mode trap --cpu classic differ from native's")


@test(15, "the guest's CR writes are seen as natively: same cr3_switch and cr_write counts")
def same_events(g):
    for w in ("run=forkwait iters=5", "run=ctxsw iters=20"):
        native = g.completed("native", w)
        run = g.completed(CLASSIC, w)
        for kind in ("cr3_switch", "cr_write"):
            g.expect(run.count(kind) == native.count(kind),
                     f"{w}: {run.count(kind)} {kind} events under classic, {native.count(kind)} "
                     f"natively")


@test(15, "each MOV CR is one #GP trap, then one emulated_insn at the same EIP")
def trap_then_emulate(g):
    run = g.completed(CLASSIC, "run=forkwait iters=5", trace=True, extra=["--trace-limit", "0"])
    events = run.events()
    movs = 0
    for i, e in enumerate(events):
        if e["kind"] != "emulated_insn" or e["args"]["opcode"] not in (MOV_TO_CR, MOV_FROM_CR):
            continue
        movs += 1
        traps = [t for t in events[max(0, i - 8):i] if t["kind"] == "trap"]
        g.expect(traps and traps[-1]["args"]["reason"] == GP and traps[-1]["eip"] == e["eip"],
                 f"the emulated MOV CR at {e['eip']:#x} does not follow a #GP trap at its EIP")
    g.expect(movs > 0, "no MOV CR was emulated")


@test(15, "bt: the translator's callouts use the same emulation; same results as native")
def bt_all(g):
    run = g.completed("bt", "run=all")
    g.expect(run.result_lines() == g.completed("native", "run=all").result_lines(),
             "the guest's result lines under --mode bt differ from native's")


@test(10, "answers.txt 'mov-to-cr-forkwait:' is the MOV-to-CR count of forkwait iters=5")
def count_answer(g):
    run = g.completed(CLASSIC, "run=forkwait iters=5", trace=True, extra=["--trace-limit", "0"])
    measured = sum(1 for e in run.events("emulated_insn") if e["args"]["opcode"] == MOV_TO_CR)
    try:
        given = int(g.answer("mov-to-cr-forkwait"))
    except ValueError:
        g.fail("answers.txt mov-to-cr-forkwait: is not a number")
    g.expect(given == measured, f"answers.txt mov-to-cr-forkwait: {given}; the trace shows "
             f"another count")


@test(25, "answers.txt: the questions are answered")
def answered(g):
    g.answered(["q1", "q2", "q3", "q4"])
