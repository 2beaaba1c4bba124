"""Starts the real latchkeyd on a free port with a temporary data dir."""
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

from response_schemas import ResponseSchemas

BINARY = os.environ.get("LATCHKEYD", os.path.join(os.path.dirname(__file__), "../../build/latchkeyd"))
# Every JSON answer Server.request sees is checked against the server's own
# /openapi.json (see response_schemas.py) unless this is "0".
CHECK_RESPONSES = os.environ.get("LATCHKEY_E2E_CHECK_RESPONSES", "1") != "0"
# Set by tests/pg/with_postgres.sh: every Server then runs on its own
# database in that cluster instead of SQLite.
PG_URL = os.environ.get("LATCHKEY_TEST_DATABASE_URL")


def postgres_for(data_dir):
    """A database (and master key) per data dir, kept across restarts of the
    same data dir. Returns (url, master_keys)."""
    import base64
    import secrets
    import urllib.parse
    os.makedirs(data_dir, exist_ok=True)
    marker = os.path.join(data_dir, "postgres.json")
    if os.path.exists(marker):
        with open(marker) as f:
            saved = json.load(f)
        return saved["url"], saved["keys"]
    name = "lk_" + secrets.token_hex(6)
    u = urllib.parse.urlsplit(PG_URL)
    subprocess.run(["createdb", "-h", u.hostname, "-p", str(u.port), "-U", u.username, name],
                   check=True)
    url = urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + name, "", ""))
    keys = "k1:" + base64.b64encode(secrets.token_bytes(32)).decode()
    with open(marker, "w") as f:
        json.dump({"url": url, "keys": keys}, f)
    return url, keys


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
        self.stopping = False
        self.stdout = ""
        self.check_responses = CHECK_RESPONSES
        self.schemas = None  # ResponseSchemas of the running process, fetched once
        self.schemas_lock = threading.Lock()
        parent = os.path.dirname(os.path.abspath(data_dir))
        os.makedirs(parent, exist_ok=True)
        self.stderr_path = os.path.join(parent, os.path.basename(data_dir) + ".stderr.log")

    def start(self):
        self.stopping = False
        self.schemas = None  # a restart may run another binary
        self.stderr_file = open(self.stderr_path, "ab")
        extra = []
        if PG_URL:
            url, keys = postgres_for(self.data_dir)
            extra = ["--database-url", url]
            self.env.setdefault("LATCHKEY_MASTER_KEYS", keys)
        self.proc = subprocess.Popen(
            [BINARY, "--listen", "127.0.0.1:0", "--data-dir", self.data_dir] + extra + self.args,
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
        self.stopping = True
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=timeout)
        self.stdout += self.proc.stdout.read()
        self.stderr_file.close()
        return code

    def stored_bytes(self):
        """Everything the server has stored: the data dir's files, and on
        PostgreSQL a dump of its database with bytea values decoded, so a
        test can search it for planted secrets."""
        import re
        out = b""
        for root, _, files in os.walk(self.data_dir):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    out += f.read()
        if PG_URL:
            url, _ = postgres_for(self.data_dir)
            dump = subprocess.run(["pg_dump", "--data-only", url], check=True,
                                  capture_output=True).stdout
            out += dump
            for hex_value in re.findall(rb"\\\\x([0-9a-f]+)", dump):
                out += bytes.fromhex(hex_value.decode())
        return out

    def sql_value(self, query, *params):
        """The first column of the first row of a read-only query."""
        if PG_URL:
            url, _ = postgres_for(self.data_dir)
            for p in params:
                query = query.replace("?", "'%s'" % str(p).replace("'", "''"), 1)
            out = subprocess.run(["psql", "-At", "-c", query, url], check=True,
                                 capture_output=True, text=True).stdout.strip()
            return int(out) if out.lstrip("-").isdigit() else out
        import sqlite3
        db = sqlite3.connect(os.path.join(self.data_dir, "latchkey.db"))
        try:
            return db.execute(query, params).fetchone()[0]
        finally:
            db.close()

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
        if parsed is not None and "json" in (resp.getheader("Content-Type") or ""):
            self.check_response(method, path, resp.status, parsed)
        return resp.status, parsed, resp

    def response_schemas(self):
        """The running process's ResponseSchemas, or None when its
        /openapi.json cannot be had (down, or not JSON)."""
        with self.schemas_lock:
            if self.schemas is None:
                try:
                    # From another loopback address: the fetch must not take
                    # a token of the test's own per-address rate limit.
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10,
                                                      source_address=("127.0.0.2", 0))
                    conn.request("GET", "/openapi.json")
                    resp = conn.getresponse()
                    data = resp.read()
                    conn.close()
                    if resp.status == 200:
                        self.schemas = ResponseSchemas(json.loads(data))
                except (OSError, http.client.HTTPException, ValueError):
                    pass
            return self.schemas

    def check_response(self, method, path, status, body):
        """Fails the calling test (SchemaMismatch, an AssertionError) when
        the JSON `body` does not fit the documented response."""
        if not self.check_responses:
            return
        schemas = self.response_schemas()
        if schemas is not None:
            schemas.check(method, path, status, body)

    def cleanup(self):
        if self.proc and not self.stopping and self.proc.poll() is not None:
            # It died on its own (a crash, or a sanitizer report under
            # halt_on_error): show why, since nobody else will.
            sys.stderr.write("latchkeyd exited with %s; its stderr:\n%s\n"
                             % (self.proc.returncode, self.stderr()[-20000:]))
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc:
            self.proc.stdout.close()
            self.stderr_file.close()
        if self.owned_dir:
            self.owned_dir.cleanup()
