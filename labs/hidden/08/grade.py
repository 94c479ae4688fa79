"""Lab 08 hidden tests."""
from labkit.grade import test


@test(10, "the pattern of the paper holds: VT beats BT on syscall, BT beats VT on in, "
      "ptemod and forkwait", hidden=True)
def pattern(g):
    t = g.compare("native,trap,bt", "syscall,in,ptemod_same,forkwait")
    c = {k: float(v["cycles_per_op"]) for k, v in t.items()}
    g.expect(c[("syscall", "trap")] < c[("syscall", "bt")], "syscall: bt beat trap")
    for w in ("in", "ptemod_same", "forkwait"):
        g.expect(c[(w, "bt")] < c[(w, "trap")], f"{w}: trap beat bt")
