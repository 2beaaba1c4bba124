"""Credential health checks end to end: the real latchkeyd testing stored
provider keys, secrets and OAuth connections on demand through its proxy
against fakes on loopback (an LLM-style API and a secret's check URL in
one threaded http.server, the OAuth providers of fake_oauth.py, a webhook
receiver). Covers healthy/unhealthy verdicts and what the upstream saw,
the credential.unhealthy / credential.recovered events (once per
transition), health in GET /credentials, /secrets, /oauth-tokens and
/certificates, secret checks and their validation, the proxy's host rules
applied to a check, isolation between accounts and scopes, and that no
planted value leaves the server.

The background tests fall at random within --health-interval (30 days
here), so everything below is driven by the on-demand routes."""
import calendar
import http.server
import json
import os
import tempfile
import threading
import time
import unittest

from fake_oauth import CLIENT_SECRETS, FakeProviders, client_id
from oauth_test import APP, browse, query_of
from server import Server
from webhooks_test import Receiver, signature, wait_until

ADMIN = "health-test-admin-key-0001"
OPENAI = "sk-planted-health-openai-Qw7eR4tY"
ANTHROPIC = "sk-ant-planted-health-Uy6iO9pA"
SECRET = "planted-health-secret-Zx3cV8bN"
PLANTED = [OPENAI, ANTHROPIC, SECRET, "pplx-planted-0123456789"]
HEALTH_FIELDS = {"status", "checkedAt", "lastError", "latencyMs"}
UNKNOWN = {"status": "unknown", "checkedAt": None, "lastError": None, "latencyMs": None}
HEALTH_EVENTS = ["credential.unhealthy", "credential.recovered"]


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def unix(text):
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


class FakeApi:
    """An LLM-style API and a secret's check target in one: GET /v1/models
    answers 200 (a model list) or, once `failing`, 401 with the presented
    key echoed back like OpenAI's error does; /status/{code} answers that
    code. Records every request."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []
        self.failing = False
        self.delay = 0.0  # seconds /v1/models takes to answer
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def answer(self, status, body=None):
                out = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                if status not in (204, 304):
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                if status not in (204, 304):
                    self.wfile.write(out)

            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                with api.lock:
                    api.requests.append({"method": self.command, "path": self.path,
                                         "headers": {k.lower(): v
                                                     for k, v in self.headers.items()}})
                    failing, delay = api.failing, api.delay
                path = self.path.split("?")[0]
                parts = path.strip("/").split("/")
                if path.endswith("/v1/models"):
                    if delay:
                        time.sleep(delay)  # a slow upstream: tests overlap
                    if failing:
                        presented = (self.headers.get("Authorization")
                                     or self.headers.get("x-api-key") or "")
                        return self.answer(401, {"error": {
                            "message": "Incorrect API key provided: " + presented,
                            "type": "invalid_request_error", "code": "invalid_api_key"}})
                    return self.answer(200, {"object": "list",
                                             "data": [{"id": "model-1", "object": "model"}]})
                if len(parts) == 2 and parts[0] == "status" and parts[1].isdigit():
                    return self.answer(int(parts[1]), {"status": int(parts[1])})
                return self.answer(404, {"error": "not found"})

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = handle_any

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.origin = "http://127.0.0.1:%d" % self.port
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def count(self):
        with self.lock:
            return len(self.requests)

    def last(self):
        with self.lock:
            return self.requests[-1]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class HealthTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="latchkey-health-")
        cls.fake = FakeProviders()
        providers_path = os.path.join(cls.tmp.name, "providers.json")
        with open(providers_path, "w") as f:
            json.dump(cls.fake.providers_file(), f)
        cls.server = Server(
            data_dir=os.path.join(cls.tmp.name, "data"), env={"LATCHKEY_ADMIN_KEY": ADMIN},
            args=["--oauth-providers-file", providers_path,
                  "--proxy-allow-http", "127.0.0.1,localhost",
                  "--proxy-allow-private", "127.0.0.1/32",
                  # The background tests' first run falls at random within
                  # this: far beyond this file's run.
                  "--health-interval", "2592000"]).start()
        cls.responses = []   # (status, body text, headers) of every answer
        cls.receivers = []   # every webhook receiver, for the leak check
        cls.accounts = []    # (account id, key) of every account made

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        cls.fake.close()
        for rx in cls.receivers:
            rx.close()
        cls.tmp.cleanup()

    def setUp(self):
        self.api = FakeApi()
        self.addCleanup(self.api.close)

    # Helpers

    def call(self, method, path, key, body=None, expect=200):
        status, parsed, resp = self.server.request(method, path, key, body)
        self.responses.append((status, json.dumps(parsed), str(resp.getheaders())))
        self.assertEqual(status, expect, (method, path, body, parsed))
        return parsed

    def error(self, method, path, key, body, status, code):
        parsed = self.call(method, path, key, body, expect=status)
        self.assertEqual(set(parsed), {"error", "code", "status"}, parsed)
        self.assertEqual((parsed["status"], parsed["code"]), (status, code), parsed)
        return parsed

    def new_account(self, name="health"):
        acct = self.call("POST", "/admin/accounts", ADMIN, {"name": name}, expect=201)
        self.accounts.append((acct["id"], acct["apiKey"]))
        return acct["id"], acct["apiKey"]

    def hook(self, key):
        rx = Receiver()
        self.receivers.append(rx)
        hook = self.call("POST", "/webhooks", key, {"url": rx.url(), "events": HEALTH_EVENTS},
                         expect=201)
        return rx, hook

    def deliveries(self, key, hook_id):
        return self.call("GET", "/webhooks/%s/deliveries?limit=1000" % hook_id, key)["data"]

    def delivered(self, key, rx, hook, types):
        """The endpoint's deliveries are exactly `types` (oldest first), all
        delivered: their verified payloads, oldest first."""
        # Raised in the transaction that records the verdict, before the
        # test's answer: every delivery is listed by now.
        listed = self.deliveries(key, hook["id"])
        self.assertEqual([d["type"] for d in reversed(listed)], types, listed)
        wait_until(lambda: all(d["state"] == "delivered"
                               for d in self.deliveries(key, hook["id"])),
                   what="%d delivered health events" % len(types))
        posts = rx.posts()
        self.assertEqual(len(posts), len(types), posts)
        by_id = {p["headers"]["webhook-id"]: p for p in posts}
        payloads = []
        for d in reversed(listed):
            post = by_id[d["messageId"]]
            h = post["headers"]
            self.assertIn(signature(hook["secret"], h["webhook-id"], h["webhook-timestamp"],
                                    post["body"]), h["webhook-signature"].split(" "))
            payload = json.loads(post["body"])
            self.assertEqual(payload["type"], d["type"])
            payloads.append(payload)
        return payloads

    def assert_health(self, health, status, error=None):
        """`health` is a tested verdict of `status`; `error`, if given, is
        in lastError (which is null exactly when healthy)."""
        self.assertEqual(set(health), HEALTH_FIELDS, health)
        self.assertEqual(health["status"], status, health)
        self.assertLessEqual(abs(unix(health["checkedAt"]) - time.time()), 60, health)
        self.assertIsInstance(health["latencyMs"], int, health)
        self.assertGreaterEqual(health["latencyMs"], 0, health)
        if status == "healthy":
            self.assertIsNone(health["lastError"], health)
        else:
            self.assertIsInstance(health["lastError"], str, health)
            if error:
                self.assertIn(error, health["lastError"])

    def health_events(self, key, resource):
        return [e for e in self.call("GET", "/audit-events?action=proxy.request&limit=1000",
                                     key)["data"] if e["resource"] == resource]

    def oauth_account(self):
        account, key = self.new_account("health-oauth")
        for d in ("github", "slack"):
            registration = {"clientId": client_id(d), "clientSecret": CLIENT_SECRETS[d]}
            if d == "slack":
                registration["scopes"] = ["chat:write"]
            self.call("PUT", "/oauth/providers/" + d, key, registration)
        self.call("PUT", "/oauth/redirect-uris", key, {"redirectUris": [APP]})
        return account, key

    def connect(self, key, provider, identifier):
        """The whole browser flow against the fake provider: the token id."""
        s = self.call("POST", "/auth/sessions", key, {"provider": provider,
                                                      "identifierId": identifier,
                                                      "redirectUri": APP}, expect=201)
        status, location, body = browse(s["url"])
        self.assertEqual(status, 302, body)
        result = query_of(location)
        self.assertEqual(result["status"], "success", result)
        return result["tokenId"]

    def revoke_at_fake(self, dialect):
        """The user revoked the app: the fake's API refuses its access tokens."""
        with self.fake.lock:
            for token in [t for t, d in self.fake.access_tokens.items() if d == dialect]:
                del self.fake.access_tokens[token]

    # 1. Provider keys

    def test_provider_key_turns_unhealthy_then_recovers_with_one_event_per_transition(self):
        account, key = self.new_account()
        rx, hook = self.hook(key)
        self.call("PUT", "/credentials", key, {"openaiApiKey": OPENAI,
                                               "baseUrls": {"openai": self.api.origin}})
        creds = self.call("GET", "/credentials", key)
        self.assertEqual(creds["health"], {"openai": UNKNOWN})

        # Healthy: one GET of the models list, with the key injected.
        h = self.call("POST", "/credentials/openai/test", key)
        self.assert_health(h, "healthy")
        self.assertEqual(self.api.count(), 1)
        seen = self.api.last()
        self.assertEqual((seen["method"], seen["path"]), ("GET", "/v1/models"))
        self.assertEqual(seen["headers"].get("authorization"), "Bearer " + OPENAI)
        self.assertNotIn(key, json.dumps(seen["headers"]))  # our own key never goes upstream
        self.assertEqual(self.call("GET", "/credentials", key)["health"], {"openai": h})
        # unknown -> healthy raises nothing.
        self.assertEqual(self.deliveries(key, hook["id"]), [])

        # The upstream refuses the key: unhealthy, one event.
        self.api.failing = True
        h = self.call("POST", "/credentials/openai/test", key)
        self.assert_health(h, "unhealthy", "401")
        self.assertEqual(self.api.count(), 2)
        self.assertEqual(self.call("GET", "/credentials", key)["health"], {"openai": h})
        (event,) = self.delivered(key, rx, hook, ["credential.unhealthy"])
        self.assertEqual(set(event["data"]), {"accountId", "credential", "kind", "reason"},
                         event)
        self.assertEqual((event["data"]["accountId"], event["data"]["credential"],
                          event["data"]["kind"]), (account, "openai", "provider"))
        self.assertIn("401", event["data"]["reason"])

        # Still failing: still unhealthy, no second event.
        h = self.call("POST", "/credentials/openai/test", key)
        self.assert_health(h, "unhealthy", "401")
        self.assertEqual(self.api.count(), 3)
        self.assertEqual(self.call("GET", "/credentials", key)["health"], {"openai": h})
        self.delivered(key, rx, hook, ["credential.unhealthy"])

        # Passing again: healthy, one credential.recovered.
        self.api.failing = False
        h = self.call("POST", "/credentials/openai/test", key)
        self.assert_health(h, "healthy")
        self.assertEqual(self.api.count(), 4)
        self.assertEqual(self.call("GET", "/credentials", key)["health"], {"openai": h})
        _, recovered = self.delivered(key, rx, hook,
                                      ["credential.unhealthy", "credential.recovered"])
        self.assertEqual(recovered["data"], {"accountId": account, "credential": "openai",
                                             "kind": "provider"})
        # healthy -> healthy raises nothing either.
        self.assert_health(self.call("POST", "/credentials/openai/test", key), "healthy")
        self.assertEqual(len(self.deliveries(key, hook["id"])), 2)

        # Each test asked for is on record as a proxy call by the key that asked.
        key_id = self.call("GET", "/api-keys/current", key)["id"]
        events = self.health_events(key, "openai")
        self.assertEqual(len(events), 5, events)
        self.assertEqual({e["actor"] for e in events}, {key_id})
        self.assertEqual([(e["details"]["method"], e["details"]["path"], e["details"]["status"])
                          for e in reversed(events)],
                         [("GET", "/v1/models", s) for s in ("200", "401", "401", "200", "200")])

    # Server bug: HealthService::Run decides the transition from the row it
    # read before the probe, outside the transaction that records the
    # verdict, so tests that overlap (two callers, or a caller and the
    # background pass, which leases rows the on-demand route ignores) each
    # see the old status and each raise the event.
    def test_overlapping_tests_raise_one_event_per_transition(self):
        account, key = self.new_account()
        rx, hook = self.hook(key)
        self.call("PUT", "/credentials", key, {"openaiApiKey": OPENAI,
                                               "baseUrls": {"openai": self.api.origin}})
        self.api.delay = 0.5

        def overlapping(n=4):
            results = []
            threads = [threading.Thread(target=lambda: results.append(self.server.request(
                "POST", "/credentials/openai/test", key)[:2])) for _ in range(n)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual(len(results), n)
            return [(status, body["status"]) for status, body in results]

        self.api.failing = True
        self.assertEqual(overlapping(), [(200, "unhealthy")] * 4)
        self.assertEqual(self.api.count(), 4)
        self.assertEqual([d["type"] for d in self.deliveries(key, hook["id"])],
                         ["credential.unhealthy"])
        self.api.failing = False
        self.assertEqual(overlapping(), [(200, "healthy")] * 4)
        self.delivered(key, rx, hook, ["credential.unhealthy", "credential.recovered"])

    def test_anthropic_key_is_tested_with_x_api_key_and_an_unstored_provider_is_404(self):
        _, key = self.new_account()
        self.call("PUT", "/credentials", key, {"anthropicApiKey": ANTHROPIC,
                                               "baseUrls": {"anthropic": self.api.origin}})
        self.assertEqual(self.call("GET", "/credentials", key)["health"],
                         {"anthropic": UNKNOWN})
        self.assert_health(self.call("POST", "/credentials/anthropic/test", key), "healthy")
        seen = self.api.last()
        self.assertEqual((seen["method"], seen["path"]), ("GET", "/v1/models"))
        self.assertEqual(seen["headers"].get("x-api-key"), ANTHROPIC)
        self.assertNotIn("authorization", seen["headers"])
        # A known provider without a stored key, and no provider at all.
        self.error("POST", "/credentials/openai/test", key, None, 404, "NOT_FOUND")
        self.error("POST", "/credentials/nosuch/test", key, None, 404, "NOT_FOUND")
        self.assertEqual(self.api.count(), 1)
        # A removed key is no longer testable, and its health goes with it.
        self.call("PUT", "/credentials", key, {"anthropicApiKey": None})
        self.error("POST", "/credentials/anthropic/test", key, None, 404, "NOT_FOUND")
        self.assertEqual(self.call("GET", "/credentials", key)["health"], {})
        self.assertEqual(self.api.count(), 1)
        # A provider with no known test (perplexity): 409, and it stays unknown.
        self.call("PUT", "/credentials", key, {"perplexityApiKey": "pplx-planted-0123456789",
                                               "baseUrls": {"perplexity": self.api.origin}})
        self.error("POST", "/credentials/perplexity/test", key, None, 409, "CONFLICT")
        self.assertEqual(self.call("GET", "/credentials", key)["health"],
                         {"perplexity": UNKNOWN})
        self.assertEqual(self.api.count(), 1)

    # 2. Secrets

    def test_secret_checks_expect_a_status_and_obey_the_secrets_allowed_hosts(self):
        account, key = self.new_account()
        rx, hook = self.hook(key)
        decoy = FakeApi()  # on a host the secret may not reach
        self.addCleanup(decoy.close)
        self.call("POST", "/secrets", key, {"name": "svc", "type": "API_KEY", "value": SECRET,
                                            "allowedHosts": ["127.0.0.1"]}, expect=201)
        self.assertEqual(self.call("GET", "/secrets/svc", key)["health"], UNKNOWN)

        # No check yet: 409, nothing sent.
        refused = self.error("POST", "/secrets/svc/test", key, None, 409, "CONFLICT")
        self.assertIn("health-check", refused["error"])
        self.assertEqual(self.api.count(), 0)
        self.assertEqual(self.call("GET", "/secrets/svc", key)["health"], UNKNOWN)

        # Expecting 204 from a path that answers 204: healthy.
        url = self.api.origin + "/status/204"
        self.assertEqual(self.call("PUT", "/secrets/svc/health-check", key,
                                   {"url": url, "expectStatus": 204}),
                         {"name": "svc", "url": url, "expectStatus": 204})
        h = self.call("POST", "/secrets/svc/test", key)
        self.assert_health(h, "healthy")
        seen = self.api.last()
        self.assertEqual((seen["method"], seen["path"]), ("GET", "/status/204"))
        self.assertEqual(seen["headers"].get("authorization"), "Bearer " + SECRET)
        self.assertEqual(self.call("GET", "/secrets/svc", key)["health"], h)
        self.assertEqual([s["health"] for s in self.call("GET", "/secrets", key)["data"]],
                         [h])

        # Expecting 204 from a path that answers 200: unhealthy, though 2xx.
        url = self.api.origin + "/status/200"
        self.call("PUT", "/secrets/svc/health-check", key, {"url": url, "expectStatus": 204})
        h = self.call("POST", "/secrets/svc/test", key)
        self.assert_health(h, "unhealthy", "answered 200")
        self.assertEqual(self.api.last()["path"], "/status/200")
        self.assertEqual(self.call("GET", "/secrets/svc", key)["health"], h)
        (event,) = self.delivered(key, rx, hook, ["credential.unhealthy"])
        self.assertEqual(event["data"], {"accountId": account, "credential": "svc",
                                         "kind": "secret", "reason": h["lastError"]})

        # Without expectStatus any 2xx passes, anything else fails.
        url = self.api.origin + "/status/500"
        self.assertEqual(self.call("PUT", "/secrets/svc/health-check", key, {"url": url}),
                         {"name": "svc", "url": url, "expectStatus": None})
        self.assert_health(self.call("POST", "/secrets/svc/test", key), "unhealthy",
                           "answered 500")

        # A check URL on a host outside allowedHosts: the proxy refuses it,
        # nothing reaches that host, and the error names the host.
        sent = self.api.count()
        url = "http://localhost:%d/status/200" % decoy.port
        self.call("PUT", "/secrets/svc/health-check", key, {"url": url})
        h = self.call("POST", "/secrets/svc/test", key)
        self.assert_health(h, "unhealthy", "localhost")
        self.assertIn("not an allowed host", h["lastError"])
        self.assertEqual(decoy.count(), 0)
        self.assertEqual(self.api.count(), sent)
        refusal = self.health_events(key, "svc")[0]
        self.assertEqual((refusal["actor"], refusal["outcome"], refusal["details"]["host"]),
                         (self.call("GET", "/api-keys/current", key)["id"], "denied", "localhost"))
        # Unhealthy to unhealthy twice over: still one event.
        self.assertEqual(len(self.deliveries(key, hook["id"])), 1)

        # Bad checks are 400 and leave the check as it was.
        good = self.api.origin + "/status/204"
        self.call("PUT", "/secrets/svc/health-check", key, {"url": good, "expectStatus": 204})
        for body, mentions in (({}, "url"),
                               ({"expectStatus": 204}, "url"),
                               ({"url": self.api.origin + "/status/200", "expectStatus": 42},
                                "expectStatus"),
                               ({"url": self.api.origin + "/status/200",
                                 "expectStatus": "200"}, "expectStatus"),
                               ({"url": "ftp://127.0.0.1/status/200"}, "url"),
                               ({"url": "not a url"}, "url"),
                               ({"url": self.api.origin + "/status/200", "expectStatus": 200,
                                 "method": "POST"}, "method")):
            refused = self.error("PUT", "/secrets/svc/health-check", key, body, 400,
                                 "BAD_REQUEST")
            self.assertIn(mentions, refused["error"], body)
        self.error("PUT", "/secrets/nosuch/health-check", key, {"url": good}, 404, "NOT_FOUND")
        self.error("POST", "/secrets/nosuch/test", key, None, 404, "NOT_FOUND")
        h = self.call("POST", "/secrets/svc/test", key)
        self.assert_health(h, "healthy")
        self.assertEqual(self.api.last()["path"], "/status/204")
        _, recovered = self.delivered(key, rx, hook,
                                      ["credential.unhealthy", "credential.recovered"])
        self.assertEqual(recovered["data"], {"accountId": account, "credential": "svc",
                                             "kind": "secret"})

        # A deleted secret takes its check with it: recreated, it has none.
        self.call("DELETE", "/secrets/svc", key)
        self.call("POST", "/secrets", key, {"name": "svc", "type": "API_KEY", "value": SECRET,
                                            "allowedHosts": ["127.0.0.1"]}, expect=201)
        self.assertEqual(self.call("GET", "/secrets/svc", key)["health"], UNKNOWN)
        self.error("POST", "/secrets/svc/test", key, None, 409, "CONFLICT")

    def test_a_secrets_health_check_is_a_field_of_the_secret(self):
        _, key = self.new_account()
        ok_url, bad_url = self.api.origin + "/status/204", self.api.origin + "/status/500"
        base = {"type": "API_KEY", "value": SECRET, "allowedHosts": ["127.0.0.1"]}
        made = self.call("POST", "/secrets", key,
                         dict(base, name="svc", healthCheck={"url": ok_url, "expectStatus": 204}),
                         expect=201)
        self.assertEqual(made["healthCheck"], {"url": ok_url, "expectStatus": 204})
        self.assertEqual(made["health"], UNKNOWN)
        self.assert_health(self.call("POST", "/secrets/svc/test", key), "healthy")
        self.assertEqual(self.api.last()["path"], "/status/204")

        # Replacing the value without healthCheck keeps the check.
        kept = self.call("PUT", "/secrets/svc", key, {"value": SECRET + "-2"})
        self.assertEqual(kept["healthCheck"], {"url": ok_url, "expectStatus": 204})
        self.assertEqual(kept["version"], made["version"] + 1)
        # Replacing it with one changes it; shown in the list too.
        changed = self.call("PUT", "/secrets/svc", key, {"value": SECRET, "healthCheck":
                                                         {"url": bad_url}})
        self.assertEqual(changed["healthCheck"], {"url": bad_url, "expectStatus": None})
        self.assertEqual([s["healthCheck"] for s in self.call("GET", "/secrets", key)["data"]],
                         [changed["healthCheck"]])
        self.assert_health(self.call("POST", "/secrets/svc/test", key), "unhealthy",
                           "answered 500")

        # Bad checks are 400 and change nothing: no secret made, no value or
        # check replaced.
        for body, mentions in (({"healthCheck": {}}, "url"),
                               ({"healthCheck": {"url": ok_url, "expectStatus": 42}},
                                "expectStatus"),
                               ({"healthCheck": {"url": "ftp://127.0.0.1/x"}}, "url"),
                               ({"healthCheck": {"url": ok_url, "method": "POST"}}, "method"),
                               ({"healthCheck": "yes"}, "healthCheck"),
                               ({"healthCheck": [ok_url]}, "healthCheck")):
            refused = self.error("POST", "/secrets", key, dict(base, name="other", **body),
                                 400, "BAD_REQUEST")
            self.assertIn(mentions, refused["error"], body)
            self.assertIn("healthCheck", refused["error"], body)
            refused = self.error("PUT", "/secrets/svc", key, dict(value=SECRET + "-3", **body),
                                 400, "BAD_REQUEST")
            self.assertIn(mentions, refused["error"], body)
        self.error("GET", "/secrets/other", key, None, 404, "NOT_FOUND")
        now = self.call("GET", "/secrets/svc", key)
        self.assertEqual((now["version"], now["healthCheck"]),
                         (changed["version"], changed["healthCheck"]))

        # null removes the check: nothing left to test.
        self.error("PUT", "/secrets/svc/health-check", key, {"url": ""}, 400, "BAD_REQUEST")
        removed = self.call("PUT", "/secrets/svc", key, {"value": SECRET, "healthCheck": None})
        self.assertIsNone(removed["healthCheck"])
        self.assertEqual(removed["health"], UNKNOWN)  # the last verdict went with the check
        # Removing it again, or on a secret that never had one, audits nothing.
        self.call("PUT", "/secrets/svc", key, {"value": SECRET, "healthCheck": None})
        self.call("POST", "/secrets", key, dict(base, name="plain", healthCheck=None),
                  expect=201)
        sent = self.api.count()
        self.error("POST", "/secrets/svc/test", key, None, 409, "CONFLICT")
        self.assertEqual(self.api.count(), sent)
        actions = [e["action"] for e in self.call(
            "GET", "/audit-events?resource=svc&limit=1000", key)["data"]]
        self.assertEqual(actions.count("secret.health_check.put"), 2, actions)
        self.assertEqual(actions.count("secret.health_check.delete"), 1, actions)

    # 3. OAuth connections

    def test_oauth_connection_is_tested_against_the_providers_profile_endpoint(self):
        account, key = self.oauth_account()
        rx, hook = self.hook(key)
        token_id = self.connect(key, "github", "gh-health")
        self.assertEqual(self.call("GET", "/oauth-tokens/" + token_id, key)["health"], UNKNOWN)

        before = len(self.fake.api_requests)
        h = self.call("POST", "/oauth-tokens/%s/test" % token_id, key)
        self.assert_health(h, "healthy")
        (seen,) = self.fake.api_requests[before:]
        self.assertEqual((seen["method"], seen["path"]), ("GET", "/api/github/user"))
        self.assertIn(seen["token"], self.fake.access_tokens)  # the connection's own token
        self.assertEqual(self.call("GET", "/oauth-tokens/" + token_id, key)["health"], h)
        listed = {t["id"]: t for t in self.call("GET", "/oauth-tokens", key)["data"]}
        self.assertEqual(listed[token_id]["health"], h)

        # The user revoked the app at GitHub: its API answers 401.
        self.revoke_at_fake("github")
        h = self.call("POST", "/oauth-tokens/%s/test" % token_id, key)
        self.assert_health(h, "unhealthy", "401")
        self.assertEqual(len(self.fake.api_requests), before + 2)
        self.assertEqual(self.call("GET", "/oauth-tokens/" + token_id, key)["health"], h)
        (event,) = self.delivered(key, rx, hook, ["credential.unhealthy"])
        self.assertEqual(event["data"], {"accountId": account, "credential": "oauth:" + token_id,
                                         "kind": "oauth", "reason": h["lastError"]})
        events = self.health_events(key, "oauth:" + token_id)
        self.assertEqual([(e["actor"], e["details"]["status"]) for e in reversed(events)],
                         [(self.call("GET", "/api-keys/current", key)["id"], status)
                          for status in ("200", "401")])
        self.error("POST", "/oauth-tokens/otk_nosuch/test", key, None, 404, "NOT_FOUND")

    def test_oauth_connection_whose_refresh_token_ends_within_7_days_is_expiring_soon(self):
        _, key = self.oauth_account()
        lifetimes = {"gh-6-days": 6 * 86400, "gh-8-days": 8 * 86400}
        ids = {}
        try:
            for identifier, lifetime in lifetimes.items():
                self.fake.github_refresh_lifetime = lifetime
                ids[identifier] = self.connect(key, "github", identifier)
        finally:
            self.fake.github_refresh_lifetime = 15811200
        soon, later = ids["gh-6-days"], ids["gh-8-days"]
        self.assertEqual(self.call("GET", "/oauth-tokens/" + soon, key)["health"],
                         dict(UNKNOWN, status="expiring_soon"))
        self.assertEqual(self.call("GET", "/oauth-tokens/" + later, key)["health"], UNKNOWN)
        # A passing test does not hide it; a failing one wins.
        h = self.call("POST", "/oauth-tokens/%s/test" % soon, key)
        self.assertEqual(h["status"], "healthy")  # the test's own verdict
        shown = self.call("GET", "/oauth-tokens/" + soon, key)["health"]
        self.assertEqual(shown, dict(h, status="expiring_soon"))
        listed = {t["id"]: t["health"]["status"]
                  for t in self.call("GET", "/oauth-tokens", key)["data"]}
        self.assertEqual(listed, {soon: "expiring_soon", later: "unknown"})
        self.revoke_at_fake("github")
        h = self.call("POST", "/oauth-tokens/%s/test" % soon, key)
        self.assert_health(h, "unhealthy", "401")
        self.assertEqual(self.call("GET", "/oauth-tokens/" + soon, key)["health"], h)

    def slack_answers(self, body):
        """From now on the fake's Slack API answers every call with HTTP 200
        and exactly `body` (the other providers are left as they are)."""
        fake, original = self.fake, self.fake.api

        def api(h, raw=""):
            if not h.path.startswith("/api/slack/"):
                return original(h, raw)
            with fake.lock:
                fake.api_requests.append({"method": h.command, "path": h.path,
                                          "headers": dict(h.headers.items()), "body": raw,
                                          "token": h.headers.get("Authorization", "")[7:]})
            return h.send(200, body)
        fake.api = api  # the handler calls fake.api(...): this instance's wins
        self.addCleanup(lambda: fake.__dict__.pop("api", None))

    def test_slack_connection_is_healthy_only_when_auth_test_says_ok_true(self):
        _, key = self.oauth_account()
        token_id = self.connect(key, "slack", "slack-health")
        before = len(self.fake.api_requests)
        # Slack's own compact answers: a 200 either way, ok true or false.
        self.slack_answers(b'{"ok":true,"url":"https://acme.slack.com/","user_id":"U0BOT"}')
        self.assert_health(self.call("POST", "/oauth-tokens/%s/test" % token_id, key), "healthy")
        self.slack_answers(b'{"ok":false,"error":"invalid_auth"}')
        h = self.call("POST", "/oauth-tokens/%s/test" % token_id, key)
        self.assert_health(h, "unhealthy", "ok:false")
        self.assertEqual(self.call("GET", "/oauth-tokens/" + token_id, key)["health"], h)
        seen = self.fake.api_requests[before:]
        self.assertEqual([(r["method"], r["path"]) for r in seen],
                         [("GET", "/api/slack/auth.test")] * 2)
        self.assertTrue(all(r["token"] in self.fake.issued for r in seen), seen)

    # Server bug: the verdict looks for the bytes "ok":true in the body, so
    # a well-formed {"ok": true} (whitespace after the colon, as fake_oauth
    # and any pretty-printing gateway answer) is judged "ok:false".
    def test_slack_ok_true_with_whitespace_is_healthy(self):
        _, key = self.oauth_account()
        token_id = self.connect(key, "slack", "slack-spaced")
        before = len(self.fake.api_requests)
        h = self.call("POST", "/oauth-tokens/%s/test" % token_id, key)
        (seen,) = self.fake.api_requests[before:]
        self.assertEqual((seen["method"], seen["path"]), ("GET", "/api/slack/auth.test"))
        # fake_oauth answers 200 {"ok": true, "dialect": "slack", ...}.
        self.assert_health(h, "healthy")

    # 4. Certificates

    def test_certificate_health_follows_expiry_and_revocation(self):
        _, key = self.new_account()
        now = time.time()
        soon = self.call("POST", "/certificates", key,
                         {"name": "soon", "algorithm": "ES256",
                          "expiresAt": iso(now + 6 * 86400)}, expect=201)
        later = self.call("POST", "/certificates", key,
                          {"name": "later", "algorithm": "ES256",
                           "expiresAt": iso(now + 30 * 86400)}, expect=201)
        self.assertEqual(soon["health"]["status"], "expiring_soon")
        self.assertEqual(later["health"]["status"], "healthy")
        for cert, status in ((soon, "expiring_soon"), (later, "healthy")):
            got = self.call("GET", "/certificates/" + cert["id"], key)["health"]
            self.assertEqual(set(got), HEALTH_FIELDS, got)
            self.assertEqual((got["status"], got["lastError"]), (status, None), got)
        listed = {c["id"]: c["health"]["status"]
                  for c in self.call("GET", "/certificates", key)["data"]}
        self.assertEqual(listed, {soon["id"]: "expiring_soon", later["id"]: "healthy"})

        revoked = self.call("POST", "/certificates/%s/revoke" % later["id"], key)
        self.assertEqual(revoked["health"]["status"], "unhealthy")
        got = self.call("GET", "/certificates/" + later["id"], key)["health"]
        self.assertEqual(got["status"], "unhealthy")
        self.assertIn("revoked", got["lastError"])
        listed = {c["id"]: c["health"]["status"]
                  for c in self.call("GET", "/certificates", key)["data"]}
        self.assertEqual(listed, {soon["id"]: "expiring_soon", later["id"]: "unhealthy"})

    # 5. Isolation and scopes

    def test_another_accounts_credentials_are_404_and_testing_needs_the_write_scope(self):
        _, key = self.oauth_account()
        _, other = self.new_account("other")
        self.call("PUT", "/credentials", key, {"openaiApiKey": OPENAI,
                                               "baseUrls": {"openai": self.api.origin}})
        self.call("POST", "/secrets", key, {"name": "svc", "type": "API_KEY", "value": SECRET,
                                            "allowedHosts": ["127.0.0.1"]}, expect=201)
        check = {"url": self.api.origin + "/status/204", "expectStatus": 204}
        self.call("PUT", "/secrets/svc/health-check", key, check)
        token_id = self.connect(key, "github", "gh-isolation")
        api_before, fake_before = self.api.count(), len(self.fake.api_requests)

        # Another account: none of them exists for it.
        for method, path, body in (("POST", "/credentials/openai/test", None),
                                   ("POST", "/secrets/svc/test", None),
                                   ("PUT", "/secrets/svc/health-check",
                                    {"url": self.api.origin + "/status/200"}),
                                   ("POST", "/oauth-tokens/%s/test" % token_id, None)):
            self.error(method, path, other, body, 404, "NOT_FOUND")
        self.assertEqual(self.call("GET", "/credentials", other)["health"], {})

        # Keys without the write scope (and one with only the other's).
        reader = self.call("POST", "/api-keys", key,
                           {"name": "reader", "scopes": ["credentials:read", "oauth:read"]},
                           expect=201)["apiKey"]
        cred_writer = self.call("POST", "/api-keys", key,
                                {"name": "cw", "scopes": ["credentials:write"]},
                                expect=201)["apiKey"]
        oauth_writer = self.call("POST", "/api-keys", key,
                                 {"name": "ow", "scopes": ["oauth:write", "proxy"]},
                                 expect=201)["apiKey"]
        for who in (reader, oauth_writer):
            self.error("POST", "/credentials/openai/test", who, None, 403, "FORBIDDEN")
            self.error("POST", "/secrets/svc/test", who, None, 403, "FORBIDDEN")
            self.error("PUT", "/secrets/svc/health-check", who,
                       {"url": self.api.origin + "/status/200"}, 403, "FORBIDDEN")
        for who in (reader, cred_writer):
            self.error("POST", "/oauth-tokens/%s/test" % token_id, who, None, 403, "FORBIDDEN")
        self.error("POST", "/secrets/svc/test", None, None, 401, "UNAUTHORIZED")
        self.assertEqual((self.api.count(), len(self.fake.api_requests)),
                         (api_before, fake_before))
        self.assertEqual(self.call("GET", "/secrets/svc", key)["health"], UNKNOWN)

        # The right scopes test them; the refused PUTs changed nothing.
        self.assert_health(self.call("POST", "/credentials/openai/test", cred_writer), "healthy")
        self.assert_health(self.call("POST", "/secrets/svc/test", cred_writer), "healthy")
        self.assertEqual(self.api.last()["path"], "/status/204")
        self.assert_health(self.call("POST", "/oauth-tokens/%s/test" % token_id, oauth_writer),
                           "healthy")
        self.assertEqual(self.call("GET", "/credentials", other)["health"], {})
        self.assertEqual(self.call("GET", "/secrets", other)["data"], [])

    def test_zz_planted_values_appear_in_no_answer_log_audit_event_or_webhook(self):
        # Runs last (alphabetical order): every answer so far, the audit
        # events of every account, every webhook body, and the log.
        if not self.accounts:
            self.skipTest("run with the rest of the file")
        planted = PLANTED + list(self.fake.issued) + list(CLIENT_SECRETS.values())
        for _, key in self.accounts:
            events = json.dumps(self.call("GET", "/audit-events?limit=1000", key)["data"])
            for p in planted:
                self.assertNotIn(p, events)
        for status, body, headers in self.responses:
            for p in planted:
                self.assertNotIn(p, body)
                self.assertNotIn(p, headers)
        posts = [p for rx in self.receivers for p in rx.posts()]
        self.assertTrue(posts)
        for post in posts:
            text = post["body"].decode(errors="replace") + json.dumps(post["headers"])
            for p in planted:
                self.assertNotIn(p, text)
        log = self.server.stderr()
        self.assertIn('"event":"request"', log)
        for p in planted:
            self.assertNotIn(p, log)


if __name__ == "__main__":
    unittest.main()
