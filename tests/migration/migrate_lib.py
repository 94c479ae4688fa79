"""Shared by the migration tests: start a destination on a free port, run a source, a
reference run, and a TCP relay that drops the connection at a chosen frame."""
import json
import os
import re
import socket
import struct
import subprocess
import threading

SUMMARY = re.compile(r"\((\d+) instructions, (\d+) modeled cycles")
LISTENING = re.compile(r"migrate: listening on 127\.0\.0\.1:(\d+)")


def summary(stderr):
    m = SUMMARY.findall(stderr)
    return tuple(int(x) for x in m[-1]) if m else None


class Destination:
    """`vmlab migrate-listen 0 ...` in the background; .port once it listens."""

    def __init__(self, exe, cwd, extra=()):
        self.proc = subprocess.Popen([exe, "migrate-listen", "0", "--timeout", "120", *extra],
                                     cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        first = self.proc.stderr.readline()
        m = LISTENING.search(first)
        if not m:
            self.proc.kill()
            raise RuntimeError("migrate-listen did not say its port: " + first)
        self.port = int(m.group(1))

    def wait(self):
        out, err = self.proc.communicate(timeout=300)
        return self.proc.returncode, out, err


def run(exe, args, cwd):
    return subprocess.run([exe, *args], cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=300)


def stats(path):
    with open(path) as f:
        return json.load(f)


class Relay:
    """A TCP relay from a free local port to `port` that parses the source's frames and
    closes both connections before forwarding frame number `drop_at` (counting from 0), or
    never when drop_at is None. .frames_seen lists the (type, round) of what it forwarded."""

    def __init__(self, port, drop_at):
        self.target = port
        self.drop_at = drop_at
        self.frames_seen = []
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(1)
        self.port = self.server.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        src, _ = self.server.accept()
        dst = socket.create_connection(("127.0.0.1", self.target))
        back = threading.Thread(target=self._pipe_back, args=(dst, src), daemon=True)
        back.start()
        try:
            n = 0
            while True:
                header = self._exact(src, 5)
                if header is None:
                    break
                kind, length = header[0], struct.unpack("<I", header[1:])[0]
                payload = self._exact(src, length)
                if payload is None:
                    break
                if self.drop_at is not None and n == self.drop_at:
                    break
                rnd = struct.unpack("<I", payload[:4])[0] if kind == 2 else None
                self.frames_seen.append((kind, rnd))
                dst.sendall(header + payload)
                n += 1
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        self.server.close()

    @staticmethod
    def _pipe_back(dst, src):
        try:
            while True:
                b = dst.recv(65536)
                if not b:
                    break
                src.sendall(b)
        except OSError:
            pass

    @staticmethod
    def _exact(s, n):
        out = b""
        while len(out) < n:
            b = s.recv(n - len(out))
            if not b:
                return None
            out += b
        return out
