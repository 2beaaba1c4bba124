"""Credentials and the proxy end to end: the real latchkeyd, a real upstream
HTTP server on loopback (the only fake, at the edge of the machine), and
real sockets, TLS and DNS (/etc/hosts) in between."""
import hashlib
import http.client
import http.server
import json
import os
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

from server import Server

OPENAI = "sk-planted-openai-a1b2c3d4e5"
ANTHROPIC = "sk-ant-planted-f6g7h8i9j0"
BEARER = "planted-bearer-k1l2m3n4o5"
PASSWORD = "planted-password-p6q7r8"
COOKIE = "session=planted-cookie-s9t0u1"
HEADER = "planted-header-v2w3x4y5"
QUERY = "planted-query-z6a7b8c9"
PLANTED = [OPENAI, ANTHROPIC, BEARER, PASSWORD, COOKIE, HEADER, QUERY]


# 8 MiB that no secret could be hiding in, for the slow-reader test.
BIG_BODY = hashlib.sha256(b"latchkey").digest() * (8 * 1024 * 1024 // 32)


class Upstream:
    """Records every request; a few paths behave specially."""

    def __init__(self, tls_context=None):
        self.requests = []
        self.last_event_sent = threading.Event()
        upstream = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def handle_any(self):
                try:
                    self.respond()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the proxy gave up on us (the timeout test)

            def respond(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                upstream.requests.append({"method": self.command, "path": self.path,
                                          "headers": dict(self.headers.items()),
                                          "header_list": list(self.headers.items()), "body": body})
                path = self.path.split("?")[0]
                if path == "/sse":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for i in range(3):
                        if i == 2:
                            upstream.last_event_sent.set()
                        data = ("data: event %d\n\n" % i).encode()
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                        self.wfile.flush()
                        if i < 2:
                            time.sleep(0.2)
                    self.wfile.write(b"0\r\n\r\n")
                    return
                if path == "/big":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/octet-stream")
                    self.send_header("Content-Length", str(len(BIG_BODY)))
                    self.end_headers()
                    self.wfile.write(BIG_BODY)
                    return
                if path == "/redirect":
                    self.send_response(302)
                    self.send_header("Location", "http://127.0.0.1:1/elsewhere")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if path == "/slow":
                    time.sleep(3)
                echoed = {k: v for k, v in self.headers.items()}
                out = json.dumps({"method": self.command, "path": self.path, "headers": echoed,
                                  "body": body.decode(errors="replace")}).encode()
                self.send_response(201 if self.command == "POST" else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("X-Echo-Auth", self.headers.get("Authorization", ""))
                self.send_header("X-Upstream", "yes")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = handle_any

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls_context:
            self.httpd.socket = tls_context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class ProxyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.upstream = Upstream()
        cls.server = Server(args=["--proxy-allow-http", "127.0.0.1", "--proxy-allow-private",
                                  "127.0.0.1/32", "--proxy-timeout-ms", "1500",
                                  "--max-body-bytes", "65536"]).start()
        cls.admin = cls.server.read_admin_key()
        cls.responses = []
        _, body, _ = cls.server.request("POST", "/admin/accounts", cls.admin, {"name": "acme"})
        cls.account, cls.key = body["id"], body["apiKey"]
        _, body, _ = cls.server.request("POST", "/admin/accounts", cls.admin, {"name": "other"})
        cls.other_key = body["apiKey"]
        cls.target = "http://127.0.0.1:%d" % cls.upstream.port
        local = ["127.0.0.1"]
        cls.call_as(cls.key, "PUT", "/credentials",
                    {"openaiApiKey": OPENAI, "anthropicApiKey": ANTHROPIC,
                     "allowedHosts": {"openai": local, "anthropic": local}})
        for secret in (
                {"name": "bearer", "type": "API_KEY", "value": BEARER, "allowedHosts": local},
                {"name": "basic", "type": "BASIC_AUTH", "username": "svc", "password": PASSWORD,
                 "allowedHosts": local},
                {"name": "cookie", "type": "COOKIE", "cookies": COOKIE, "allowedHosts": local},
                {"name": "custom", "type": "CUSTOM_HEADER", "headers": {"X-Api-Key": HEADER},
                 "allowedHosts": local},
                {"name": "query", "type": "QUERY_PARAM", "param": "key", "value": QUERY,
                 "allowedHosts": local},
                {"name": "elsewhere", "type": "API_KEY", "value": BEARER + "-2",
                 "allowedHosts": ["*.example.com"]},
                {"name": "plain", "type": "API_KEY", "value": BEARER + "-3",
                 "allowedHosts": ["plain.test"]}):
            cls.call_as(cls.key, "POST", "/secrets", secret, expect=201)

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        cls.upstream.close()

    @classmethod
    def call_as(cls, token, method, path, body=None, expect=200, headers=None):
        status, parsed, resp = cls.server.request(method, path, token, body, headers)
        cls.responses.append((status, json.dumps(parsed), str(resp.getheaders())))
        if expect is not None:
            assert status == expect, (method, path, status, parsed)
        return parsed

    def proxy(self, credential, path="/echo", method="GET", body=None, headers=None, token=None,
              target=None):
        h = {"X-Target-Url": (target or self.target) + path, "X-Credential-Name": credential}
        h.update(headers or {})
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=15)
        h["Authorization"] = "Bearer " + (token or self.key)
        conn.request(method, "/v1/proxy", body=body, headers=h)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        self.responses.append((resp.status, data.decode(errors="replace"), str(resp.getheaders())))
        return resp.status, data, resp

    def last_upstream(self):
        return self.upstream.requests[-1]

    def test_each_injection_arrives_as_specified_and_our_key_never_does(self):
        cases = {
            "openai": ("Authorization", "Bearer " + OPENAI),
            "anthropic": ("X-Api-Key", ANTHROPIC),
            "bearer": ("Authorization", "Bearer " + BEARER),
            "basic": ("Authorization", "Basic " + __import__("base64").b64encode(
                ("svc:" + PASSWORD).encode()).decode()),
            "cookie": ("Cookie", COOKIE),
            "custom": ("X-Api-Key", HEADER),
        }
        for name, (header, value) in cases.items():
            status, _, _ = self.proxy(name, headers={"Cookie": "caller=1"})
            self.assertEqual(status, 200, name)
            seen = {k.lower(): v for k, v in self.last_upstream()["headers"].items()}
            self.assertEqual(seen.get(header.lower()), value, name)
            for v in seen.values():
                self.assertNotIn(self.key, v)
            if name != "cookie":
                self.assertNotIn("cookie", seen, name)
        status, _, _ = self.proxy("query", path="/echo?q=1")
        self.assertEqual(status, 200)
        self.assertEqual(self.last_upstream()["path"], "/echo?q=1&key=" + QUERY)
        self.assertNotIn("authorization", {k.lower() for k in self.last_upstream()["headers"]})

    def test_forwards_method_body_and_headers_but_drops_ours_and_hop_by_hop(self):
        status, data, resp = self.proxy(
            "bearer", method="POST", body=b'{"hello":"world"}',
            headers={"X-Target-Method": "PUT", "X-Caller": "kept", "Content-Type": "application/json",
                     "Proxy-Authorization": "Basic eA==", "Connection": "keep-alive, X-Hop",
                     "X-Hop": "dropped", "Keep-Alive": "timeout=5", "X-Credential-Extra": "x"})
        self.assertEqual(status, 200)
        req = self.last_upstream()
        self.assertEqual(req["method"], "PUT")
        self.assertEqual(req["body"], b'{"hello":"world"}')
        names = {k.lower() for k in req["headers"]}
        self.assertIn("x-caller", names)
        for dropped in ("proxy-authorization", "x-target-url", "x-target-method",
                        "x-credential-name", "x-credential-extra", "x-hop", "keep-alive"):
            self.assertNotIn(dropped, names)
        self.assertEqual(resp.getheader("X-Upstream"), "yes")
        self.assertEqual(resp.getheader("Content-Type"), "application/json")
        self.assertTrue(resp.getheader("X-Request-Id"))

    def test_echoed_secrets_are_redacted_in_headers_and_body(self):
        for name, secret in (("openai", OPENAI), ("custom", HEADER), ("basic", PASSWORD)):
            status, data, resp = self.proxy(name)
            self.assertEqual(status, 200)
            self.assertNotIn(secret, data.decode())
            self.assertNotIn(secret, str(resp.getheaders()))
        status, data, resp = self.proxy("openai")
        self.assertIn("[REDACTED]", resp.getheader("X-Echo-Auth"))
        self.assertIn("[REDACTED]", data.decode())

    def test_unknown_and_foreign_credentials_are_404(self):
        status, data, _ = self.proxy("nosuch")
        self.assertEqual(status, 404)
        self.assertEqual(json.loads(data)["code"], "NOT_FOUND")
        status, _, _ = self.proxy("bearer", token=self.other_key)
        self.assertEqual(status, 404)
        status, _, _ = self.proxy("openai", token=self.other_key)
        self.assertEqual(status, 404)

    def test_hosts_outside_the_allowed_list_are_403(self):
        status, data, _ = self.proxy("elsewhere")
        self.assertEqual(status, 403)
        self.assertIn("not an allowed host", json.loads(data)["error"])
        status, _, _ = self.proxy("elsewhere", path="/", target="https://example.com.evil.test")
        self.assertEqual(status, 403)

    def test_plain_http_only_to_hosts_the_operator_named(self):
        status, data, _ = self.proxy("plain", path="/", target="http://plain.test")
        self.assertEqual(status, 400)
        self.assertIn("use https", json.loads(data)["error"])

    def test_private_and_metadata_addresses_are_refused(self):
        self.call_as(self.key, "POST", "/secrets",
                     {"name": "meta-" + str(time.time_ns()), "type": "API_KEY", "value": BEARER,
                      "allowedHosts": ["169.254.169.254", "10.0.0.1"]}, expect=201)
        names = [s["name"] for s in self.call_as(self.key, "GET", "/secrets?limit=1000")["data"]
                 if s["name"].startswith("meta-")]
        for target in ("https://169.254.169.254", "https://10.0.0.1"):
            status, data, _ = self.proxy(names[0], path="/latest/meta-data/", target=target)
            self.assertEqual(status, 403, target)
            self.assertIn("does not connect to", json.loads(data)["error"])

    def test_a_name_resolving_to_loopback_is_refused_when_loopback_is_not_allowed(self):
        strict = Server(args=["--proxy-allow-http", "localhost"]).start()
        try:
            admin = strict.read_admin_key()
            _, body, _ = strict.request("POST", "/admin/accounts", admin, {"name": "s"})
            key = body["apiKey"]
            status, _, _ = strict.request("POST", "/secrets", key, {
                "name": "local", "type": "API_KEY", "value": BEARER, "allowedHosts": ["localhost"]})
            self.assertEqual(status, 201)
            before = len(self.upstream.requests)
            status, body, _ = strict.request("GET", "/v1/proxy", key, headers={
                "X-Target-Url": "http://localhost:%d/echo" % self.upstream.port,
                "X-Credential-Name": "local"})
            self.assertEqual(status, 403, body)
            self.assertIn("loopback", body["error"])
            self.assertEqual(len(self.upstream.requests), before)
        finally:
            strict.cleanup()

    def test_redirects_are_returned_not_followed(self):
        before = len(self.upstream.requests)
        status, _, resp = self.proxy("bearer", path="/redirect")
        self.assertEqual(status, 302)
        self.assertEqual(resp.getheader("Location"), "http://127.0.0.1:1/elsewhere")
        self.assertEqual(len(self.upstream.requests), before + 1)

    def test_limits_and_upstream_failures_are_json_errors(self):
        status, data, _ = self.proxy("bearer", method="POST", body=b"x" * 70000)
        self.assertEqual(status, 413)
        self.assertEqual(json.loads(data)["code"], "PAYLOAD_TOO_LARGE")
        status, data, _ = self.proxy("bearer", path="/slow")
        self.assertEqual(status, 504)
        self.assertEqual(json.loads(data)["code"], "UPSTREAM_TIMEOUT")
        closed = socket.socket()
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        closed.close()
        status, data, _ = self.proxy("bearer", path="/", target="http://127.0.0.1:%d" % port)
        self.assertEqual(status, 502)
        self.assertEqual(json.loads(data)["code"], "UPSTREAM_ERROR")
        for bad in ({"X-Target-Url": ""}, {"X-Target-Url": "ftp://127.0.0.1/"},
                    {"X-Target-Url": "http://user:pw@127.0.0.1/"}, {"X-Target-Method": "TRACE"},
                    {"X-Credential-Name": ""}):
            h = {"X-Target-Url": self.target + "/echo", "X-Credential-Name": "bearer"}
            h.update(bad)
            status, body, _ = self.server.request("GET", "/v1/proxy", self.key, headers=h)
            self.assertEqual(status, 400, (bad, body))
            self.assertEqual(body["code"], "BAD_REQUEST")

    def test_tls_is_verified_against_the_system_cas(self):
        with tempfile.TemporaryDirectory() as d:
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=127.0.0.1",
                            "-addext", "subjectAltName=IP:127.0.0.1", "-days", "1",
                            "-keyout", d + "/k.pem", "-out", d + "/c.pem"],
                           check=True, capture_output=True)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(d + "/c.pem", d + "/k.pem")
            tls = Upstream(ctx)
            try:
                status, data, _ = self.proxy("bearer", target="https://127.0.0.1:%d" % tls.port)
                self.assertEqual(status, 502)
                self.assertIn("TLS", json.loads(data)["error"])
                self.assertEqual(tls.requests, [])
            finally:
                tls.close()

    def test_server_sent_events_stream_before_the_upstream_finishes(self):
        self.upstream.last_event_sent.clear()
        sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        try:
            sock.sendall(("GET /v1/proxy HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                          "X-Target-Url: %s/sse\r\nX-Credential-Name: bearer\r\n\r\n"
                          % (self.key, self.target)).encode())
            received = b""
            while b"event 0" not in received:
                chunk = sock.recv(4096)
                self.assertTrue(chunk, "connection closed early")
                received += chunk
            self.assertFalse(self.upstream.last_event_sent.is_set(),
                             "first event arrived only after the last was sent")
            self.assertIn(b"Content-Type: text/event-stream", received)
            self.assertIn(b"Transfer-Encoding: chunked", received)
            while not received.endswith(b"0\r\n\r\n"):
                chunk = sock.recv(4096)
                self.assertTrue(chunk)
                received += chunk
            self.assertIn(b"event 2", received)
            # The connection stays usable for the next request.
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertIn(b"200", sock.recv(4096))
        finally:
            sock.close()

    def test_a_slow_reader_gets_every_byte_and_keeps_its_connection(self):
        # A small receive buffer and small reads: the proxy outpaces us, has
        # to hold back, and resumes as we read.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(30)
        sock.connect(("127.0.0.1", self.server.port))
        try:
            sock.sendall(("GET /v1/proxy HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                          "X-Target-Url: %s/big\r\nX-Credential-Name: bearer\r\n\r\n"
                          % (self.key, self.target)).encode())
            stream = sock.makefile("rb", buffering=0)
            head = b""
            while not head.endswith(b"\r\n\r\n"):
                head += stream.read(1)
            self.assertTrue(head.startswith(b"HTTP/1.1 200"), head)
            self.assertIn(b"Transfer-Encoding: chunked", head)
            body = bytearray()
            while True:
                size_line = b""
                while not size_line.endswith(b"\r\n"):
                    size_line += stream.read(1)
                size = int(size_line, 16)
                while size > 0:
                    piece = stream.read(min(size, 2048))
                    self.assertTrue(piece, "connection closed early")
                    body += piece
                    size -= len(piece)
                # An unbuffered read may return fewer bytes than asked for.
                crlf = stream.read(2)
                if len(crlf) == 1:
                    crlf += stream.read(1)
                self.assertEqual(crlf, b"\r\n")
                if int(size_line, 16) == 0:
                    break
            self.assertEqual(len(body), len(BIG_BODY))
            self.assertEqual(hashlib.sha256(body).digest(), hashlib.sha256(BIG_BODY).digest())
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertIn(b"200", sock.recv(4096))
        finally:
            sock.close()

    def test_streams_beyond_the_limit_get_503_and_pipelined_requests_close_the_connection(self):
        small = Server(args=["--proxy-allow-http", "127.0.0.1", "--proxy-allow-private",
                             "127.0.0.1/32", "--proxy-streams", "1"]).start()
        try:
            admin = small.read_admin_key()
            _, body, _ = small.request("POST", "/admin/accounts", admin, {"name": "s"})
            key = body["apiKey"]
            small.request("POST", "/secrets", key, {"name": "b", "type": "API_KEY", "value": BEARER,
                                                    "allowedHosts": ["127.0.0.1"]})
            self.upstream.last_event_sent.clear()
            held = socket.create_connection(("127.0.0.1", small.port), timeout=10)
            held.sendall(("GET /v1/proxy HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                          "X-Target-Url: %s/sse\r\nX-Credential-Name: b\r\n\r\n"
                          "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" % (key, self.target)).encode())
            received = b""
            while b"event 0" not in received:
                received += held.recv(4096)
            # The only stream slot is taken until the upstream finishes.
            self.assertFalse(self.upstream.last_event_sent.is_set())
            status, body, _ = small.request("GET", "/v1/proxy", key, headers={
                "X-Target-Url": self.target + "/echo", "X-Credential-Name": "b"})
            self.assertEqual(status, 503)
            self.assertEqual(body["code"], "UNAVAILABLE")
            # The pipelined /healthz is not answered: the connection closes after the stream.
            while True:
                chunk = held.recv(4096)
                if not chunk:
                    break
                received += chunk
            held.close()
            self.assertTrue(received.endswith(b"0\r\n\r\n"), received[-40:])
            self.assertNotIn(b'"status":"ok"', received)
            self.assertEqual(received.count(b"HTTP/1.1 "), 1)
        finally:
            small.cleanup()

    def test_a_restricted_key_uses_only_its_credentials(self):
        body = self.call_as(self.key, "POST", "/api-keys",
                            {"name": "agent", "scopes": ["proxy"], "credentials": ["openai"]},
                            expect=201)
        self.assertEqual(body["credentials"], ["openai"])
        agent = body["apiKey"]
        status, _, _ = self.proxy("openai", token=agent)
        self.assertEqual(status, 200)
        status, data, _ = self.proxy("anthropic", token=agent)
        self.assertEqual(status, 403)
        self.assertIn("may not use", json.loads(data)["error"])
        # Nor can it read or write credentials.
        self.call_as(agent, "GET", "/credentials", expect=403)
        self.call_as(agent, "PUT", "/credentials", {"openaiApiKey": "sk-overwrite-000000"}, expect=403)

    def test_a_restriction_must_name_credentials_that_exist_unless_allow_missing(self):
        before = self.call_as(self.key, "GET", "/api-keys?limit=1000")["data"]
        for names, extra, says in [
                (["openai", "opneai"], {}, "no credential 'opneai'"),
                (["oauth:otk_aaaaaaaaaaaaaaaaaaaa"], {}, "no credential 'oauth:otk_aaaaaaaaaaaaaaaaaaaa'"),
                (["later"], {"allowMissing": "yes"}, "allowMissing must be a boolean"),
                (["later"], {"allowMissing": False}, "set \"allowMissing\": true")]:
            body = dict({"name": "agent", "scopes": ["proxy"], "credentials": names}, **extra)
            refused = self.call_as(self.key, "POST", "/api-keys", body, expect=400)
            self.assertIn(says, refused["error"])
        self.assertEqual(self.call_as(self.key, "GET", "/api-keys?limit=1000")["data"], before)
        # Pre-provisioned: refused until the secret exists, then it works.
        body = self.call_as(self.key, "POST", "/api-keys",
                            {"name": "early", "scopes": ["proxy"], "credentials": ["later"],
                             "allowMissing": True}, expect=201)
        self.assertEqual(body["credentials"], ["later"])
        status, data, _ = self.proxy("later", token=body["apiKey"])
        self.assertEqual(status, 404, data)
        self.call_as(self.key, "POST", "/secrets", {
            "name": "later", "type": "API_KEY", "value": "later-secret-value-1234",
            "allowedHosts": ["127.0.0.1"]}, expect=201)
        status, data, _ = self.proxy("later", token=body["apiKey"])
        self.assertEqual(status, 200, data)
        self.assertEqual(self.upstream.requests[-1]["headers"]["Authorization"],
                         "Bearer later-secret-value-1234")

    def test_calls_are_audited_and_counted_without_secrets_or_query(self):
        self.proxy("query", path="/echo?token=hidden-query-value")
        events = self.call_as(self.key, "GET", "/audit-events?action=proxy.request&limit=100")["data"]
        mine = [e for e in events if e["resource"] == "query"]
        self.assertTrue(mine)
        d = mine[0]["details"]
        self.assertEqual(d["host"], "127.0.0.1")
        self.assertEqual(d["path"], "/echo")
        self.assertEqual(d["status"], "200")
        self.assertEqual(d["method"], "GET")
        for k in ("latency_ms", "bytes_in", "bytes_out"):
            self.assertIn(k, d)
        text = json.dumps(events)
        self.assertNotIn("hidden-query-value", text)
        for p in PLANTED:
            self.assertNotIn(p, text)
        info = self.call_as(self.key, "GET", "/secrets/query")
        self.assertGreaterEqual(info["useCount"], 1)
        self.assertTrue(info["lastUsedAt"])
        creds = self.call_as(self.key, "GET", "/credentials")
        self.assertTrue(creds["hasOpenaiApiKey"])
        self.assertEqual(creds["openaiApiKeyLast4"], OPENAI[-4:])
        self.assertFalse(creds["hasGoogleApiKey"])
        self.assertIsNone(creds["googleApiKeyLast4"])

    def test_bad_input_is_400_with_the_field_named_and_changes_nothing(self):
        before = self.call_as(self.key, "GET", "/credentials")
        body = self.call_as(self.key, "PUT", "/credentials",
                            {"groqApiKey": "gsk-valid-key-000000", "fooApiKey": "x" * 20,
                             "barKey": "y" * 20}, expect=400)
        self.assertIn("fooApiKey", body["error"])
        self.assertIn("barKey", body["error"])
        body = self.call_as(self.key, "PUT", "/credentials",
                            {"groqApiKey": "gsk-valid-key-000000", "mistralApiKey": "short"},
                            expect=400)
        self.assertIn("mistralApiKey", body["error"])
        body = self.call_as(self.key, "PUT", "/credentials", {"openaiApiKey": "sk-\u0001-bad-000000"},
                            expect=400)
        self.assertIn("control", body["error"])
        self.assertEqual(self.call_as(self.key, "GET", "/credentials"), before)
        for bad, field in (({"name": "x1", "type": "NOPE", "value": "v", "allowedHosts": ["a.test"]}, "type"),
                           ({"name": "x2", "type": "API_KEY", "value": "v"}, "allowedHosts"),
                           ({"name": "x3", "type": "API_KEY", "allowedHosts": ["a.test"]}, "value"),
                           ({"name": "x4", "type": "API_KEY", "value": "v", "allowedHosts": ["a.test"],
                             "extra": 1}, "extra"),
                           ({"name": "x5", "type": "BASIC_AUTH", "username": "u",
                             "allowedHosts": ["a.test"]}, "password"),
                           ({"name": "x6", "type": "API_KEY", "value": "v",
                             "allowedHosts": ["a.test/path"]}, "allowedHosts")):
            body = self.call_as(self.key, "POST", "/secrets", bad, expect=400)
            self.assertIn(field, body["error"], bad)
            self.call_as(self.key, "GET", "/secrets/" + bad["name"], expect=404)
        self.call_as(self.key, "POST", "/secrets",
                     {"name": "bearer", "type": "API_KEY", "value": "v" * 20,
                      "allowedHosts": ["a.test"]}, expect=409)
        self.call_as(self.other_key, "PUT", "/secrets/bearer",
                     {"value": "overwrite-attempt-0000"}, expect=404)
        self.call_as(self.other_key, "DELETE", "/secrets/bearer", expect=404)
        self.call_as(self.other_key, "GET", "/secrets/bearer", expect=404)
        self.assertEqual(self.call_as(self.other_key, "GET", "/secrets")["data"], [])
        self.assertFalse(self.call_as(self.other_key, "GET", "/credentials")["hasOpenaiApiKey"])
        self.assertEqual(self.call_as(self.key, "GET", "/secrets/bearer")["version"], 1)

    def test_replacing_a_secret_takes_effect_at_once(self):
        self.call_as(self.key, "POST", "/secrets",
                     {"name": "rotating", "type": "API_KEY", "value": "planted-rotating-one",
                      "allowedHosts": ["127.0.0.1"]}, expect=201)
        self.proxy("rotating")
        self.assertEqual(self.last_upstream()["headers"]["Authorization"],
                         "Bearer planted-rotating-one")
        info = self.call_as(self.key, "PUT", "/secrets/rotating", {"value": "planted-rotating-two"})
        self.assertEqual(info["version"], 2)
        self.proxy("rotating")
        self.assertEqual(self.last_upstream()["headers"]["Authorization"],
                         "Bearer planted-rotating-two")
        self.call_as(self.key, "DELETE", "/secrets/rotating")
        status, _, _ = self.proxy("rotating")
        self.assertEqual(status, 404)

    def test_zz_planted_secrets_appear_nowhere_but_the_upstream(self):
        # Runs last (alphabetical order): every response so far, the log,
        # and every file in the data dir.
        for status, body, headers in self.responses:
            for p in PLANTED:
                self.assertNotIn(p, body)
                self.assertNotIn(p, headers)
        log = self.server.stderr()
        self.assertIn('"event":"request"', log)
        for p in PLANTED:
            self.assertNotIn(p, log)
        stored = self.server.stored_bytes()
        for p in PLANTED:
            self.assertNotIn(p.encode(), stored)


if __name__ == "__main__":
    unittest.main()
