"""Hostile input against every route of the real latchkeyd.

One server for the whole class (restarted on the same data dir if a case
kills it, so one crash does not hide the other cases). Cases are generated
from tables: every route in GET /openapi.json (checked against the table
below, so a new route has to be added here) crossed with bad auth, malformed
and wrong-typed bodies, deep nesting, hostile path and query parameters,
other tenants' ids, wrong methods; plus raw-socket cases against the HTTP
layer. Every case runs in its own subTest and must get a 4xx JSON error
{"error","code","status"} (or the documented success for input that is in
fact fine), never a 5xx, never a hang. Afterwards the stored state (lists,
audit chains, JWKS) must be what it was before the hostile batches, the
audit chains must verify, and no response or log line may carry a planted
secret. The last test checks that at least MIN_CASES cases ran.
"""
import http.client
import json
import os
import re
import secrets
import socket
import tempfile
import time
import unittest
import urllib.parse

from fake_oauth import CLIENT_SECRETS, FakeProviders, client_id
from server import Server

MIN_CASES = 300
TIMEOUT = 5.0  # seconds a case may take before it counts as a hang
MAX_RESTARTS = 10  # after this many crashes the remaining cases fail at once
APP = "http://127.0.0.1:9/oauth/done"  # redirect URI the sessions return to (never connected)
UPSTREAM = "upstream.invalid"  # the only host credentials may reach; never resolves

ADMIN = "lk_admin_hostile_" + secrets.token_hex(16)
OPENAI = "sk-hostile-openai-" + secrets.token_hex(8)
ANTHROPIC = "sk-ant-hostile-" + secrets.token_hex(8)
BEARER_A = "hostile-bearer-a-" + secrets.token_hex(8)
BEARER_B = "hostile-bearer-b-" + secrets.token_hex(8)
REPLACEMENT = "sk-hostile-replacement-" + secrets.token_hex(6)  # only ever in rejected bodies
HUGE = "A" * 100_000
DEPTH = 100_000
DEPTH_MESSAGE = r"depth|deeper"  # the error must name the nesting limit

ALL_SCOPES = ["certificates:read", "certificates:write", "tokens:sign", "credentials:read",
              "credentials:write", "oauth:read", "oauth:write", "oauth:token", "proxy",
              "audit:read", "api-keys:write", "webhooks:write"]

# Every route and what it needs: "public", "admin", the API key scope, or
# None for any API key.
# Must match GET /openapi.json exactly (test_00_route_table_matches_openapi).
ROUTES = {
    ("GET", "/healthz"): "public",
    ("GET", "/readyz"): "public",
    ("GET", "/openapi.json"): "public",
    ("GET", "/metrics"): "public",  # its own bearer token (--metrics-token), 404 without one
    ("GET", "/accounts/{accountId}/.well-known/jwks.json"): "public",
    ("GET", "/accounts/{accountId}/.well-known/openid-configuration"): "public",
    ("GET", "/certificates/public/{kid}"): "public",
    ("GET", "/auth/{provider}"): "public",
    ("GET", "/auth/callback"): "public",
    ("GET", "/admin/accounts"): "admin",
    ("POST", "/admin/accounts"): "admin",
    ("DELETE", "/admin/accounts/{id}"): "admin",
    ("GET", "/admin/audit-events"): "admin",
    ("GET", "/admin/audit-events/verify"): "admin",
    ("GET", "/admin/key-pool"): "admin",
    ("GET", "/api-keys"): "api-keys:write",
    ("POST", "/api-keys"): "api-keys:write",
    ("DELETE", "/api-keys/{id}"): "api-keys:write",
    ("GET", "/api-keys/current"): None,
    ("GET", "/audit-events"): "audit:read",
    ("GET", "/audit-events/verify"): "audit:read",
    ("GET", "/certificates"): "certificates:read",
    ("POST", "/certificates"): "certificates:write",
    ("GET", "/certificates/active"): "certificates:read",
    ("POST", "/certificates/rotate"): "certificates:write",
    ("GET", "/certificates/rotation-policy"): "certificates:read",
    ("PUT", "/certificates/rotation-policy"): "certificates:write",
    ("GET", "/certificates/{id}"): "certificates:read",
    ("DELETE", "/certificates/{id}"): "certificates:write",
    ("POST", "/certificates/{id}/revoke"): "certificates:write",
    ("POST", "/tokens"): "tokens:sign",
    ("POST", "/tokens/verify"): "tokens:sign",
    ("GET", "/credentials"): "credentials:read",
    ("PUT", "/credentials"): "credentials:write",
    ("GET", "/secrets"): "credentials:read",
    ("POST", "/secrets"): "credentials:write",
    ("GET", "/secrets/{name}"): "credentials:read",
    ("PUT", "/secrets/{name}"): "credentials:write",
    ("DELETE", "/secrets/{name}"): "credentials:write",
    ("GET", "/oauth/providers"): "oauth:read",
    ("GET", "/oauth/providers/{provider}"): "oauth:read",
    ("PUT", "/oauth/providers/{provider}"): "oauth:write",
    ("GET", "/oauth/redirect-uris"): "oauth:read",
    ("PUT", "/oauth/redirect-uris"): "oauth:write",
    ("POST", "/auth/sessions"): "oauth:write",
    ("POST", "/auth/exchange"): "oauth:write",
    ("GET", "/oauth-tokens"): "oauth:read",
    ("GET", "/oauth-tokens/{id}"): "oauth:read",
    ("DELETE", "/oauth-tokens/{id}"): "oauth:write",
    ("GET", "/oauth-tokens/{id}/access-token"): "oauth:token",
    ("GET", "/connections/{provider}/{identifierId}"): "oauth:read",
    ("GET", "/connections/{provider}/{identifierId}/access-token"): "oauth:token",
    ("GET", "/v1/proxy"): "proxy",
    ("POST", "/v1/proxy"): "proxy",
    ("PUT", "/v1/proxy"): "proxy",
    ("PATCH", "/v1/proxy"): "proxy",
    ("DELETE", "/v1/proxy"): "proxy",
    ("OPTIONS", "/v1/proxy"): "proxy",
    ("GET", "/proxy/{credential}/{path...}"): "proxy",
    ("POST", "/proxy/{credential}/{path...}"): "proxy",
    ("PUT", "/proxy/{credential}/{path...}"): "proxy",
    ("PATCH", "/proxy/{credential}/{path...}"): "proxy",
    ("DELETE", "/proxy/{credential}/{path...}"): "proxy",
    ("OPTIONS", "/proxy/{credential}/{path...}"): "proxy",
    ("POST", "/credentials/{provider}/test"): "credentials:write",
    ("POST", "/secrets/{name}/test"): "credentials:write",
    ("PUT", "/secrets/{name}/health-check"): "credentials:write",
    ("POST", "/oauth-tokens/{id}/test"): "oauth:write",
    ("GET", "/usage"): "credentials:read",
    ("GET", "/usage/limits"): "credentials:read",
    ("PUT", "/usage/limits"): "credentials:write",
    ("POST", "/webhooks"): "webhooks:write",
    ("GET", "/webhooks"): "webhooks:write",
    ("GET", "/webhooks/event-types"): None,
    ("GET", "/webhooks/{id}"): "webhooks:write",
    ("PATCH", "/webhooks/{id}"): "webhooks:write",
    ("DELETE", "/webhooks/{id}"): "webhooks:write",
    ("POST", "/webhooks/{id}/rotate-secret"): "webhooks:write",
    ("POST", "/webhooks/{id}/test"): "webhooks:write",
    ("GET", "/webhooks/{id}/deliveries"): "webhooks:write",
    ("POST", "/webhooks/{id}/deliveries/{deliveryId}/retry"): "webhooks:write",
    ("POST", "/mcp"): None,  # any key; each tool checks its own scope
    ("GET", "/mcp"): None,
    ("DELETE", "/mcp"): None,
    ("GET", "/proxy/oauth/{tokenId}/{path...}"): "proxy",
    ("POST", "/proxy/oauth/{tokenId}/{path...}"): "proxy",
    ("PUT", "/proxy/oauth/{tokenId}/{path...}"): "proxy",
    ("PATCH", "/proxy/oauth/{tokenId}/{path...}"): "proxy",
    ("DELETE", "/proxy/oauth/{tokenId}/{path...}"): "proxy",
    ("OPTIONS", "/proxy/oauth/{tokenId}/{path...}"): "proxy",
}

# Path parameters that do not appear in a fixture (filled in setUpClass).
STATIC_PARAMS = {"provider": "google", "kid": "no-such-kid", "credential": "a-bearer",
                 "path": "hostile/path"}

# Bodies that are valid in shape, so one hostile change is the only problem.
# (PUT /secrets/{name} targets the planted secret; PUT /oauth/providers/google
# the registered provider. None of these may end up applied by a hostile case.)
def base_bodies():
    return {
        ("POST", "/admin/accounts"): {"name": "hostile-new-account"},
        ("POST", "/api-keys"): {"name": "hostile-key", "scopes": ["proxy"]},
        ("POST", "/auth/exchange"): {"code": "c0de", "provider": "google", "redirectUri": APP,
                                     "state": "no-such-state"},
        ("POST", "/auth/sessions"): {"provider": "google", "identifierId": "hostile-user",
                                     "redirectUri": APP},
        ("POST", "/certificates"): {"name": "hostile-cert", "algorithm": "ES256",
                                    "custody": "managed"},
        ("PUT", "/certificates/rotation-policy"): {"rotationPeriod": 86400 * 30, "overlap": 7200},
        ("PUT", "/credentials"): {"openaiApiKey": REPLACEMENT},
        ("PUT", "/oauth/providers/{provider}"): {"clientId": "hostile-client",
                                                 "clientSecret": REPLACEMENT},
        ("PUT", "/oauth/redirect-uris"): {"redirectUris": ["https://hostile.example/cb"]},
        ("POST", "/secrets"): {"name": "hostile-secret", "type": "API_KEY",
                               "value": REPLACEMENT, "allowedHosts": [UPSTREAM]},
        ("PUT", "/secrets/{name}"): {"value": REPLACEMENT},
        ("POST", "/tokens"): {"claims": {"role": "agent"}, "audience": "api", "subject": "s",
                              "expiresIn": 60},
        ("POST", "/tokens/verify"): {"token": "x.y.z"},
        ("POST", "/webhooks"): {"url": "https://hostile.example/hook", "events": ["*"]},
        ("PATCH", "/webhooks/{id}"): {"description": "hostile"},
        ("PUT", "/usage/limits"): {"credential": "openai", "maxCallsPerDay": 1000},
        ("PUT", "/secrets/{name}/health-check"): {"url": "https://hostile.example/health"},
    }


# Routes whose handlers change nothing stored, so input the server may
# legitimately accept is allowed to succeed there (status it then answers).
HARMLESS_SUCCESS = {("POST", "/tokens"): 200, ("POST", "/tokens/verify"): 200}

# (route, field) pairs whose string *content* is free-form and may be
# accepted as is (a JWT subject or audience, a token to verify).
FREE_TEXT = {(("POST", "/tokens"), "subject"), (("POST", "/tokens"), "audience"),
             (("POST", "/tokens/verify"), "token"), (("POST", "/tokens/verify"), "audience")}


def deep_array(n=DEPTH):
    return "[" * n + "]" * n


def deep_object(n=DEPTH):
    return '{"a":' * n + "1" + "}" * n


def fill(template, params):
    return re.sub(r"\{(\w+)(?:\.\.\.)?\}", lambda m: params[m.group(1)], template)


def parse_responses(data, head=False):
    """Complete HTTP responses in `data`: list of (status, headers, body).
    `head`: answers to HEAD, whose Content-Length describes no body."""
    out = []
    while True:
        end = data.find(b"\r\n\r\n")
        if end < 0:
            return out
        lines = data[:end].decode("latin-1").split("\r\n")
        m = re.match(r"HTTP/1\.[01] (\d{3})", lines[0])
        if not m:
            return out
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers.setdefault(k.strip().lower(), []).append(v.strip())
        length = 0 if head else int(headers.get("content-length", ["0"])[0] or 0)
        if "chunked" in headers.get("transfer-encoding", [""])[0].lower():
            return out  # never expected from these routes
        if len(data) < end + 4 + length:
            return out
        out.append((int(m.group(1)), headers, data[end + 4:end + 4 + length]))
        data = data[end + 4 + length:]


class HostileTest(unittest.TestCase):
    cases_run = 0
    batches_run = set()
    deaths = []            # (case name, stderr tail) for every case the server died on
    seen = []              # (case, response headers + body) of every hostile case
    hit = set()            # (method, path) of every hostile HTTP case

    # ---- server and fixtures ------------------------------------------------

    @classmethod
    def setUpClass(cls):
        cls.fake = FakeProviders()
        cls.tmp = tempfile.TemporaryDirectory(prefix="latchkey-hostile-")
        providers = os.path.join(cls.tmp.name, "providers.json")
        with open(providers, "w") as f:
            json.dump(cls.fake.providers_file(), f)
        cls.data_dir = os.path.join(cls.tmp.name, "data")
        cls.args = ["--header-timeout-ms", "2000", "--body-timeout-ms", "2000",
                    "--key-pool-size", "1", "--oauth-providers-file", providers,
                    "--proxy-allow-http", "127.0.0.1", "--proxy-allow-private", "127.0.0.1/32",
                    # Thousands of refused requests from one address: the rate
                    # limits have their own tests (http_hardening_test).
                    "--auth-failure-limit", "0", "--rate-limit-per-key", "0",
                    "--rate-limit-per-address", "0"]
        cls.servers = []
        cls.start_server()
        try:
            cls.make_fixtures()
            cls.before = cls.snapshot()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def start_server(cls):
        cls.server = Server(data_dir=cls.data_dir, args=cls.args,
                            env={"LATCHKEY_ADMIN_KEY": ADMIN}).start()
        cls.servers.append(cls.server)

    @classmethod
    def tearDownClass(cls):
        for s in cls.servers:
            s.cleanup()
        cls.fake.close()
        cls.tmp.cleanup()

    @classmethod
    def api(cls, method, path, key, body=None, expect=200):
        status, parsed, _ = cls.server.request(method, path, key, body)
        if expect is not None and status != expect:
            raise AssertionError("fixture %s %s: %d %s" % (method, path, status, parsed))
        return parsed

    @classmethod
    def new_account(cls, name):
        acct = cls.api("POST", "/admin/accounts", ADMIN, {"name": name}, expect=201)
        return acct["id"], acct["apiKey"], acct["apiKeyId"]

    @classmethod
    def new_key(cls, owner_key, name, scopes, **extra):
        body = {"name": name, "scopes": scopes}
        body.update(extra)
        k = cls.api("POST", "/api-keys", owner_key, body, expect=201)
        return k["id"], k["apiKey"]

    @classmethod
    def oauth_token(cls, key, identifier):
        """A real stored OAuth token: the whole browser flow against the fake."""
        s = cls.api("POST", "/auth/sessions", key, {"provider": "google", "identifierId": identifier,
                                                    "redirectUri": APP}, expect=201)
        url = s["url"]
        for _ in range(10):
            u = urllib.parse.urlsplit(url)
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
            conn.request("GET", u.path + ("?" + u.query if u.query else ""))
            resp = conn.getresponse()
            resp.read()
            conn.close()
            url = resp.getheader("Location")
            if url and url.startswith(APP):
                q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
                assert q.get("status") == "success", q
                return q["tokenId"]
        raise AssertionError("OAuth flow did not come back to the app")

    @classmethod
    def make_fixtures(cls):
        # Tenant A: the account under attack, with something in every table.
        cls.acct_a, cls.key_a, _ = cls.new_account("hostile-a")
        ka = cls.key_a
        cert = cls.api("POST", "/certificates", ka,
                       {"name": "a-managed", "algorithm": "ES256", "custody": "managed"}, expect=201)
        cls.cert_a, cls.kid_a = cert["id"], cert["kid"]
        cls.api("PUT", "/certificates/rotation-policy", ka,
                {"rotationPeriod": 86400 * 30, "overlap": 3600, "algorithm": "ES256"})
        exported = cls.api("POST", "/certificates", ka, {"name": "a-exported", "algorithm": "ES256"},
                           expect=201)
        cls.api("POST", "/certificates/%s/revoke" % exported["id"], ka)
        cls.revoked_kid_a = exported["kid"]
        cls.api("PUT", "/credentials", ka, {"openaiApiKey": OPENAI, "anthropicApiKey": ANTHROPIC,
                                            "allowedHosts": {"openai": [UPSTREAM],
                                                             "anthropic": [UPSTREAM]}})
        cls.api("POST", "/secrets", ka, {"name": "a-bearer", "type": "API_KEY", "value": BEARER_A,
                                         "allowedHosts": [UPSTREAM]}, expect=201)
        for d in ("google", "github"):
            cls.api("PUT", "/oauth/providers/" + d, ka,
                    {"clientId": client_id(d), "clientSecret": CLIENT_SECRETS[d]})
        cls.api("PUT", "/oauth/redirect-uris", ka, {"redirectUris": [APP]})
        cls.otk_a = cls.oauth_token(ka, "user-a")
        cls.audit_only_id, cls.audit_only = cls.new_key(ka, "audit-only", ["audit:read"])
        cls.proxy_only_id, cls.proxy_only = cls.new_key(ka, "proxy-only", ["proxy"])
        cls.restricted_id, cls.restricted = cls.new_key(ka, "anthropic-only", ["proxy"],
                                                        credentials=["anthropic"])
        cls.victim_key_id, _ = cls.new_key(ka, "victim", ["audit:read"])
        # A webhook whose receiver never answers (port 9), with one delivery.
        cls.webhook_a = cls.api("POST", "/webhooks", ka, {"url": "https://127.0.0.1:9/hook",
                                                          "events": ["certificate.created"]},
                                expect=201)["id"]
        cls.delivery_a = cls.api("POST", "/webhooks/%s/test" % cls.webhook_a, ka)["id"]
        revoked_id, cls.revoked_key = cls.new_key(ka, "revoked", ALL_SCOPES)
        cls.api("DELETE", "/api-keys/" + revoked_id, ka)

        # Tenant B: the other account, whose ids A must never reach (and back).
        cls.acct_b, cls.key_b, cls.key_b_id = cls.new_account("hostile-b")
        kb = cls.key_b
        cls.cert_b = cls.api("POST", "/certificates", kb, {"name": "b-managed", "algorithm": "ES256",
                                                           "custody": "managed"}, expect=201)["id"]
        cls.api("POST", "/secrets", kb, {"name": "b-only-secret", "type": "API_KEY",
                                         "value": BEARER_B, "allowedHosts": [UPSTREAM]}, expect=201)
        cls.api("PUT", "/oauth/providers/google", kb,
                {"clientId": client_id("google"), "clientSecret": CLIENT_SECRETS["google"]})
        cls.api("PUT", "/oauth/redirect-uris", kb, {"redirectUris": [APP]})
        cls.otk_b = cls.oauth_token(kb, "user-b")
        cls.key_b2_id, _ = cls.new_key(kb, "b-second", ["audit:read"])

        # Account D exists only to be (not) deleted; C is scratch space for
        # cases whose success would change state (not snapshotted).
        cls.acct_d, _, _ = cls.new_account("hostile-victim")
        cls.acct_c, cls.key_c, _ = cls.new_account("hostile-scratch")
        cls.key_c_writer_id, cls.key_c_writer = cls.new_key(cls.key_c, "keys-only", ["api-keys:write"])

        cls.planted = [OPENAI, ANTHROPIC, BEARER_A, BEARER_B, REPLACEMENT, ADMIN,
                       CLIENT_SECRETS["google"], CLIENT_SECRETS["github"]]
        # Filled path parameters (real ids of A, so a bypass would act on them).
        cls.params = dict(STATIC_PARAMS, accountId=cls.acct_a, name="a-bearer", tokenId=cls.otk_a,
                          deliveryId=cls.delivery_a, identifierId="user-a")
        cls.ids = {"/admin/accounts/{id}": cls.acct_d, "/api-keys/{id}": cls.victim_key_id,
                   "/certificates/{id}": cls.cert_a, "/certificates/{id}/revoke": cls.cert_a,
                   "/oauth-tokens/{id}": cls.otk_a, "/oauth-tokens/{id}/access-token": cls.otk_a,
                   "/oauth-tokens/{id}/test": cls.otk_a}
        for template in [t for (_, t) in ROUTES if t.startswith("/webhooks/{id}")]:
            cls.ids[template] = cls.webhook_a
        cls.doc = cls.api("GET", "/openapi.json", None)

    def path_for(self, template, **override):
        params = dict(self.params, id=self.ids.get(template, "x_none"))
        params.update(override)
        return fill(template, params)

    # ---- state snapshot -------------------------------------------------------

    VOLATILE = {"lastUsedAt", "useCount", "usage", "lastRefreshedAt", "health"}

    @classmethod
    def strip(cls, value):
        if isinstance(value, dict):
            return {k: cls.strip(v) for k, v in value.items() if k not in cls.VOLATILE}
        if isinstance(value, list):
            return [cls.strip(v) for v in value]
        return value

    @classmethod
    def audit_digest(cls, path, key):
        """The chain's events without the ones hostile input is meant to add
        (refused authentications and refused proxy calls)."""
        events, cursor = [], None
        while True:
            page = "&cursor=" + urllib.parse.quote(cursor, safe="") if cursor else ""
            st, body, _ = cls.server.request("GET", path + "?limit=1000" + page, key)
            assert st == 200, (path, st, body)
            events += [(e["action"], e["outcome"], e.get("resource"), e["id"])
                       for e in body["data"]
                       if e["action"] not in ("auth.denied", "proxy.request")]
            cursor = body.get("nextCursor")
            if not cursor:
                return events

    @classmethod
    def snapshot(cls):
        snap = {}
        for label, key, acct in (("A", cls.key_a, cls.acct_a), ("B", cls.key_b, cls.acct_b)):
            # Lists whole: one page of up to 1000 (default 50).
            for path in ("/api-keys?limit=1000", "/certificates?limit=1000",
                         "/certificates/active", "/certificates/rotation-policy", "/credentials",
                         "/secrets?limit=1000", "/secrets/a-bearer", "/oauth/providers?limit=1000",
                         "/oauth/redirect-uris", "/oauth-tokens?limit=1000", "/webhooks?limit=1000",
                         "/usage/limits?limit=1000"):
                st, body, _ = cls.server.request("GET", path, key)
                snap[label + " GET " + path] = (st, cls.strip(body))
            snap[label + " audit"] = cls.audit_digest("/audit-events", key)
            st, body, _ = cls.server.request("GET", "/accounts/%s/.well-known/jwks.json" % acct)
            snap[label + " jwks"] = (st, body)
        snap["admin accounts"] = cls.server.request("GET", "/admin/accounts?limit=1000", ADMIN)[:2]
        snap["admin audit"] = cls.audit_digest("/admin/audit-events", ADMIN)
        return snap

    # ---- running cases ----------------------------------------------------------

    def alive(self):
        if self.server.proc.poll() is not None:
            return False
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=3)
            conn.request("GET", "/healthz")
            ok = conn.getresponse().status == 200
            conn.close()
            return ok
        except (OSError, http.client.HTTPException):
            return False

    def revive(self, name):
        """Returns a failure message if the server died or stopped answering
        (and restarts it on the same data dir so later cases still run, up
        to MAX_RESTARTS times)."""
        if self.alive():
            return None
        time.sleep(0.2)
        if self.alive():
            return None
        tail = self.server.stderr()[-600:]
        code = self.server.proc.poll()
        type(self).deaths.append((name, code))
        self.server.cleanup()
        if len(self.deaths) <= MAX_RESTARTS:
            try:
                type(self).start_server()
            except RuntimeError as e:
                tail += " / restart failed: %s" % e
        return "server %s after %s (exit %s); stderr tail: %s" % (
            "died" if code is not None else "stopped answering", name, code, tail)

    def assertServerUsable(self):
        if len(self.deaths) > MAX_RESTARTS:
            self.fail("not run: the server crashed %d times (first: %s)" % (
                len(self.deaths), self.deaths[0][0]))

    def send(self, method, path, token=None, body=None, headers=(), content_type="application/json"):
        """One request on a fresh connection; body is bytes/str/JSON-able.
        Returns (status, headers {lower: value}, raw body)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=TIMEOUT)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            if token is not None:
                conn.putheader("Authorization", token if " " in token else "Bearer " + token)
            if body is not None:
                if not isinstance(body, (bytes, str)):
                    body = json.dumps(body)
                if isinstance(body, str):
                    body = body.encode("utf-8", "surrogatepass")
                if content_type:
                    conn.putheader("Content-Type", content_type)
                conn.putheader("Content-Length", str(len(body)))
            elif method in ("POST", "PUT", "PATCH"):
                conn.putheader("Content-Length", "0")
            for k, v in headers:
                conn.putheader(k, v)
            conn.endheaders(body)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        finally:
            conn.close()

    def check_error(self, status, headers, data):
        self.assertTrue(headers.get("content-type", "").startswith("application/json"),
                        "error without a JSON content type: %r" % headers.get("content-type"))
        try:
            body = json.loads(data)
        except ValueError:
            self.fail("error body is not JSON: %r" % data[:200])
        self.assertIsInstance(body, dict, data[:200])
        self.assertEqual(set(body), {"error", "code", "status"}, body)
        self.assertEqual(body["status"], status, body)
        self.assertIsInstance(body["error"], str)
        self.assertTrue(body["error"], body)
        self.assertRegex(body["code"], r"^[A-Z_]+$")
        return body

    def run_case(self, name, method, path, token=None, body=None, headers=(), expect=(400,),
                 code=None, contains=None, content_type="application/json", check=None):
        """One hostile HTTP request in its own subTest. `expect`: the statuses
        that are right; `code`/`contains`: the error code and a substring of
        its message (when the answer is an error); `check(status, headers,
        body)`: anything else."""
        type(self).cases_run += 1
        type(self).hit.add((method, path.split("?")[0]))
        with self.subTest(name):
            self.assertServerUsable()
            result, err = None, None
            start = time.time()
            try:
                result = self.send(method, path, token, body, headers, content_type)
            except (socket.timeout, TimeoutError):
                err = "no answer within %.0f s (hang)" % TIMEOUT
            except (OSError, http.client.HTTPException) as e:
                err = "connection failed without an answer: %r" % (e,)
            dead = self.revive(name)
            self.assertIsNone(dead, dead)
            self.assertIsNone(err, "%s %s: %s" % (method, path[:120], err))
            status, rheaders, data = result
            type(self).seen.append((name, json.dumps(rheaders).encode() + b" " + data))
            self.assertLess(status, 500, "%s %s -> %d %r" % (method, path[:120], status, data[:300]))
            self.assertIn(status, tuple(expect), "%s %s -> %d %r (%.1fs)" % (
                method, path[:120], status, data[:300], time.time() - start))
            if status >= 400:
                err_body = self.check_error(status, rheaders, data)
                if code:
                    self.assertEqual(err_body["code"], code, err_body)
                if contains:
                    self.assertRegex(err_body["error"].lower(), contains.lower())
            if check:
                check(status, rheaders, data)

    def raw(self, payload, responses=1, timeout=TIMEOUT, head=False):
        """Sends raw bytes; reads until `responses` complete answers, the
        server closes, or the timeout. Returns (data, closed, hung)."""
        s = socket.create_connection(("127.0.0.1", self.server.port))
        s.settimeout(timeout)
        data, closed, hung = b"", False, False
        deadline = time.time() + timeout
        try:
            s.sendall(payload)
            while len(parse_responses(data, head)) < responses:
                s.settimeout(max(0.01, deadline - time.time()))
                chunk = s.recv(65536)
                if not chunk:
                    closed = True
                    break
                data += chunk
        except (socket.timeout, TimeoutError):
            hung = True
        except (ConnectionResetError, BrokenPipeError):
            closed = True
        finally:
            s.close()
        return data, closed, hung

    def run_raw(self, name, payload, expect, allow_close=True, no_body=False, forbid=(),
                contains=None, followup=True, timeout=TIMEOUT):
        """A raw-socket case. `expect`: one tuple of allowed statuses per
        response the payload should get. An error must be a JSON error
        object (a 408 from the transport may be empty), or the server may
        close the connection without answering when `allow_close`."""
        type(self).cases_run += 1
        with self.subTest(name):
            self.assertServerUsable()
            data, _, hung = self.raw(payload, len(expect), timeout, head=no_body)
            dead = self.revive(name)
            self.assertIsNone(dead, dead)
            type(self).seen.append((name, data))
            got = parse_responses(data, no_body)
            if not got:
                self.assertFalse(hung, "no answer and the connection stayed open: hang (%r)" % data[:200])
                self.assertTrue(allow_close and data == b"",
                                "no complete answer before close: %r" % data[:300])
            else:
                for i, (status, headers, body) in enumerate(got[:len(expect)]):
                    self.assertIn(status, expect[i], "answer %d: %r" % (i, data[:400]))
                    self.assertLess(status, 500 if 501 not in expect[i] else 502, data[:300])
                    if no_body:
                        self.assertEqual(body, b"", "HEAD answer with a body")
                    elif status >= 400 and not (status == 408 and body == b""):
                        err = self.check_error(status, {k: v[0] for k, v in headers.items()}, body)
                        if contains:
                            self.assertIn(contains.lower(), err["error"].lower(), err)
                    for h in forbid:
                        self.assertNotIn(h.lower(), headers, "injected header %s came back" % h)
                if len(got) < len(expect):
                    self.assertFalse(hung, "only %d of %d answers, then a hang: %r" % (
                        len(got), len(expect), data[-300:]))
            if followup:  # the server must still answer a fresh connection normally
                status, _, body = self.send("GET", "/healthz")
                self.assertEqual((status, json.loads(body)), (200, {"status": "ok"}))

    def end_batch(self, name):
        type(self).batches_run.add(name)
        self.assertServerUsable()
        self.assertTrue(self.alive(), "server not answering at the end of " + name)

    # ---- the route table --------------------------------------------------------

    def openapi_routes(self):
        out = {}
        for path, ops in self.doc["paths"].items():
            for method, op in ops.items():
                if method.upper() in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"):
                    out[(method.upper(), path)] = op
        return out

    def test_00_route_table_matches_openapi(self):
        ops = self.openapi_routes()
        self.assertEqual(sorted(ops), sorted(ROUTES),
                         "GET /openapi.json and ROUTES differ: add new routes to this suite")
        for route, op in ops.items():
            with self.subTest(route=route):
                security = [list(s)[0] for s in op.get("security", [])]
                if ROUTES[route] == "public":
                    self.assertEqual(security, [])
                elif ROUTES[route] == "admin":
                    self.assertEqual(security, ["adminKey"])
                else:
                    self.assertEqual(security, ["apiKey"])
                    self.assertEqual(op.get("x-required-scope"), ROUTES[route])
        self.assertEqual(sorted(r for r in ops if "requestBody" in ops[r]),
                         sorted(base_bodies()), "routes with a body changed")

    # ---- batches ----------------------------------------------------------------

    def route_token(self, route):
        """The right credentials for a route (all scopes of tenant A)."""
        need = ROUTES[route]
        if need == "public":
            return None
        if need == "admin":
            return ADMIN
        return self.key_a

    def test_10_authentication_and_scopes(self):
        bodies = base_bodies()
        for route, need in sorted(ROUTES.items()):
            if need == "public":
                continue
            method, template = route
            path = self.path_for(template)
            body = bodies.get(route)
            tampered = self.key_a[:-1] + ("A" if self.key_a[-1] != "A" else "B")
            bad = [("no Authorization", None, ()),
                   ("unknown key", "lk_key_nope.nope", ()),
                   ("Basic scheme", "Basic YWRtaW46YWRtaW4=", ()),
                   ("empty bearer", "Bearer ", ()),
                   ("tampered key", tampered, ()),
                   ("revoked key", self.revoked_key, ()),
                   ("4 KB key", "lk_key_" + "a" * 4000 + ".b", ()),
                   ("key without its secret", self.key_a.split(".")[0], ()),
                   ("admin key with a suffix", ADMIN + "x", ()),
                   ("bad key first of two", None, (("Authorization", "Bearer lk_key_nope.nope"),
                                                    ("Authorization", "Bearer " + self.key_a)))]
            if need == "admin":
                bad.append(("account key on an admin route", self.key_a, ()))
            else:
                bad.append(("admin key on an account route", ADMIN, ()))
                bad.append(("other tenant's key with B's secret", self.key_b.split(".")[0] + "."
                            + self.key_a.split(".")[1], ()))
            for label, token, extra in bad:
                self.run_case("%s %s: %s" % (method, template, label), method, path, token, body,
                              extra, expect=(401,), code="UNAUTHORIZED")
            if need not in ("admin", None):
                lacking = self.proxy_only if need == "audit:read" else self.audit_only
                self.run_case("%s %s: key without %s" % (method, template, need), method, path,
                              lacking, body, expect=(403,), code="FORBIDDEN", contains=need)
        self.end_batch("auth")

    def test_20_malformed_bodies(self):
        bodies = base_bodies()
        for route, base in sorted(bodies.items()):
            method, template = route
            path = self.path_for(template)
            token = self.route_token(route)
            valid = json.dumps(base)
            first_field = next(iter(base))
            cases = [
                ("empty body", b""),
                ("whitespace only", b"   \r\n\t "),
                ("unterminated object", b"{"),
                ("missing value", b'{"name":}'),
                ("unterminated array", b"[1,2"),
                ("bare word", b"nul"),
                ("trailing garbage", (valid + "x").encode()),
                ("two objects", (valid + " " + valid).encode()),
                ("single quotes", valid.replace('"', "'").encode()),
                ("comment", ("/*c*/" + valid).encode()),
                ("NaN", b'{"x": NaN}'),
                ("trailing comma", (valid[:-1] + ",}").encode()),
                ("array instead of object", ("[" + valid + "]").encode()),
                ("string instead of object", b'"just a string"'),
                ("number instead of object", b"123"),
                ("null instead of object", b"null"),
                ("invalid UTF-8 in a string", b'{"%s": "\xff\xfe"}' % first_field.encode()),
                ("overlong UTF-8 in a string", b'{"%s": "\xc0\xae\xc0\xae"}' % first_field.encode()),
                ("raw NUL in a string", b'{"%s": "a\x00b"}' % first_field.encode()),
                ("raw control character in a string", b'{"%s": "a\x01b"}' % first_field.encode()),
                ("lone surrogate escape", ('{"%s": "\\ud800"}' % first_field).encode()),
                ("unknown field", json.dumps(dict(base, zzUnknownField=1)).encode()),
                ("__proto__ field", json.dumps(dict(base, __proto__={"admin": True})).encode()),
                ("empty-named field", json.dumps(dict(base, **{"": 1})).encode()),
                ("duplicate key, invalid last",
                 (valid[:-1] + ', "%s": [{}]}' % first_field).encode()),
            ]
            for label, raw_body in cases:
                contains = "zzunknownfield" if label == "unknown field" else None
                self.run_case("%s %s: %s" % (method, template, label), method, path, token,
                              raw_body, expect=(400,), code="BAD_REQUEST", contains=contains)
            # Wrong content types with a body that is not JSON.
            for ctype, raw_body in (
                    ("application/x-www-form-urlencoded", b"name=x&scopes=proxy"),
                    ("multipart/form-data; boundary=zz",
                     b'--zz\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--zz--\r\n'),
                    ("application/json; charset=utf-16", valid.encode("utf-16")),
                    ("application/xml", b"<name>x</name>")):
                self.run_case("%s %s: %s body" % (method, template, ctype), method, path, token,
                              raw_body, content_type=ctype, expect=(400, 415))
            self.run_case("%s %s: 2 MB body" % (method, template), method, path, token,
                          b'{"name": "' + b"x" * (2 << 20) + b'"}', expect=(413,),
                          code="PAYLOAD_TOO_LARGE")
        # Valid JSON with a content type that is not JSON, where success is harmless.
        self.run_case("POST /tokens/verify: text/plain", "POST", "/tokens/verify", self.key_a,
                      json.dumps({"token": "x.y.z"}), content_type="text/plain",
                      expect=(200, 400, 415))
        self.run_case("POST /tokens/verify: no content type", "POST", "/tokens/verify", self.key_a,
                      json.dumps({"token": "x.y.z"}), content_type=None, expect=(200, 400, 415))
        self.end_batch("bodies")

    def wrong_values(self, schema):
        """Values of the wrong type (or out of range) for a field's schema."""
        types = schema.get("type")
        # An optional field may be null (absent): the wrong values are those of its other type.
        if "enum" in schema:
            schema = dict(schema, enum=[e for e in schema["enum"] if e is not None])
        if isinstance(types, list) and "null" in types and types not in (["string", "null"],
                                                                         ["integer", "null"]):
            (types,) = [t for t in types if t != "null"]
        if "oneOf" in schema:  # audience: a string or an array of strings
            return [("number", 1), ("boolean", True), ("object", {}), ("array of numbers", [1]),
                    ("nested array", [["a"]])]
        if "enum" in schema and all(isinstance(e, int) for e in schema["enum"]):
            return [("string", "2048"), ("fraction", 2048.5), ("negative", -2048), ("zero", 0),
                    ("-0", -0.0), ("1e308", 1e308), ("-1e308", -1e308), ("2^63", 2 ** 63),
                    ("2^64+1", 2 ** 64 + 1), ("boolean", True), ("array", [2048]),
                    ("unlisted size", 1024)]
        if "enum" in schema:
            return [("number", 1), ("boolean", True), ("array", [schema["enum"][0]]),
                    ("case swapped", schema["enum"][0].swapcase()), ("empty", ""), ("none", "none"),
                    ("padded", " " + schema["enum"][0])]
        if types == "integer":
            return [("string", "60"), ("fraction", 1.5), ("negative", -1), ("zero", 0),
                    ("-0", -0.0), ("1e308", 1e308), ("-1e308", -1e308), ("2^63", 2 ** 63),
                    ("-2^63-1", -(2 ** 63) - 1), ("2^64", 2 ** 64), ("10^30", 10 ** 30),
                    ("boolean", True), ("object", {})]
        if types == "array":
            return [("string", "x"), ("number", 1), ("object", {}), ("array of numbers", [1]),
                    ("array of nulls", [None]), ("array of arrays", [["x"]]),
                    ("array of objects", [{}])]
        if types == "object":
            vals = [("string", "x"), ("number", 1), ("array", []), ("boolean", True)]
            if schema.get("additionalProperties", {}).get("type") == "string":
                vals += [("object of numbers", {"k": 1}), ("object of objects", {"k": {}}),
                         ("object of arrays", {"k": ["v"]})]
            return vals
        if types == ["string", "null"]:
            return [("number", 1), ("boolean", True), ("array", []), ("object", {})]
        if types == ["integer", "null"]:  # null has a meaning (PUT /usage/limits: remove)
            return [("string", "60"), ("fraction", 1.5), ("negative", -1), ("zero", 0),
                    ("1e308", 1e308), ("2^63", 2 ** 63), ("boolean", True), ("object", {})]
        if types == "boolean":
            return [("string", "true"), ("number", 1), ("array", [True]), ("object", {})]
        # strings
        return [("number", 123), ("boolean", True), ("array", ["x"]), ("object", {}),
                ("float", 1e308)]

    def string_contents(self):
        return [("100 KB string", HUGE), ("NUL escape", "ab\u0000cd-hostile-value"),
                ("CRLF escape", "ab\r\nX-Injected: 1"), ("DEL", "ab\u007fcd-hostile-value")]

    def test_30_wrong_types_and_values_per_field(self):
        ops = self.openapi_routes()
        for route, base in sorted(base_bodies().items()):
            method, template = route
            schema = ops[route]["requestBody"]["content"]["application/json"]["schema"]
            props = dict(schema.get("properties", {}))
            if route == ("PUT", "/credentials"):  # additionalProperties: one per provider field
                props.setdefault("googleApiKey", {"type": ["string", "null"]})
            required = set(schema.get("required", []))
            path = self.path_for(template)
            token = self.route_token(route)
            harmless = HARMLESS_SUCCESS.get(route)
            for field, fschema in sorted(props.items()):
                values = self.wrong_values(fschema)
                nullable = "null" in (fschema.get("type") or []) or None in fschema.get("enum", [])
                if field in required and not nullable:  # maxCallsPerDay: null removes the limit
                    values.append(("null for a required field", None))
                is_string = fschema.get("type") in ("string", ["string", "null"]) or "oneOf" in fschema
                if is_string:
                    free = (route, field) in FREE_TEXT
                    for label, v in self.string_contents():
                        expect = (400, harmless) if (free and harmless) else (400,)
                        if field == "provider":  # an unknown provider may be 404
                            expect = (400, 404)
                        self.run_case("%s %s: %s = %s" % (method, template, field, label), method,
                                      path, token, dict(base, **{field: v}), expect=expect)
                for label, v in values:
                    self.run_case("%s %s: %s = %s" % (method, template, field, label), method,
                                  path, token, dict(base, **{field: v}), expect=(400,),
                                  code="BAD_REQUEST")
                if fschema.get("type") == "integer" or "enum" in fschema and isinstance(
                        fschema["enum"][0], int):
                    # Number literals as written, not as Python would print them.
                    for literal in ("-0", "-0e0", "1e308", "1E400", "-1e308", "4.9e-324",
                                    "99999999999999999999999999", "-9223372036854775809",
                                    "18446744073709551616", "0x10", "+5", "05", ".5", "5.",
                                    "Infinity", "-Infinity", "NaN", "1_000"):
                        text = json.dumps(dict(base, **{field: "@@"})).replace('"@@"', literal)
                        self.run_case("%s %s: %s = %s" % (method, template, field, literal),
                                      method, path, token, text, expect=(400,), code="BAD_REQUEST")
        # Specific hostile values documented as refused.
        specific = [
            ("PUT", "/credentials", {"openaiApiKey": "short"}),
            ("PUT", "/credentials", {"allowedHosts": {"openai": ["*"]}}),
            ("PUT", "/credentials", {"allowedHosts": {"no-such-provider": [UPSTREAM]}}),
            ("PUT", "/credentials", {"allowedHosts": {"openai": UPSTREAM}}),
            ("PUT", "/credentials", {"allowedHosts": {"openai": ["*.com"]}}),
            ("PUT", "/credentials", {"noSuchProviderApiKey": REPLACEMENT}),
            ("PUT", "/credentials", {"openaiApiKey": REPLACEMENT, "zz": None}),
            ("POST", "/secrets", dict(base_bodies()[("POST", "/secrets")], type="CUSTOM_HEADER",
                                      headers={"X-A\r\nB": REPLACEMENT})),
            ("POST", "/secrets", dict(base_bodies()[("POST", "/secrets")], type="CUSTOM_HEADER",
                                      headers={"Host": "evil.test"})),
            ("POST", "/secrets", dict(base_bodies()[("POST", "/secrets")], type="CUSTOM_HEADER",
                                      headers={"Authorization": REPLACEMENT})),
            ("POST", "/secrets", dict(base_bodies()[("POST", "/secrets")], type="COOKIE",
                                      cookies="a=b\r\nX: y")),
            ("POST", "/secrets", dict(base_bodies()[("POST", "/secrets")], type="BASIC_AUTH",
                                      username="a:b", password=REPLACEMENT)),
            ("POST", "/secrets", dict(base_bodies()[("POST", "/secrets")], type="QUERY_PARAM",
                                      param="k&admin=1")),
            ("POST", "/secrets", dict(base_bodies()[("POST", "/secrets")], allowedHosts=["*"])),
            ("POST", "/secrets", dict(base_bodies()[("POST", "/secrets")], allowedHosts=[])),
            ("POST", "/secrets", dict(base_bodies()[("POST", "/secrets")], allowedHosts=["a/b"])),
            ("POST", "/secrets", dict(base_bodies()[("POST", "/secrets")], name="../a-bearer")),
            ("POST", "/secrets", dict(base_bodies()[("POST", "/secrets")], name="a-bearer"), (409,)),
            ("POST", "/secrets", dict(base_bodies()[("POST", "/secrets")], value="x" * 9000)),
            ("POST", "/api-keys", {"name": "k", "scopes": ["admin"]}),
            ("POST", "/api-keys", {"name": "k", "scopes": []}),
            ("POST", "/api-keys", {"name": "k", "scopes": ["proxy", "proxy"]}),
            ("POST", "/api-keys", {"name": "k", "scopes": ["proxy"], "expiresAt": "2000-01-01T00:00:00Z"}),
            ("POST", "/api-keys", {"name": "k", "scopes": ["proxy"], "expiresAt": "tomorrow"}),
            ("POST", "/api-keys", {"name": "k", "scopes": ["proxy"], "expiresAt": "9999-99-99T99:99:99Z"}),
            ("POST", "/api-keys", {"name": "", "scopes": ["proxy"]}),
            ("POST", "/certificates", {"name": "c", "algorithm": "HS256"}),
            ("POST", "/certificates", {"name": "c", "algorithm": "none"}),
            ("POST", "/certificates", {"name": "c", "algorithm": "ES256", "keySize": 4096}),
            ("POST", "/certificates", {"name": "c", "expiresAt": "1970-01-01T00:00:00Z"}),
            ("POST", "/certificates", {"name": "c", "metadata": {"k": "v\u0000"}}),
            ("PUT", "/certificates/rotation-policy", {"rotationPeriod": 1, "overlap": 3600}),
            ("PUT", "/certificates/rotation-policy", {"rotationPeriod": 86400, "overlap": 1}),
            ("POST", "/tokens", {"claims": {"iss": "evil"}}),
            ("POST", "/tokens", {"claims": {"exp": 9999999999}}),
            ("POST", "/tokens", {"claims": {"jti": "x"}}),
            ("POST", "/tokens", {"expiresIn": 10 ** 9}),
            ("POST", "/tokens", {"audience": []}),
            ("POST", "/tokens", {"claims": []}),
            ("PUT", "/oauth/redirect-uris", {"redirectUris": ["javascript:alert(1)"]}),
            ("PUT", "/oauth/redirect-uris", {"redirectUris": ["https://a.example/#frag"]}),
            ("PUT", "/oauth/redirect-uris", {"redirectUris": ["https://user:pw@a.example/"]}),
            ("PUT", "/oauth/redirect-uris", {"redirectUris": ["http://evil.example/"]}),
            ("PUT", "/oauth/redirect-uris", {"redirectUris": ["https://a.example/%d" % i
                                                              for i in range(33)]}),
            ("PUT", "/oauth/redirect-uris", {"redirectUris": ["https://a.example/\r\nx"]}),
            ("PUT", "/oauth/providers/google", {"clientId": "", "clientSecret": REPLACEMENT}),
            ("PUT", "/oauth/providers/google", {"clientId": "a\r\nb", "clientSecret": REPLACEMENT}),
            ("POST", "/auth/sessions", {"provider": "google", "identifierId": "u",
                                        "redirectUri": "https://evil.example/cb"}),
            ("POST", "/auth/sessions", {"provider": "google", "identifierId": "u",
                                        "redirectUri": APP + "/"}),
            ("POST", "/auth/sessions", {"provider": "no-such", "identifierId": "u",
                                        "redirectUri": APP}),
            ("POST", "/auth/sessions", {"provider": "google", "identifierId": "u",
                                        "redirectUri": APP, "delivery": "carrier-pigeon"}),
            ("POST", "/auth/sessions", {"provider": "google", "identifierId": "",
                                        "redirectUri": APP}),
            ("POST", "/admin/accounts", {"name": ""}),
        ]
        for method, path, body, *expect in specific:
            token = ADMIN if path.startswith("/admin") else self.key_a
            expect = expect[0] if expect else (400, 404) if path == "/auth/sessions" else (400,)
            self.run_case("%s %s: %s" % (method, path, json.dumps(body)[:80]), method, path, token,
                          body, expect=expect)
        self.end_batch("fields")

    def test_40_path_parameters(self):
        bodies = base_bodies()
        variants = [
            ("..", ".."), ("%2e%2e", "%2e%2e"), ("encoded traversal", "%2E%2E%2F%2E%2E%2Fadmin%2Faccounts"),
            ("traversal to passwd", "..%2f..%2f..%2f..%2fetc%2fpasswd"), ("%00", "%00"),
            ("embedded %00", "x%00y"), ("invalid UTF-8", "%ff%fe"), ("overlong UTF-8", "%c0%ae%c0%ae"),
            ("RTL override", "%e2%80%ae"), ("CRLF", "%0d%0aSet-Cookie:%20x=1"),
            ("SQL", "%27%20OR%20%271%27=%271"), ("star", "*"), ("%25", "%25"), ("lone %", "%"),
            ("bad escape", "%zz"), ("space", "%20"), ("4 KB", "a" * 4000), ("64 KB", "a" * 65536),
            ("real id + %00", "{real}%00"), ("real id + %00 + junk", "{real}%00junk"),
            ("real id + encoded slash", "{real}%2f.."), ("real id upper case", "{REAL}"),
            ("real id + space", "{real}%20"), ("real id + ;", "{real};x"),
        ]
        for route in sorted(ROUTES):
            method, template = route
            names = re.findall(r"\{(\w+)\}", template)
            if not names:
                continue
            param = names[-1]
            real_value = self.ids.get(template) if param == "id" else self.params[param]
            for label, v in variants:
                value = v.replace("{real}", real_value).replace("{REAL}", real_value.upper())
                path = self.path_for(template, **{param: value})
                if route == ("GET", "/auth/{provider}"):
                    path += "?session=no-such-session"
                expect = (400, 404, 414, 431)
                self.run_case("%s %s: %s = %s" % (method, template, param, label), method, path,
                              self.route_token(route), bodies.get(route), expect=expect)
        self.end_batch("paths")

    def test_50_other_tenants_ids_are_404(self):
        pb = base_bodies()[("PUT", "/secrets/{name}")]
        for me, other, cert, secret, key_ids, otk in (
                ("A", self.key_a, self.cert_b, "b-only-secret", (self.key_b_id, self.key_b2_id), self.otk_b),
                ("B", self.key_b, self.cert_a, "a-bearer", (self.victim_key_id, self.audit_only_id), self.otk_a)):
            cases = [
                ("GET", "/certificates/" + cert, None),
                ("DELETE", "/certificates/" + cert, None),
                ("POST", "/certificates/%s/revoke" % cert, None),
                ("GET", "/secrets/" + secret, None),
                ("PUT", "/secrets/" + secret, pb),
                ("DELETE", "/secrets/" + secret, None),
                ("DELETE", "/api-keys/" + key_ids[0], None),
                ("DELETE", "/api-keys/" + key_ids[1], None),
                ("GET", "/oauth-tokens/" + otk, None),
                ("GET", "/oauth-tokens/%s/access-token" % otk, None),
                ("DELETE", "/oauth-tokens/" + otk, None),
                ("DELETE", "/oauth-tokens/%s?revoke=false" % otk, None),
            ]
            for method, path, body in cases:
                self.run_case("as %s: %s %s" % (me, method, path), method, path, other, body,
                              expect=(404,), code="NOT_FOUND")
            for header, value in (("X-Credential-Name", secret), ("X-Oauth-Token-Id", otk)):
                self.run_case("as %s: proxy with the other tenant's %s" % (me, header), "GET",
                              "/v1/proxy", other, headers=((header, value),
                                                           ("X-Target-Url", "https://%s/x" % UPSTREAM)),
                              expect=(404,), code="NOT_FOUND")
            other_ids = (cert, otk)

            def empty_events(status, headers, data):
                self.assertEqual(json.loads(data)["data"], [])
            for rid in other_ids:
                self.run_case("as %s: audit events filtered by the other tenant's %s" % (me, rid),
                              "GET", "/audit-events?resource=" + rid, other, expect=(200,),
                              check=empty_events)

            def no_tokens(status, headers, data):
                self.assertEqual(json.loads(data)["data"], [])
            self.run_case("as %s: oauth tokens of the other tenant's user" % me, "GET",
                          "/oauth-tokens?identifierId=user-" + ("b" if me == "A" else "a"), other,
                          expect=(200,), check=no_tokens)
        self.end_batch("tenants")

    def test_55_scope_escalation(self):
        # In the scratch account: a key that may only manage keys must not
        # mint a key with scopes it does not have itself.
        for scopes in (["certificates:write"], ["api-keys:write", "proxy"], ALL_SCOPES,
                       ["audit:read"]):
            self.run_case("api-keys:write-only key creates a key with %s" % scopes, "POST",
                          "/api-keys", self.key_c_writer, {"name": "escalated", "scopes": scopes},
                          expect=(403,), code="FORBIDDEN")
        # A key limited to some credentials must not mint an unrestricted one.
        self.run_case("restricted proxy key creates a key", "POST", "/api-keys", self.restricted,
                      {"name": "escalated", "scopes": ["proxy"]}, expect=(403,), code="FORBIDDEN")
        self.end_batch("escalation")

    def test_60_query_strings(self):
        bad_limits = ["-1", "0", "-0", "1001", "1e3", "0x10", "99999999999999999999", "%201",
                      "1.0", "", "abc", "1%00", "%ef%bc%91"]
        bad_times = ["garbage", "2030-13-45T00:00:00Z", "2030-01-01", "%ff", "9" * 400,
                     "2030-01-01T00:00:00Z%00"]
        bad_cursors = ["garbage", "-1", "0", "99999999999999999999", "%ff", "1;DROP"]
        pct = ["%", "%z", "%zz", "%0", "a=%", "%=1", "a%00=1"]
        cases = []
        for path, token in (("/audit-events", self.key_a), ("/admin/audit-events", ADMIN)):
            cases += [(path + "?limit=" + v, token, (400,)) for v in bad_limits]
            cases += [(path + "?%s=%s" % (k, v), token, (400,)) for k in ("since", "until")
                      for v in bad_times]
            cases += [(path + "?cursor=" + v, token, (400,)) for v in bad_cursors]
            cases += [(path + "?" + v, token, (400,)) for v in pct]
            cases += [(path + "?limit=1&limit=1000", token, (200, 400)),
                      (path + "?limit=1&limit=abc", token, (200, 400)),
                      (path + "?action=%ff%fe", token, (200, 400)),
                      (path + "?resource=" + "r" * 4000, token, (200, 400, 431)),
                      (path + "?&&&=&", token, (200, 400)),
                      (path + "?since=2030-01-01T00:00:00Z&until=2020-01-01T00:00:00Z", token,
                       (200, 400))]
        cases += [("/certificates?status=" + v, self.key_a, (400,))
                  for v in ("bogus", "ACTIVE", "", "%00", "active%00", "%zz")]
        cases += [("/certificates?" + v, self.key_a, (400,))
                  for v in ("metadata.=x", "metadata.%00=x", "foo=1", "%", "metadata.k=%zz")]
        cases += [("/certificates?status=active&status=revoked", self.key_a, (200, 400)),
                  ("/certificates?metadata.k=" + "v" * 4000, self.key_a, (200, 400, 431))]
        cases += [("/oauth-tokens?limit=" + v, self.key_a, (400,)) for v in bad_limits]
        cases += [("/oauth-tokens?" + v, self.key_a, (400,)) for v in pct]
        cases += [("/oauth-tokens?identifierId=a&identifierId=b", self.key_a, (200, 400)),
                  ("/oauth-tokens?identifierId=%ff", self.key_a, (200, 400))]
        cases += [("/oauth-tokens/otk_none?revoke=" + v, self.key_a, (400, 404))
                  for v in ("maybe", "%zz", "TRUE", "", "false&revoke=true")]
        for session in ("no-such-session", "", "%zz", "%00", "s" * 4000, "a&session=b", "%ff"):
            cases += [("/auth/google?session=" + session, None, (400, 404, 431))]
        cases += [("/auth/google", None, (400, 404)), ("/auth/google?session", None, (400, 404))]
        for q in ("", "state=no-such", "state=%zz", "state=%00", "state=x&error=access_denied",
                  "state=" + "s" * 4000, "state=x&iss=https%3A%2F%2Fevil.example",
                  "state=x%0d%0aLocation:%20https://evil.example", "code=x", "error=access_denied",
                  "state=a&state=b", "state=&code="):
            cases += [("/auth/callback?" + q, None, (400, 431))]
        cases += [("/healthz?%zz", None, (400,)), ("/jwks?%", None, (400, 404))]
        # A malformed query string on every route, with the right credentials.
        for method, template in sorted(ROUTES):
            self.run_case("%s %s?x=%%zz" % (method, template), method,
                          self.path_for(template) + "?x=%zz&y=%", self.route_token((method, template)),
                          base_bodies().get((method, template)), expect=(400,), code="BAD_REQUEST",
                          check=self.no_redirect_or_cookie)
        for path, token, expect in cases:
            self.run_case("GET %s" % path[:120], "DELETE" if path.startswith("/oauth-tokens/otk_none")
                          else "GET", path, token, expect=expect,
                          check=self.no_redirect_or_cookie)
        self.end_batch("queries")

    def no_redirect_or_cookie(self, status, headers, data):
        self.assertNotIn("set-cookie", headers)
        if status != 302:
            self.assertNotIn("location", headers)

    def test_70_methods_and_unknown_routes(self):
        ops = self.openapi_routes()
        by_path = {}
        for method, template in ops:
            by_path.setdefault(template, set()).add(method)
        for template, allowed in sorted(by_path.items()):
            path = self.path_for(template)
            need = {ROUTES[(m, template)] for m in allowed}
            token = ADMIN if need == {"admin"} else self.key_a

            def allow_header(status, headers, data, allowed=allowed):
                got = {m.strip() for m in headers.get("allow", "").split(",") if m.strip()}
                self.assertTrue(allowed <= got, "Allow: %r" % headers.get("allow"))
            for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
                if method in allowed:
                    continue
                # /certificates/active also matches /certificates/{id}, and so on:
                # then another route answers, and any 4xx of its own is right.
                overlap = any(m == method and t != template and re.fullmatch(
                    re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(t)), template)
                    for m, t in ROUTES)
                if overlap:
                    self.run_case("%s %s: served by an overlapping route" % (method, template),
                                  method, path, token, b"{}" if method in ("POST", "PUT", "PATCH")
                                  else None, expect=(400, 404, 405))
                    continue
                self.run_case("%s %s: method not allowed" % (method, template), method, path, token,
                              b"{}" if method in ("POST", "PUT", "PATCH") else None,
                              expect=(405,), code="METHOD_NOT_ALLOWED", check=allow_header)
        for path in ("/", "/admin", "/admin/", "/.env", "/.git/config", "/healthz/", "//healthz",
                     "/./healthz", "/api-keys/../admin/accounts", "/%2e%2e/%2e%2e/etc/passwd",
                     "/api-keys/x/y", "/certificates/x/revoke/extra", "/HEALTHZ", "/healthz%00",
                     "/healthz;x", "/v2/proxy", "/accounts/x/.well-known/../../admin/accounts",
                     "/" + "a/" * 1000, "/secrets/a-bearer/", "/certificates//revoke"):
            self.run_case("GET %s: unknown route" % path[:60], "GET", path, self.key_a,
                          expect=(400, 404, 431))
        self.end_batch("methods")

    def test_75_proxy_headers(self):
        url = "https://%s/v1/models" % UPSTREAM
        cases = [
            ("no X-Target-Url", (("X-Credential-Name", "openai"),), (400,)),
            ("no credential header", (("X-Target-Url", url),), (400,)),
            ("both credential headers", (("X-Target-Url", url), ("X-Credential-Name", "openai"),
                                         ("X-Oauth-Token-Id", self.otk_a)), (400,)),
            ("unknown credential", (("X-Target-Url", url), ("X-Credential-Name", "no-such")), (404,)),
            ("credential traversal", (("X-Target-Url", url), ("X-Credential-Name", "../openai")), (400, 404)),
            ("unknown oauth token", (("X-Target-Url", url), ("X-Oauth-Token-Id", "otk_none")), (404,)),
            ("restricted key, other credential", (("X-Target-Url", url), ("X-Credential-Name", "openai")),
             (403,), self.restricted),
            ("no proxy scope", (("X-Target-Url", url), ("X-Credential-Name", "openai")), (403,),
             self.audit_only),
            ("bad X-Target-Method", (("X-Target-Url", url), ("X-Credential-Name", "openai"),
                                     ("X-Target-Method", "CONNECT")), (400,)),
            ("X-Target-Method with spaces", (("X-Target-Url", url), ("X-Credential-Name", "openai"),
                                             ("X-Target-Method", "G E T")), (400,)),
            ("X-Target-Method TRACE", (("X-Target-Url", url), ("X-Credential-Name", "openai"),
                                       ("X-Target-Method", "TRACE")), (400,)),
        ]
        for target, expect in (
                ("file:///etc/passwd", (400,)), ("gopher://%s/" % UPSTREAM, (400,)),
                ("ftp://%s/" % UPSTREAM, (400,)), ("http://169.254.169.254/latest/meta-data", (400, 403)),
                ("https://169.254.169.254/latest/meta-data", (403,)),
                ("https://%s@evil.example/" % UPSTREAM, (400, 403)),
                ("https://%s.evil.example/" % UPSTREAM, (403,)),
                ("https://evil.example/?%s" % UPSTREAM, (403,)),
                ("https://evil.example#@%s/" % UPSTREAM, (400, 403)),
                ("https://[::1]/", (403,)), ("https://[::ffff:169.254.169.254]/", (403,)),
                ("https://127.0.0.1/", (403,)), ("https://0x7f000001/", (400, 403)),
                ("https://", (400,)), ("not a url", (400,)), ("//%s/x" % UPSTREAM, (400,)),
                ("/v1/models", (400,)), ("https://%s:0/" % UPSTREAM, (400,)),
                ("https://%s:65536/" % UPSTREAM, (400,)), ("https://%s:-1/" % UPSTREAM, (400,)),
                ("https://%s%%2eevil.example/" % UPSTREAM, (400, 403)),
                ("https://evil.example/" + "a" * 5000, (400, 403, 431)),
                ("https://EVIL.example/%00", (400, 403)),
                ("h" * 9000, (400, 431))):
            cases.append(("target " + target[:60], (("X-Target-Url", target),
                                                    ("X-Credential-Name", "openai")), expect))
        for case in cases:
            label, headers, expect = case[:3]
            token = case[3] if len(case) > 3 else self.key_a
            for method in ("GET", "POST"):
                self.run_case("%s /v1/proxy: %s" % (method, label), method, "/v1/proxy", token,
                              b'{"x":1}' if method == "POST" else None, headers, expect=expect)
        self.run_case("POST /v1/proxy: 2 MB body", "POST", "/v1/proxy", self.key_a,
                      b"x" * (2 << 20), (("X-Target-Url", url), ("X-Credential-Name", "openai")),
                      expect=(413,), code="PAYLOAD_TOO_LARGE")
        self.end_batch("proxy")

    def test_80_deeply_nested_json(self):
        ops = self.openapi_routes()
        for route, base in sorted(base_bodies().items()):
            method, template = route
            path = self.path_for(template)
            token = self.route_token(route)
            for label, body in (("100k nested arrays", deep_array()),
                                ("100k nested objects", deep_object()),
                                ("100k unclosed [", "[" * DEPTH),
                                ("100k unclosed {\"a\":", '{"a":' * DEPTH)):
                self.run_case("%s %s: %s" % (method, template, label), method, path, token, body,
                              expect=(400,), code="BAD_REQUEST", contains=DEPTH_MESSAGE)
            schema = ops[route]["requestBody"]["content"]["application/json"]["schema"]
            for field, fschema in sorted(schema.get("properties", {}).items()):
                if fschema.get("type") not in ("object", "array") and "oneOf" not in fschema:
                    continue
                text = json.dumps(dict(base, **{field: "@@"}))
                nested = text.replace('"@@"', deep_array(DEPTH // 2) if fschema.get("type") == "array"
                                      or "oneOf" in fschema else '{"k":' * (DEPTH // 2) + '"v"' +
                                      "}" * (DEPTH // 2))
                self.run_case("%s %s: 50k nesting inside %s" % (method, template, field), method,
                              path, token, nested, expect=(400,), code="BAD_REQUEST",
                              contains=DEPTH_MESSAGE)
        # Moderate depth that any parser handles: still refused for its shape.
        self.run_case("POST /tokens: claims nested 64 deep", "POST", "/tokens", self.key_a,
                      '{"claims":{"x":' + "[" * 64 + "]" * 64 + "}}", expect=(200, 400))
        self.end_batch("depth")

    def test_90_raw_http(self):
        host = b"Host: x\r\n"
        auth = b"Authorization: Bearer " + self.key_a.encode() + b"\r\n"
        post = b"POST /tokens/verify HTTP/1.1\r\n" + host + auth
        chunked = post + b"Transfer-Encoding: chunked\r\n\r\n"
        port = str(self.server.port).encode()
        B = (400,)
        cases = [
            ("garbage request line", b"GARBAGE\r\n\r\n", [B]),
            ("method only", b"GET\r\n\r\n", [B]),
            ("no version", b"GET /healthz\r\n\r\n", [B]),
            ("HTTP/2.0", b"GET /healthz HTTP/2.0\r\n" + host + b"\r\n", [B]),
            ("HTTP/1.2", b"GET /healthz HTTP/1.2\r\n" + host + b"\r\n", [B]),
            ("extra token in request line", b"GET /healthz HTTP/1.1 x\r\n" + host + b"\r\n", [B]),
            ("lower-case method", b"get /healthz HTTP/1.1\r\n" + host + b"\r\n", [B]),
            ("unknown method", b"BREW /healthz HTTP/1.1\r\n" + host + b"\r\n", [B + (405,)]),
            ("TRACE", b"TRACE /healthz HTTP/1.1\r\n" + host + b"\r\n", [B + (405,)]),
            ("CONNECT", b"CONNECT 127.0.0.1:22 HTTP/1.1\r\n" + host + b"\r\n", [B + (405,)]),
            ("10 KB method", b"A" * 10000 + b" / HTTP/1.1\r\n" + host + b"\r\n", [B + (414, 431)]),
            ("double space", b"GET  /healthz HTTP/1.1\r\n" + host + b"\r\n", [B]),
            ("asterisk target", b"GET * HTTP/1.1\r\n" + host + b"\r\n", [B]),
            ("NUL in target", b"GET /heal\x00thz HTTP/1.1\r\n" + host + b"\r\n", [B]),
            ("raw UTF-8 in target", b"GET /h\xc3\xa9 HTTP/1.1\r\n" + host + b"\r\n", [B + (404,)]),
            ("invalid UTF-8 in a path parameter",
             b"GET /secrets/\xff\xfe HTTP/1.1\r\n" + host + auth + b"\r\n", [B + (404,)]),
            ("tab in target", b"GET /heal\tthz HTTP/1.1\r\n" + host + b"\r\n", [B]),
            ("NUL bytes only", b"\x00\x00\x00\r\n\r\n", [B]),
            ("bare LF everywhere", b"GET /healthz HTTP/1.1\nHost: x\n\n", [B]),
            ("bare LF in a header", b"GET /healthz HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n", [B]),
            ("bare CR in a header", b"GET /healthz HTTP/1.1\r\nHost: x\rX-A: b\r\n\r\n", [B]),
            ("header without colon", b"GET /healthz HTTP/1.1\r\n" + host + b"NoColon\r\n\r\n", [B]),
            ("space before colon", b"GET /healthz HTTP/1.1\r\nHost : x\r\n\r\n", [B]),
            ("obsolete line folding", b"GET /healthz HTTP/1.1\r\n" + host + b"X-A: a\r\n b\r\n\r\n", [B]),
            ("bad header name", b"GET /healthz HTTP/1.1\r\n" + host + b"X[A]: b\r\n\r\n", [B]),
            ("empty header name", b"GET /healthz HTTP/1.1\r\n" + host + b": b\r\n\r\n", [B]),
            ("control character in a value", b"GET /healthz HTTP/1.1\r\n" + host + b"X-A: a\x01b\r\n\r\n", [B]),
            ("NUL in a value", b"GET /healthz HTTP/1.1\r\n" + host + b"X-A: a\x00b\r\n\r\n", [B]),
            ("bare CR in Authorization", b"GET /api-keys HTTP/1.1\r\n" + host +
             b"Authorization: Bearer x\rX-Admin: 1\r\n\r\n", [B]),
            ("bare CR in X-Target-Url", b"GET /v1/proxy HTTP/1.1\r\n" + host + auth +
             b"X-Credential-Name: openai\r\nX-Target-Url: https://upstream.invalid/\rHost: evil\r\n\r\n", [B]),
            ("missing Host", b"GET /healthz HTTP/1.1\r\n\r\n", [B]),
            ("two Host headers", b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", [B]),
            ("Content-Length -5", post + b"Content-Length: -5\r\n\r\n", [B]),
            ("Content-Length abc", post + b"Content-Length: abc\r\n\r\n", [B]),
            ("Content-Length 1e3", post + b"Content-Length: 1e3\r\n\r\n", [B]),
            ("Content-Length +2", post + b"Content-Length: +2\r\n\r\n{}", [B]),
            ("Content-Length 0x2", post + b"Content-Length: 0x2\r\n\r\n{}", [B]),
            ("Content-Length empty", post + b"Content-Length: \r\n\r\n", [B]),
            ("Content-Length list", post + b"Content-Length: 2, 2\r\n\r\n{}", [B]),
            ("conflicting Content-Lengths", post + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}x", [B]),
            ("20-digit Content-Length", post + b"Content-Length: 99999999999999999999\r\n\r\n", [B + (413,)]),
            ("2^64 Content-Length", post + b"Content-Length: 18446744073709551617\r\n\r\n", [B + (413,)]),
            ("huge Content-Length", post + b"Content-Length: 99999999999999999\r\n\r\n", [(413,)]),
            ("huge Content-Length with Expect", post + b"Expect: 100-continue\r\n"
             b"Content-Length: 99999999999999999\r\n\r\n", [(413,)]),
            ("Content-Length and Transfer-Encoding", post + b"Content-Length: 3\r\n"
             b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", [B]),
            ("Transfer-Encoding and Content-Length", post + b"Transfer-Encoding: chunked\r\n"
             b"Content-Length: 3\r\n\r\n0\r\n\r\n", [B]),
            ("Transfer-Encoding gzip", post + b"Transfer-Encoding: gzip\r\n\r\n", [B + (501,)]),
            ("Transfer-Encoding twice", post + b"Transfer-Encoding: chunked\r\n"
             b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", [B + (501,)]),
            ("Transfer-Encoding list", post + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", [B + (501,)]),
            ("Transfer-Encoding xchunked", post + b"Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", [B + (501,)]),
            ("Transfer-Encoding on HTTP/1.0", b"POST /tokens/verify HTTP/1.0\r\n" + host + auth +
             b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", [B + (200,)]),
            # 2^64-1 and beyond: refused as malformed or as too large, at once.
            ("chunk size ffffffffffffffff", chunked + b"ffffffffffffffff\r\nabc\r\n0\r\n\r\n", [B + (413,)]),
            ("chunk size fffffffffffffffe", chunked + b"fffffffffffffffe\r\n{}\r\n0\r\n\r\n", [B + (413,)]),
            ("chunk size 7fffffffffffffff", chunked + b"7fffffffffffffff\r\n{}\r\n0\r\n\r\n", [B + (413,)]),
            ("chunk size 2^64+3", chunked + b"10000000000000003\r\n{}\r\n0\r\n\r\n", [B + (413,)]),
            ("chunk size -1", chunked + b"-1\r\n{}\r\n0\r\n\r\n", [B]),
            ("chunk size zz", chunked + b"zz\r\n{}\r\n0\r\n\r\n", [B]),
            ("chunk size with spaces", chunked + b" 2 \r\n{}\r\n0\r\n\r\n", [B + (200,)]),
            ("chunk size empty", chunked + b"\r\n{}\r\n0\r\n\r\n", [B]),
            ("missing CRLF after chunk data", chunked + b"3\r\nabcXY0\r\n\r\n", [B]),
            ("missing CRLF after valid JSON chunk",
             chunked + b'd\r\n{"token":"x"}XY0\r\n\r\n', [B]),
            ("chunk longer than its size", chunked + b'2\r\n{"token":"x"}\r\n0\r\n\r\n', [B]),
            ("LF-only chunk framing", chunked + b'd\n{"token":"x"}\n0\n\n', [B + (200,)]),
            ("chunk bigger than the body limit", chunked + b"200000\r\n" + b"a" * 0x200000
             + b"\r\n0\r\n\r\n", [(413,)]),
            ("chunks adding up past the body limit", chunked + (b"80000\r\n" + b"a" * 0x80000 + b"\r\n") * 3
             + b"0\r\n\r\n", [(413,)]),
            ("valid chunked body", chunked.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1)
             + b'd\r\n{"token":"x"}\r\n0\r\n\r\n', [(200,)]),
            ("chunked body with a trailer", chunked + b'd\r\n{"token":"x"}\r\n0\r\nX-T: 1\r\n\r\n', [(200, 400)]),
            ("oversized header", b"GET /healthz HTTP/1.1\r\n" + host + b"X-A: " + b"a" * 100000 + b"\r\n\r\n", [(431,)]),
            ("oversized request line", b"GET /" + b"a" * 100000 + b" HTTP/1.1\r\n" + host + b"\r\n", [(414, 431)]),
            ("2000 headers", b"GET /healthz HTTP/1.1\r\n" + host + b"".join(b"X-%d: v\r\n" % i for i in range(2000))
             + b"\r\n", [(200, 400, 431)]),
            ("long header name", b"GET /healthz HTTP/1.1\r\n" + host + b"X" * 20000 + b": v\r\n\r\n", [B + (414, 431)]),
            ("20000 empty lines", b"\r\n" * 20000, [B + (431,)]),
            ("empty line before request line", b"\r\nGET /healthz HTTP/1.1\r\n" + host + b"\r\n", [B + (200,)]),
            ("TLS ClientHello", b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + b"\x00" * 32, [B]),
            ("CRLF in X-Request-Id via encoding",
             b"GET /healthz HTTP/1.1\r\n" + host + b"X-Request-Id: a%0d%0aSet-Cookie: x=1\r\n\r\n", [(200,)]),
            ("CRLF in a path", b"GET /healthz%0d%0aSet-Cookie:%20x=1 HTTP/1.1\r\n" + host + b"\r\n", [(400, 404)]),
            ("CRLF in a callback state", b"GET /auth/callback?state=x%0d%0aLocation:%20https://evil.example "
             b"HTTP/1.1\r\n" + host + b"\r\n", [B]),
            ("obs-text in a header value", b"GET /healthz HTTP/1.1\r\n" + host + b"X-A: \xff\xfe\r\n\r\n", [(200, 400)]),
            ("conflicting Connection", b"GET /healthz HTTP/1.1\r\n" + host + b"Connection: close, keep-alive\r\n\r\n",
             [(200, 400)]),
            ("GET with a body, then a request",
             b"GET /healthz HTTP/1.1\r\n" + host + b"Content-Length: 5\r\n\r\nGARBAGET /readyz HTTP/1.1\r\n"
             + host + b"\r\n", [(200,), (200,)]),
            ("pipelined valid then garbage", b"GET /healthz HTTP/1.1\r\n" + host + b"\r\nGARBAGE\r\n\r\n",
             [(200,), B]),
            ("absolute-form target", b"GET http://127.0.0.1:" + port + b"/healthz HTTP/1.1\r\n"
             b"Host: 127.0.0.1:" + port + b"\r\n\r\n", [(200,)]),
            ("absolute-form to another host", b"GET http://evil.example/healthz HTTP/1.1\r\n" + host + b"\r\n",
             [(200, 400)]),
            ("absolute-form with userinfo", b"GET http://u:p@127.0.0.1:" + port + b"/healthz HTTP/1.1\r\n" + host
             + b"\r\n", [(200, 400)]),
            ("authority-form", b"GET 127.0.0.1:" + port + b" HTTP/1.1\r\n" + host + b"\r\n", [B]),
            ("HTTP/1.0 without Host", b"GET /healthz HTTP/1.0\r\n\r\n", [(200,)]),
            ("truncated Content-Length body", post + b"Content-Length: 20\r\n\r\n{}", [(408,)]),
            ("truncated chunked body", chunked + b"d\r\n{\"tok", [(408,)]),
            ("slow request head", b"GET /healthz HTTP/1.1\r\nHost: x\r\n", [(408,)]),
        ]
        for name, payload, expect in cases:
            slow = name.startswith(("truncated", "slow"))
            self.run_raw("raw: " + name, payload, expect, timeout=4.0 if slow else TIMEOUT,
                         forbid=("set-cookie", "location"))
        # HEAD: the head of GET's answer, no body (and 405/404 without one).
        for path, expect in (("/healthz", (200,)), ("/readyz", (200,)), ("/openapi.json", (200,)),
                             ("/accounts/%s/.well-known/jwks.json" % self.acct_a, (200,)),
                             ("/accounts/%s/.well-known/openid-configuration" % self.acct_a, (200,)),
                             ("/certificates/public/" + self.kid_a, (200,)),
                             ("/api-keys", (401,)), ("/tokens", (405,)), ("/no/such/route", (404,))):
            self.run_raw("raw: HEAD " + path, b"HEAD " + path.encode() + b" HTTP/1.1\r\n" + host +
                         b"Connection: close\r\n\r\n", [expect], no_body=True)
        self.end_batch("raw")

    # ---- the end: nothing changed, nothing leaked, nothing skipped --------------

    def test_zz_state_unchanged_and_audit_chains_verify(self):
        after = self.snapshot()
        for key in self.before:
            with self.subTest(key):
                self.assertEqual(after[key], self.before[key])
        for label, path, token in (("A", "/audit-events/verify", self.key_a),
                                   ("B", "/audit-events/verify", self.key_b),
                                   ("C", "/audit-events/verify", self.key_c),
                                   ("system", "/admin/audit-events/verify", ADMIN)):
            with self.subTest("verify " + label):
                status, body, _ = self.server.request("GET", path, token)
                self.assertEqual((status, body.get("ok")), (200, True), body)
        with self.subTest("no crashes"):
            self.assertEqual(self.deaths, [])

    def test_zz_planted_secrets_never_come_back(self):
        planted = [p.encode() for p in self.planted] + [t.encode() for t in self.fake.issued
                                                         if len(t) >= 8]
        logs = "".join(s.stderr() for s in self.servers[-1:]).encode()
        for value in planted:
            with self.subTest(value[:12]):
                hits = [name for name, r in self.seen if value in r]
                self.assertEqual(hits, [], "a response carried a planted secret")
                self.assertNotIn(value, logs)

    def test_zzz_case_count(self):
        batches = {"auth", "bodies", "fields", "paths", "tenants", "escalation", "queries",
                   "methods", "proxy", "depth", "raw"}
        if not batches <= self.batches_run:
            self.skipTest("only part of the suite ran: %s" % sorted(self.batches_run))
        self.assertGreaterEqual(self.cases_run, MIN_CASES)
        for method, template in sorted(ROUTES):
            with self.subTest("%s %s attacked" % (method, template)):
                # A rest parameter ("{path...}") takes any number of segments.
                pattern = re.escape(template.replace("{path...}", "\0"))
                pattern = re.sub(r"\\\{\w+\\\}", "[^/]+", pattern).replace("\0", ".*")
                self.assertTrue(any(m == method and re.fullmatch(pattern, p) for m, p in self.hit),
                                "no hostile case reached this route")
        print("\n%d hostile cases" % self.cases_run)


if __name__ == "__main__":
    unittest.main()
