"""Prometheus metrics end to end: the real latchkeyd with --metrics-token and
--metrics-listen, driven over real sockets (and proxying to a real upstream
HTTP server on 127.0.0.1), every exposition checked by promtool (Debian's
prometheus package, a tool we did not write) and parsed here to check that
counters move by exactly the calls made, that the endpoints are guarded as
documented, that no tenant data reaches a label, and that process_* values
agree with /proc."""
import http.client
import json
import math
import os
import re
import socket
import subprocess
import threading
import time
import unittest

from server import Server
from usage_test import MeteredUpstream

PROMTOOL = "/usr/bin/promtool"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
TOKEN = "metrics-token-Qx7pL2vR9sT4wY8z"
# Upstreams listen on 127.0.0.1 over plain http.
ALLOW_LOOPBACK = ["--proxy-allow-http", "127.0.0.1", "--proxy-allow-private", "127.0.0.1/32"]

# Planted values that no label may carry.
ACCOUNT_NAME = "marker-account-name-h8d2"
SECRET_NAME = "marker-secret-name-m3k9"
SECRET_VALUE = "marker-secret-value-Zr5tV1qW8e"
DENIED_NAME = "marker-denied-name-p4x1"
UNKNOWN_CREDENTIAL = "marker-nosuch-cred-j2b7"
KEY_NAME = "marker-key-name-c5n6"
PATH_MARKER = "marker-abc123"
QUERY_MARKER = "marker-query-q7w2e9"
ROUTE_MARKER = "marker-route-u1y3"

METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"}


def wait_until(predicate, timeout=10, what="condition"):
    """Polls an observable condition (real time passes in the server)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)')
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$")


def unescape(value):
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), value)


class Exposition:
    """A parsed text exposition: samples by (name, labels), and the TYPE of
    each family. Raises on a line it cannot read."""

    def __init__(self, text):
        self.text = text
        self.samples = {}
        self.types = {}
        for line in text.splitlines():
            if not line.strip():
                continue
            if line.startswith("#"):
                parts = line.split(None, 3)
                if len(parts) >= 4 and parts[1] == "TYPE":
                    self.types[parts[2]] = parts[3]
                continue
            m = SAMPLE.match(line)
            if not m:
                raise AssertionError("unreadable exposition line: %r" % line)
            labels = {}
            rest = m.group(2) or ""
            while rest:
                lm = LABEL.match(rest)
                if not lm:
                    raise AssertionError("unreadable labels in: %r" % line)
                labels[lm.group(1)] = unescape(lm.group(2))
                rest = rest[lm.end():]
            key = (m.group(1), frozenset(labels.items()))
            if key in self.samples:
                raise AssertionError("duplicate series: %r" % line)
            self.samples[key] = float(m.group(3))

    def get(self, name, default=0.0, **labels):
        return self.samples.get((name, frozenset(labels.items())), default)

    def series(self, name):
        """{frozenset(labels): value} for one sample name."""
        return {labels: v for (n, labels), v in self.samples.items() if n == name}

    def label_values(self):
        return [v for (_, labels) in self.samples for _, v in labels]


def promtool(text):
    """promtool check metrics: (exit code, everything it printed)."""
    out = subprocess.run([PROMTOOL, "check", "metrics"], input=text.encode(), capture_output=True,
                         timeout=30)
    return out.returncode, (out.stdout + out.stderr).decode(errors="replace")


class Upstream(MeteredUpstream):
    """usage_test's upstream (/status/{code}/{length} answers `length`
    bytes), with the request paths in order."""

    def __init__(self):
        super().__init__()
        self.url = self.origin

    def paths(self):
        with self.lock:
            return [r["path"] for r in self.requests]


def metrics_port(server):
    """The --metrics-listen port from the line latchkeyd printed."""
    m = re.search(r"^metrics on http://127\.0\.0\.1:(\d+)/metrics$", server.stdout, re.M)
    if not m:
        raise AssertionError("no metrics line in: " + server.stdout)
    return int(m.group(1))


def http_get(port, path, method="GET", headers=None, timeout=10):
    """(status, headers message, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.msg, resp.read()
    finally:
        conn.close()


class MetricsTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.upstream = Upstream()
        cls.started_before = time.time()
        cls.server = Server(args=ALLOW_LOOPBACK + ["--metrics-token", TOKEN,
                                                   "--metrics-listen", "127.0.0.1:0"]).start()
        cls.started_after = time.time()
        cls.admin = cls.server.read_admin_key()
        cls.metrics_port = metrics_port(cls.server)
        # Everything a tenant owns, to look for in the exposition later.
        cls.planted = [TOKEN, cls.admin, ACCOUNT_NAME, SECRET_NAME, SECRET_VALUE, DENIED_NAME,
                       UNKNOWN_CREDENTIAL, KEY_NAME, PATH_MARKER, QUERY_MARKER, ROUTE_MARKER]
        acme = cls.call(cls.admin, "POST", "/admin/accounts", {"name": ACCOUNT_NAME}, 201)
        beta = cls.call(cls.admin, "POST", "/admin/accounts", {"name": ACCOUNT_NAME + "-beta"}, 201)
        cls.account, cls.key = acme["id"], acme["apiKey"]
        cls.beta_key = beta["apiKey"]
        cls.planted += [acme["id"], acme["apiKey"], acme["apiKeyId"],
                        beta["id"], beta["apiKey"], beta["apiKeyId"]]
        extra = cls.call(cls.key, "POST", "/api-keys",
                         {"name": KEY_NAME, "scopes": ["certificates:read"]}, 201)
        cls.planted += [extra["id"], extra["apiKey"]]
        # acme signs with ES256, beta with RS256; acme has three certificates.
        cls.cert_ids = []
        for _ in range(2):
            cert = cls.call(cls.key, "POST", "/certificates", {"name": "exported",
                                                               "algorithm": "ES256"}, 201)
            cls.cert_ids.append(cert["id"])
            cls.planted += [cert["id"], cert["kid"]]
        cert = cls.call(cls.key, "POST", "/certificates",
                        {"name": "signer", "algorithm": "ES256", "custody": "managed"}, 201)
        cls.cert_ids.append(cert["id"])
        cls.signing_kid = cert["kid"]
        cls.planted += [cert["id"], cert["kid"]]
        cert = cls.call(cls.beta_key, "POST", "/certificates",
                        {"name": "signer", "algorithm": "RS256", "custody": "managed"}, 201)
        cls.planted += [cert["id"], cert["kid"]]
        secret = cls.call(cls.key, "POST", "/secrets",
                          {"name": SECRET_NAME, "type": "API_KEY", "value": SECRET_VALUE,
                           "allowedHosts": ["127.0.0.1"], "baseUrl": cls.upstream.url}, 201)
        denied = cls.call(cls.key, "POST", "/secrets",
                          {"name": DENIED_NAME, "type": "API_KEY", "value": SECRET_VALUE + "-2",
                           "allowedHosts": ["*.example.com"]}, 201)
        cls.planted += [secret["id"], denied["id"]]

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        cls.upstream.close()

    @classmethod
    def call(cls, token, method, path, body=None, expect=200, headers=None):
        status, parsed, _ = cls.server.request(method, path, token, body, headers)
        assert status == expect, (method, path, status, parsed)
        return parsed

    # Scrapes.

    def scrape_main(self):
        status, headers, body = http_get(self.server.port, "/metrics",
                                         headers={"Authorization": "Bearer " + TOKEN})
        self.assertEqual(status, 200, body[:300])
        self.assertEqual(headers["Content-Type"], CONTENT_TYPE)
        return body.decode()

    def scrape_listener(self):
        status, headers, body = http_get(self.metrics_port, "/metrics")
        self.assertEqual(status, 200, body[:300])
        self.assertEqual(headers["Content-Type"], CONTENT_TYPE)
        return body.decode()

    def settled(self):
        """A scrape once every request answered so far is counted: two
        scrapes in a row (the listener's own are not counted) agree on every
        latchkey_ counter and histogram count."""
        previous = [None]

        def stable():
            e = Exposition(self.scrape_listener())
            counts = {k: v for k, v in e.samples.items()
                      if (k[0].startswith("latchkey_") and e.types.get(k[0]) == "counter")
                      or k[0].endswith("_count")}
            same = counts == previous[0]
            previous[0] = counts
            return e if same else None

        return wait_until(stable, what="counters to settle")

    def scrape_once_moved(self, before, key, timeout=10):
        """The first scrape where sample `key` grew since `before`, or the
        last one tried when it did not within `timeout` seconds."""
        last = [None]

        def moved():
            last[0] = Exposition(self.scrape_listener())
            return last[0].samples.get(key, 0) > before.samples.get(key, 0)

        try:
            wait_until(moved, timeout=timeout, what="%s to move" % (key,))
        except AssertionError:
            pass
        return last[0]

    # Driving.

    def proxy_v1(self, credential, path, body=b"", token=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=15)
        try:
            conn.request("POST", "/v1/proxy", body=body, headers={
                "Authorization": "Bearer " + (token or self.key),
                "X-Target-Url": self.upstream.url + path, "X-Credential-Name": credential})
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def proxy_path(self, credential, path, body=b"", token=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=15)
        try:
            conn.request("POST", "/proxy/%s%s" % (credential, path), body=body,
                         headers={"Authorization": "Bearer " + (token or self.key)})
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def exercise_a_spread_of_routes(self):
        self.call(self.key, "POST", "/certificates", {"name": "spread", "algorithm": "ES256"}, 201)
        self.call(self.key, "GET", "/certificates")
        self.call(self.key, "GET", "/certificates/" + self.cert_ids[0])
        self.call(self.key, "GET", "/certificates/public/" + self.signing_kid)
        self.call(self.key, "GET", "/accounts/%s/.well-known/jwks.json" % self.account)
        signed = self.call(self.key, "POST", "/tokens", {"expiresIn": 60})
        self.call(self.beta_key, "POST", "/tokens", {"expiresIn": 60})
        self.call(self.key, "POST", "/tokens/verify", {"token": signed["token"]})
        self.assertEqual(self.proxy_v1(SECRET_NAME, "/status/200/10", b"hello")[0], 200)
        self.assertEqual(self.proxy_path(SECRET_NAME, "/status/200/20", b"hello")[0], 200)
        self.assertEqual(self.proxy_v1(DENIED_NAME, "/status/200/10")[0], 403)
        self.call(self.key, "GET", "/no-such-route/" + ROUTE_MARKER, expect=404)
        self.call(None, "GET", "/certificates", expect=401)
        self.call(self.key, "DELETE", "/tokens", expect=405)
        self.call(self.key, "GET", "/healthz")
        return signed

    # 1. promtool.

    def test_both_scrapes_pass_promtool_after_a_spread_of_routes(self):
        self.exercise_a_spread_of_routes()
        self.scrape_main()  # so that the next one counts a /metrics request
        for where, text in (("main listener", self.scrape_main()),
                            ("metrics listener", self.scrape_listener())):
            code, output = promtool(text)
            self.assertEqual((code, output), (0, ""), "promtool on the %s's exposition:\n%s\n%s"
                             % (where, output, text))
            e = Exposition(text)
            types = {
                "latchkey_http_requests_total": "counter",
                "latchkey_http_request_duration_seconds": "histogram",
                "latchkey_proxy_requests_total": "counter",
                "latchkey_proxy_bytes_total": "counter",
                "latchkey_proxy_upstream_duration_seconds": "histogram",
                "latchkey_tokens_signed_total": "counter",
                "latchkey_key_pool_ready_keys": "gauge",
                "latchkey_key_pool_takes_total": "counter",
                "latchkey_audit_queue_events": "gauge",
                "latchkey_database_connections": "gauge",
                "latchkey_worker_pool_jobs": "gauge",
                "process_start_time_seconds": "gauge",
                "process_resident_memory_bytes": "gauge",
                "process_virtual_memory_bytes": "gauge",
                "process_open_fds": "gauge",
                "process_threads": "gauge",
                "process_cpu_seconds_total": "counter",
            }
            for name, kind in types.items():
                self.assertEqual(e.types.get(name), kind, (where, name))
            # What the spread must have produced, by route template.
            for route, method, code in (("/certificates/{id}", "GET", "2xx"),
                                        ("/certificates", "GET", "4xx"),
                                        ("/certificates", "POST", "2xx"),
                                        ("/tokens", "POST", "2xx"),
                                        ("/v1/proxy", "POST", "2xx"),
                                        ("/v1/proxy", "POST", "4xx"),
                                        ("/proxy/{credential}/{path...}", "POST", "2xx"),
                                        ("/metrics", "GET", "2xx"),
                                        ("unmatched", "GET", "4xx"),
                                        ("unmatched", "DELETE", "4xx")):
                self.assertGreaterEqual(e.get("latchkey_http_requests_total", route=route,
                                              method=method, code=code), 1,
                                        (where, route, method, code))
            for outcome, code in (("success", "2xx"), ("denied", "none")):
                self.assertGreaterEqual(e.get("latchkey_proxy_requests_total",
                                              credential_type="key", outcome=outcome, code=code),
                                        1, (where, outcome))
            self.assertGreaterEqual(e.get("latchkey_tokens_signed_total", algorithm="ES256"), 1)
            self.assertGreaterEqual(e.get("latchkey_tokens_signed_total", algorithm="RS256"), 1)
            # Bounded label values.
            for labels in e.series("latchkey_http_requests_total"):
                d = dict(labels)
                self.assertEqual(set(d), {"route", "method", "code"})
                self.assertTrue(d["route"] == "unmatched" or d["route"].startswith("/"), d)
                self.assertIn(d["method"], METHODS)
                self.assertRegex(d["code"], r"^[1-5]xx$")
            for labels in e.series("latchkey_proxy_requests_total"):
                d = dict(labels)
                self.assertIn(d["credential_type"], {"key", "oauth"})
                self.assertIn(d["outcome"], {"success", "failure", "denied"})
                self.assertRegex(d["code"], r"^([1-5]xx|none)$")
            self.check_histograms(e, where)

    def check_histograms(self, e, where):
        """Cumulative buckets that end in +Inf equal to _count; _sum >= 0."""
        for name, kind in e.types.items():
            if kind != "histogram":
                continue
            counts = e.series(name + "_count")
            self.assertTrue(counts, (where, name))
            for labels, count in counts.items():
                buckets = sorted(
                    (float(dict(b)["le"]), v) for b, v in e.series(name + "_bucket").items()
                    if frozenset((k, v2) for k, v2 in b if k != "le") == labels)
                self.assertTrue(buckets, (where, name, labels))
                self.assertEqual(buckets[-1][0], math.inf, (where, name, labels))
                self.assertEqual(buckets[-1][1], count, (where, name, labels))
                values = [v for _, v in buckets]
                self.assertEqual(values, sorted(values), (where, name, labels))
                self.assertGreaterEqual(e.get(name + "_sum", -1.0, **dict(labels)), 0)

    # 2. Exact deltas.

    def test_counters_move_by_exactly_the_calls_made(self):
        before = self.settled()
        upstream_before = len(self.upstream.paths())

        errors = []

        def list_certificates():
            try:
                self.call(self.key, "GET", "/certificates")
            except AssertionError as e:
                errors.append(e)

        threads = [threading.Thread(target=list_certificates) for _ in range(7)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        for cert_id in self.cert_ids:
            self.assertEqual(self.call(self.key, "GET", "/certificates/" + cert_id)["id"], cert_id)
        self.call(self.key, "GET", "/no-such-route", expect=404)
        self.call(self.key, "GET", "/certificates-but-not/quite", expect=404)
        for _ in range(3):
            self.call(self.key, "POST", "/tokens", {"expiresIn": 60})
        for _ in range(2):
            self.call(self.beta_key, "POST", "/tokens", {"expiresIn": 60})
        sent = [17, 250, 1000, 4096]
        answered = [5, 123, 2048, 10000]
        for i, (out, back) in enumerate(zip(sent, answered)):
            send = self.proxy_v1 if i % 2 == 0 else self.proxy_path
            status, data = send(SECRET_NAME, "/status/200/%d" % back, b"b" * out)
            self.assertEqual((status, len(data)), (200, back))
        got = self.upstream.paths()[upstream_before:]
        self.assertEqual(sorted(got), sorted("/status/200/%d" % n for n in answered))

        requests = {
            ("/certificates", "GET", "2xx"): 7,
            ("/certificates/{id}", "GET", "2xx"): 3,
            ("unmatched", "GET", "4xx"): 2,
            ("/tokens", "POST", "2xx"): 5,
            ("/v1/proxy", "POST", "2xx"): 2,
            ("/proxy/{credential}/{path...}", "POST", "2xx"): 2,
        }
        expected = {("latchkey_http_requests_total",
                     frozenset({"route": r, "method": m, "code": c}.items())): n
                    for (r, m, c), n in requests.items()}
        expected.update({
            ("latchkey_tokens_signed_total", frozenset({("algorithm", "ES256")})): 3,
            ("latchkey_tokens_signed_total", frozenset({("algorithm", "RS256")})): 2,
            ("latchkey_proxy_requests_total", frozenset(
                {"credential_type": "key", "outcome": "success", "code": "2xx"}.items())): 4,
            ("latchkey_proxy_bytes_total", frozenset(
                {"credential_type": "key", "direction": "out"}.items())): sum(sent),
            ("latchkey_proxy_bytes_total", frozenset(
                {"credential_type": "key", "direction": "in"}.items())): sum(answered),
            ("latchkey_proxy_upstream_duration_seconds_count",
             frozenset({("credential_type", "key")})): 4,
        })
        for (r, m, _), n in requests.items():
            expected[("latchkey_http_request_duration_seconds_count",
                      frozenset({"route": r, "method": m}.items()))] = n
            expected[("latchkey_http_request_duration_seconds_bucket",
                      frozenset({"route": r, "method": m, "le": "+Inf"}.items()))] = n

        def delta(after, key):
            return after.samples.get(key, 0.0) - before.samples.get(key, 0.0)

        # Counted as each response finishes: wait until all are in, then
        # compare exactly (any extra shows up as a difference).
        def all_in():
            e = Exposition(self.scrape_listener())
            return e if all(delta(e, k) >= n for k, n in expected.items()) else None

        try:
            after = wait_until(all_in, what="the calls to be counted")
        except AssertionError:
            after = Exposition(self.scrape_listener())
        watched = ("latchkey_http_requests_total", "latchkey_tokens_signed_total",
                   "latchkey_proxy_requests_total", "latchkey_proxy_bytes_total",
                   "latchkey_proxy_upstream_duration_seconds_count",
                   "latchkey_http_request_duration_seconds_count")
        keys = {k for k in list(before.samples) + list(after.samples) if k[0] in watched}
        keys |= set(expected)
        got = {self.describe(k): delta(after, k) for k in keys if delta(after, k) != 0
               or k in expected}
        want = {self.describe(k): float(n) for k, n in expected.items()}
        self.assertEqual(got, want)
        # The histogram counts moved with the counter, per route and method.
        for labels, _ in after.series("latchkey_http_request_duration_seconds_count").items():
            d = dict(labels)
            counted = sum(delta(after, k) for k in keys
                          if k[0] == "latchkey_http_requests_total"
                          and dict(k[1])["route"] == d["route"]
                          and dict(k[1])["method"] == d["method"])
            self.assertEqual(delta(after, ("latchkey_http_request_duration_seconds_count",
                                           labels)), counted, d)

    @staticmethod
    def describe(key):
        name, labels = key
        return name + "{" + ",".join('%s="%s"' % kv for kv in sorted(labels)) + "}"

    # 3. Who may read them.

    def test_the_main_listener_wants_the_bearer_token(self):
        import base64
        for auth in (None, "Bearer wrong-token-0123456789", "Bearer " + TOKEN[:-1],
                     "Bearer " + TOKEN + "x", "Bearer", "Bearer " + self.key,
                     "Basic " + TOKEN,
                     "Basic " + base64.b64encode(("metrics:" + TOKEN).encode()).decode(),
                     TOKEN):
            status, headers, body = http_get(self.server.port, "/metrics",
                                             headers={"Authorization": auth} if auth else {})
            self.assertEqual(status, 401, auth)
            self.assertEqual(headers.get_all("WWW-Authenticate"), ["Bearer"], auth)
            self.assertTrue(headers["Content-Type"].startswith("application/json"), auth)
            parsed = json.loads(body)
            self.assertEqual(set(parsed), {"error", "code", "status"}, auth)
            self.assertEqual((parsed["code"], parsed["status"]), ("UNAUTHORIZED", 401), auth)
            self.assertNotIn(b"latchkey_", body)
        text = self.scrape_main()
        self.assertIn("# TYPE latchkey_http_requests_total counter", text)
        status, headers, body = http_get(self.server.port, "/metrics", method="HEAD",
                                         headers={"Authorization": "Bearer " + TOKEN})
        self.assertEqual((status, body), (200, b""))
        self.assertEqual(headers["Content-Type"], CONTENT_TYPE)

    def test_the_metrics_listener_serves_only_metrics_and_without_auth(self):
        lines = self.server.stdout.splitlines()
        metrics_line = [i for i, l in enumerate(lines) if l.startswith("metrics on http://")]
        listening_line = [i for i, l in enumerate(lines) if l.startswith("listening on ")]
        self.assertEqual(len(metrics_line), 1, lines)
        self.assertLess(metrics_line[0], listening_line[0], lines)
        self.assertNotEqual(self.metrics_port, self.server.port)

        status, headers, body = http_get(self.metrics_port, "/metrics")
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], CONTENT_TYPE)
        self.assertIn(b"# TYPE latchkey_http_requests_total counter", body)
        status, headers, body = http_get(self.metrics_port, "/metrics",
                                         headers={"Authorization": "Bearer wrong-token-000000"})
        self.assertEqual(status, 200)
        status, headers, body = http_get(self.metrics_port, "/metrics", method="HEAD")
        self.assertEqual((status, body), (200, b""))
        self.assertEqual(headers["Content-Type"], CONTENT_TYPE)
        self.assertGreater(int(headers["Content-Length"]), 0)
        for path in ("/other", "/", "/metrics/x", "/healthz", "/certificates"):
            status, headers, body = http_get(self.metrics_port, path,
                                             headers={"Authorization": "Bearer " + self.key})
            self.assertEqual(status, 404, path)
            self.assertTrue(headers["Content-Type"].startswith("application/json"), path)
            parsed = json.loads(body)
            self.assertEqual((parsed["code"], parsed["status"]), ("NOT_FOUND", 404), path)
            self.assertIn("error", parsed)

    def test_without_a_token_the_main_listener_answers_404(self):
        for args in ([], ["--metrics-listen", "127.0.0.1:0"]):
            other = Server(args=args).start()
            try:
                for auth in ({}, {"Authorization": "Bearer " + TOKEN}):
                    status, headers, body = http_get(other.port, "/metrics", headers=auth)
                    self.assertEqual(status, 404, (args, auth))
                    parsed = json.loads(body)
                    self.assertEqual((parsed["code"], parsed["status"]), ("NOT_FOUND", 404))
                    self.assertNotIn(b"latchkey_", body)
                if args:
                    status, headers, body = http_get(metrics_port(other), "/metrics")
                    self.assertEqual(status, 200)
                    self.assertIn(b"process_start_time_seconds", body)
                else:
                    self.assertNotIn("metrics on", other.stdout)
            finally:
                other.cleanup()

    def test_bad_metrics_flags_stop_the_start_with_exit_2(self):
        busy = socket.socket()
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        try:
            cases = [(["--metrics-token", "short-token"], "--metrics-token"),
                     (["--metrics-token", "x" * 15], "--metrics-token"),
                     (["--metrics-token", "has a space in it 0123"], "--metrics-token"),
                     (["--metrics-listen", "nonsense"], "--metrics-listen"),
                     (["--metrics-listen", "127.0.0.1:notaport"], "--metrics-listen"),
                     (["--metrics-listen", "127.0.0.1:%d" % busy.getsockname()[1]],
                      "--metrics-listen")]
            for args, named in cases:
                failing = Server(args=args)
                try:
                    with self.assertRaises(RuntimeError, msg=args):
                        failing.start()
                    failing.stopping = True  # the exit is the expected outcome
                    self.assertEqual(failing.proc.wait(timeout=15), 2, args)
                    self.assertIn(named, failing.stderr(), args)
                    self.assertNotIn("listening on", failing.stdout, args)
                finally:
                    failing.cleanup()
        finally:
            busy.close()
        # Sixteen characters are enough.
        ok = Server(args=["--metrics-token", "0123456789abcdef"]).start()
        try:
            status, _, _ = http_get(ok.port, "/metrics",
                                    headers={"Authorization": "Bearer 0123456789abcdef"})
            self.assertEqual(status, 200)
        finally:
            ok.cleanup()

    # 4. No tenant data.

    def test_no_tenant_data_reaches_a_label(self):
        signed = self.exercise_a_spread_of_routes()
        planted = self.planted + [signed["token"], signed["jti"], signed["kid"]]
        before = len(self.upstream.paths())
        status, _ = self.proxy_path(SECRET_NAME, "/v1/chat/%s?%s=1" % (PATH_MARKER, QUERY_MARKER),
                                    b"{}")
        self.assertEqual(status, 200)
        status, _ = self.proxy_v1(SECRET_NAME, "/v1/chat/%s?q=%s" % (PATH_MARKER, QUERY_MARKER),
                                  b"{}")
        self.assertEqual(status, 200)
        self.assertEqual(self.upstream.paths()[before:],
                         ["/v1/chat/%s?%s=1" % (PATH_MARKER, QUERY_MARKER),
                          "/v1/chat/%s?q=%s" % (PATH_MARKER, QUERY_MARKER)])
        self.assertEqual(self.proxy_v1(DENIED_NAME, "/" + PATH_MARKER)[0], 403)
        self.assertEqual(self.proxy_v1(UNKNOWN_CREDENTIAL, "/" + PATH_MARKER)[0], 404)
        self.assertEqual(self.proxy_path(UNKNOWN_CREDENTIAL, "/" + PATH_MARKER)[0], 404)
        self.call(self.key, "GET", "/secrets/" + SECRET_NAME)
        self.call(self.key, "GET", "/secrets/" + UNKNOWN_CREDENTIAL, expect=404)
        self.call(self.key, "GET", "/certificates/" + self.cert_ids[1] + "?" + QUERY_MARKER + "=1")
        self.call(self.key, "GET", "/%s/%s?%s=1" % (ROUTE_MARKER, self.account, QUERY_MARKER),
                  expect=404)
        self.call(self.key, "GET", "/accounts/%s/.well-known/openid-configuration" % self.account)
        self.call(None, "GET", "/accounts/%s-nope/.well-known/jwks.json" % ROUTE_MARKER,
                  expect=404)
        self.call(self.key + "x", "GET", "/certificates", expect=401)
        self.scrape_main()
        for where, text in (("main listener", self.scrape_main()),
                            ("metrics listener", self.scrape_listener())):
            for p in planted:
                self.assertNotIn(p, text, where)
            for value in Exposition(text).label_values():
                self.assertNotIn("?", value, where)
                self.assertNotRegex(value, r"(acct|cert|key|sec|req)_[a-z0-9]{8,}", where)

    # 5. Process and pool values.

    def test_process_and_pool_values_are_sane(self):
        pid = self.server.proc.pid
        first = Exposition(self.scrape_listener())
        e = Exposition(self.scrape_main())
        with open("/proc/%d/status" % pid) as f:
            status = dict(line.split(":", 1) for line in f if ":" in line)
        rss = int(status["VmRSS"].split()[0]) * 1024
        threads = len(os.listdir("/proc/%d/task" % pid))
        fds = len(os.listdir("/proc/%d/fd" % pid))

        start = e.get("process_start_time_seconds", -1.0)
        # btime in /proc/stat is whole seconds, so allow a little either way.
        self.assertGreaterEqual(start, self.started_before - 2)
        self.assertLessEqual(start, self.started_after + 1)
        self.assertLess(abs(time.time() - start), 60 + (time.time() - self.started_after))
        self.assertGreater(e.get("process_resident_memory_bytes"), 1 << 20)
        self.assertTrue(rss / 2 <= e.get("process_resident_memory_bytes") <= rss * 2,
                        (e.get("process_resident_memory_bytes"), rss))
        self.assertGreaterEqual(e.get("process_virtual_memory_bytes"),
                                e.get("process_resident_memory_bytes"))
        self.assertGreater(e.get("process_open_fds"), 3)
        self.assertLessEqual(abs(e.get("process_open_fds") - fds), 10, fds)
        self.assertGreater(e.get("process_threads"), 2)
        self.assertLessEqual(abs(e.get("process_threads") - threads), 5, threads)
        self.assertGreaterEqual(e.get("process_cpu_seconds_total", -1.0), 0)
        self.assertGreaterEqual(e.get("process_cpu_seconds_total"),
                                first.get("process_cpu_seconds_total"))
        self.assertEqual(e.get("process_start_time_seconds"),
                         first.get("process_start_time_seconds"))

        opened = e.get("latchkey_database_connections", -1.0, state="open")
        in_use = e.get("latchkey_database_connections", -1.0, state="in_use")
        self.assertGreater(opened, 0)
        self.assertTrue(0 <= in_use <= opened, (in_use, opened))
        for state in ("running", "queued"):
            self.assertGreaterEqual(e.get("latchkey_worker_pool_jobs", -1.0, state=state), 0)
        self.assertGreaterEqual(e.get("latchkey_audit_queue_events", -1.0), 0)
        self.assertGreaterEqual(e.get("latchkey_key_pool_ready_keys", -1.0), 0)
        for result in ("hit", "miss"):
            self.assertGreaterEqual(e.get("latchkey_key_pool_takes_total", -1.0, result=result), 0)
        # Certificates were made in setUpClass: at least those took keys.
        self.assertGreaterEqual(e.get("latchkey_key_pool_takes_total", result="hit")
                                + e.get("latchkey_key_pool_takes_total", result="miss"), 4)

    # Found while writing the above: each fails on the build this was
    # written against (see the report that came with it).

    def test_a_denied_proxy_call_counts_no_bytes_sent_upstream(self):
        before = self.settled()
        upstream_before = len(self.upstream.paths())
        status, _ = self.proxy_v1(DENIED_NAME, "/status/200/10", b"d" * 100)
        self.assertEqual(status, 403)
        self.assertEqual(len(self.upstream.paths()), upstream_before)
        denied = ("latchkey_proxy_requests_total",
                  frozenset({"credential_type": "key", "outcome": "denied", "code": "none"}.items()))
        after = self.scrape_once_moved(before, denied)
        self.assertEqual(after.samples.get(denied, 0) - before.samples.get(denied, 0), 1)
        out = ("latchkey_proxy_bytes_total",
               frozenset({"credential_type": "key", "direction": "out"}.items()))
        self.assertEqual(after.samples.get(out, 0) - before.samples.get(out, 0), 0,
                         "a body that never left counted as sent upstream")

    def test_a_request_refused_before_routing_is_counted(self):
        before = self.settled()
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as s:
            s.sendall(b"BREW /certificates HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            answer = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                answer += chunk
        self.assertTrue(answer.startswith(b"HTTP/1.1 400 "), answer[:100])
        key = ("latchkey_http_requests_total",
               frozenset({"route": "unmatched", "method": "other", "code": "4xx"}.items()))
        after = self.scrape_once_moved(before, key, timeout=3)
        self.assertEqual(after.samples.get(key, 0) - before.samples.get(key, 0), 1,
                         "an answered 400 for an unsupported method is not in "
                         "latchkey_http_requests_total")

    def test_a_slow_client_does_not_hold_up_the_metrics_listener(self):
        stop = threading.Event()
        slow = socket.create_connection(("127.0.0.1", self.metrics_port), timeout=10)

        def drip():
            for byte in b"ET /metrics HTTP/1.1\r\nHost: x\r\n":
                if stop.wait(0.5):
                    return
                try:
                    slow.send(bytes([byte]))
                except OSError:
                    return

        # Connected (and so queued for accept) before the scrape below: the
        # scrape must still be answered within a scrape timeout.
        slow.sendall(b"G")
        dripper = threading.Thread(target=drip, daemon=True)
        dripper.start()
        try:
            started = time.time()
            try:
                status, _, _ = http_get(self.metrics_port, "/metrics", timeout=4)
            except socket.timeout:
                status = None
            self.assertEqual(status, 200, "a scrape waited %.1fs behind a client sending a byte "
                             "every 0.5s" % (time.time() - started))
        finally:
            stop.set()
            slow.close()
            dripper.join()


class PerAccountTest(unittest.TestCase):
    """--metrics-per-account (here through its environment variable) adds
    the account id, and only that, to the proxy's series."""

    def test_proxy_series_carry_the_account_id(self):
        upstream = Upstream()
        server = Server(args=ALLOW_LOOPBACK + ["--metrics-listen", "127.0.0.1:0"],
                        env={"LATCHKEY_METRICS_PER_ACCOUNT": "1"}).start()
        try:
            admin = server.read_admin_key()
            calls = {}
            for name, n in ((ACCOUNT_NAME, 2), (ACCOUNT_NAME + "-beta", 1)):
                status, account, _ = server.request("POST", "/admin/accounts", admin,
                                                    {"name": name})
                self.assertEqual(status, 201, account)
                status, secret, _ = server.request(
                    "POST", "/secrets", account["apiKey"],
                    {"name": SECRET_NAME, "type": "API_KEY", "value": SECRET_VALUE,
                     "allowedHosts": ["127.0.0.1"], "baseUrl": upstream.url})
                self.assertEqual(status, 201, secret)
                for _ in range(n):
                    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=15)
                    conn.request("POST", "/v1/proxy", body=b"{}", headers={
                        "Authorization": "Bearer " + account["apiKey"],
                        "X-Target-Url": upstream.url + "/status/200/10",
                        "X-Credential-Name": SECRET_NAME})
                    resp = conn.getresponse()
                    resp.read()
                    conn.close()
                    self.assertEqual(resp.status, 200)
                calls[account["id"]] = n
            port = metrics_port(server)

            def counted():
                e = Exposition(http_get(port, "/metrics")[2].decode())
                got = {dict(labels).get("account"): v for labels, v in
                       e.series("latchkey_proxy_requests_total").items()}
                return e if got == calls else None

            e = wait_until(counted, what="one series per account")
            self.assertEqual(promtool(e.text), (0, ""))
            for account_id, n in calls.items():
                self.assertEqual(e.get("latchkey_proxy_requests_total", credential_type="key",
                                       outcome="success", code="2xx", account=account_id), n)
                self.assertEqual(e.get("latchkey_proxy_upstream_duration_seconds_count",
                                       credential_type="key", account=account_id), n)
                self.assertEqual(e.get("latchkey_proxy_bytes_total", credential_type="key",
                                       direction="out", account=account_id), 2 * n)
            # Only the proxy's families carry it; names and values never.
            for (name, labels) in e.samples:
                if "account" in dict(labels):
                    self.assertTrue(name.startswith("latchkey_proxy_"), name)
            for planted in (ACCOUNT_NAME, SECRET_NAME, SECRET_VALUE):
                self.assertNotIn(planted, e.text)
        finally:
            server.cleanup()
            upstream.close()


if __name__ == "__main__":
    unittest.main()
