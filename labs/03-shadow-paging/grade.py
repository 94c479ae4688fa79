"""Lab 03 grader: shadow paging, from the events of real runs of the student's ShadowMmu."""
from labkit.grade import test

CLASSIC = "trap --cpu classic"


def repeated_hidden_faults(run):
    """Hidden faults that repeat an earlier one: same address space (CR3), same page, same
    kind of access (write, user), with nothing in between that could have dropped the
    shadow entry the first one filled (a shadow_update or INVLPG covering the page, a TLB
    flush). A fill that does its job makes the first touch the only one."""
    cr3 = 0
    seen = set()
    repeats = []
    for e in run.events():
        kind, a = e["kind"], e["args"]
        if kind == "cr3_switch":
            cr3 = a["new_cr3"]
        elif kind == "tlb_flush":
            seen.clear()
        elif kind == "shadow_update":
            lin = a["linear"]
            seen = {k for k in seen if not (k[1] == lin >> 12 or (lin & 0x3FFFFF) == 0 and
                                            k[1] >> 10 == lin >> 22)}
        elif kind == "invlpg":
            lin = a["linear"]
            seen = {k for k in seen if k[1] != lin >> 12}
        elif kind == "hidden_fault":
            lin, code = a["linear"], a["error_code"]
            key = (cr3, lin >> 12, code & 2, code & 4)
            if key in seen:
                repeats.append(e)
            seen.add(key)
    return repeats


def per_fork(g, mode, kind):
    small = g.completed(mode, "run=forkwait iters=10")
    large = g.completed(mode, "run=forkwait iters=20")
    return (large.count(kind) - small.count(kind)) / 10


@test(15, "classic: the guest OS runs every workload with your shadow MMU, as natively")
def classic_all(g):
    run = g.completed(CLASSIC, "run=all")
    g.expect(run.result_lines() == g.completed("native", "run=all").result_lines(),
             "the guest's result lines under --mode trap --cpu classic differ from native's")


@test(10, "VT CPU with shadow paging: the same ShadowMmu, the same results as native")
def vt_all(g):
    run = g.completed("trap", "run=all")
    g.expect(run.result_lines() == g.completed("native", "run=all").result_lines(),
             "the guest's result lines under --mode trap differ from native's")


@test(20, "every first touch of a page is one hidden fault, never two (pagefault, forkwait)")
def first_touch(g):
    for append in ("run=pagefault iters=32", "run=forkwait iters=5"):
        run = g.completed(CLASSIC, append, trace=True, extra=["--trace-limit", "0"])
        hidden = run.events("hidden_fault")
        g.expect(len(hidden) > 0, f"{append}: no hidden_fault event")
        rep = repeated_hidden_faults(run)
        if rep:
            g.fail(f"{append}: {len(rep)} hidden faults repeat an earlier fill of the same "
                   f"page and access, e.g. at {rep[0]['args']['linear']:#x} (error code "
                   f"{rep[0]['args']['error_code']})")
        bad = [e for e in hidden if not e["args"]["shadow_pte"] & 1]
        g.expect(not bad, f"{append}: a hidden fault wrote a shadow PTE without P")


@test(15, "stores to guest page tables trap and are emulated (one guest_pt_write each)")
def traced(g):
    a = g.completed(CLASSIC, "run=ptemod iters=100")
    b = g.completed(CLASSIC, "run=ptemod iters=200")
    g.expect(b.count("guest_pt_write") - a.count("guest_pt_write") == 100,
             f"100 more ptemod iterations gave {b.count('guest_pt_write') - a.count('guest_pt_write')}"
             f" more guest_pt_write events, expected 100 (one per PTE store)")


@test(10, "answers.txt 'hidden-per-fork:' and 'ptwrites-per-fork:' match the runs")
def per_fork_answer(g):
    for key, kind in (("hidden-per-fork", "hidden_fault"), ("ptwrites-per-fork", "guest_pt_write")):
        measured = per_fork(g, CLASSIC, kind)
        try:
            given = float(g.answer(key))
        except ValueError:
            g.fail(f"answers.txt {key}: is not a number")
        g.expect(abs(given - measured) < 0.05,
                 f"answers.txt {key}: {given}; forkwait iters=20 minus iters=10 under classic "
                 f"gives another figure")


@test(30, "answers.txt: the questions are answered")
def answered(g):
    g.answered(["q1", "q2", "q3", "q4", "q5"])
