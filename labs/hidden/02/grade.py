"""Lab 02 hidden tests."""
from labkit.grade import test


@test(10, "the smoke kernel: same console under classic and bt as natively", hidden=True)
def smoke(g):
    native = g.completed("native", kernel="smoke")
    for mode in ("trap --cpu classic", "bt"):
        g.expect(g.completed(mode, kernel="smoke").console == native.console,
                 f"{mode}: the smoke kernel's console differs")


@test(10, "faults after CR emulation: pgfault and protfault under classic as natively",
      hidden=True)
def faults(g):
    for w in ("run=pgfault iters=20", "run=protfault iters=20"):
        native = g.completed("native", w)
        g.expect(g.completed("trap --cpu classic", w).result_lines() == native.result_lines(),
                 f"{w}: result lines differ from native's")
