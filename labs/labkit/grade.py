"""The graders' kit, in the spirit of the MIT xv6 labs' gradelib: tests with points that
run the guest on vmlab and check what it did, never the source.

A lab's grade.py (and its hidden tests, labs/hidden/NN/grade.py) declares tests:

    @test(20, "classic: every first touch of a page is one hidden fault")
    def first_touch(g):
        run = g.run("trap --cpu classic", "run=pagefault iters=8", trace=True)
        g.expect(run.count("hidden_fault") >= 8, "...")

`g.run` boots the guest once per distinct command (runs are shared between tests) and
gives its exit status, console, stats.json and trace.jsonl; `g.answers` reads answers.txt.
A test fails with a message by raising Fail (g.expect, g.fail).
"""
import json
import os
import re
import shlex
import subprocess
import time

TESTS = []


class Fail(Exception):
    pass


def test(points, title, hidden=False):
    def register(fn):
        TESTS.append((points, title, hidden, fn))
        return fn
    return register


class Run:
    def __init__(self, argv, status, stdout, stderr, out_dir):
        self.argv = argv
        self.status = status
        self.console = stdout
        self.stderr = stderr
        self.out_dir = out_dir
        self.stats = None
        path = os.path.join(out_dir, "stats.json")
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                self.stats = json.load(f)
        self._events = None

    @property
    def command(self):
        return " ".join(shlex.quote(a) for a in self.argv)

    @property
    def stop_message(self):
        if self.stats and self.stats.get("stop", {}).get("message"):
            return self.stats["stop"]["message"]
        lines = [l for l in self.stderr.splitlines() if l.strip()]
        return lines[-1] if lines else f"status {self.status}"

    def count(self, kind):
        return self.stats["events"][kind]["count"] if self.stats else 0

    def events(self, kind=None):
        """The trace's events (dicts as in docs/trace-format.md), of one kind or all."""
        if self._events is None:
            path = os.path.join(self.out_dir, "trace.jsonl")
            if not os.path.isfile(path):
                raise Fail(f"no trace.jsonl from '{self.command}'")
            with open(path, encoding="utf-8") as f:
                self._events = [json.loads(line) for line in f if line.strip()]
        return [e for e in self._events if kind is None or e["kind"] == kind]

    def result_lines(self):
        """The guest's `result ...` lines without the timing fields."""
        out = []
        for line in self.console.splitlines():
            if line.startswith("result "):
                out.append(re.sub(r" cycles=\S+| cycles_per_iter=\S+", "", line.strip()))
        return out

    def workload(self, name):
        for w in (self.stats or {}).get("workloads", []):
            if w["workload"] == name:
                return w
        raise Fail(f"no result for workload {name} in '{self.command}' "
                   f"(it stopped: {self.stop_message})")


class Grader:
    def __init__(self, lab, vmlab, build, answers_path, verbose=False):
        self.lab = lab
        self.vmlab = vmlab
        self.build = build
        self.answers_path = answers_path
        self.verbose = verbose
        self.out_root = os.path.join(build, "labs", lab.number)
        self.runs = {}
        self._answers = None

    # --- Running the guest --------------------------------------------------------------

    def kernel(self, name):
        paths = {"guest": os.path.join(self.build, "guest", "vmlab_guest.elf"),
                 "smoke": os.path.join(self.build, "tests", "kernels", "smoke",
                                       "smoke_kernel.elf")}
        return paths[name]

    def run(self, mode, append=None, kernel="guest", trace=False, extra=()):
        """Boots `kernel` under `mode` ("trap --cpu classic", "pv", ...), once per command."""
        key = (mode, append, kernel, trace, tuple(extra))
        if key in self.runs:
            return self.runs[key]
        name = re.sub(r"[^A-Za-z0-9]+", "-", f"{mode} {append or ''} {kernel} {' '.join(extra)}")
        out_dir = os.path.join(self.out_root, name.strip("-") + ("-trace" if trace else ""))
        os.makedirs(out_dir, exist_ok=True)
        for stale in ("stats.json", "trace.jsonl", "trace.json", "config.json"):
            if os.path.exists(os.path.join(out_dir, stale)):
                os.remove(os.path.join(out_dir, stale))
        argv = [self.vmlab, "run", "--mode"] + shlex.split(mode) + ["--out", out_dir]
        if trace:
            argv.append("--trace")
        argv += list(extra)
        if append:
            argv += ["--append", append]
        # From the repository root with the kernel's path as the handouts write it
        # (build/guest/vmlab_guest.elf): the guest prints its command line, so the path
        # changes the console's length and with it the port I/O the runs count.
        image = self.kernel(kernel)
        root = self.lab.root
        if os.path.abspath(image).startswith(os.path.abspath(root) + os.sep):
            image = os.path.relpath(image, root)
        argv.append(image)
        if self.verbose:
            print("    $ " + " ".join(shlex.quote(a) for a in argv), flush=True)
        # Bytes, decoded without newline translation: the console's CR LF stay as the
        # guest wrote them (a lab may count the console's bytes).
        p = subprocess.run(argv, capture_output=True, timeout=600, stdin=subprocess.DEVNULL,
                           cwd=root)
        run = Run(argv, p.returncode, p.stdout.decode("utf-8", "replace"),
                  p.stderr.decode("utf-8", "replace"), out_dir)
        self.runs[key] = run
        return run

    def disk_run(self, mode, script, size="256K"):
        """The guest OS under `mode` on a fresh vmlabfs image (`vmlab mkfs`), its shell fed
        `script` (--input), traced whole; must end with status 0. run.image is the image
        afterwards. Once per (mode, script)."""
        key = ("disk", mode, script, size)
        if key in self.runs:
            return self.runs[key]
        name = re.sub(r"[^A-Za-z0-9]+", "-", f"disk {mode} {len(self.runs)}").strip("-")
        out_dir = os.path.join(self.out_root, name)
        os.makedirs(out_dir, exist_ok=True)
        for stale in ("stats.json", "trace.jsonl", "trace.json", "config.json", "disk.img"):
            if os.path.exists(os.path.join(out_dir, stale)):
                os.remove(os.path.join(out_dir, stale))
        image, script_path = os.path.join(out_dir, "disk.img"), os.path.join(out_dir, "in.txt")
        with open(script_path, "w", encoding="utf-8") as f:
            f.write(script)
        p = subprocess.run([self.vmlab, "mkfs", image, "--size", size], capture_output=True,
                           text=True, timeout=60)
        if p.returncode != 0:
            raise Fail(f"vmlab mkfs failed: {p.stderr.strip()}")
        argv = [self.vmlab, "run", "--quiet", "--mode"] + shlex.split(mode) + [
            "--disk", image, "--input", script_path, "--out", out_dir, "--trace",
            "--trace-limit", "0", self.kernel("guest")]
        if self.verbose:
            print("    $ " + " ".join(shlex.quote(a) for a in argv), flush=True)
        p = subprocess.run(argv, capture_output=True, timeout=600, stdin=subprocess.DEVNULL)
        run = Run(argv, p.returncode, p.stdout.decode("utf-8", "replace"),
                  p.stderr.decode("utf-8", "replace"), out_dir)
        run.image = image
        self.runs[key] = run
        if run.status != 0 or run.stats is None:
            raise Fail(f"'vmlab run --mode {mode}' on a disk did not complete (status "
                       f"{run.status}): {run.stop_message}")
        return run

    def completed(self, mode, append=None, kernel="guest", trace=False, extra=()):
        """A run that must end with the guest's own status 0; otherwise the test fails
        with vmlab's stop message (the message a starter's stub gives)."""
        run = self.run(mode, append, kernel, trace, extra)
        if run.status != 0 or run.stats is None:
            raise Fail(f"'vmlab run --mode {mode}' did not complete (status {run.status}): "
                       f"{run.stop_message}")
        return run

    def compare(self, modes, workloads, profile="pentium4", iters=100, costs=()):
        """`vmlab compare --format csv` as {(workload, mode): row}, once per command."""
        argv = [self.vmlab, "compare", "-q", "--format", "csv", "--modes", modes,
                "--workloads", workloads, "--profile", profile, "--iters", str(iters),
                "--kernel", os.path.join(self.build, "guest", "vmlab_guest.elf")]
        for c in costs:
            argv += ["--cost", c]
        key = tuple(argv)
        if key not in self.runs:
            if self.verbose:
                print("    $ " + " ".join(shlex.quote(a) for a in argv), flush=True)
            p = subprocess.run(argv, capture_output=True, text=True, timeout=900,
                               stdin=subprocess.DEVNULL, cwd=self.lab.root)
            if p.returncode != 0:
                lines = [l for l in p.stderr.splitlines() if l.strip()]
                raise Fail(f"vmlab compare failed (status {p.returncode}): "
                           f"{lines[-1] if lines else ''}")
            import csv
            import io
            rows = list(csv.DictReader(io.StringIO(p.stdout)))
            self.runs[key] = {(r["workload"], r["mode"]): r for r in rows}
        return self.runs[key]

    # --- Checking -------------------------------------------------------------------------

    def expect(self, condition, message):
        if not condition:
            raise Fail(message)

    def fail(self, message):
        raise Fail(message)

    def answers(self):
        """answers.txt as {key: text}: a line `key: text` starts an answer, and the lines
        up to the next key continue it; lines starting with # are the questions."""
        if self._answers is None:
            if not os.path.isfile(self.answers_path):
                raise Fail(f"{self.answers_path} does not exist (copy the template from "
                           f"labs/{self.lab.slug}/answers.txt and fill it in)")
            answers, key = {}, None
            with open(self.answers_path, encoding="utf-8") as f:
                for line in f:
                    if line.lstrip().startswith("#"):
                        continue
                    m = re.match(r"^([A-Za-z0-9_-]+):\s*(.*)$", line.rstrip("\n"))
                    if m:
                        key = m.group(1).lower()
                        answers[key] = m.group(2).strip()
                    elif key and line.strip():
                        answers[key] = (answers[key] + " " + line.strip()).strip()
            self._answers = answers
        return self._answers

    def answer(self, key):
        a = self.answers().get(key.lower(), "")
        if not a:
            raise Fail(f"answers.txt: '{key}:' is not answered")
        return a

    def answered(self, keys, min_words=5):
        """Every question in `keys` has an answer of at least `min_words` words."""
        missing = [k for k in keys if len(self.answers().get(k.lower(), "").split()) < min_words]
        if missing:
            raise Fail(f"answers.txt: {', '.join(missing)} not answered (at least {min_words} "
                       f"words each)")


def run_tests(grader, with_hidden):
    """Runs the registered tests, prints one line each, the score and the tally."""
    score = total = passed = failed = 0
    for points, title, hidden, fn in TESTS:
        if hidden and not with_hidden:
            continue
        total += points
        start = time.monotonic()
        try:
            fn(grader)
            ok, message = True, ""
        except Fail as e:
            ok, message = False, str(e)
        except subprocess.TimeoutExpired as e:
            ok, message = False, f"timed out after {e.timeout} s: {' '.join(e.cmd)}"
        except (KeyError, ValueError, TypeError, IndexError, OSError) as e:
            ok, message = False, f"the run's output is not what the grader reads: {e!r}"
        took = time.monotonic() - start
        tag = "hidden: " if hidden else ""
        if ok:
            score += points
            passed += 1
            print(f"PASS [{points:2}/{points:2}] {tag}{title} ({took:.1f}s)", flush=True)
        else:
            failed += 1
            print(f"FAIL [ 0/{points:2}] {tag}{title}", flush=True)
            print(f"     {message}", flush=True)
    print(f"Score: {score}/{total}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1
