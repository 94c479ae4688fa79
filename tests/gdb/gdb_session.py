#!/usr/bin/env python3
"""The gdb stub (engine/debug, docs/gdb.md) with the real gdb, scripted in batch mode.

  gdb_session.py --vmlab V --kernel K --mode MODE --check session|monitor|determinism|sigint

MODE is one of native, trap-classic, trap, trap-npt, bt, pv. Each check starts
`vmlab run --gdb 0 --gdb-wait` (a free port, printed on stderr), drives it with
`gdb -batch -nx` and checks exact lines of gdb's output and of the guest's console:

  session      break at a kernel function, stepi, next, read a variable and a register,
               read memory, watch a memory word, continue to the guest's exit
  monitor      monitor help, monitor break (cr3 in every mode, the mode's own event),
               monitor events
  determinism  a run continued to its end under gdb (one breakpoint hit on the way) has
               the console, counts and modeled cycles of a run without gdb
  sigint       SIGINT while the stub waits for gdb ends the run with its files
  emulated     a breakpoint on the instruction right after one the monitor emulates
               (MOV to CR3 in native_load_cr3; not pv, whose kernel makes a hypercall)
  handler      breakpoints at the divide-error handler's first instruction are seen at
               each delivery; stepi on the faulting DIV stops at that first instruction
  pvtables     (pv) the guest's validated page directory reads but cannot be written
               through the stub: pv's direct-paging invariants hold against gdb
  protocol     a raw RSP client: damaged and hostile packets get '-' or an E reply, 0x03
               interrupts a running guest, D leaves it running, k ends the run
"""
import argparse
import json
import os
import re
import signal
import socket
import time
import subprocess
import sys
import tempfile

MODES = {
    "native": ["--mode", "native"],
    "trap-classic": ["--mode", "trap", "--cpu", "classic"],
    "trap": ["--mode", "trap"],
    "trap-npt": ["--mode", "trap", "--npt"],
    "bt": ["--mode", "bt"],
    "pv": ["--mode", "pv"],
}
# The mode's own monitor-level event: the command and the event kind it stops on.
MODE_EVENT = {
    "native": ("monitor break event port_io 0x3f8", "port_io"),
    "trap-classic": ("monitor break hidden-fault", "hidden_fault"),
    "trap": ("monitor break exit", "trap"),
    "trap-npt": ("monitor break exit", "trap"),
    "bt": ("monitor break callout", "bt_callout"),
    "pv": ("monitor break hypercall", "hypercall"),
}
APPEND = "run=syscall iters=50"
TIMEOUT = 300


def start(args, extra=(), out_dir=None, append=APPEND, wait=True):
    cmd = [args.vmlab, "run", *MODES[args.mode], "--gdb", "0", *(["--gdb-wait"] if wait else []),
           "--append", append, *extra]
    if out_dir:
        cmd += ["--out", out_dir]
    cmd.append(args.kernel)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()
    m = re.match(r"gdb: listening on 127\.0\.0\.1:(\d+)$", line.strip())
    if not m:
        proc.kill()
        sys.exit(f"FAIL: no 'gdb: listening' line from vmlab, got {line!r}")
    return proc, int(m.group(1))


def gdb(args, port, commands):
    cmd = ["gdb", "-batch", "-nx", "-ex", "set architecture i386",
           "-ex", "set pagination off", "-ex", f"target remote :{port}"]
    for c in commands:
        cmd += ["-ex", c]
    cmd.append(args.kernel)
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=TIMEOUT)
    return r.stdout


def finish(proc):
    out, err = proc.communicate(timeout=TIMEOUT)
    return proc.returncode, out, err


def expect(text, pattern, what):
    if not re.search(pattern, text, re.M):
        print(text)
        sys.exit(f"FAIL: {what}: no match for {pattern!r}")


def check_session(args):
    proc, port = start(args)
    out = gdb(args, port, [
        "break syscall_dispatch",
        "continue",
        "print kstat.syscalls",
        "print/x $cr0 & 0x80000001",
        "print/x $cs",
        "stepi",
        "print (unsigned)$pc - (unsigned)syscall_dispatch",
        "next",
        "x/2xb syscall_dispatch",
        "delete",
        # Inside the block that starts at syscall_dispatch (under bt: translated already).
        "break *((char*)syscall_dispatch + 3)",
        "continue",
        "print kstat.syscalls",
        "delete",
        "watch kstat.syscalls",
        "continue",
        "delete",
        "hbreak sys_getpid",
        "continue",
        "delete",
        "rwatch kstat.syscalls",
        "continue",
        "delete",
        "awatch kstat.syscalls",
        "continue",
        "delete",
        "continue",
    ])
    code, console, err = finish(proc)
    expect(out, r"^Breakpoint 1 at 0x[0-9a-f]+: file .*syscall\.c", "breakpoint set")
    expect(out, r"^Breakpoint 1, syscall_dispatch \(tf=0x[0-9a-f]+ <kstacks\+\d+>\) at .*syscall\.c:\d+",
           "breakpoint hit")
    expect(out, r"^\$1 = 1$", "kstat.syscalls read at the first syscall")
    expect(out, r"^\$2 = 0x80000001$", "CR0.PG and PE read")
    if args.mode != "pv":  # the PV kernel knows it runs in ring 1
        expect(out, r"^\$3 = 0x8$", "the guest's CS")
    # syscall_dispatch's first instruction (sub $N,%esp) is 3 bytes long.
    expect(out, r"^\$4 = 3$", "stepi went one instruction")
    expect(out, r"^0x[0-9a-f]+ <syscall_dispatch>:\s+0x[0-9a-f]{2}\s+0x[0-9a-f]{2}$",
           "memory read, no breakpoint bytes in it")
    expect(out, r"^Breakpoint 2, 0x[0-9a-f]+ in syscall_dispatch ", "a breakpoint inside a block")
    expect(out, r"^\$5 = 2$", "kstat.syscalls at the second syscall")
    expect(out, r"^Hardware watchpoint 3: kstat\.syscalls$", "watchpoint set")
    expect(out, r"^Old value = 2\nNew value = 3$", "watchpoint hit")
    expect(out, r"^Hardware assisted breakpoint 4 at 0x[0-9a-f]+: file .*syscall\.c", "hbreak set")
    expect(out, r"^Breakpoint 4, sys_getpid ", "hardware breakpoint hit")
    expect(out, r"^Hardware read watchpoint 5: kstat\.syscalls\n\nValue = \d+$", "read watchpoint hit")
    expect(out, r"^Hardware access \(read/write\) watchpoint 6: kstat\.syscalls\n\n(Old )?[Vv]alue = \d+",
           "access watchpoint hit")
    expect(out, r"^\[Inferior 1 \(Remote target\) exited normally\]$", "continued to the exit")
    expect(console, r"^done status=0$", "the guest's console")
    if code != 0:  # the guest wrote 0 to the exit port
        sys.exit(f"FAIL: vmlab exited with {code}, expected 0\n{err}")
    print(f"{args.mode}: session OK")


def check_emulated(args):
    proc, port = start(args)
    # native_load_cr3: mov 0x4(%esp),%eax (4 bytes); mov %eax,%cr3 (3 bytes); ret
    out = gdb(args, port, [
        "break *((char*)native_load_cr3 + 7)",
        "continue",
        "print (unsigned)$pc - (unsigned)native_load_cr3",
        "x/i $pc",
        "print $cr3 == *(unsigned*)($esp + 4)",
        "delete",
        "continue",
    ])
    code, console, err = finish(proc)
    expect(out, r"^Breakpoint 1, 0x[0-9a-f]+ in native_load_cr3 ", "the breakpoint after MOV to CR3")
    expect(out, r"^\$1 = 7$", "stopped at the RET")
    expect(out, r"^=> 0x[0-9a-f]+ <native_load_cr3\+7>:\s+ret", "the RET")
    expect(out, r"^\$2 = 1$", "CR3 as the guest loaded it")
    expect(console, r"^done status=0$", "the guest's console")
    print(f"{args.mode}: emulated OK")


def check_handler(args):
    # run=divzero divides by zero in ring 3 three times; each #DE is delivered to the
    # kernel's vector 0 entry (pv: the handler it registered with its trap table).
    entry = "pv_trap_entry_0" if args.mode == "pv" else "trap_entry_0"
    proc, port = start(args, append="run=divzero iters=3")
    out = gdb(args, port, [
        f"break {entry}",
        "continue",
        "print $pc == (unsigned)" + entry,
        # The frame's EIP: the faulting instruction (a fault is restarted, SDM Vol. 3A 6.5).
        "set var $fault = *(unsigned*)$esp",
        "x/i $fault",
        "continue",
        "delete",
        # A breakpoint on the DIV itself: stepi from it stops at the handler's first
        # instruction, which has not run yet.
        "break *$fault",
        "continue",
        "delete",
        "stepi",
        "print $pc == (unsigned)" + entry,
        "print *(unsigned*)$esp == $fault",
        "continue",
    ])
    code, console, err = finish(proc)
    expect(out, rf"^Breakpoint 1, {entry} \(\) at ", "the handler's breakpoint at the first #DE")
    expect(out, r"^\$1 = 1$", "stopped at the handler's first instruction")
    expect(out, r"^   0x[0-9a-f]+:\s+i?div", "the frame's EIP is the DIV")
    if len(re.findall(rf"^Breakpoint 1, {entry} ", out, re.M)) != 2:
        print(out)
        sys.exit("FAIL: the handler's breakpoint was not seen at the second #DE")
    expect(out, r"^Breakpoint 2, 0x[0-9a-f]+ in \?\? \(\)$", "the breakpoint on the DIV")
    expect(out, r"^\$2 = 1$", "stepi on the DIV stopped at the handler's entry")
    expect(out, r"^\$3 = 1$", "the handler not run yet: the frame's EIP on top")
    expect(out, r"^\[Inferior 1 \(Remote target\) exited normally\]$", "continued to the exit")
    expect(console, r"^result workload=divzero iters=3 ", "the guest's console")
    print(f"{args.mode}: handler OK")


def check_pvtables(args):
    proc, port = start(args)
    out = gdb(args, port, [
        "break syscall_dispatch",
        "continue",
        # The kernel page directory's entry 0x300 (KERNBASE), through the kernel's map.
        "print/x *(unsigned*)(kernel_pd_phys + 0xc0000c00) & 1",
        "set var *(unsigned*)(kernel_pd_phys + 0xc0000c00) = 0x12345007",
        "print/x *(unsigned*)(kernel_pd_phys + 0xc0000c00) & 1",
        "set var kstat.true_faults = 7",
        "print kstat.true_faults",
        "set var kstat.true_faults = 0",
        "delete",
        "continue",
    ])
    code, console, err = finish(proc)
    expect(out, r"^\$1 = 0x1$", "the page directory read")
    expect(out, r"^Cannot access memory at address 0x[0-9a-f]+$", "the write refused")
    expect(out, r"^\$2 = 0x1$", "the page directory unchanged")
    expect(out, r"^\$3 = 7$", "a kernel variable written")
    expect(console, r"^done status=0$", "the guest's console")
    print(f"{args.mode}: pvtables OK")


def check_monitor(args):
    proc, port = start(args)
    command, kind = MODE_EVENT[args.mode]
    out = gdb(args, port, [
        "monitor help",
        "monitor break cr3",
        "monitor break",
        "continue",
        "monitor events 16",
        command,
        "continue",
        "monitor break nonsense",
        "monitor break off",
        "continue",
    ])
    code, console, err = finish(proc)
    expect(out, r"^  monitor break hypercall \[N\]", "monitor help")
    expect(out, r"^armed: the next cr3_switch$", "monitor break cr3")
    expect(out, r"^vmlab: stopped after #\d+ cycle \d+ eip 0x[0-9a-f]{8}( \(tc 0x[0-9a-f]{8}\))? cpl \d cr3_switch old_cr3=0x", "the cr3 stop")
    expect(out, r"^#\d+ cycle \d+ eip 0x[0-9a-f]{8}( \(tc 0x[0-9a-f]{8}\))? cpl \d cr3_switch old_cr3=0x[0-9a-f]+ new_cr3=0x",
           "monitor events shows the CR3 write")
    expect(out, rf"^vmlab: stopped after #\d+ cycle \d+ eip 0x[0-9a-f]{{8}}( \(tc 0x[0-9a-f]{{8}}\))? cpl \d {kind} ", f"the {kind} stop")
    expect(out, r"monitor break: unknown stop 'nonsense'", "a bad monitor command")
    expect(out, r"^\[Inferior 1 \(Remote target\) exited normally\]$", "continued to the exit")
    expect(console, r"^done status=0$", "the guest's console")
    print(f"{args.mode}: monitor OK")


def stats_figures(path):
    with open(path, encoding="utf-8") as f:
        stats = json.load(f)
    # Everything but host time.
    def strip(node):
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if "wall" not in k and "host" not in k}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node
    return strip(stats)


def check_determinism(args):
    with tempfile.TemporaryDirectory() as tmp:
        plain_dir, gdb_dir = os.path.join(tmp, "plain"), os.path.join(tmp, "gdb")
        plain = subprocess.run([args.vmlab, "run", *MODES[args.mode], "--append", APPEND,
                                "--out", plain_dir, args.kernel],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               timeout=TIMEOUT)
        proc, port = start(args, out_dir=gdb_dir)
        # A breakpoint that is never hit keeps the stub stepping the whole run, one
        # instruction at a time, stopping the processor after every emulated instruction.
        out = gdb(args, port, ["break *0x1234", "break sys_getpid", "continue", "delete 2",
                               "stepi", "continue"])
        code, console, err = finish(proc)
        expect(out, r"^Breakpoint 2, sys_getpid", "the breakpoint on the way")
        if console != plain.stdout:
            sys.exit("FAIL: the console differs under gdb")
        if code != plain.returncode:
            sys.exit(f"FAIL: exit status {code} under gdb, {plain.returncode} without")
        a = stats_figures(os.path.join(plain_dir, "stats.json"))
        b = stats_figures(os.path.join(gdb_dir, "stats.json"))
        if a != b:
            for k in a:
                if a.get(k) != b.get(k):
                    print(f"{k}: {a.get(k)} != {b.get(k)}")
            sys.exit("FAIL: stats.json differs under gdb")
        summary = re.search(r"\((\d+) instructions, (\d+) modeled cycles", plain.stderr)
        expect(err, re.escape(summary.group(0)), "the same instructions and cycles")
    print(f"{args.mode}: determinism OK ({summary.group(1)} instructions)")


def check_sigint(args):
    with tempfile.TemporaryDirectory() as tmp:
        proc, _ = start(args, out_dir=tmp)
        proc.send_signal(signal.SIGINT)
        code, _, err = finish(proc)
        if code != 128 + signal.SIGINT:
            sys.exit(f"FAIL: exit status {code} after SIGINT, expected 130\n{err}")
        expect(err, r"interrupted by SIGINT", "the summary line")
        with open(os.path.join(tmp, "stats.json"), encoding="utf-8") as f:
            json.load(f)
    print(f"{args.mode}: sigint OK")


class Rsp:
    """A minimal client of the remote protocol, as gdb's manual describes it."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.buf = b""

    def raw(self, data):
        self.sock.sendall(data)

    def byte(self):
        while not self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("the stub closed the connection")
            self.buf += chunk
        b, self.buf = self.buf[:1], self.buf[1:]
        return b

    def reply(self):
        """The next packet's payload (acknowledged); skips acks and O output packets."""
        while True:
            b = self.byte()
            if b != b"$":
                continue
            payload = b""
            while (b := self.byte()) != b"#":
                payload += b
            checksum = self.byte() + self.byte()
            if int(checksum, 16) != sum(payload) % 256:
                sys.exit(f"FAIL: the stub sent a bad checksum on {payload[:40]!r}")
            self.raw(b"+")
            if payload.startswith(b"O") and payload != b"OK":
                continue
            return payload.decode("latin-1")

    def ack(self):
        """The next ack or nack byte."""
        while True:
            b = self.byte()
            if b in (b"+", b"-"):
                return b

    def ask(self, payload):
        data = payload.encode("latin-1")
        self.raw(b"$" + data + b"#" + b"%02x" % (sum(data) % 256))
        if self.ack() != b"+":
            sys.exit(f"FAIL: the stub refused the well-formed packet {payload!r}")
        return self.reply()


def check_protocol(args):
    def same(got, want, what):
        if got != want:
            sys.exit(f"FAIL: {what}: got {got[:80]!r}, expected {want!r}")

    # A long workload, bounded by the budget: the guest is still running when gdb leaves.
    proc, port = start(args, extra=["--max-instructions", "50M"], append="run=syscall iters=1000000")
    c = Rsp(port)
    c.raw(b"$g#00")
    same(c.ack(), b"-", "a bad checksum")
    c.raw(b"$g#zz")
    same(c.ack(), b"-", "a checksum that is no hex")
    c.raw(b"$" + b"m" * 100000 + b"#00")
    same(c.ack(), b"-", "an overlong packet")
    same(c.ask("qSupported:multiprocess+;swbreak+"),
         "PacketSize=4000;qXfer:features:read+;vContSupported+", "qSupported")
    same(c.ask("?"), "T05", "the first stop")
    same(len(c.ask("m0,ffffffff")), 2 * ((16384 - 8) // 2), "a huge read, cut to the packet size")
    same(c.ask("mfffff000,10"), "E0e", "memory outside the guest")
    same(c.ask("m123456789,4"), "E01", "an address of more than 32 bits")
    same(c.ask("m0"), "E01", "a read without a length")
    same(c.ask("Mfffff000,2:0000"), "E0e", "a write outside the guest")
    same(c.ask("M0,2:00"), "E01", "a write shorter than its length")
    same(c.ask("M0,2:zzzz"), "E01", "a write that is no hex")
    same(c.ask("X0,1:}"), "E01", "a binary write ending in an escape")
    same(c.ask("G00"), "E01", "G of the wrong size")
    same(c.ask("pff"), "E01", "a register that does not exist")
    same(c.ask("P8=zz"), "E01", "P with no hex")
    same(c.ask("Z9,0,1"), "E01", "a breakpoint type that does not exist")
    same(c.ask("Z3,1000,4"), "OK", "a read watchpoint")
    same(c.ask("z3,1000,4"), "OK", "its removal")
    same(c.ask("Z4,1000,9"), "E22", "an access watchpoint longer than 8 bytes")
    same(c.ask("Z2,1000,1000"), "E22", "a watchpoint longer than 8 bytes")
    same(c.ask("qXfer:features:read:other.xml:0,100"), "E00", "an unknown annex")
    same(c.ask("qXfer:features:read:target.xml:ffffff,100"), "l", "past the end of target.xml")
    same(c.ask("vFoo"), "", "an unknown v packet")
    same(c.ask("qRcmd,zz"), "E01", "qRcmd that is no hex")
    # 0x03 while stopped: the stop is the current state.
    c.raw(b"\x03")
    same(c.reply(), "T02", "0x03 while stopped")
    # 0x03 while the guest runs.
    c.raw(b"$c#63")
    same(c.ack(), b"+", "continue")
    time.sleep(0.2)
    c.raw(b"\x03")
    same(c.reply(), "T02", "0x03 while running")
    registers = c.ask("g")
    same(len(registers), 2 * (16 * 4 + 8 * 10 + 8 * 4 + 4 * 4), "the g packet's size")
    eip = int.from_bytes(bytes.fromhex(registers[64:72]), "little")
    if eip >= 0xFC000000:  # the hypervisor hole: bt's translation cache
        sys.exit(f"FAIL: EIP 0x{eip:08x} after an interrupt is no guest address")
    same(c.ask("G" + registers), "OK", "G with the values read")
    same(c.ask("D"), "OK", "detach")
    code, console, err = finish(proc)
    expect(err, r"gdb: detached, the guest runs on", "the detach")
    if code != 72:
        sys.exit(f"FAIL: after the detach the run should end by its budget (72), got {code}\n{err}")

    # Without --gdb-wait the guest runs at once; a debugger that connects stops it there.
    proc, port = start(args, extra=["--max-instructions", "50M"],
                       append="run=syscall iters=1000000", wait=False)
    time.sleep(0.2)
    c = Rsp(port)
    same(c.ask("?"), "T05", "attached to a running guest")
    if int.from_bytes(bytes.fromhex(c.ask("p8")), "little") >= 0xFC000000:
        sys.exit("FAIL: the EIP at attach is no guest address")
    same(c.ask("qRcmd," + b"events 1".hex()), "OK", "monitor events")
    c.raw(b"$k#6b")
    code, console, err = finish(proc)
    expect(err, r"^vmlab: killed by gdb", "the kill")
    if code != 0:  # as QEMU's gdbstub: `k` ends the emulator with status 0
        sys.exit(f"FAIL: the run gdb killed exits {code}, not 0")
    print(f"{args.mode}: protocol OK")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--vmlab", required=True)
    p.add_argument("--kernel", required=True)
    p.add_argument("--mode", required=True, choices=sorted(MODES))
    p.add_argument("--check", required=True,
                   choices=["session", "monitor", "determinism", "sigint", "protocol",
                            "emulated", "pvtables", "handler"])
    args = p.parse_args()
    {"session": check_session, "monitor": check_monitor, "determinism": check_determinism,
     "sigint": check_sigint, "protocol": check_protocol,
     "emulated": check_emulated, "pvtables": check_pvtables, "handler": check_handler}[args.check](args)


if __name__ == "__main__":
    main()
