"""Lab 04 hidden tests."""
from labkit.grade import test


@test(10, "the smoke kernel under bt prints native's console", hidden=True)
def smoke(g):
    g.expect(g.completed("bt", kernel="smoke").console == g.completed("native", kernel="smoke").console,
             "the smoke kernel's console differs under bt")


@test(10, "no sensitive instruction escapes under bt, and PUSHF sees the virtual IF "
      "(sensitive_no_trap 0)", hidden=True)
def no_holes(g):
    run = g.completed("bt", "run=all")
    g.expect(run.count("sensitive_no_trap") == 0, "sensitive_no_trap under bt")
