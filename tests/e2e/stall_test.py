"""Network threads never wait: while a provider's token endpoint (or an
upstream behind the proxy) stalls for 10 s under 16 requests, public reads
(JWKS, /healthz) keep answering fast. latchkeyd runs with its default two
network threads, which 16 blocked handlers would otherwise hold."""
import datetime
import http.client
import json
import os
import tempfile
import threading
import time
import unittest

from fake_oauth import CLIENT_SECRETS, DIALECTS, FakeProviders, client_id
from oauth_test import APP, browse, query_of, wait_until
from server import Server

STALL = 10.0     # seconds the provider or upstream holds each request
HUNG = 8         # requests of each kind left hanging on it
READS = 1000     # public requests measured meanwhile
P99_MS = 50.0


def expired(token):
    at = datetime.datetime.fromisoformat(token["expiresAt"].replace("Z", "+00:00"))
    return at.timestamp() <= time.time()


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


class StallTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fake = FakeProviders()
        cls.tmp = tempfile.TemporaryDirectory(prefix="latchkey-stall-")
        providers = os.path.join(cls.tmp.name, "providers.json")
        with open(providers, "w") as f:
            json.dump(cls.fake.providers_file(), f)
        cls.server = Server(data_dir=os.path.join(cls.tmp.name, "data"), args=[
            "--oauth-providers-file", providers, "--threads", "2", "--rate-limit-per-address", "0",
            "--proxy-allow-http", "127.0.0.1", "--proxy-allow-private", "127.0.0.1/32"])
        cls.server.start()
        admin = cls.server.read_admin_key()
        status, body, _ = cls.server.request("POST", "/admin/accounts", admin, {"name": "acme"})
        assert status == 201, body
        cls.account = body["id"]
        cls.key = body["apiKey"]
        cls.call("POST", "/certificates", {"name": "signing"}, 201)
        cls.call("PUT", "/oauth/providers/google",
                 {"clientId": client_id("google"), "clientSecret": CLIENT_SECRETS["google"]})
        cls.call("PUT", "/oauth/redirect-uris", {"redirectUris": [APP]})

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        cls.fake.close()
        cls.tmp.cleanup()

    @classmethod
    def call(cls, method, path, body=None, expect=200):
        status, parsed, _ = cls.server.request(method, path, cls.key, body)
        if status != expect:
            raise AssertionError("%s %s: %d %s" % (method, path, status, parsed))
        return parsed

    def connect(self, identifier):
        s = self.call("POST", "/auth/sessions", {
            "provider": "google", "identifierId": identifier, "redirectUri": APP}, 201)
        return s["url"]

    def measure_public_reads(self):
        """READS requests (JWKS and /healthz alternately) over two keep-alive
        connections; returns every latency in ms."""
        paths = ["/accounts/%s/.well-known/jwks.json" % self.account, "/healthz"]
        latencies = []
        errors = []
        lock = threading.Lock()

        def reader(offset):
            conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
            for i in range(READS // 2):
                started = time.monotonic()
                conn.request("GET", paths[(i + offset) % 2])
                resp = conn.getresponse()
                resp.read()
                ms = (time.monotonic() - started) * 1000
                with lock:
                    latencies.append(ms)
                    if resp.status != 200:
                        errors.append(resp.status)
            conn.close()

        threads = [threading.Thread(target=reader, args=(k,)) for k in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(len(latencies), READS)
        return latencies

    def hang(self, work):
        """Runs each callable of `work` on its own thread; returns the
        threads and the list their results land in."""
        results = []
        lock = threading.Lock()

        def run(fn):
            value = fn()
            with lock:
                results.append(value)

        threads = [threading.Thread(target=run, args=(fn,), daemon=True) for fn in work]
        for t in threads:
            t.start()
        return threads, results

    def check_reads_while(self, stalled, threads, label):
        """Measures while `stalled` requests hang at the fake; they must
        all still be hanging when the measurement ends."""
        wait_until(lambda: self.fake.stalled >= stalled, timeout=20,
                   what="%d requests stalled at the provider" % stalled)
        started = time.monotonic()
        latencies = self.measure_public_reads()
        elapsed = time.monotonic() - started
        self.assertTrue(all(t.is_alive() for t in threads), "the stalled requests ended early")
        self.assertGreaterEqual(self.fake.stalled, stalled)
        p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
        print("\n%s: %d public reads in %.2f s (%.0f req/s), p50 %.1f ms, p99 %.1f ms, max %.1f ms"
              % (label, READS, elapsed, READS / elapsed, p50, p99, max(latencies)))
        self.assertLess(p99, P99_MS)

    def test_callbacks_and_refreshes_stalled_at_the_provider(self):
        # Eight stored tokens that live one second: the background refresher
        # keeps them fresh while the provider answers at once.
        self.fake.expires_in["google"] = 1
        token_ids = []
        for i in range(HUNG):
            status, location, body = browse(self.connect("due-%d" % i))
            self.assertEqual(status, 302, body)
            token_ids.append(query_of(location)["tokenId"])
        urls = [self.connect("stalled-%d" % i) for i in range(HUNG)]
        self.fake.refresh_delay = STALL
        try:
            # Now the refresher's next pass hangs at the provider, and the
            # tokens it has not reached expire: each access-token call below
            # must refresh (or join the refresh in flight), and wait.
            wait_until(lambda: self.fake.stalled >= 1, what="the refresher to stall")
            wait_until(lambda: all(expired(t) for t in self.stored(token_ids)),
                       what="the tokens to expire")
            work = [lambda t=t: self.get_status("/oauth-tokens/%s/access-token" % t)
                    for t in token_ids]
            work += [lambda u=u: browse(u, timeout=6 * STALL)[1] for u in urls]
            threads, results = self.hang(work)
            self.check_reads_while(2 * HUNG, threads, "provider stalled")
        finally:
            self.fake.refresh_delay = 0
        for t in threads:
            t.join(timeout=3 * STALL)
        self.fake.expires_in["google"] = 3600
        # They waited for the provider, not for a refusal: every callback
        # connected its user and every refresh gave a token.
        callbacks = [r for r in results if isinstance(r, str)]
        self.assertEqual(len(callbacks), HUNG)
        for location in callbacks:
            self.assertEqual(query_of(location).get("status"), "success", location)
        self.assertEqual(sorted(r for r in results if isinstance(r, int)), [200] * HUNG)

    def get_status(self, path, headers=None):
        """GET with the account's key and a timeout past the stall."""
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=6 * STALL)
        conn.request("GET", path, headers=dict(headers or {}, Authorization="Bearer " + self.key))
        resp = conn.getresponse()
        resp.read()
        conn.close()
        return resp.status

    def stored(self, token_ids):
        return [t for t in self.call("GET", "/oauth-tokens?limit=1000")["data"]
                if t["id"] in token_ids]

    def test_proxy_calls_stalled_upstream_with_an_oauth_credential(self):
        status, location, body = browse(self.connect("proxy-user"))
        self.assertEqual(status, 302, body)
        token_id = query_of(location)["tokenId"]

        def proxied():
            return self.get_status("/v1/proxy", {
                "X-Oauth-Token-Id": token_id, "X-Target-Url": self.fake.base + "/api/me"})

        self.fake.api_delay = STALL
        try:
            threads, results = self.hang([proxied] * HUNG)
            self.check_reads_while(HUNG, threads, "upstream stalled")
        finally:
            self.fake.api_delay = 0
        for t in threads:
            t.join(timeout=3 * STALL)
        self.assertEqual(results, [200] * HUNG)


if __name__ == "__main__":
    unittest.main()
