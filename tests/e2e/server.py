"""Starts the real latchkeyd on a free port with a temporary data dir."""
import http.client
import json
import os
import re
import signal
import subprocess
import tempfile
import time

BINARY = os.environ.get("LATCHKEYD", os.path.join(os.path.dirname(__file__), "../../build/latchkeyd"))


class Server:
    def __init__(self, data_dir=None, args=(), env=None):
        self.owned_dir = None
        if data_dir is None:
            self.owned_dir = tempfile.TemporaryDirectory(prefix="latchkey-e2e-")
            data_dir = os.path.join(self.owned_dir.name, "data")
        self.data_dir = data_dir
        self.args = list(args)
        self.env = dict(os.environ)
        self.env.pop("LATCHKEY_ADMIN_KEY", None)
        self.env.pop("LATCHKEY_MASTER_KEYS", None)
        self.env.update(env or {})
        self.proc = None
        self.stdout = ""
        parent = os.path.dirname(os.path.abspath(data_dir))
        os.makedirs(parent, exist_ok=True)
        self.stderr_path = os.path.join(parent, os.path.basename(data_dir) + ".stderr.log")

    def start(self):
        self.stderr_file = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(
            [BINARY, "--listen", "127.0.0.1:0", "--data-dir", self.data_dir] + self.args,
            stdout=subprocess.PIPE, stderr=self.stderr_file, env=self.env, text=True)
        lines = []
        deadline = time.time() + 20
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("latchkeyd exited early: " + "".join(lines) + self.stderr())
            lines.append(line)
            if line.startswith("data:"):
                # The admin key line (first start only) follows immediately.
                break
        self.stdout = "".join(lines)
        m = re.search(r"^listening on http://127\.0\.0\.1:(\d+)$", self.stdout, re.M)
        if not m:
            raise RuntimeError("no listening line in: " + self.stdout)
        self.port = int(m.group(1))
        return self

    def read_admin_key(self):
        line = self.proc.stdout.readline()
        self.stdout += line
        m = re.search(r"admin key \(shown once, store it now\): (\S+)", line)
        return m.group(1) if m else None

    def stop(self, sig=signal.SIGTERM, timeout=15):
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=timeout)
        self.stdout += self.proc.stdout.read()
        self.stderr_file.close()
        return code

    def stderr(self):
        try:
            with open(self.stderr_path, "r", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def request(self, method, path, token=None, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=body, headers=h)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = None
        return resp.status, parsed, resp

    def cleanup(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc:
            self.proc.stdout.close()
            self.stderr_file.close()
        if self.owned_dir:
            self.owned_dir.cleanup()
