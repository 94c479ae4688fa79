"""Lab 06 hidden tests."""
from labkit.grade import test


@test(10, "ptemod: shadow paging exits per iteration, NPT none (hidden)", hidden=True)
def ptemod(g):
    a = g.completed("trap --npt", "run=ptemod iters=100")
    b = g.completed("trap --npt", "run=ptemod iters=200")
    g.expect(b.count("guest_pt_write") == a.count("guest_pt_write") == 0,
             "--npt traced page-table writes")
    s1 = g.completed("trap", "run=ptemod iters=100")
    s2 = g.completed("trap", "run=ptemod iters=200")
    g.expect(s2.count("trap") - s1.count("trap") >= 100,
             "shadow paging took fewer than one exit per ptemod iteration")
