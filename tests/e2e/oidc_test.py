"""OAuth against a real authorization server: panva's oidc-provider (npm),
started here with rotating refresh tokens, PKCE required, `iss` in the
authorization response and a 4-second access-token lifetime, used through
a generic "oauth2" provider entry."""
import datetime
import http.client
import http.cookiejar
import json
import os
import secrets
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

from server import Server

HERE = os.path.dirname(os.path.abspath(__file__))
OIDC_DIR = os.path.join(HERE, "oidc")
APP = "http://127.0.0.1:9/connected"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """Follows redirects one at a time with a cookie jar (oidc-provider
    keeps its interaction state in cookies)."""

    def __init__(self):
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect())

    def go(self, url, stop_prefix):
        for _ in range(12):
            try:
                resp = self.opener.open(url, timeout=10)
                return resp.status, url, resp.read()
            except urllib.error.HTTPError as e:
                if e.code not in (302, 303):
                    return e.code, url, e.read()
                location = urllib.parse.urljoin(url, e.headers["Location"])
                if location.startswith(stop_prefix):
                    return e.code, location, b""
                url = location
        raise AssertionError("too many redirects")


def iso_to_epoch(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


class OidcProviderTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.isdir(os.path.join(OIDC_DIR, "node_modules", "oidc-provider")):
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=OIDC_DIR,
                           check=True)
        cls.node = subprocess.Popen(["node", "server.mjs"], cwd=OIDC_DIR, stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, text=True)
        hello = json.loads(cls.node.stdout.readline())
        cls.issuer = hello["issuer"]
        cls.tmp = tempfile.TemporaryDirectory(prefix="latchkey-oidc-")
        providers = os.path.join(cls.tmp.name, "providers.json")
        with open(providers, "w") as f:
            json.dump({"acme": {
                "type": "oauth2", "authorizationUrl": cls.issuer + "/auth",
                "tokenUrl": cls.issuer + "/token",
                "revocationUrl": cls.issuer + "/token/revocation",
                "issuer": cls.issuer, "scopes": ["openid", "offline_access"], "pkce": True,
                "clientAuth": "basic", "authorizationParams": {"prompt": "consent"},
                "apiHosts": ["127.0.0.1"]}}, f)
        cls.server = Server(data_dir=os.path.join(cls.tmp.name, "data"), args=[
            "--oauth-providers-file", providers, "--oauth-refresh-margin", "0",
            "--proxy-allow-http", "127.0.0.1", "--proxy-allow-private", "127.0.0.1/32"]).start()
        # Characters that RFC 6749 §2.3.1 form-encodes before Basic auth.
        cls.client_secret = "planted-oidc-secret-%s+/:%%" % secrets.token_hex(8)
        cls.node.stdin.write(json.dumps({
            "redirectUri": "http://127.0.0.1:%d/auth/callback" % cls.server.port,
            "clientSecret": cls.client_secret, "accessTokenTtl": 4}) + "\n")
        cls.node.stdin.flush()
        assert cls.node.stdout.readline().strip() == "ready"
        admin = cls.server.read_admin_key()
        _, body, _ = cls.server.request("POST", "/admin/accounts", admin, {"name": "acme"})
        cls.key = body["apiKey"]
        cls.call("PUT", "/oauth/providers/acme",
                 {"clientId": "latchkey", "clientSecret": cls.client_secret})
        cls.call("PUT", "/oauth/redirect-uris", {"redirectUris": [APP]})

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        cls.node.kill()
        cls.node.wait()
        cls.node.stdout.close()
        cls.node.stdin.close()
        cls.tmp.cleanup()

    @classmethod
    def call(cls, method, path, body=None, expect=200):
        status, parsed, _ = cls.server.request(method, path, cls.key, body)
        if status != expect:
            raise AssertionError("%s %s: %d %s" % (method, path, status, parsed))
        return parsed

    def counts(self):
        with urllib.request.urlopen(self.issuer + "/_counts", timeout=10) as r:
            return json.loads(r.read())

    def userinfo(self, access_token):
        req = urllib.request.Request(self.issuer + "/me",
                                     headers={"Authorization": "Bearer " + access_token})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, None

    def connect(self):
        s = self.call("POST", "/auth/sessions", {"provider": "acme", "identifierId": "user-42",
                                                  "redirectUri": APP}, expect=201)
        status, location, body = Browser().go(s["url"], APP)
        self.assertEqual(status, 303 if status == 303 else 302, body)
        return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))

    def test_code_flow_then_one_refresh_for_20_concurrent_callers(self):
        result = self.connect()
        self.assertEqual(result["status"], "success", result)
        token_id = result["tokenId"]
        token = self.call("GET", "/oauth-tokens/" + token_id)
        self.assertEqual(token["status"], "active")
        self.assertTrue(token["refreshable"])
        self.assertIn("offline_access", token["scopes"])
        first = self.call("GET", "/oauth-tokens/%s/access-token" % token_id)
        self.assertEqual(self.userinfo(first["accessToken"])[0], 200)
        before = self.counts()
        self.assertEqual(before["authorizationCode"], 1)

        # At expiry (margin 0), 20 callers at once: one refresh between them.
        expires = iso_to_epoch(token["expiresAt"])
        while time.time() < expires:
            time.sleep(0.05)
        answers, errors = [], []

        def fetch():
            try:
                status, body, _ = self.server.request(
                    "GET", "/oauth-tokens/%s/access-token" % token_id, self.key)
                answers.append((status, body))
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)
        threads = [threading.Thread(target=fetch) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual([s for s, _ in answers], [200] * 20, answers)
        after = self.counts()
        self.assertEqual(after["refreshToken"] - before["refreshToken"], 1, after)
        self.assertEqual(after["errors"], [])
        fresh = {body["accessToken"] for _, body in answers}
        self.assertEqual(len(fresh), 1)
        fresh = fresh.pop()
        self.assertNotEqual(fresh, first["accessToken"])
        status, info = self.userinfo(fresh)
        self.assertEqual((status, info["sub"]), (200, "user-42"))

        # Through the proxy with the rotated token, and again after the next
        # rotation (the background scheduler this time).
        proxied = self.proxy_me(token_id)
        self.assertEqual((proxied[0], proxied[1]["sub"]), (200, "user-42"))
        refreshed_at = self.call("GET", "/oauth-tokens/" + token_id)["lastRefreshedAt"]
        deadline = time.time() + 60  # the next expiry is 4 s away; slack for slow builds
        while self.call("GET", "/oauth-tokens/" + token_id)["lastRefreshedAt"] == refreshed_at:
            if time.time() > deadline:
                events = self.call("GET", "/audit-events?resource=%s&limit=20" % token_id)
                self.fail("no background refresh: %s %s %s" % (
                    self.call("GET", "/oauth-tokens/" + token_id), events, self.counts()))
            time.sleep(0.05)
        self.assertEqual(self.proxy_me(token_id)[0], 200)
        self.assertEqual(self.counts()["errors"], [])

        # Delete revokes the grant at the provider.
        last = self.call("GET", "/oauth-tokens/%s/access-token" % token_id)["accessToken"]
        self.call("DELETE", "/oauth-tokens/" + token_id)
        self.assertEqual(self.userinfo(last)[0], 401)

    def proxy_me(self, token_id):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        conn.request("GET", "/v1/proxy", headers={"Authorization": "Bearer " + self.key,
                                                  "X-Oauth-Token-Id": token_id,
                                                  "X-Target-Url": self.issuer + "/me"})
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        return resp.status, json.loads(body)

    def test_iss_and_pkce_are_checked_by_the_real_server_too(self):
        s = self.call("POST", "/auth/sessions", {"provider": "acme", "identifierId": "mixup",
                                                  "redirectUri": APP}, expect=201)
        callback = "http://127.0.0.1:%d/auth/callback" % self.server.port
        status, location, _ = Browser().go(s["url"], callback)
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
        self.assertEqual(q["iss"], self.issuer)  # RFC 9207 from a real server
        q["iss"] = self.issuer + "/evil"
        status, location, _ = Browser().go(callback + "?" + urllib.parse.urlencode(q), APP)
        result = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
        self.assertEqual(result, {"status": "error", "error": "issuer_mismatch"})
        self.assertEqual(self.call("GET", "/oauth-tokens?identifierId=mixup")["data"], [])


if __name__ == "__main__":
    unittest.main()
