"""Lab 01 grader: the Popek-Goldberg holes, from the events of real runs."""
import subprocess

from labkit.grade import test

# sensitive_no_trap {opcode, reg} (docs/trace-format.md: 0x0F-prefixed opcodes as 0x1nn)
# to the names the handout asks for.
HOLE_NAMES = {(0x9C, None): "pushf", (0x9D, None): "popf", (0x0E, None): "push-cs",
              (0x16, None): "push-ss", (0x8C, 1): "mov-from-cs", (0x8C, 2): "mov-from-ss",
              (0x101, 0): "sgdt", (0x101, 1): "sidt", (0x101, 4): "smsw", (0x100, 0): "sldt",
              (0x100, 1): "str", (0x100, 4): "verr", (0x100, 5): "verw", (0x102, None): "lar",
              (0x103, None): "lsl"}
ALL = "run=all"
SYSCALL = "run=syscall iters=10"


def hole_name(event):
    a = event["args"]
    return HOLE_NAMES.get((a["opcode"], a["reg"])) or HOLE_NAMES.get((a["opcode"], None)) \
        or f"opcode {a['opcode']:#x}/{a['reg']}"


def holes_seen(g):
    run = g.completed("trap --cpu classic", ALL, trace=True, extra=["--trace-limit", "0"])
    return run, sorted({hole_name(e) for e in run.events("sensitive_no_trap")})


@test(10, "native: the guest OS runs every workload (the reference for the other modes)")
def native_runs(g):
    run = g.completed("native", ALL)
    g.expect(len(run.result_lines()) >= 17, f"only {len(run.result_lines())} result lines")


@test(15, "classic: sensitive instructions run in ring 1 without a trap, and only there")
def classic_holes(g):
    run, names = holes_seen(g)
    events = run.events("sensitive_no_trap")
    g.expect(len(events) > 0, "no sensitive_no_trap event under --mode trap --cpu classic")
    rings = {e["cpl"] for e in events}
    g.expect(rings == {1}, f"sensitive_no_trap at CPL {sorted(rings)}, expected only the "
             f"deprivileged guest kernel (CPL 1)")
    native = g.completed("native", ALL)
    g.expect(run.result_lines() == native.result_lines(),
             "the guest's result lines under classic differ from native's")


@test(20, "answers.txt 'holes:' names exactly the holes the guest OS falls into")
def holes_answer(g):
    _, names = holes_seen(g)
    given = sorted({w.strip().lower() for w in g.answer("holes").replace(",", " ").split()})
    g.expect(given == names, f"answers.txt holes: {' '.join(given)}; the events of "
             f"'run=all' under --mode trap --cpu classic show another set "
             f"({len(names)} instructions)")


def symbols(g):
    """The guest kernel's text symbols, sorted by address (nm -n)."""
    p = subprocess.run(["nm", "-n", g.kernel("guest")], capture_output=True, text=True)
    out = []
    for line in p.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            out.append((int(parts[0], 16), parts[2]))
    return out


@test(10, "answers.txt 'pushf-eip:' is where the guest kernel's PUSHF runs (address or function)")
def pushf_eip(g):
    run, _ = holes_seen(g)
    eips = {e["eip"] for e in run.events("sensitive_no_trap") if hole_name(e) == "pushf"}
    given = g.answer("pushf-eip").split()[0]
    try:
        g.expect(int(given, 16) in eips, f"answers.txt pushf-eip: {given} is not an EIP of a "
                 f"PUSHF hole in the trace")
        return
    except ValueError:
        pass
    syms = symbols(g)
    for i, (addr, name) in enumerate(syms):
        if name == given:
            end = syms[i + 1][0] if i + 1 < len(syms) else addr + 1
            g.expect(any(addr <= e < end for e in eips), f"answers.txt pushf-eip: {given} runs "
                     f"no PUSHF hole in the trace")
            return
    g.fail(f"answers.txt pushf-eip: {given} is neither a hexadecimal address nor a function "
           f"of the guest kernel")


@test(10, "VT CPU: no sensitive instruction escapes, same results as native")
def vt_closed(g):
    run = g.completed("trap", ALL)
    g.expect(run.count("sensitive_no_trap") == 0,
             f"{run.count('sensitive_no_trap')} sensitive_no_trap events under --mode trap")
    g.expect(run.result_lines() == g.completed("native", ALL).result_lines(),
             "result lines differ from native's")


@test(15, "bt: no sensitive instruction escapes; in-TC sequences stand in for them")
def bt_closed(g):
    run = g.completed("bt", SYSCALL)
    g.expect(run.count("sensitive_no_trap") == 0,
             f"{run.count('sensitive_no_trap')} sensitive_no_trap events under --mode bt")
    g.expect(run.count("bt_in_tc") > 0, "no bt_in_tc event under --mode bt")


@test(20, "answers.txt: the questions are answered")
def answered(g):
    g.answered(["q1", "q2", "q3", "q4", "q5"])
