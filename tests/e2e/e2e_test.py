"""End-to-end tests: the real latchkeyd over real loopback sockets."""
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
import unittest

from server import BINARY, PG_URL, Server, postgres_for

KEY1 = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
KEY2 = "k2:HxwdHhscGxoZGBcWFRQTEhEQDw4NDAsKCQgHBgUEAwI="


def raw_exchange(port, payload, wait=3.0):
    """Sends raw bytes, returns (bytes received until close or timeout, seconds)."""
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(wait)
    start = time.time()
    s.sendall(payload)
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        pass
    s.close()
    return data, time.time() - start


class ServerTest(unittest.TestCase):
    def setUp(self):
        self.server = Server(args=["--max-body-bytes", "4096", "--header-timeout-ms", "3000"]).start()
        self.admin = self.server.read_admin_key()
        self.assertTrue(self.admin and self.admin.startswith("lk_admin."))

    def tearDown(self):
        self.server.cleanup()

    def create_account(self, name="acme"):
        status, body, _ = self.server.request("POST", "/admin/accounts", self.admin, {"name": name})
        self.assertEqual(status, 201, body)
        return body

    def assertError(self, result, status, code):
        got_status, body, resp = result
        self.assertEqual(got_status, status, body)
        self.assertEqual(set(body.keys()), {"error", "code", "status"})
        self.assertEqual(body["code"], code)
        self.assertEqual(body["status"], status)
        self.assertEqual(resp.getheader("Content-Type"), "application/json")
        return body

    def test_health_and_readiness_are_public(self):
        self.assertEqual(self.server.request("GET", "/healthz")[:2], (200, {"status": "ok"}))
        status, body, _ = self.server.request("GET", "/readyz")
        self.assertEqual((status, body["status"]), (200, "ready"))

    def test_account_lifecycle(self):
        acct = self.create_account()
        self.assertTrue(acct["id"].startswith("acct_"))
        self.assertTrue(acct["apiKey"].startswith("lk_key_"))
        status, listed, _ = self.server.request("GET", "/admin/accounts", self.admin)
        self.assertEqual([a["id"] for a in listed["data"]], [acct["id"]])
        self.assertNotIn("apiKey", listed["data"][0])
        status, body, _ = self.server.request("DELETE", "/admin/accounts/" + acct["id"], self.admin)
        self.assertEqual((status, body["deleted"]), (200, True))
        self.assertError(self.server.request("GET", "/api-keys", acct["apiKey"]), 401, "UNAUTHORIZED")
        self.assertError(self.server.request("DELETE", "/admin/accounts/" + acct["id"], self.admin),
                         404, "NOT_FOUND")
        status, events, _ = self.server.request("GET", "/admin/audit-events", self.admin)
        self.assertEqual(events["data"][0]["action"], "account.delete")

    def test_key_scopes_and_tenant_isolation(self):
        acct = self.create_account()
        key = acct["apiKey"]
        status, reader, _ = self.server.request(
            "POST", "/api-keys", key, {"name": "reader", "scopes": ["audit:read"]})
        self.assertEqual(status, 201)
        for token, says in [(None, "missing API key: send it as 'Authorization: Bearer lk_"),
                            ("sk-not-ours", "malformed API key"),
                            ("lk_key_x.y", "malformed API key"),
                            ("lk_key_aaaaaaaaaaaaaaaaaaaa.y", "unknown API key"),
                            (key[:-1] + ("A" if key[-1] != "A" else "B"), "unknown API key")]:
            body = self.assertError(self.server.request("GET", "/api-keys", token), 401,
                                    "UNAUTHORIZED")
            self.assertTrue(body["error"].startswith(says), (token, body))
        self.assertError(self.server.request("GET", "/api-keys", reader["apiKey"]), 403, "FORBIDDEN")
        self.assertEqual(self.server.request("GET", "/audit-events", reader["apiKey"])[0], 200)
        # Any key reads its own metadata, and only its own.
        status, me, _ = self.server.request("GET", "/api-keys/current", reader["apiKey"])
        self.assertEqual((status, me["id"], me["name"], me["scopes"], me["accountId"]),
                         (200, reader["id"], "reader", ["audit:read"], acct["id"]))
        self.assertNotIn("apiKey", me)
        other = self.create_account("other")
        self.assertError(self.server.request("DELETE", "/api-keys/" + reader["id"], other["apiKey"]),
                         404, "NOT_FOUND")
        status, keys, _ = self.server.request("GET", "/api-keys", key)
        self.assertEqual(len(keys["data"]), 2)
        self.assertTrue(all("apiKey" not in k for k in keys["data"]))
        self.assertEqual(self.server.request("DELETE", "/api-keys/" + reader["id"], key)[0], 200)
        revoked = self.assertError(self.server.request("GET", "/audit-events", reader["apiKey"]),
                                   401, "UNAUTHORIZED")
        self.assertTrue(revoked["error"].startswith("API key revoked at "), revoked)
        self.assertError(self.server.request("GET", "/admin/accounts", key), 401, "UNAUTHORIZED")
        missing = self.assertError(self.server.request("GET", "/admin/accounts"), 401,
                                   "UNAUTHORIZED")
        self.assertTrue(missing["error"].startswith("missing admin key"), missing)

    def test_error_shapes(self):
        key = self.create_account()["apiKey"]
        self.assertError(self.server.request("GET", "/no/such/route"), 404, "NOT_FOUND")
        result = self.server.request("DELETE", "/healthz")
        self.assertError(result, 405, "METHOD_NOT_ALLOWED")
        self.assertEqual(result[2].getheader("Allow"), "GET, HEAD")
        self.assertError(self.server.request("POST", "/api-keys", key, "{not json"), 400, "BAD_REQUEST")
        status, body, _ = self.server.request("POST", "/api-keys", key, {"name": 7, "scopes": []})
        self.assertEqual((status, body["error"]), (400, "name must be a string"))
        self.assertError(self.server.request("POST", "/api-keys", key, "x" * 5000), 413,
                         "PAYLOAD_TOO_LARGE")
        self.assertError(self.server.request("GET", "/audit-events?limit=zero", key), 400,
                         "BAD_REQUEST")
        self.server.request("POST", "/api-keys", key, {"name": "third event", "scopes": ["proxy"]})
        status, body, _ = self.server.request("GET", "/audit-events?limit=2", key)
        self.assertEqual(len(body["data"]), 2)
        cursor = body["nextCursor"]
        status, page2, _ = self.server.request("GET", "/audit-events?limit=2&cursor=" + cursor, key)
        self.assertEqual([e["seq"] for e in page2["data"]], [1])

    def test_malformed_requests_get_a_prompt_json_400(self):
        for payload in [b"GARBAGE\r\n\r\n", b"GET /\r\n\r\n", b"GET / HTTP/1.1\r\nNoColon\r\n\r\n",
                        b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
                        b"\x16\x03\x01\x00\xa5\x01\x00"]:
            data, took = raw_exchange(self.server.port, payload)
            self.assertTrue(data.startswith(b"HTTP/1.1 400 "), data[:80])
            self.assertIn(b'"code":"BAD_REQUEST"', data)
            self.assertLess(took, 1.0, payload)

    def test_a_client_that_reads_slowly_gets_every_pipelined_response_in_order(self):
        # ~9 MB of pipelined responses, far more than the socket buffers hold
        # before the client starts reading: the server must queue the rest,
        # not drop or reorder it.
        s = socket.create_connection(("127.0.0.1", self.server.port))
        s.settimeout(10)
        n = 300
        s.sendall(b"".join(b"GET /openapi.json HTTP/1.1\r\nHost: x\r\nX-Request-Id: r%d\r\n\r\n" % i
                           for i in range(n)))
        data = b""
        while data.count(b"X-Request-Id: ") < n or not data.endswith(b"}"):
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            data += chunk
        s.close()
        ids = [int(m) for m in re.findall(rb"X-Request-Id: r(\d+)", data)]
        self.assertEqual(ids, list(range(n)))
        length = int(re.search(rb"Content-Length: (\d+)", data).group(1))
        self.assertGreater(len(data), n * length)

    def test_keep_alive_without_the_header_and_pipelining(self):
        s = socket.create_connection(("127.0.0.1", self.server.port))
        s.settimeout(5)
        for _ in range(3):
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            data = s.recv(65536)
            self.assertIn(b"200 OK", data)
            self.assertIn(b"connection: keep-alive", data.lower())
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while data.count(b"HTTP/1.1 200") < 2:
            data += s.recv(65536)
        self.assertIn(b'"status":"ready"', data)
        s.close()
        data, _ = raw_exchange(self.server.port,
                               b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertIn(b"connection: close", data.lower())  # and the server closed: recv returned b""

    def test_requests_pipelined_behind_a_worker_request_are_answered_in_order(self):
        # POST /api-keys runs on a worker; the requests behind it (one on the
        # reactor, two more on workers) are read once it has answered.
        key = self.create_account()["apiKey"]
        body = b'{"name":"piped","scopes":["proxy"]}'
        post = (b"POST /api-keys HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                b"Content-Type: application/json\r\nContent-Length: %d\r\nX-Request-Id: r%%d\r\n\r\n%s"
                % (key.encode(), len(body), body))
        get = b"GET %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key.encode() + b"\r\nX-Request-Id: r%d\r\n\r\n"
        s = socket.create_connection(("127.0.0.1", self.server.port))
        s.settimeout(10)
        s.sendall(post % 0 + get % (b"/healthz", 1) + post % 2 + get % (b"/api-keys", 3))
        data = b""
        while data.count(b"X-Request-Id: ") < 4 or not data.rstrip().endswith(b"}"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        self.assertEqual(re.findall(rb"X-Request-Id: r(\d)", data), [b"0", b"1", b"2", b"3"])
        self.assertEqual(re.findall(rb"HTTP/1.1 (\d+)", data), [b"201", b"200", b"201", b"200"])
        self.assertEqual(data.count(b'"name":"piped"'), 4)  # two creates, both listed

    def test_a_worker_request_with_connection_close_ends_the_connection_before_the_next(self):
        key = self.create_account()["apiKey"]
        s = socket.create_connection(("127.0.0.1", self.server.port))
        s.settimeout(10)
        s.sendall(b"GET /api-keys HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                  b"Authorization: Bearer " + key.encode() + b"\r\n\r\n"
                  b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        self.assertEqual(data.count(b"HTTP/1.1 "), 1)
        self.assertIn(b"connection: close", data.lower())
        self.assertNotIn(b'"status":"ok"', data)

    def test_slow_header_times_out_with_a_json_408(self):
        data, took = raw_exchange(self.server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n", wait=8)
        self.assertIn(b"408", data.split(b"\r\n")[0])
        self.assertIn(b'"code":"REQUEST_TIMEOUT"', data)
        self.assertLess(took, 4.5)

    def test_security_headers_and_request_id(self):
        key = self.create_account()["apiKey"]
        _, _, resp = self.server.request("GET", "/api-keys", key, headers={"X-Request-Id": "trace-123"})
        self.assertEqual(resp.getheader("X-Request-Id"), "trace-123")
        self.assertEqual(resp.getheader("X-Content-Type-Options"), "nosniff")
        self.assertEqual(resp.getheader("Referrer-Policy"), "no-referrer")
        self.assertEqual(resp.getheader("Cache-Control"), "no-store")
        self.assertIn("default-src 'none'", resp.getheader("Content-Security-Policy"))
        _, _, resp = self.server.request("GET", "/healthz", headers={"X-Request-Id": "bad id\x7f"})
        self.assertTrue(resp.getheader("X-Request-Id").startswith("req_"))
        log = self.server.stderr()
        self.assertIn('"request_id":"trace-123"', log)
        self.assertIn('"path":"/api-keys"', log)

    def test_openapi_lists_routes(self):
        status, doc, _ = self.server.request("GET", "/openapi.json")
        self.assertEqual(doc["openapi"], "3.1.0")
        for path, method in [("/admin/accounts", "post"), ("/api-keys/{id}", "delete"),
                             ("/audit-events/verify", "get"), ("/readyz", "get")]:
            self.assertIn(method, doc["paths"][path])
        self.assertEqual(doc["servers"][0]["url"], "http://127.0.0.1:%d" % self.server.port)

    def test_audit_chain_verifies(self):
        acct = self.create_account()
        self.server.request("POST", "/api-keys", acct["apiKey"], {"name": "a", "scopes": ["proxy"]})
        status, body, _ = self.server.request("GET", "/audit-events/verify", acct["apiKey"])
        self.assertEqual((status, body["ok"], body["count"]), (200, True, 3))


class LifecycleTest(unittest.TestCase):
    def test_restart_keeps_data_and_shutdown_is_clean(self):
        with tempfile.TemporaryDirectory() as tmp:
            data = os.path.join(tmp, "data")
            first = Server(data_dir=data).start()
            admin = first.read_admin_key()
            status, acct, _ = first.request("POST", "/admin/accounts", admin, {"name": "keep"})
            self.assertEqual(first.stop(), 0)
            self.assertIn('"event":"stopped"', first.stderr())
            if not PG_URL:  # the embedded default's files
                self.assertFalse(os.path.exists(os.path.join(data, "latchkey.db-wal")) and
                                 os.path.getsize(os.path.join(data, "latchkey.db-wal")) > 0)
                self.assertEqual(oct(os.stat(os.path.join(data, "master.key")).st_mode & 0o777),
                                 "0o600")
                db = sqlite3.connect(os.path.join(data, "latchkey.db"))
                self.assertEqual(db.execute("PRAGMA integrity_check").fetchone()[0], "ok")
                db.close()

            second = Server(data_dir=data).start()
            try:
                self.assertNotIn("admin key", second.stdout)
                status, listed, _ = second.request("GET", "/admin/accounts", admin)
                self.assertEqual([a["id"] for a in listed["data"]], [acct["id"]])
                status, keys, _ = second.request("GET", "/api-keys", acct["apiKey"])
                self.assertEqual(status, 200)
                status, ok, _ = second.request("GET", "/audit-events/verify", acct["apiKey"])
                self.assertTrue(ok["ok"])
                self.assertEqual(second.stop(signal.SIGINT), 0)
            finally:
                second.cleanup()

    def test_secrets_never_appear_in_logs_or_database(self):
        with tempfile.TemporaryDirectory() as tmp:
            data = os.path.join(tmp, "data")
            server = Server(data_dir=data).start()
            admin = server.read_admin_key()
            try:
                _, acct, _ = server.request("POST", "/admin/accounts", admin, {"name": "planted"})
                key = acct["apiKey"]
                _, extra, _ = server.request("POST", "/api-keys", key, {"name": "x", "scopes": ["proxy"]})
                # Use the keys, including failed attempts that get audited.
                server.request("GET", "/api-keys", key)
                server.request("GET", "/api-keys", extra["apiKey"])
                server.request("GET", "/api-keys", key[:-2] + "zz")
                self.assertEqual(server.stop(), 0)
            finally:
                server.cleanup()
            blobs = server.stderr().encode() + server.stored_bytes()
            for secret in [key, extra["apiKey"], admin, key.split(".")[1], admin.split(".")[1]]:
                self.assertNotIn(secret.encode(), blobs, "secret found in logs or data dir")
            self.assertIn(acct["id"].encode(), blobs)  # the grep itself can find things


class AdminKeyTest(unittest.TestCase):
    """`latchkeyd admin-key rotate`: the way back when the admin key printed
    at the first start is lost."""

    def rotate(self, data, env=None):
        args, full_env = ["admin-key", "rotate", "--data-dir", data], dict(os.environ)
        full_env.pop("LATCHKEY_ADMIN_KEY", None)
        full_env.pop("LATCHKEY_MASTER_KEYS", None)
        if PG_URL:
            url, keys = postgres_for(data)
            args += ["--database-url", url]
            full_env["LATCHKEY_MASTER_KEYS"] = keys
        full_env.update(env or {})
        return subprocess.run([BINARY] + args, capture_output=True, text=True, env=full_env,
                              timeout=30)

    def test_rotate_prints_a_new_key_once_and_retires_the_old_one(self):
        with tempfile.TemporaryDirectory() as tmp:
            data = os.path.join(tmp, "data")
            server = Server(data_dir=data, args=["--maintenance-interval", "1"]).start()
            try:
                old = server.read_admin_key()
                self.assertEqual(server.request("GET", "/admin/accounts", old)[0], 200)
                result = self.rotate(data)
                self.assertEqual(result.returncode, 0, result.stderr)
                new = re.search(r"^admin key \(shown once, store it now\): (lk_admin\.\S+)$",
                                result.stdout, re.M).group(1)
                self.assertNotEqual(new, old)
                # The running server takes it up at its next reload (1 s here).
                deadline = time.time() + 15
                while server.request("GET", "/admin/accounts", old)[0] != 401:
                    self.assertLess(time.time(), deadline, "the old key still works")
                    time.sleep(0.2)
                self.assertEqual(server.request("GET", "/admin/accounts", new)[0], 200)
                events = server.request("GET", "/admin/audit-events?action=admin_key.rotate",
                                        new)[1]["data"]
                self.assertEqual([(e["action"], e["actor"]) for e in events],
                                 [("admin_key.rotate", "operator")])
                self.assertEqual(server.request("GET", "/admin/audit-events/verify", new)[1]["ok"],
                                 True)
            finally:
                server.stop()
                server.cleanup()
            # A later start names the way back, and never prints the key.
            again = Server(data_dir=data).start()
            try:
                hint = again.proc.stdout.readline()
                self.assertIn("latchkeyd admin-key rotate", hint)
                self.assertNotIn(new, hint)
                self.assertEqual(again.request("GET", "/admin/accounts", new)[0], 200)
                self.assertEqual(again.request("GET", "/admin/accounts", old)[0], 401)
                self.assertNotIn(new.encode(), again.stored_bytes())  # only its hash
            finally:
                again.cleanup()

    def test_rotate_without_storage_or_with_a_bad_subcommand_fails_plainly(self):
        with tempfile.TemporaryDirectory() as tmp:
            result = self.rotate(os.path.join(tmp, "never-started"))
            # SQLite: no master key to open it with (2); PostgreSQL: a
            # database no server started on holds no key to rotate (1).
            self.assertEqual(result.returncode, 1 if PG_URL else 2, result.stdout)
            self.assertTrue(result.stderr.startswith("latchkeyd: "), result.stderr)
            if PG_URL:
                self.assertIn("no admin key to rotate", result.stderr)
            self.assertNotIn("admin key (shown once", result.stdout)
            bad = subprocess.run([BINARY, "admin-key", "spin"], capture_output=True, text=True,
                                 timeout=30)
            self.assertEqual(bad.returncode, 2)
            self.assertNotIn("admin key (shown once", bad.stdout)

    def test_version(self):
        result = subprocess.run([BINARY, "--version"], capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertRegex(result.stdout.strip(), r"^latchkeyd \d+\.\d+\.\d+$")


    def test_startup_says_what_it_runs_with(self):
        with tempfile.TemporaryDirectory() as tmp:
            providers = os.path.join(tmp, "providers.json")
            with open(providers, "w") as f:
                json.dump({"google": {"tokenUrl": "https://login.example.test/token"}}, f)
            server = Server(os.path.join(tmp, "data"), args=[
                "--proxy-allow-http", "127.0.0.1", "--workers", "7", "--worker-queue", "99",
                "--oauth-providers-file", providers]).start()
            try:
                out = server.stdout
            finally:
                server.stop()
        lines = out.splitlines()
        self.assertRegex(lines[0], r"^latchkeyd \d+\.\d+\.\d+$")
        self.assertEqual(lines[1], "listening on http://127.0.0.1:%d" % server.port)
        self.assertIn("oauth providers: google, microsoft, slack, github, notion (%s: google"
                      " (overrides the built-in))" % providers, lines)
        self.assertIn("proxy: plain http too to 127.0.0.1; public addresses only"
                      " (--proxy-allow-private widens)", lines)
        database = "PostgreSQL, pool 8" if PG_URL else "SQLite, 4 connections"
        self.assertIn("capacity: 7 workers (queue 99); %s; 4 RSA keys pre-generated" % database,
                      lines)
        self.assertTrue(lines[-1].startswith("data: "), lines)


class ConfigurationTest(unittest.TestCase):
    def run_binary(self, args, env=None):
        full_env = dict(os.environ)
        full_env.pop("LATCHKEY_MASTER_KEYS", None)
        full_env.update(env or {})
        return subprocess.run([BINARY] + args, capture_output=True, text=True, env=full_env,
                              timeout=30)

    def test_bad_configuration_exits_2_with_one_line(self):
        with tempfile.TemporaryDirectory() as tmp:
            for args, env in [(["--listen", "nope"], None), (["--threads", "0"], None),
                              (["--log-level", "shout"], None), (["--bogus"], None),
                              (["--data-dir", tmp], {"LATCHKEY_MASTER_KEYS": "k1:short"}),
                              (["--data-dir", tmp], {"LATCHKEY_ADMIN_KEY": "short"}),
                              (["--data-dir", tmp, "--listen", "256.0.0.1:1"], None)]:
                result = self.run_binary(args + ["--listen", "127.0.0.1:0"] if "--listen" not in args
                                         else args, env)
                self.assertEqual(result.returncode, 2, (args, result.stderr))
                self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
                self.assertTrue(result.stderr.startswith("latchkeyd: "))

    @unittest.skipUnless(PG_URL, "PostgreSQL only")
    def test_postgres_needs_master_keys_from_the_environment(self):
        with tempfile.TemporaryDirectory() as tmp:
            result = self.run_binary(["--data-dir", tmp, "--listen", "127.0.0.1:0",
                                      "--database-url", PG_URL], None)
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertIn("LATCHKEY_MASTER_KEYS", result.stderr)
            self.assertFalse(os.path.exists(os.path.join(tmp, "master.key")))

    @unittest.skipIf(PG_URL, "the local master.key file and rewrap of the SQLite default")
    def test_master_key_rotation_with_rewrap(self):
        with tempfile.TemporaryDirectory() as tmp:
            data = os.path.join(tmp, "data")
            s = Server(data_dir=data, env={"LATCHKEY_MASTER_KEYS": KEY1,
                                           "LATCHKEY_ADMIN_KEY": "configured-admin-key-0001"}).start()
            status, acct, _ = s.request("POST", "/admin/accounts", "configured-admin-key-0001",
                                        {"name": "rot"})
            self.assertEqual(status, 201)
            self.assertEqual(s.stop(), 0)
            self.assertNotIn("admin key", s.stdout)
            self.assertFalse(os.path.exists(os.path.join(data, "master.key")))

            # Only the new key: refused, the data keys need k1.
            refused = self.run_binary(["--data-dir", data, "--listen", "127.0.0.1:0"],
                                      {"LATCHKEY_MASTER_KEYS": KEY2})
            self.assertEqual(refused.returncode, 2)
            self.assertIn("k1", refused.stderr)
            # No key at all: refused, never silently generated.
            self.assertEqual(self.run_binary(["--data-dir", data, "rewrap"]).returncode, 2)

            done = self.run_binary(["--data-dir", data, "rewrap"],
                                   {"LATCHKEY_MASTER_KEYS": KEY2 + "," + KEY1})
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertIn("rewrapped 1 data keys under master key k2", done.stdout)

            s2 = Server(data_dir=data, env={"LATCHKEY_MASTER_KEYS": KEY2,
                                            "LATCHKEY_ADMIN_KEY": "configured-admin-key-0001"}).start()
            try:
                self.assertEqual(s2.request("GET", "/api-keys", acct["apiKey"])[0], 200)
                self.assertEqual(s2.stop(), 0)
            finally:
                s2.cleanup()


if __name__ == "__main__":
    unittest.main()
