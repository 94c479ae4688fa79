"""Lab 07 hidden tests."""
from labkit.grade import test


@test(10, "a long console (run=all) goes through the ring whole, even when it fills up",
      hidden=True)
def long_console(g):
    run = g.completed("pv", "run=all", trace=True, extra=["--trace-limit", "0"])
    sent = sum(e["args"]["entries"] for e in run.events("ring_notify"))
    g.expect(sent == len(run.console.encode()), f"the ring carried {sent} bytes, the console "
             f"has {len(run.console.encode())}")
