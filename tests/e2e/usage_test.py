"""Usage rollups and daily call limits end to end: the real latchkeyd, a
metered upstream and a webhook receiver on loopback (threaded http.server on
127.0.0.1). Covers the hour and day rollups of proxy calls per credential
and per API key (statuses, refusals, bytes, latency), GET /usage's query
checks, daily limits on a credential and on an API key (429 with
Retry-After to 00:00 UTC, nothing sent upstream, one usage.limit_reached
event a day), and isolation between accounts and scopes."""
import http.client
import http.server
import json
import threading
import time
import unittest

from server import Server
from webhooks_test import Receiver, signature, wait_until

ADMIN = "usage-test-admin-key-0001"
# The upstream and the webhook receiver listen on 127.0.0.1 over plain http.
ALLOW_LOOPBACK = ["--proxy-allow-http", "127.0.0.1", "--proxy-allow-private", "127.0.0.1/32"]
LATENCY_BOUNDS_MS = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
COUNT_FIELDS = ("calls", "denied", "errors4xx", "errors5xx", "failures", "bytesIn", "bytesOut",
                "latencyP50Ms", "latencyP95Ms")
BUCKET_FIELDS = {"kind", "subject", "granularity", "bucket"} | set(COUNT_FIELDS)


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def floor(t, unit):
    return int(t) - int(t) % unit


class MeteredUpstream:
    """Answers /status/{code}/{length}[?delay=ms] with that status and a
    body of exactly `length` bytes; records every request it receives."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []
        upstream = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with upstream.lock:
                    upstream.requests.append({"method": self.command, "path": self.path,
                                              "body": body})
                path, _, query = self.path.partition("?")
                parts = path.strip("/").split("/")
                code, size = 200, 2
                if len(parts) >= 3 and parts[-3] == "status":
                    code, size = int(parts[-2]), int(parts[-1])
                if query.startswith("delay="):
                    time.sleep(int(query[len("delay="):]) / 1000.0)  # a slow upstream
                out = b"u" * size
                self.send_response(code)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.origin = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def count(self):
        with self.lock:
            return len(self.requests)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class UsageTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.server = Server(env={"LATCHKEY_ADMIN_KEY": ADMIN}, args=ALLOW_LOOPBACK).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def setUp(self):
        # Counts land in the hour (and UTC day) of the call, and limits
        # reset at 00:00 UTC: keep each test within one hour.
        boundary = floor(time.time(), 3600) + 3600
        if boundary - time.time() < 20:
            wait_until(lambda: time.time() > boundary + 1, timeout=30, what="the next hour")
        self.upstream = MeteredUpstream()
        self.addCleanup(self.upstream.close)

    # Helpers

    def call(self, method, path, key, body=None, expect=200):
        status, parsed, _ = self.server.request(method, path, key, body)
        self.assertEqual(status, expect, (method, path, body, parsed))
        return parsed

    def error(self, method, path, key, body, status, code):
        """A refused request: `status` with the usual error object."""
        parsed = self.call(method, path, key, body, expect=status)
        self.assertEqual(set(parsed), {"error", "code", "status"}, parsed)
        self.assertEqual((parsed["status"], parsed["code"]), (status, code), parsed)
        return parsed

    def new_account(self):
        acct = self.call("POST", "/admin/accounts", ADMIN, {"name": "usage"}, expect=201)
        return acct["id"], acct["apiKey"], acct["apiKeyId"]

    def new_secret(self, key, name, base_url=None):
        body = {"name": name, "type": "API_KEY", "value": "planted-usage-" + name + "-0123456789",
                "allowedHosts": ["127.0.0.1"]}
        if base_url:
            body["baseUrl"] = base_url
        self.call("POST", "/secrets", key, body, expect=201)

    def raw(self, method, path, key, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=15)
        h = dict(headers or {})
        h["Authorization"] = "Bearer " + key
        conn.request(method, path, body=body, headers=h)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp.status, data, resp

    def proxy(self, key, credential, path, method="GET", body=None, target=None):
        """A call through POST/GET /v1/proxy; returns (status, body, response)."""
        return self.raw(method, "/v1/proxy", key, body, {
            "X-Target-Url": (target or self.upstream.origin) + path,
            "X-Credential-Name": credential})

    def proxy_by_path(self, key, credential, path, method="GET", body=None):
        """A call through /proxy/{credential}/{path} (the credential's baseUrl)."""
        return self.raw(method, "/proxy/%s%s" % (credential, path), key, body)

    def usage(self, key, query):
        return self.call("GET", "/usage?" + query, key)["data"]

    def settled_usage(self, key, query, calls):
        """The buckets of `query` once they count `calls` calls in all (the
        counts are written with the audit log's next group commit)."""
        def counted():
            rows = self.usage(key, query)
            return rows if sum(r["calls"] for r in rows) >= calls else None
        return wait_until(counted, timeout=10, what="%d calls in /usage?%s" % (calls, query))

    def limits(self, key):
        return self.call("GET", "/usage/limits", key)["data"]

    def assert_rate_limited(self, status, data, resp):
        self.assertEqual(status, 429, data)
        body = json.loads(data)
        self.assertEqual((body["code"], body["status"]), ("RATE_LIMITED", 429), body)
        retry_after = int(resp.getheader("Retry-After"))
        to_midnight = floor(time.time(), 86400) + 86400 - time.time()
        self.assertLessEqual(abs(retry_after - to_midnight), 5, (retry_after, to_midnight))
        return body

    def limit_hook(self, key):
        rx = Receiver()
        self.addCleanup(rx.close)
        hook = self.call("POST", "/webhooks", key, {"url": rx.url(),
                                                    "events": ["usage.limit_reached"]},
                         expect=201)
        return rx, hook

    def deliveries(self, key, hook_id):
        return self.call("GET", "/webhooks/%s/deliveries?limit=1000" % hook_id, key)["data"]

    def one_limit_event(self, key, rx, hook):
        """The single usage.limit_reached delivery, once delivered: its
        verified payload."""
        # The event is raised in the transaction of the refusal, before the
        # 429 goes out, so every delivery is listed by now.
        listed = self.deliveries(key, hook["id"])
        self.assertEqual([d["type"] for d in listed], ["usage.limit_reached"], listed)
        wait_until(lambda: self.deliveries(key, hook["id"])[0]["state"] == "delivered",
                   what="the usage.limit_reached delivery")
        posts = rx.posts()
        self.assertEqual(len(posts), 1, posts)
        h = posts[0]["headers"]
        self.assertEqual(h["webhook-id"], listed[0]["messageId"])
        self.assertIn(signature(hook["secret"], h["webhook-id"], h["webhook-timestamp"],
                                posts[0]["body"]), h["webhook-signature"].split(" "))
        payload = json.loads(posts[0]["body"])
        self.assertEqual(payload["type"], "usage.limit_reached")
        return payload["data"]

    # 1. Rollups

    def test_proxy_calls_are_counted_by_hour_and_day_per_credential_and_per_key(self):
        _, key, key_id = self.new_account()
        self.new_secret(key, "metered", base_url=self.upstream.origin + "/api")
        # (route, method, status, request body, response length); the 500 is slow.
        calls = [("v1", "POST", 200, b"a" * 100, 1000),
                 ("path", "PUT", 200, b"b" * 37, 250),
                 ("v1", "GET", 404, b"", 64),
                 ("v1", "POST", 500, b"c" * 11, 333),
                 ("path", "GET", 200, b"", 7),
                 ("v1", "PATCH", 201, b"d" * 512, 4096)]
        for route, method, status, body, size in calls:
            path = "/status/%d/%d" % (status, size) + ("?delay=300" if status == 500 else "")
            send = self.proxy if route == "v1" else self.proxy_by_path
            got, data, _ = send(key, "metered", path, method, body or None)
            self.assertEqual((got, len(data)), (status, size), (route, method, path))
        self.assertEqual(self.upstream.count(), 6)
        self.assertEqual([r["path"].startswith("/api/status/") for r in self.upstream.requests],
                         [False, True, False, False, True, False])
        # Two refused before anything is sent: a host the credential may not reach.
        for body in (b"refused-body-" * 10, b"x" * 999):
            status, data, _ = self.proxy(key, "metered", "/status/200/5", "POST", body,
                                         target="https://example.com")
            self.assertEqual(status, 403, data)
            self.assertIn("not an allowed host", json.loads(data)["error"])
        self.assertEqual(self.upstream.count(), 6)

        hour, day = floor(time.time(), 3600), floor(time.time(), 86400)
        hourly = self.settled_usage(key, "credential=metered&granularity=hour", 8)
        daily = self.settled_usage(key, "credential=metered&granularity=day", 8)
        by_key = self.settled_usage(key, "kind=api_key&subject=%s&granularity=hour" % key_id, 8)
        for rows in (hourly, daily, by_key):
            self.assertEqual(len(rows), 1, rows)
            self.assertEqual(set(rows[0]), BUCKET_FIELDS, rows[0])
        self.assertEqual(
            [(r["kind"], r["subject"], r["granularity"], r["bucket"])
             for r in (hourly[0], daily[0], by_key[0])],
            [("credential", "metered", "hour", iso(hour)),
             ("credential", "metered", "day", iso(day)),
             ("api_key", key_id, "hour", iso(hour))])

        p50, p95 = hourly[0]["latencyP50Ms"], hourly[0]["latencyP95Ms"]
        self.assertIn(p50, LATENCY_BOUNDS_MS)
        self.assertIn(p95, LATENCY_BOUNDS_MS)
        self.assertGreater(p50, 0)
        self.assertLess(p50, p95)  # five fast calls, one of at least 300 ms
        self.assertGreaterEqual(p95, 500)
        expected = {"calls": 8, "denied": 2, "errors4xx": 1, "errors5xx": 1, "failures": 0,
                    "bytesIn": sum(len(c[3]) for c in calls),  # the refused bodies were never sent
                    "bytesOut": sum(c[4] for c in calls),
                    "latencyP50Ms": p50, "latencyP95Ms": p95}
        self.assertEqual({name: {f: rows[0][f] for f in COUNT_FIELDS}
                          for name, rows in (("hour", hourly), ("day", daily), ("key", by_key))},
                         {"hour": expected, "day": expected, "key": expected})

        # Unfiltered: exactly these two subjects; an unused name has no buckets.
        every = self.usage(key, "granularity=day")
        self.assertEqual(sorted((r["kind"], r["subject"]) for r in every),
                         [("api_key", key_id), ("credential", "metered")])
        self.assertEqual(self.usage(key, "credential=unused&granularity=hour"), [])
        # An explicit range around the hour finds it; one before it does not.
        self.assertEqual(len(self.usage(key, "credential=metered&granularity=hour&from=%s&to=%s"
                                        % (iso(hour), iso(hour + 3599)))), 1)
        self.assertEqual(self.usage(key, "credential=metered&granularity=hour&from=%s&to=%s"
                                    % (iso(hour - 7200), iso(hour - 1))), [])

    # 2. A credential's daily limit

    def test_a_credential_past_its_daily_limit_is_429_until_the_limit_is_removed(self):
        account, key, _ = self.new_account()
        self.new_secret(key, "capped")
        self.new_secret(key, "uncapped")
        rx, hook = self.limit_hook(key)
        self.assertEqual(self.call("PUT", "/usage/limits", key,
                                   {"credential": "capped", "maxCallsPerDay": 3}),
                         {"credential": "capped", "maxCallsPerDay": 3})
        self.assertEqual(self.limits(key),
                         [{"credential": "capped", "maxCallsPerDay": 3, "usedToday": 0}])

        for i in range(3):
            status, data, _ = self.proxy(key, "capped", "/status/200/10")
            self.assertEqual(status, 200, (i, data))
        self.assertEqual(self.upstream.count(), 3)
        for _ in range(2):
            body = self.assert_rate_limited(*self.proxy(key, "capped", "/status/200/10", "POST",
                                                        b"never-sent"))
            self.assertIn("capped", body["error"])
        self.assertEqual(self.upstream.count(), 3)  # nothing more reached the upstream
        # Another credential of the account is not limited.
        self.assertEqual(self.proxy(key, "uncapped", "/status/200/10")[0], 200)
        self.assertEqual(self.upstream.count(), 4)

        self.assertEqual(self.limits(key),
                         [{"credential": "capped", "maxCallsPerDay": 3, "usedToday": 3}])
        (row,) = self.settled_usage(key, "credential=capped&granularity=day", 5)
        self.assertEqual((row["calls"], row["denied"]), (5, 2), row)
        refused_bytes_in = row["bytesIn"]  # checked last

        data = self.one_limit_event(key, rx, hook)
        today = iso(floor(time.time(), 86400))
        self.assertEqual(set(data), {"accountId", "subject", "maxCallsPerDay", "window"}, data)
        self.assertEqual((data["accountId"], data["subject"], data["window"]),
                         (account, "credential:capped", today))
        self.assertEqual(int(data["maxCallsPerDay"]), 3)

        # A higher limit lets one more through; the refusal after it raises no second event.
        self.assertEqual(self.call("PUT", "/usage/limits", key,
                                   {"credential": "capped", "maxCallsPerDay": 4}),
                         {"credential": "capped", "maxCallsPerDay": 4})
        self.assertEqual(self.proxy(key, "capped", "/status/200/10")[0], 200)
        self.assert_rate_limited(*self.proxy(key, "capped", "/status/200/10"))
        self.assertEqual(self.upstream.count(), 5)
        self.assertEqual(len(self.deliveries(key, hook["id"])), 1)
        self.assertEqual(len(rx.posts()), 1)
        self.assertEqual(self.limits(key),
                         [{"credential": "capped", "maxCallsPerDay": 4, "usedToday": 4}])

        # Removed: calls go through again; removing it twice is a 404.
        self.assertEqual(self.call("PUT", "/usage/limits", key,
                                   {"credential": "capped", "maxCallsPerDay": None}),
                         {"credential": "capped", "maxCallsPerDay": None})
        self.assertEqual(self.limits(key), [])
        self.assertEqual(self.proxy(key, "capped", "/status/200/10")[0], 200)
        self.assertEqual(self.upstream.count(), 6)
        self.error("PUT", "/usage/limits", key, {"credential": "capped", "maxCallsPerDay": None},
                   404, "NOT_FOUND")
        # The refused calls' bodies were never sent, so they are not bytes in.
        self.assertEqual(refused_bytes_in, 0)

    def test_calls_refused_for_other_reasons_do_not_use_up_a_limit(self):
        _, key, _ = self.new_account()
        self.new_secret(key, "capped")
        self.call("PUT", "/usage/limits", key, {"credential": "capped", "maxCallsPerDay": 2})
        for _ in range(2):
            status, data, _ = self.proxy(key, "capped", "/status/200/10",
                                         target="https://example.com")
            self.assertEqual(status, 403, data)
        self.assertEqual(self.limits(key),
                         [{"credential": "capped", "maxCallsPerDay": 2, "usedToday": 0}])
        # Both calls of the day's two are still to be made.
        statuses = [self.proxy(key, "capped", "/status/200/10")[0] for _ in range(2)]
        self.assertEqual(statuses, [200, 200])
        self.assertEqual(self.upstream.count(), 2)
        self.assert_rate_limited(*self.proxy(key, "capped", "/status/200/10"))
        self.assertEqual(self.limits(key),
                         [{"credential": "capped", "maxCallsPerDay": 2, "usedToday": 2}])

    # 3. An API key's daily limit

    def test_an_api_key_past_its_daily_limit_is_429_while_the_accounts_other_key_passes(self):
        account, key, key_id = self.new_account()
        self.new_secret(key, "shared")
        self.new_secret(key, "other")
        agent = self.call("POST", "/api-keys", key, {"name": "metered-agent", "scopes": ["proxy"]},
                          expect=201)
        rx, hook = self.limit_hook(key)
        self.assertEqual(self.call("PUT", "/usage/limits", key,
                                   {"apiKeyId": agent["id"], "maxCallsPerDay": 2}),
                         {"apiKeyId": agent["id"], "maxCallsPerDay": 2})

        self.assertEqual([self.proxy(agent["apiKey"], "shared", "/status/200/10")[0]
                          for _ in range(2)], [200, 200])
        body = self.assert_rate_limited(*self.proxy(agent["apiKey"], "shared", "/status/200/10"))
        self.assertIn("API key", body["error"])
        # The limit is the key's, whichever credential it uses.
        self.assert_rate_limited(*self.proxy(agent["apiKey"], "other", "/status/200/10"))
        self.assertEqual(self.upstream.count(), 2)
        # The account's first key is not limited, with the same credential.
        self.assertEqual([self.proxy(key, "shared", "/status/200/10")[0] for _ in range(3)],
                         [200, 200, 200])
        self.assertEqual(self.upstream.count(), 5)

        self.assertEqual(self.limits(key),
                         [{"apiKeyId": agent["id"], "maxCallsPerDay": 2, "usedToday": 2}])
        (row,) = self.settled_usage(
            key, "kind=api_key&subject=%s&granularity=day" % agent["id"], 4)
        self.assertEqual((row["calls"], row["denied"]), (4, 2), row)
        (row,) = self.settled_usage(key, "kind=api_key&subject=%s&granularity=day" % key_id, 3)
        self.assertEqual((row["calls"], row["denied"]), (3, 0), row)
        (row,) = self.settled_usage(key, "credential=shared&granularity=day", 6)
        self.assertEqual((row["calls"], row["denied"]), (6, 1), row)

        data = self.one_limit_event(key, rx, hook)
        self.assertEqual((data["accountId"], data["subject"], int(data["maxCallsPerDay"]),
                          data["window"]),
                         (account, "api_key:" + agent["id"], 2, iso(floor(time.time(), 86400))))

        self.call("PUT", "/usage/limits", key, {"apiKeyId": agent["id"], "maxCallsPerDay": None})
        self.assertEqual(self.proxy(agent["apiKey"], "shared", "/status/200/10")[0], 200)

    # 4. Isolation, bad input, scopes

    def test_another_account_neither_sees_nor_limits_this_accounts_usage(self):
        _, key, key_id = self.new_account()
        _, other, other_key_id = self.new_account()
        self.new_secret(key, "shared")
        self.new_secret(other, "shared")  # the same name in the other account
        for _ in range(2):
            self.assertEqual(self.proxy(key, "shared", "/status/200/10")[0], 200)
        self.settled_usage(key, "credential=shared&granularity=hour", 2)
        for query in ("credential=shared&granularity=hour", "credential=shared&granularity=day",
                      "kind=api_key&subject=%s&granularity=day" % key_id, "granularity=day",
                      "granularity=hour"):
            self.assertEqual(self.usage(other, query), [], query)
        self.assertEqual(self.limits(other), [])

        # Its limits are its own: on its own "shared", and on a key id that is not its own.
        self.call("PUT", "/usage/limits", other, {"credential": "shared", "maxCallsPerDay": 1})
        status, body, _ = self.server.request("PUT", "/usage/limits", other,
                                              {"apiKeyId": key_id, "maxCallsPerDay": 1})
        self.assertIn(status, (200, 404), body)
        self.assertEqual(self.limits(key), [])
        self.assertEqual(self.proxy(key, "shared", "/status/200/10")[0], 200)
        self.assertEqual(self.proxy(other, "shared", "/status/200/10")[0], 200)
        self.assert_rate_limited(*self.proxy(other, "shared", "/status/200/10"))

        # The other account's calls do not count toward this account's limit.
        self.call("PUT", "/usage/limits", key, {"credential": "shared", "maxCallsPerDay": 4})
        self.call("PUT", "/usage/limits", other, {"credential": "shared", "maxCallsPerDay": None})
        for _ in range(3):
            self.assertEqual(self.proxy(other, "shared", "/status/200/10")[0], 200)
        self.assertEqual(self.proxy(key, "shared", "/status/200/10")[0], 200)  # its 4th
        self.assert_rate_limited(*self.proxy(key, "shared", "/status/200/10"))
        self.assertEqual(self.limits(key),
                         [{"credential": "shared", "maxCallsPerDay": 4, "usedToday": 4}])
        (row,) = self.settled_usage(key, "credential=shared&granularity=day", 5)
        self.assertEqual((row["calls"], row["denied"]), (5, 1), row)
        (row,) = self.settled_usage(other, "credential=shared&granularity=day", 5)
        self.assertEqual((row["calls"], row["denied"]), (5, 1), row)
        (row,) = self.settled_usage(other, "kind=api_key&subject=%s&granularity=day"
                                    % other_key_id, 5)
        self.assertEqual(row["calls"], 5, row)

    def test_bad_queries_and_limits_are_400s_and_change_nothing(self):
        _, key, key_id = self.new_account()
        now = time.time()
        for query, mentions in [
                ("granularity=week", "granularity"),
                ("kind=nope", "kind"),
                ("from=%s&to=%s" % (iso(now - 3600), iso(now - 7200)), "from"),
                ("granularity=day&from=%s" % iso(now - 200 * 86400), "90 days"),
                ("granularity=hour&from=%s" % iso(now - 10 * 86400), "7 days"),
                ("from=yesterday", "from"),
                ("to=2030-13-45", "to")]:
            refused = self.error("GET", "/usage?" + query, key, None, 400, "BAD_REQUEST")
            self.assertIn(mentions, refused["error"], query)
        # Within what is kept is fine.
        self.assertEqual(self.usage(key, "granularity=day&from=%s" % iso(now - 80 * 86400)), [])
        self.assertEqual(self.usage(key, "granularity=hour&from=%s" % iso(now - 6 * 86400)), [])

        self.call("PUT", "/usage/limits", key, {"credential": "kept", "maxCallsPerDay": 5})
        before = self.limits(key)
        self.assertEqual(before, [{"credential": "kept", "maxCallsPerDay": 5, "usedToday": 0}])
        for body, mentions in [
                ({"credential": "kept", "apiKeyId": key_id, "maxCallsPerDay": 1}, "apiKeyId"),
                ({"maxCallsPerDay": 1}, "credential"),
                ({"credential": "kept", "maxCallsPerDay": 0}, "maxCallsPerDay"),
                ({"credential": "kept", "maxCallsPerDay": -3}, "maxCallsPerDay"),
                ({"credential": "kept", "maxCallsPerDay": 2.5}, "maxCallsPerDay"),
                ({"credential": "kept", "maxCallsPerDay": "3"}, "maxCallsPerDay"),
                ({"credential": "kept"}, "maxCallsPerDay"),
                ({"credential": "", "maxCallsPerDay": 1}, "credential"),
                ({"credential": "kept", "maxCallsPerDay": 1, "window": "week"}, "window")]:
            refused = self.error("PUT", "/usage/limits", key, body, 400, "BAD_REQUEST")
            self.assertIn(mentions, refused["error"], body)
        self.error("PUT", "/usage/limits", key, {"apiKeyId": key_id, "maxCallsPerDay": None},
                   404, "NOT_FOUND")
        self.assertEqual(self.limits(key), before)

    def test_usage_needs_credentials_read_and_limits_credentials_write(self):
        _, key, _ = self.new_account()
        self.call("PUT", "/usage/limits", key, {"credential": "kept", "maxCallsPerDay": 5})
        proxy_only = self.call("POST", "/api-keys", key, {"name": "p", "scopes": ["proxy"]},
                               expect=201)["apiKey"]
        reader = self.call("POST", "/api-keys", key, {"name": "r", "scopes": ["credentials:read"]},
                           expect=201)["apiKey"]
        for path in ("/usage", "/usage?credential=kept&granularity=hour", "/usage/limits"):
            self.error("GET", path, proxy_only, None, 403, "FORBIDDEN")
            self.assertIsInstance(self.call("GET", path, reader)["data"], list)
        for who in (proxy_only, reader):
            self.error("PUT", "/usage/limits", who, {"credential": "kept", "maxCallsPerDay": 1},
                       403, "FORBIDDEN")
            self.error("PUT", "/usage/limits", who, {"credential": "kept", "maxCallsPerDay": None},
                       403, "FORBIDDEN")
        self.error("GET", "/usage", None, None, 401, "UNAUTHORIZED")
        self.error("PUT", "/usage/limits", None, {"credential": "kept", "maxCallsPerDay": 1},
                   401, "UNAUTHORIZED")
        self.assertEqual(self.limits(key),
                         [{"credential": "kept", "maxCallsPerDay": 5, "usedToday": 0}])


if __name__ == "__main__":
    unittest.main()
