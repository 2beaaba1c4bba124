"""OAuth end to end: the real latchkeyd against fake providers on loopback
(fake_oauth.py, the edge of the machine), driven through the browser legs
by following redirects with an HTTP client, then through refresh, the
access-token route, the proxy and revocation."""
import json
import os
import signal
import tempfile
import time
import unittest
import urllib.parse
import http.client

from fake_oauth import CLIENT_SECRETS, DIALECTS, TENANT, FakeProviders, client_id
from server import Server

APP = "http://127.0.0.1:9/oauth/done"


def browse(url, stop_prefix=APP, max_hops=10, timeout=10):
    """Follows redirects like a browser until one points at `stop_prefix`.
    Returns (status, location-or-url, body)."""
    for _ in range(max_hops):
        u = urllib.parse.urlsplit(url)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
        conn.request("GET", u.path + ("?" + u.query if u.query else ""))
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        if resp.status not in (302, 303):
            return resp.status, url, body
        location = resp.getheader("Location")
        if location.startswith(stop_prefix):
            return resp.status, location, body
        url = location
    raise AssertionError("too many redirects")


def query_of(url):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def wait_until(predicate, timeout=20, what="condition"):
    """Polls an observable condition (real time passes in the server)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


class OAuthTestBase(unittest.TestCase):
    extra_args = []

    @classmethod
    def start_server(cls, data_dir=None):
        server = Server(data_dir=data_dir, args=[
            "--oauth-providers-file", cls.providers_path,
            "--proxy-allow-http", "127.0.0.1,localhost", "--proxy-allow-private", "127.0.0.1/32"]
            + cls.extra_args)
        server.start()
        return server

    @classmethod
    def setUpClass(cls):
        cls.fake = FakeProviders()
        cls.tmp = tempfile.TemporaryDirectory(prefix="latchkey-oauth-")
        cls.providers_path = os.path.join(cls.tmp.name, "providers.json")
        with open(cls.providers_path, "w") as f:
            json.dump(cls.fake.providers_file(), f)
        cls.server = cls.start_server(os.path.join(cls.tmp.name, "data"))
        cls.admin = cls.server.read_admin_key()
        cls.responses = []
        cls.key = cls.new_account("acme")
        cls.other_key = cls.new_account("other")

    @classmethod
    def new_account(cls, name):
        _, body, _ = cls.server.request("POST", "/admin/accounts", cls.admin, {"name": name})
        key = body["apiKey"]
        for d in DIALECTS:
            registration = {"clientId": client_id(d), "clientSecret": CLIENT_SECRETS[d]}
            if d == "microsoft":
                registration["tenant"] = TENANT
            if d == "slack":
                registration["scopes"] = ["chat:write", "channels:read"]
            cls.call_as(key, "PUT", "/oauth/providers/" + d, registration)
        cls.call_as(key, "PUT", "/oauth/redirect-uris", {"redirectUris": [APP]})
        return key

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        cls.fake.close()
        cls.tmp.cleanup()

    @classmethod
    def call_as(cls, key, method, path, body=None, expect=200, headers=None):
        status, parsed, resp = cls.server.request(method, path, key, body, headers)
        cls.responses.append((resp.getheaders(), json.dumps(parsed)))
        if expect is not None and status != expect:
            raise AssertionError("%s %s: %d %s" % (method, path, status, parsed))
        return parsed

    def call(self, method, path, body=None, expect=200, headers=None, key=None):
        return self.call_as(key or self.key, method, path, body, expect, headers)

    def session(self, provider, identifier="user-1", key=None, **extra):
        body = {"provider": provider, "identifierId": identifier, "redirectUri": APP}
        body.update(extra)
        return self.call("POST", "/auth/sessions", body, expect=201, key=key)

    def connect(self, provider, identifier="user-1", **extra):
        """The whole browser flow; returns the app's final query."""
        s = self.session(provider, identifier, **extra)
        status, location, body = browse(s["url"])
        self.assertEqual(status, 302, body)
        return query_of(location)

    def tokens(self, identifier=None, key=None):
        path = "/oauth-tokens" + ("?identifierId=" + identifier if identifier else "")
        return self.call("GET", path, key=key)["data"]

    def access(self, token_id, expect=200, key=None):
        return self.call("GET", "/oauth-tokens/%s/access-token" % token_id, expect=expect, key=key)

    def via_proxy(self, token_id, key=None, target=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        conn.request("GET", "/v1/proxy", headers={
            "Authorization": "Bearer " + (key or self.key), "X-Oauth-Token-Id": token_id,
            "X-Target-Url": target or self.fake.base + "/api/me"})
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        return resp.status, json.loads(body) if body else None

    def wait_refreshed(self, token_id, after=None):
        def refreshed():
            t = self.call("GET", "/oauth-tokens/" + token_id)
            return t if t["lastRefreshedAt"] and t["lastRefreshedAt"] != after else None
        return wait_until(refreshed, what="a refresh of " + token_id)


class ProviderFlowsTest(OAuthTestBase):
    def test_google_full_flow_pkce_iss_and_refresh_without_new_refresh_token(self):
        result = self.connect("google", "g-user")
        self.assertEqual(result["status"], "success", result)
        auth = [r for r in self.fake.authorize_requests if r["dialect"] == "google"][-1]["query"]
        self.assertEqual(auth["code_challenge_method"], "S256")
        self.assertEqual(len(auth["code_challenge"]), 43)
        self.assertEqual(auth["access_type"], "offline")
        self.assertEqual(auth["prompt"], "consent")
        self.assertEqual(auth["redirect_uri"],
                         "http://127.0.0.1:%d/auth/callback" % self.server.port)
        self.assertGreaterEqual(len(auth["state"]), 43)
        token = self.call("GET", "/oauth-tokens/" + result["tokenId"])
        self.assertEqual(token["status"], "active")
        self.assertEqual(token["identifierId"], "g-user")
        self.assertEqual(token["resource"], "google")
        self.assertTrue(token["refreshable"])
        # Short-lived from here on: the scheduler refreshes it, twice, and
        # the kept refresh token (Google sends none) keeps working.
        self.fake.expires_in["google"] = 2
        first = self.access(result["tokenId"])
        self.assertEqual(self.via_proxy(result["tokenId"])[0], 200)
        before = self.fake.refreshes["google"]
        result2 = self.connect("google", "g-user-2")
        t = self.wait_refreshed(result2["tokenId"])
        self.wait_refreshed(result2["tokenId"], after=t["lastRefreshedAt"])
        self.fake.expires_in["google"] = 3600
        self.assertGreaterEqual(self.fake.refreshes["google"], before + 2)
        fresh = self.access(result2["tokenId"])
        self.assertNotEqual(fresh["accessToken"], first["accessToken"])
        self.assertEqual(self.via_proxy(result2["tokenId"])[0], 200)
        self.assertEqual(self.fake.reused, [])

    def test_microsoft_tenant_and_rotating_refresh_token(self):
        self.fake.expires_in["microsoft"] = 2
        result = self.connect("microsoft", "ms-user")
        self.assertEqual(result["status"], "success", result)
        auth = [r for r in self.fake.authorize_requests if r["dialect"] == "microsoft"][-1]
        self.assertEqual(auth["path"][1], TENANT)
        self.assertIn("offline_access", auth["query"]["scope"].split(" "))
        t = self.wait_refreshed(result["tokenId"])
        self.wait_refreshed(result["tokenId"], after=t["lastRefreshedAt"])
        self.fake.expires_in["microsoft"] = 3600
        self.assertEqual(self.fake.reused, [], "a rotated refresh token was used again")
        self.assertEqual(self.via_proxy(result["tokenId"])[0], 200)

    def test_slack_bot_and_user_tokens_refresh_separately(self):
        self.fake.expires_in["slack"] = 2
        result = self.connect("slack", "slack-user", userScopes=["search:read"])
        self.assertEqual(result["status"], "success", result)
        auth = [r for r in self.fake.authorize_requests if r["dialect"] == "slack"][-1]["query"]
        self.assertEqual(auth["scope"], "chat:write,channels:read")  # comma-separated
        self.assertEqual(auth["user_scope"], "search:read")
        self.assertNotIn("code_challenge", auth)  # PKCE off for Slack
        bot, user = result["tokenId"], result["userTokenId"]
        tokens = {t["id"]: t for t in self.tokens("slack-user")}
        self.assertEqual(tokens[bot]["metadata"]["token_kind"], "bot")
        self.assertEqual(tokens[bot]["metadata"]["team_id"], "T1")
        self.assertEqual(tokens[user]["metadata"]["token_kind"], "user")
        self.assertEqual(tokens[user]["scopes"], ["search:read"])
        self.wait_refreshed(bot)
        self.wait_refreshed(user)
        self.fake.expires_in["slack"] = 3600
        self.assertNotEqual(self.access(bot)["accessToken"], self.access(user)["accessToken"])
        self.assertEqual(self.fake.reused, [])

    def test_github_errors_in_200_answers_mean_needs_reauth(self):
        self.fake.expires_in["github"] = 2
        result = self.connect("github", "gh-user")
        self.assertEqual(result["status"], "success", result)
        request = [r for r in self.fake.token_requests if r["dialect"] == "github"][-1]
        self.assertEqual(request["headers"]["Accept"], "application/json")
        token = self.call("GET", "/oauth-tokens/" + result["tokenId"])
        self.assertEqual(token["scopes"], ["read:user"])
        self.wait_refreshed(result["tokenId"])
        self.fake.kill_grants("github")  # the user revoked the app

        def needs_reauth():
            return self.call("GET", "/oauth-tokens/" + result["tokenId"])["status"] == "needs_reauth"
        wait_until(needs_reauth, what="needs_reauth")
        self.fake.expires_in["github"] = 3600
        err = self.access(result["tokenId"], expect=409)
        self.assertEqual(err["code"], "NEEDS_REAUTH")
        status, body = self.via_proxy(result["tokenId"])
        self.assertEqual((status, body["code"]), (409, "NEEDS_REAUTH"))
        events = self.call("GET", "/audit-events?action=oauth.token.needs_reauth&limit=500")
        self.assertTrue(any(e["resource"] == result["tokenId"] for e in events["data"]), events)

    def test_notion_basic_auth_json_body_metadata_and_rotation(self):
        self.fake.expires_in["notion"] = 2
        result = self.connect("notion", "notion-user")
        self.assertEqual(result["status"], "success", result)
        auth = [r for r in self.fake.authorize_requests if r["dialect"] == "notion"][-1]["query"]
        self.assertEqual(auth["owner"], "user")
        request = [r for r in self.fake.token_requests if r["dialect"] == "notion"][-1]
        self.assertTrue(request["headers"]["Authorization"].startswith("Basic "))
        self.assertEqual(json.loads(request["body"])["grant_type"], "authorization_code")
        meta = self.call("GET", "/oauth-tokens/" + result["tokenId"])["metadata"]
        self.assertEqual((meta["workspace_id"], meta["workspace_name"], meta["bot_id"]),
                         ("ws-1", "Acme HQ", "bot-1"))
        t = self.wait_refreshed(result["tokenId"])
        self.wait_refreshed(result["tokenId"], after=t["lastRefreshedAt"])
        self.fake.expires_in["notion"] = 3600
        self.assertEqual(self.fake.reused, [])
        self.assertEqual(self.via_proxy(result["tokenId"])[0], 200)

    def test_notion_non_expiring_token(self):
        self.fake.notion_non_expiring = True
        try:
            result = self.connect("notion", "notion-forever")
        finally:
            self.fake.notion_non_expiring = False
        token = self.call("GET", "/oauth-tokens/" + result["tokenId"])
        self.assertEqual((token["status"], token["expiresAt"], token["refreshable"]),
                         ("active", None, False))
        self.assertIsNone(self.access(result["tokenId"])["expiresAt"])

    def test_microsoft_dead_grant_is_needs_reauth(self):
        result = self.connect("microsoft", "ms-dead")
        self.fake.kill_grants("microsoft")
        self.fake.expires_in["microsoft"] = 2
        second = self.connect("microsoft", "ms-dead-2")
        self.fake.kill_grants("microsoft")
        self.fake.expires_in["microsoft"] = 3600

        def dead():
            t = self.call("GET", "/oauth-tokens/" + second["tokenId"])
            return t["status"] == "needs_reauth"
        wait_until(dead, what="needs_reauth after AADSTS700082")
        self.assertEqual(self.access(second["tokenId"], expect=409)["code"], "NEEDS_REAUTH")
        self.assertEqual(self.access(result["tokenId"])["tokenType"], "Bearer")

    def test_authorizing_again_renews_the_same_connection(self):
        identifier = "ms-again/user@example.com"
        first = self.connect("microsoft", identifier)
        self.fake.kill_grants("microsoft")
        self.fake.expires_in["microsoft"] = 2
        self.connect("microsoft", identifier)  # the same connection, now short-lived
        self.fake.kill_grants("microsoft")
        self.fake.expires_in["microsoft"] = 3600
        token_id = first["tokenId"]

        def dead():
            return self.call("GET", "/oauth-tokens/" + token_id)["status"] == "needs_reauth"
        wait_until(dead, what="needs_reauth after AADSTS700082")
        refused = self.access(token_id, expect=409)
        self.assertEqual(refused["code"], "NEEDS_REAUTH")
        self.assertIn("POST /auth/sessions", refused["error"])
        self.assertIn("'%s'" % identifier, refused["error"])

        again = self.connect("microsoft", identifier)
        self.assertEqual(again["tokenId"], token_id)
        self.assertEqual([t["id"] for t in self.tokens(urllib.parse.quote(identifier))],
                         [token_id])
        pair = "/connections/microsoft/" + urllib.parse.quote(identifier, safe="")
        connection = self.call("GET", pair)
        self.assertEqual((connection["id"], connection["status"]), (token_id, "active"))
        self.assertEqual(connection["identifierId"], identifier)
        by_pair = self.call("GET", pair + "/access-token")
        self.assertEqual(by_pair["accessToken"], self.access(token_id)["accessToken"])
        events = self.call("GET", "/audit-events?action=oauth.token.replace&limit=500")["data"]
        self.assertEqual(len([e for e in events if e["resource"] == token_id]), 2)

        for path, status, code in [
                ("/connections/microsoft/nobody", 404, "NOT_FOUND"),
                ("/connections/google/" + urllib.parse.quote(identifier, safe=""), 404,
                 "NOT_FOUND"),
                ("/connections/nope/x/access-token", 404, "NOT_FOUND"),
                (pair + "?kind=robot", 400, "BAD_REQUEST"),
                (pair + "?kind=user", 404, "NOT_FOUND")]:
            self.assertEqual(self.call("GET", path, expect=status)["code"], code, path)
        other_key = self.new_account("connections-other")
        self.call("GET", pair, expect=404, key=other_key)

    def test_transient_failure_keeps_the_token_and_retries(self):
        self.fake.expires_in["google"] = 2
        result = self.connect("google", "g-flaky")
        self.fake.fail_next_refresh["google"] = 503
        self.fake.expires_in["google"] = 3600
        t = self.wait_refreshed(result["tokenId"])  # after the 503, a retry succeeds
        self.assertEqual(t["status"], "active")
        events = self.call("GET", "/audit-events?action=oauth.token.refresh&limit=500")["data"]
        outcomes = {e["outcome"] for e in events if e["resource"] == result["tokenId"]}
        self.assertEqual(outcomes, {"failure", "success"})

    def test_revocation_on_delete(self):
        result = self.connect("google", "g-revoke")
        at = self.access(result["tokenId"])["accessToken"]
        self.assertEqual(self.call("DELETE", "/oauth-tokens/" + result["tokenId"])["revocation"],
                         "revoked")
        self.assertTrue(self.fake.revoked and self.fake.revoked[-1].startswith("fake-rt-google"))
        self.call("GET", "/oauth-tokens/" + result["tokenId"], expect=404)
        self.assertIn(self.fake.revoked[-1], self.fake.issued)  # a refresh token it issued
        self.assertNotEqual(self.fake.revoked[-1], at)  # the grant, not just the access token
        # Slack's auth.revoke takes the access token itself as its credential.
        slack = self.connect("slack", "slack-revoke")
        self.call("DELETE", "/oauth-tokens/" + slack["tokenId"])
        request = self.fake.revoke_requests[-1]
        self.assertEqual(request["dialect"], "slack")
        self.assertTrue(self.fake.revoked[-1].startswith("fake-at-slack"))
        self.assertNotIn("client_secret", request["body"])
        self.assertNotIn("Authorization", request["headers"])
        # Microsoft has no revocation endpoint: deleted here only.
        ms = self.connect("microsoft", "ms-delete")
        sent = len(self.fake.revoke_requests)
        self.assertEqual(self.call("DELETE", "/oauth-tokens/" + ms["tokenId"])["revocation"],
                         "unsupported")
        self.assertEqual(len(self.fake.revoke_requests), sent)

    def deleted(self, token_id, expect="revoked"):
        """DELETE answered 200 saying `expect`; the token is gone here and
        the audit event says the same."""
        answer = self.call("DELETE", "/oauth-tokens/" + token_id)
        self.assertEqual(answer, {"id": token_id, "deleted": True, "revocation": expect})
        self.call("GET", "/oauth-tokens/" + token_id, expect=404)
        (event,) = [e for e in self.call("GET", "/audit-events?action=oauth.token.delete"
                                         "&limit=1000")["data"] if e["resource"] == token_id]
        self.assertEqual(event["details"]["revocation"], expect)
        self.assertEqual(event["details"]["revoked"], "true" if expect == "revoked" else "false")

    def test_github_revocation_deletes_the_grant_as_its_api_documents(self):
        gh = self.connect("github", "gh-revoke")
        at = self.access(gh["tokenId"])["accessToken"]
        self.deleted(gh["tokenId"])
        request = self.fake.revoke_requests[-1]
        # {clientId} filled from the account's registration.
        self.assertEqual((request["method"], request["path"]),
                         ("DELETE", "/github/applications/client-github/grant"))
        self.assertEqual(json.loads(request["body"]), {"access_token": at})
        self.assertEqual(request["headers"]["X-GitHub-Api-Version"], "2022-11-28")
        self.assertNotIn(at, self.fake.access_tokens)
        # Already gone at GitHub (404): deleted here, and said so.
        gone = self.connect("github", "gh-gone")
        with self.fake.lock:
            del self.fake.access_tokens[self.access(gone["tokenId"])["accessToken"]]
        self.deleted(gone["tokenId"], "already_revoked")
        # GitHub down (503, then 429): kept, and a 502 says why.
        down = self.connect("github", "gh-down")
        for status in (503, 429):
            self.fake.revoke_status["github"] = status
            try:
                answer = self.call("DELETE", "/oauth-tokens/" + down["tokenId"], expect=502)
            finally:
                self.fake.revoke_status.pop("github", None)
            self.assertIn("HTTP %d" % status, answer["error"])
            self.assertEqual(self.call("GET", "/oauth-tokens/" + down["tokenId"])["id"],
                             down["tokenId"])
        self.deleted(down["tokenId"])
        # ?revoke=false leaves the provider alone.
        kept = self.connect("github", "gh-kept")
        sent = len(self.fake.revoke_requests)
        answer = self.call("DELETE", "/oauth-tokens/%s?revoke=false" % kept["tokenId"])
        self.assertEqual(answer["revocation"], "skipped")
        self.assertEqual(len(self.fake.revoke_requests), sent)
        listed = self.call("GET", "/oauth/providers")["data"]
        self.assertTrue([p for p in listed if p["provider"] == "github"][0]["revocation"])

    def test_each_providers_revocation_outcomes(self):
        """Down (503) keeps the token; each provider's word for a dead token
        is already_revoked; a refused client is refused. Both delete it."""
        answers = {
            "google": ({"error": "invalid_token"}, 400, {"error": "invalid_client"}, 401),
            "slack": ({"ok": False, "error": "token_revoked"}, 200,
                      {"ok": False, "error": "missing_scope"}, 200),
            "notion": ({"object": "error", "code": "invalid_grant"}, 400,
                       {"object": "error", "code": "unauthorized"}, 401),
        }
        for provider, (dead, dead_status, refusal, refusal_status) in answers.items():
            with self.subTest(provider=provider):
                down = self.connect(provider, provider + "-down")
                self.fake.revoke_status[provider] = 503
                try:
                    answer = self.call("DELETE", "/oauth-tokens/" + down["tokenId"], expect=502)
                finally:
                    self.fake.revoke_status.pop(provider, None)
                self.assertIn("HTTP 503", answer["error"])
                self.call("GET", "/oauth-tokens/" + down["tokenId"])  # kept
                for body, status, outcome in ((dead, dead_status, "already_revoked"),
                                              (refusal, refusal_status, "refused")):
                    self.fake.revoke_answer[provider] = (status, body)
                    try:
                        token = self.connect(provider, "%s-%s" % (provider, outcome))
                        self.deleted(token["tokenId"], outcome)
                    finally:
                        self.fake.revoke_answer.pop(provider, None)
                self.deleted(down["tokenId"])

    def test_notion_revocation_sends_the_access_token_with_notion_version(self):
        notion = self.connect("notion", "notion-revoke")
        at = self.access(notion["tokenId"])["accessToken"]
        self.deleted(notion["tokenId"])
        request = self.fake.revoke_requests[-1]
        self.assertEqual(json.loads(request["body"]), {"token": at})
        self.assertEqual(request["headers"]["Notion-Version"], "2022-06-28")
        self.assertTrue(request["headers"]["Authorization"].startswith("Basic "))
        self.assertIn(at, self.fake.revoked)
        gone = self.connect("notion", "notion-gone")
        with self.fake.lock:
            del self.fake.access_tokens[self.access(gone["tokenId"])["accessToken"]]
        self.deleted(gone["tokenId"], "already_revoked")

    def test_exchange_delivery_for_apps_with_their_own_redirect_uri(self):
        s = self.session("google", "g-exchange", delivery="exchange")
        status, location, _ = browse(s["url"])
        self.assertEqual(status, 302)
        q = query_of(location)  # the provider's redirect to the app, with code and state
        self.assertIn("code", q)
        bad = self.call("POST", "/auth/exchange", {"code": q["code"], "provider": "slack",
                                                   "redirectUri": APP, "state": q["state"]},
                        expect=400)
        self.assertIn("another provider", bad["error"])
        self.call("POST", "/auth/exchange", {"code": q["code"], "provider": "google",
                                             "redirectUri": APP + "x", "state": q["state"]},
                  expect=400)
        self.call("POST", "/auth/exchange", {"code": q["code"], "provider": "google",
                                             "redirectUri": APP, "state": q["state"]},
                  expect=400, key=self.other_key)
        done = self.call("POST", "/auth/exchange", {"code": q["code"], "provider": "google",
                                                    "redirectUri": APP, "state": q["state"]})
        self.assertTrue(done["success"])
        self.assertEqual(done["provider"], "google")
        self.assertEqual(self.call("GET", "/oauth-tokens/" + done["tokenId"])["identifierId"],
                         "g-exchange")
        again = self.call("POST", "/auth/exchange", {"code": q["code"], "provider": "google",
                                                     "redirectUri": APP, "state": q["state"]},
                          expect=400)
        self.assertIn("used", again["error"])


class FlowSecurityTest(OAuthTestBase):
    def stored(self, identifier):
        return len(self.tokens(identifier))

    def provider_redirect(self, provider, identifier):
        """Runs the flow up to the provider's redirect to our callback,
        without following it."""
        s = self.session(provider, identifier)
        status, location, _ = browse(s["url"], stop_prefix="http://127.0.0.1:%d/auth/callback"
                                     % self.server.port)
        self.assertEqual(status, 302)
        return location

    def test_replayed_callback_does_nothing(self):
        callback = self.provider_redirect("google", "replay")
        status, location, _ = browse(callback)
        self.assertEqual(query_of(location)["status"], "success")
        status, _, body = browse(callback)
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(body)["code"], "BAD_REQUEST")
        self.assertEqual(self.stored("replay"), 1)

    def test_state_of_another_session_fails_pkce(self):
        a = self.provider_redirect("google", "swap-a")
        b = self.provider_redirect("google", "swap-b")
        qa, qb = query_of(a), query_of(b)
        base = "http://127.0.0.1:%d/auth/callback?" % self.server.port
        swapped = base + urllib.parse.urlencode({"code": qa["code"], "state": qb["state"],
                                                 "iss": qa["iss"]})
        _, location, _ = browse(swapped)
        self.assertEqual(query_of(location), {"status": "error", "error": "token_exchange_failed"})
        self.assertEqual(self.stored("swap-a") + self.stored("swap-b"), 0)

    def test_code_without_pkce_is_refused(self):
        q = query_of(self.provider_redirect("google", "downgrade"))
        injected = self.fake.code_for_attacker(
            "google", "http://127.0.0.1:%d/auth/callback" % self.server.port)
        url = "http://127.0.0.1:%d/auth/callback?%s" % (self.server.port, urllib.parse.urlencode(
            {"code": injected, "state": q["state"], "iss": q["iss"]}))
        _, location, _ = browse(url)
        self.assertEqual(query_of(location)["error"], "token_exchange_failed")
        self.assertEqual(self.stored("downgrade"), 0)

    def test_issuer_mismatch(self):
        q = query_of(self.provider_redirect("google", "mixup"))
        url = "http://127.0.0.1:%d/auth/callback?%s" % (self.server.port, urllib.parse.urlencode(
            {"code": q["code"], "state": q["state"], "iss": q["iss"] + "x"}))
        _, location, _ = browse(url)
        self.assertEqual(query_of(location), {"status": "error", "error": "issuer_mismatch"})
        # An iss from a provider with no known issuer cannot be verified either.
        q = query_of(self.provider_redirect("github", "mixup-gh"))
        url = "http://127.0.0.1:%d/auth/callback?%s" % (self.server.port, urllib.parse.urlencode(
            {"code": q["code"], "state": q["state"], "iss": self.fake.base + "/google"}))
        _, location, _ = browse(url)
        self.assertEqual(query_of(location)["error"], "issuer_mismatch")
        self.assertEqual(self.stored("mixup") + self.stored("mixup-gh"), 0)

    def test_access_denied(self):
        self.fake.deny_next = True
        result = self.connect("google", "denied")
        self.assertEqual(result, {"status": "error", "error": "access_denied"})
        self.assertEqual(self.stored("denied"), 0)

    def test_redirect_uri_must_match_exactly(self):
        for uri in (APP + "/", APP[:-1], APP.replace("127.0.0.1", "localhost"),
                    "https://evil.test/oauth/done"):
            err = self.call("POST", "/auth/sessions", {"provider": "google", "identifierId": "x",
                                                       "redirectUri": uri}, expect=400)
            self.assertIn("redirectUri", err["error"])

    def test_session_link_is_single_use_and_bound_to_its_provider(self):
        s = self.session("google", "single")
        wrong = s["url"].replace("/auth/google?", "/auth/github?")
        status, _, body = browse(wrong)
        self.assertEqual(status, 400, body)
        browse(s["url"])
        status, _, body = browse(s["url"])
        self.assertEqual(status, 400)
        self.assertIn("already used", json.loads(body)["error"])
        status, _, _ = browse("http://127.0.0.1:%d/auth/google?session=oas_nope" % self.server.port)
        self.assertEqual(status, 400)

    def test_bad_inputs_get_json_errors(self):
        cases = [
            ("POST", "/auth/sessions", {"provider": "nope", "identifierId": "x",
                                        "redirectUri": APP}, 404),
            ("POST", "/auth/sessions", {"provider": "google", "identifierId": "",
                                        "redirectUri": APP}, 400),
            ("POST", "/auth/sessions", {"provider": "google", "identifierId": "x",
                                        "redirectUri": APP, "userScopes": ["a"]}, 400),
            ("POST", "/auth/sessions", {"provider": "google", "identifierId": "x",
                                        "redirectUri": APP, "delivery": "fax"}, 400),
            ("PUT", "/oauth/providers/nope", {"clientId": "a", "clientSecret": "b"}, 404),
            ("PUT", "/oauth/providers/google", {"clientId": "a"}, 400),
            ("PUT", "/oauth/redirect-uris", {"redirectUris": ["http://evil.test/cb"]}, 400),
            ("GET", "/oauth-tokens/otk_nope/access-token", None, 404),
            ("DELETE", "/oauth-tokens/otk_nope", None, 404),
            ("POST", "/auth/exchange", {"code": "c", "provider": "google", "redirectUri": APP,
                                        "state": "nope"}, 400),
        ]
        for method, path, body, status in cases:
            err = self.call(method, path, body, expect=status)
            self.assertIn("error", err)
        status, _, body = browse("http://127.0.0.1:%d/auth/callback?code=x" % self.server.port)
        self.assertEqual((status, json.loads(body)["code"]), (400, "BAD_REQUEST"))
        # The configured registration is unchanged by the refused PUT.
        google = [p for p in self.call("GET", "/oauth/providers")["data"]
                  if p["provider"] == "google"][0]
        self.assertEqual(google["clientId"], client_id("google"))

    def test_cross_account_isolation(self):
        mine = self.connect("google", "iso")["tokenId"]
        other = self.other_key
        self.call("GET", "/oauth-tokens/" + mine, expect=404, key=other)
        self.call("GET", "/oauth-tokens/%s/access-token" % mine, expect=404, key=other)
        self.call("DELETE", "/oauth-tokens/" + mine, expect=404, key=other)
        self.assertEqual(self.call("GET", "/oauth-tokens?identifierId=iso", key=other)["data"], [])
        status, body = self.via_proxy(mine, key=other)
        self.assertEqual(status, 404, body)
        # The other account's session cannot be opened for this account's
        # registration, and vice versa: each account's client is its own.
        self.call("PUT", "/oauth/providers/google", {"clientId": "other-client",
                                                     "clientSecret": "other-secret-123"},
                  key=other)
        s = self.session("google", "iso-other", key=other)
        status, location, _ = browse(s["url"], stop_prefix=self.fake.base)
        self.assertIn("client_id=other-client", location)
        self.call("PUT", "/oauth/redirect-uris", {"redirectUris": ["https://other.test/cb"]},
                  key=other)
        self.assertEqual(self.call("GET", "/oauth/redirect-uris")["redirectUris"], [APP])
        self.call("PUT", "/oauth/redirect-uris", {"redirectUris": [APP]}, key=other)
        mine_providers = self.call("GET", "/oauth/providers")["data"]
        self.assertEqual([p["clientId"] for p in mine_providers if p["provider"] == "google"],
                         [client_id("google")])
        self.assertEqual(self.call("GET", "/oauth-tokens/" + mine)["id"], mine)

    def test_proxy_only_toward_the_providers_api_hosts(self):
        token = self.connect("google", "proxy-hosts")["tokenId"]
        status, body = self.via_proxy(token)
        self.assertEqual((status, body["dialect"]), (200, "google"))
        # localhost is reachable (http allowed, loopback allowed) but is not
        # among the provider's API hosts.
        status, body = self.via_proxy(
            token, target="http://localhost:%d/api/me" % self.fake.port)
        self.assertEqual((status, body["code"]), (403, "FORBIDDEN"), body)
        # Both headers at once is ambiguous.
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        conn.request("GET", "/v1/proxy", headers={
            "Authorization": "Bearer " + self.key, "X-Oauth-Token-Id": token,
            "X-Credential-Name": "openai", "X-Target-Url": self.fake.base + "/api/me"})
        self.assertEqual(conn.getresponse().status, 400)

    def test_secrets_never_leak(self):
        result = self.connect("slack", "leak", userScopes=["search:read"])
        self.connect("notion", "leak")
        self.access(result["tokenId"])
        self.call("GET", "/oauth/providers")
        self.call("GET", "/oauth-tokens")
        refresh_tokens = [t for t in self.fake.issued if "-rt-" in t]
        access_tokens = [t for t in self.fake.issued if "-at-" in t]
        planted = list(CLIENT_SECRETS.values()) + refresh_tokens
        for headers, body in self.responses:
            for secret in planted:
                self.assertNotIn(secret, body)
                self.assertNotIn(secret, json.dumps(headers))
        logs = self.server.stderr()
        for secret in planted + access_tokens:
            self.assertNotIn(secret, logs)
        raw = self.server.stored_bytes()
        for secret in planted + access_tokens:
            self.assertNotIn(secret.encode(), raw)


class OAuthByPathTest(OAuthTestBase):
    """/proxy/oauth/{tokenId}/{path...}: a connection's provider API by path."""

    def by_path(self, token_id, rest, method="GET", headers=None, body=None, key=None):
        h = {"Authorization": "Bearer " + (key or self.key)}
        h.update(headers or {})
        status, parsed, _ = self.server.request(
            method, "/proxy/oauth/%s/%s" % (token_id, rest), body=body, headers=h)
        return status, parsed

    def last_api_request(self):
        return self.fake.api_requests[-1]

    def test_each_provider_is_reached_at_its_api_base_with_a_fresh_token(self):
        listed = {p["provider"]: p["apiBaseUrl"] for p in self.call("GET", "/oauth/providers")["data"]}
        self.assertEqual(listed["notion"], self.fake.base + "/api/notion")
        for dialect in DIALECTS:
            with self.subTest(dialect):
                result = self.connect(dialect, "path-" + dialect)
                token = result["tokenId"]
                status, body = self.by_path(token, "v1/users/me?page_size=2&x=%2F")
                self.assertEqual(status, 200, body)
                self.assertEqual(body["dialect"], dialect)
                seen = self.last_api_request()
                self.assertEqual(seen["path"], "/api/%s/v1/users/me" % dialect)
                self.assertEqual(seen["query"], "page_size=2&x=%2F")
                self.assertIn(seen["token"], self.fake.access_tokens)
                self.assertNotIn(self.key, json.dumps(seen["headers"]))

    def test_notion_and_github_get_the_headers_their_apis_need(self):
        notion = self.connect("notion", "path-headers")["tokenId"]
        self.assertEqual(self.by_path(notion, "v1/search", "POST", body={"query": "q"})[0], 200)
        seen = self.last_api_request()
        self.assertEqual(seen["headers"].get("Notion-Version"), "2022-06-28")
        self.assertEqual(json.loads(seen["body"]), {"query": "q"})
        # The caller's own version wins.
        self.by_path(notion, "v1/search", "POST", headers={"Notion-Version": "2025-09-03"},
                     body={})
        self.assertEqual(self.last_api_request()["headers"].get("Notion-Version"), "2025-09-03")
        github = self.connect("github", "path-headers")["tokenId"]
        self.assertEqual(self.by_path(github, "user")[0], 200)
        headers = self.last_api_request()["headers"]
        self.assertEqual(headers.get("Accept"), "application/vnd.github+json")
        self.assertEqual(headers.get("User-Agent"), "latchkey")
        # Google needs none of these.
        google = self.connect("google", "path-headers")["tokenId"]
        self.by_path(google, "oauth2/v3/userinfo")
        self.assertNotIn("Notion-Version", self.last_api_request()["headers"])

    def test_an_expired_token_is_refreshed_before_the_call(self):
        self.fake.expires_in["notion"] = 1
        try:
            token = self.connect("notion", "path-expired")["tokenId"]
        finally:
            self.fake.expires_in["notion"] = 3600
        first = [t for t, d in self.fake.access_tokens.items() if d == "notion"][-1]
        # The provider's clock, not ours: the first token is dead at the API.
        wait_until(lambda: time.time() > self.fake.access_expiry[first],
                   what="the first access token to expire")
        self.fake.strict_expiry = True
        try:
            status, body = self.by_path(token, "v1/users/me")
        finally:
            self.fake.strict_expiry = False
        self.assertEqual(status, 200, body)
        self.assertNotEqual(self.last_api_request()["token"], first)

    def test_refusals(self):
        token = self.connect("google", "path-refusals")["tokenId"]
        # Another account's token looks like one that does not exist.
        self.assertEqual(self.by_path(token, "x", key=self.other_key)[0], 404)
        self.assertEqual(self.by_path("otk_missing", "x")[0], 404)
        # A key restricted to other credentials; one restricted to this token.
        _, other_only, _ = self.server.request("POST", "/api-keys", self.key, {
            "name": "openai-only", "scopes": ["proxy"], "credentials": ["openai"],
            "allowMissing": True})
        status, body = self.by_path(token, "x", key=other_only["apiKey"])
        self.assertEqual((status, body["code"]), (403, "FORBIDDEN"), body)
        _, this_only, _ = self.server.request("POST", "/api-keys", self.key, {
            "name": "token-only", "scopes": ["proxy"], "credentials": ["oauth:" + token]})
        self.assertEqual(self.by_path(token, "x", key=this_only["apiKey"])[0], 200)
        # Climbing out of the API base, plainly or encoded, is refused unsent.
        sent = len(self.fake.api_requests)
        for rest in ("../../google/token", "a/%2e%2e/%2E%2E/x", "a/..%2f..%2fx"):
            status, body = self.by_path(token, rest)
            self.assertEqual(status, 400, (rest, body))
        self.assertEqual(len(self.fake.api_requests), sent)
        # No key at all.
        status, _, _ = self.server.request("GET", "/proxy/oauth/%s/x" % token)
        self.assertEqual(status, 401)

    def test_a_token_revoked_at_the_provider_is_needs_reauth_not_a_500(self):
        self.fake.expires_in["slack"] = 1
        try:
            token = self.connect("slack", "path-dead")["tokenId"]
        finally:
            self.fake.expires_in["slack"] = 3600
        self.fake.kill_grants("slack")
        t = wait_until(lambda: (lambda t: t if t["status"] == "needs_reauth" else None)(
            self.call("GET", "/oauth-tokens/" + token)), what="needs_reauth")
        self.assertEqual(t["status"], "needs_reauth")
        status, body = self.by_path(token, "auth.test")
        self.assertEqual((status, body["code"]), (409, "NEEDS_REAUTH"), body)


class ProvidersFileTest(unittest.TestCase):
    def test_a_bad_providers_file_stops_the_server_naming_the_field(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "providers.json")
            for entry, field in (
                    ({"acme": {"type": "oauth2", "authorizationUrl": "ftp://x",
                               "tokenUrl": "https://t.test/token"}}, "acme.authorizationUrl"),
                    ({"google": {"tokenUrl": "https://t.test", "colour": "red"}}, "google.colour")):
                with open(path, "w") as f:
                    json.dump(entry, f)
                server = Server(data_dir=os.path.join(tmp, "data"),
                                args=["--oauth-providers-file", path])
                with self.assertRaises(RuntimeError):
                    server.start()
                self.assertEqual(server.proc.wait(timeout=10), 2)
                self.assertIn(field, server.stderr())
                server.stopping = True  # the exit is the expected outcome
                server.cleanup()


class RestartTest(OAuthTestBase):
    def test_tokens_due_while_down_are_refreshed_after_start(self):
        self.fake.expires_in["google"] = 4
        result = self.connect("google", "restart")
        self.fake.expires_in["google"] = 3600
        before = self.fake.refreshes["google"]
        self.assertEqual(self.server.stop(signal.SIGTERM), 0)
        # The token's expiry, read from storage while the server is down.
        expires = self.server.sql_value("SELECT expires_at FROM oauth_tokens WHERE id = ?",
                                        result["tokenId"])
        # Down past the token's expiry: nothing could refresh it.
        wait_until(lambda: time.time() > expires + 1, what="the token to expire while down")
        self.assertEqual(self.fake.refreshes["google"], before)
        type(self).server = self.start_server(self.server.data_dir)
        t = self.wait_refreshed(result["tokenId"])
        self.assertEqual(t["status"], "active")
        self.assertEqual(self.fake.refreshes["google"], before + 1)
        self.assertEqual(self.via_proxy(result["tokenId"])[0], 200)


if __name__ == "__main__":
    unittest.main()
