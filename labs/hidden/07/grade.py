"""Lab 07 hidden tests."""
from labkit.grade import test

BLK_PORT = 3


@test(10, "a raw write of 128 sectors and the read back go through the ring whole, one "
      "notification each way per batch", hidden=True)
def round_trip(g):
    run = g.disk_run("pv", "blkwrite 0 128 7\nblkread 0 128\nexit 0\n")
    g.expect(f"blkread lba=0 sectors=128 sum={128 * 512 * 7}" in run.console,
             "the sectors read back are not the ones written")
    notes = [e["args"] for e in run.events("ring_notify") if e["args"]["ring"] == BLK_PORT]
    front = sum(1 for a in notes if not a.get("to_front"))
    back = [a for a in notes if a.get("to_front")]
    requests = sum(a["entries"] for a in back)
    # blkwrite: 4 WRITE requests and a FLUSH, one batch; blkread: 4 READ requests, another.
    g.expect((front, len(back), requests) == (2, 2, 9),
             f"{front} notifications to the back end and {len(back)} to the front end for "
             f"{requests} requests (want 2, 2 and 9)")
