"""Lab 01 hidden tests: the count the student measured, and a second kernel."""
from labkit.grade import test


@test(10, "answers.txt 'classic-syscall-holes:' is the count of run=syscall iters=10", hidden=True)
def syscall_count(g):
    run = g.completed("trap --cpu classic", "run=syscall iters=10")
    try:
        given = int(g.answer("classic-syscall-holes"))
    except ValueError:
        g.fail("answers.txt classic-syscall-holes: is not a number")
    g.expect(given == run.count("sensitive_no_trap"),
             f"classic-syscall-holes: {given}, the run shows another count")


@test(10, "the smoke kernel falls into the PUSHF hole under classic, into none under bt and VT",
      hidden=True)
def smoke_kernel(g):
    classic = g.completed("trap --cpu classic", kernel="smoke", trace=True)
    kinds = {e["args"]["opcode"] for e in classic.events("sensitive_no_trap")}
    g.expect(kinds == {0x9C}, f"smoke kernel holes under classic: {sorted(kinds)}")
    for mode in ("bt", "trap"):
        run = g.completed(mode, kernel="smoke")
        g.expect(run.count("sensitive_no_trap") == 0, f"{mode}: sensitive_no_trap events")
