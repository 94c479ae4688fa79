#!/usr/bin/env python3
"""`vmlab run`'s console on a real terminal (a pty), as a user at a terminal sees it.

    interactive_console.py --vmlab VMLAB --kernel GUEST.elf

Each session starts vmlab with the pty as its controlling terminal (stdin and stdout;
stderr is a pipe, so that vmlab's own lines can be read apart), types at the guest's shell
through the pty's master side and checks:
  - the answers of the shell (typed input reaches the guest, nothing lost: several commands
    in one write, a 100-character line in one write, a BS edit), in several modes;
  - the terminal is raw while the run lasts and its mode (stty -g) is exactly the one before
    afterwards, on every way out: the guest's exit, Ctrl-A x, Ctrl-C, Ctrl-\\ (SIGQUIT,
    the process killed), a second stop signal (the process killed by it), the instruction budget, an error before the run; Ctrl-Z under
    bash (cooked while stopped, raw again after fg);
  - Ctrl-A h prints the keys, Ctrl-A x quits with status 0, the run's summary ("quit with
    Ctrl-A x") and --out files complete (config.json, stats.json, trace.json parse);
  - stdin that is not a terminal: a pipe is streamed to the guest; a regular file and
    /dev/null are preloaded, byte for byte as --input FILE (console and stats.json equal).
"""
import argparse
import fcntl
import json
import os
import pty
import resource
import select
import signal
import subprocess
import sys
import tempfile
import termios
import time

FAILURES = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILURES.append(what)


def stty_g(fd):
    return subprocess.run(["stty", "-g"], stdin=fd, capture_output=True, text=True,
                          check=True).stdout.strip()


def stty_a(fd):
    return subprocess.run(["stty", "-a"], stdin=fd, capture_output=True, text=True,
                          check=True).stdout


class Session:
    """vmlab on a fresh pty: the child is a session leader with the pty as its terminal."""

    def __init__(self, argv):
        self.master, self.slave = os.openpty()
        # A cooked terminal as a login shell leaves it (openpty's default is cooked already).
        self.before = stty_g(self.slave)
        self.out = b""

        def child_setup():
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

        self.proc = subprocess.Popen(argv, stdin=self.slave, stdout=self.slave,
                                     stderr=subprocess.PIPE, preexec_fn=child_setup)

    def read_until(self, text, timeout=60.0):
        """Reads the pty until `text` (bytes) appears after the current mark."""
        deadline = time.monotonic() + timeout
        while text not in self.out[self.mark:]:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            r, _, _ = select.select([self.master], [], [], min(left, 0.5))
            if r:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:
                    return text in self.out[self.mark:]
                self.out += chunk.replace(b"\r", b"")
        return True

    mark = 0

    def expect(self, text, what, timeout=60.0):
        ok = self.read_until(text, timeout)
        if ok:
            self.mark = self.out.index(text, self.mark) + len(text)
        check(ok, what + " (waited for %r)" % text)
        if not ok:
            sys.stderr.write("--- pty so far ---\n%s\n" % self.out.decode(errors="replace"))
        return ok

    def type(self, data):
        os.write(self.master, data)

    def finish(self, timeout=60.0):
        try:
            err = self.proc.communicate(timeout=timeout)[1].decode(errors="replace")
        except subprocess.TimeoutExpired:
            self.proc.kill()
            err = self.proc.communicate()[1].decode(errors="replace")
            check(False, "vmlab ended by itself")
        # Drain what is left on the pty.
        while True:
            r, _, _ = select.select([self.master], [], [], 0.2)
            if not r:
                break
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                break
            if not chunk:
                break
            self.out += chunk.replace(b"\r", b"")
        after = stty_g(self.slave)
        os.close(self.master)
        os.close(self.slave)
        return self.proc.returncode, err, after


def shell_session(vmlab, kernel, mode_args):
    name = " ".join(mode_args) or "native"
    s = Session([vmlab, "run", *mode_args, kernel])
    s.expect(b"vmlab$ ", f"[{name}] the shell's prompt appears on the terminal")
    mode_now = stty_a(s.slave)
    check("-icanon" in mode_now and "-echo " in mode_now + " " and "-icrnl" in mode_now,
          f"[{name}] the terminal is in raw mode while the guest runs")
    check(" isig" in " " + mode_now.replace("\n", " ") and "opost" in mode_now,
          f"[{name}] raw mode keeps the signal keys and output processing, as QEMU's")
    s.type(b"help\r")
    s.expect(b"commands: list | <workload> [iters=N] | all [iters=N] | exit [status]\n",
             f"[{name}] 'help' typed at the shell is answered")
    s.expect(b"vmlab$ ", f"[{name}] the prompt comes back")
    # Three commands in one write: none lost.
    s.type(b"list\rnosuch\rhelp\r")
    s.expect(b"syscall", f"[{name}] 'list' names the workloads")
    s.expect(b"error unknown command=nosuch\n", f"[{name}] the second command of one write")
    s.expect(b"commands: list", f"[{name}] the third command of one write")
    # A 100-character line in one write, echoed whole; then a line edited with DEL.
    long_word = ("abcdefghij" * 10).encode()
    s.type(long_word + b"\r")
    s.expect(b"error unknown command=" + long_word + b"\n",
             f"[{name}] a 100-character line typed at once arrives whole")
    s.type(b"helq\x7fp\r")
    s.expect(b"commands: list", f"[{name}] DEL erases a typed character")
    s.type(b"exit 3\r")
    rc, err, after = s.finish()
    check(rc == 3, f"[{name}] 'exit 3' ends vmlab with status 3 (got {rc})")
    check(after == s.before, f"[{name}] the terminal's mode is restored (stty -g equal)")
    check("vmlab: the guest" in err or "exit" in err,
          f"[{name}] the summary line is on stderr: {err.strip()!r}")


def escape_session(vmlab, kernel, out_dir):
    s = Session([vmlab, "run", "--out", out_dir, "--trace", kernel])
    s.expect(b"vmlab$ ", "[escape] prompt")
    s.type(b"\x01h")
    deadline = time.monotonic() + 10
    help_text = b""
    while b"Ctrl-A Ctrl-A" not in help_text and time.monotonic() < deadline:
        r, _, _ = select.select([s.proc.stderr], [], [], 0.5)
        if r:
            help_text += os.read(s.proc.stderr.fileno(), 4096)
    check(b"Ctrl-A x" in help_text and b"Ctrl-A Ctrl-A" in help_text,
          "[escape] Ctrl-A h prints the console keys on stderr")
    # Ctrl-A Ctrl-A sends one Ctrl-A: the shell drops control characters, so the line
    # that follows is unchanged; then an unknown escape (Ctrl-A z) is dropped too.
    s.type(b"\x01\x01he\x01zlp\r")
    s.expect(b"commands: list", "[escape] Ctrl-A Ctrl-A and Ctrl-A z do not disturb the line")
    s.type(b"\x01x")
    rc, err, after = s.finish()
    check(rc == 0, f"[escape] Ctrl-A x ends vmlab with status 0, as QEMU (got {rc})")
    check("vmlab: quit with Ctrl-A x at EIP 0x" in err and "modeled cycles" in err,
          f"[escape] the summary names the quit: {err.strip()!r}")
    check(after == s.before, "[escape] the terminal's mode is restored after Ctrl-A x")
    for name in ("config.json", "stats.json", "trace.json"):
        path = os.path.join(out_dir, name)
        try:
            with open(path, encoding="utf-8") as f:
                json.load(f)
            ok = True
        except (OSError, ValueError) as e:
            ok = False
            print("   ", path, e)
        check(ok, f"[escape] {name} is complete JSON after Ctrl-A x")
    with open(os.path.join(out_dir, "stats.json"), encoding="utf-8") as f:
        stats = json.load(f)
    check("stop-requested" in json.dumps(stats), "[escape] stats.json records the stop")
    lines = open(os.path.join(out_dir, "trace.jsonl"), encoding="utf-8").read().splitlines()
    check(len(lines) > 0 and all(json.loads(x) is not None for x in lines),
          "[escape] trace.jsonl is complete")


def signal_session(vmlab, kernel, key, want_rc, want_text, what):
    s = Session([vmlab, "run", kernel])
    s.expect(b"vmlab$ ", f"[{what}] prompt")
    s.type(key)
    rc, err, after = s.finish()
    check(rc == want_rc, f"[{what}] status {want_rc} (got {rc})")
    if want_text:
        check(want_text in err, f"[{what}] the summary says {want_text!r}: {err.strip()!r}")
    check(after == s.before, f"[{what}] the terminal's mode is restored")


def job_control(vmlab, kernel):
    """Ctrl-Z under a real shell: the terminal is cooked while vmlab is stopped, raw again
    after fg, and as before at the end."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp("bash", ["bash", "--norc", "--noprofile", "-i"])
    out = b""

    def until(text, timeout=60.0):
        nonlocal out
        deadline = time.monotonic() + timeout
        while text not in out and time.monotonic() < deadline:
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                try:
                    out += os.read(fd, 4096).replace(b"\r", b"")
                except OSError:
                    break
        found = text in out
        out = out[out.index(text) + len(text):] if found else out
        return found

    os.write(fd, b"PS1='sh> '; stty -g > mode-before\r")
    until(b"sh> ")
    os.write(fd, b"'%s' run '%s'\r" % (vmlab.encode(), kernel.encode()))
    check(until(b"vmlab$ "), "[Ctrl-Z] the shell's prompt under bash")
    os.write(fd, b"\x1a")
    check(until(b"Stopped"), "[Ctrl-Z] vmlab is stopped")
    until(b"sh> ")
    os.write(fd, b"stty -g > mode-stopped; fg\r")
    until(b"run '%s'\n" % kernel.encode())
    os.write(fd, b"help\r")
    check(until(b"commands: list"), "[Ctrl-Z] after fg, typed keys reach the guest")
    os.write(fd, b"exit 4\r")
    until(b"sh> ")
    os.write(fd, b"echo status=$?; stty -g > mode-after; exit\r")
    check(until(b"status=4"), "[Ctrl-Z] vmlab ends normally after fg")
    os.waitpid(pid, 0)
    os.close(fd)
    modes = [open(n).read() for n in ("mode-before", "mode-stopped", "mode-after")]
    check(modes[0] == modes[1], "[Ctrl-Z] the terminal's mode is restored while stopped")
    check(modes[0] == modes[2], "[Ctrl-Z] and at the end")


def other_exits(vmlab, kernel):
    # The budget ends the run during the boot: status 72, mode restored.
    s = Session([vmlab, "run", "--max-instructions", "1M", kernel])
    rc, err, after = s.finish()
    check(rc == 72, f"[budget] --max-instructions ends the run with 72 (got {rc})")
    check(after == s.before, "[budget] the terminal's mode is restored")
    # An error before the run (no such kernel): the terminal is never touched.
    s = Session([vmlab, "run", "/nonexistent/kernel.elf"])
    rc, err, after = s.finish()
    check(rc == 66, f"[error] a missing kernel is status 66 (got {rc})")
    check(after == s.before, "[error] the terminal's mode is unchanged")


def without_wall(value):
    """stats.json without its host wall time (the one figure that varies)."""
    if isinstance(value, dict):
        return {k: without_wall(v) for k, v in value.items() if k != "wall_seconds"}
    if isinstance(value, list):
        return [without_wall(v) for v in value]
    return value


def not_a_terminal(vmlab, kernel, tmp):
    # A pipe: streamed to the guest, as QEMU reads it.
    p = subprocess.run([vmlab, "run", kernel], input=b"help\rexit 5\r", capture_output=True,
                       timeout=120)
    check(p.returncode == 5 and b"commands: list" in p.stdout,
          f"[pipe] a piped stdin reaches the shell (status {p.returncode})")
    # A regular file and /dev/null: preloaded, exactly as --input FILE.
    script = os.path.join(tmp, "typed.txt")
    with open(script, "wb") as f:
        f.write(b"help\rsyscall iters=50\rexit 4\r")
    empty = os.path.join(tmp, "empty.txt")
    open(empty, "wb").close()
    args = ["--append", "run=syscall iters=50"]
    for label, stdin_path, input_path, extra in (("file", script, script, []),
                                                 ("/dev/null", "/dev/null", empty, args)):
        outs = []
        for use_stdin in (True, False):
            d = os.path.join(tmp, f"{label.strip('/').replace('/', '_')}-{use_stdin}")
            argv = [vmlab, "run", "--out", d, *extra, kernel]
            if use_stdin:
                with open(stdin_path, "rb") as f:
                    p = subprocess.run(argv, stdin=f, capture_output=True, timeout=120)
            else:
                p = subprocess.run(argv + ["--input", input_path], stdin=subprocess.DEVNULL,
                                   capture_output=True, timeout=120)
            with open(os.path.join(d, "stats.json"), encoding="utf-8") as f:
                stats = json.load(f)
            outs.append((p.returncode, p.stdout, json.dumps(without_wall(stats),
                                                            sort_keys=True)))
        check(outs[0][1] == outs[1][1] and outs[0][0] == outs[1][0],
              f"[{label}] stdin from {label} gives the console of --input, byte for byte")
        check(outs[0][2] == outs[1][2], f"[{label}] and the same counts in stats.json")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vmlab", required=True)
    ap.add_argument("--kernel", required=True)
    a = ap.parse_args()
    for mode_args in ([], ["--mode", "trap"], ["--mode", "bt"], ["--mode", "trap", "--cpu",
                                                                   "classic"]):
        shell_session(a.vmlab, a.kernel, mode_args)
    with tempfile.TemporaryDirectory() as tmp:
        escape_session(a.vmlab, a.kernel, os.path.join(tmp, "out"))
        signal_session(a.vmlab, a.kernel, b"\x03", 128 + signal.SIGINT,
                       "vmlab: interrupted by SIGINT", "Ctrl-C")
        signal_session(a.vmlab, a.kernel, b"\x1c", -signal.SIGQUIT, None, "Ctrl-\\")
        # A second stop signal ends the process at once, restoring the terminal in the
        # signal handler first: SIGTERM and SIGINT sent together (two different signals are
        # both delivered, one right after the other; two Ctrl-C could merge into one).
        s = Session([a.vmlab, "run", a.kernel])
        s.expect(b"vmlab$ ", "[second signal] prompt")
        os.kill(s.proc.pid, signal.SIGTERM)
        os.kill(s.proc.pid, signal.SIGINT)
        rc, err, after = s.finish()
        check(rc in (-signal.SIGINT, -signal.SIGTERM),
              f"[second signal] the second signal ends the process (got {rc})")
        check(after == s.before, "[second signal] the terminal's mode is restored")
        other_exits(a.vmlab, a.kernel)
        here = os.getcwd()
        os.chdir(tmp)
        try:
            job_control(os.path.abspath(os.path.join(here, a.vmlab)),
                        os.path.abspath(os.path.join(here, a.kernel)))
        finally:
            os.chdir(here)
        not_a_terminal(a.vmlab, a.kernel, tmp)
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
