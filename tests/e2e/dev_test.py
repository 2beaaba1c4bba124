"""`latchkeyd dev` with nothing else running: the three jobs end to end
(a JWT verified by PyJWT against the JWKS; an agent calling the echo
upstream through the proxy with a key it never sees; a user connecting each
of the five dev OAuth providers through its consent page, then
disconnecting), and the guards that keep dev mode from being used by
accident."""

import base64
import http.client
import json
import os
import re
import queue
import signal
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse

import jwt

from server import BINARY, Server

PROVIDERS = ("google", "microsoft", "slack", "github", "notion")


def run(*args):
    return subprocess.run([BINARY] + list(args), capture_output=True, text=True, timeout=30)


class DevServer:
    def __init__(self):
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([BINARY, "dev", "--listen", "127.0.0.1:0"],
                                     stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        # A thread reads, so that a server that never finishes starting
        # fails the test at the deadline instead of hanging it.
        arrived = queue.Queue()

        def read():
            for line in self.proc.stdout:
                arrived.put(line)
            arrived.put("")
        threading.Thread(target=read, daemon=True).start()
        lines = []
        deadline = time.time() + 30
        while not lines or "/connections/google/user-1/access-token" not in lines[-1]:
            try:
                line = arrived.get(timeout=max(0.0, deadline - time.time()))
            except queue.Empty:
                line = ""
            if not line:
                self.proc.terminate()  # removes its temp dir
                try:
                    self.proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
                self.stderr.seek(0)
                raise RuntimeError("latchkeyd dev did not finish starting: " + "".join(lines) +
                                   self.stderr.read().decode(errors="replace")[-2000:])
            lines.append(line)
        self.out = "".join(lines)
        self.port = int(re.search(r"^listening on http://127\.0\.0\.1:(\d+) \[DEV MODE\]$",
                                  self.out, re.M).group(1))
        self.base = "http://127.0.0.1:%d" % self.port
        self.key = re.search(r"key \(every scope\) (\S+)", self.out).group(1)
        self.agent_key = re.search(r"agent key \(proxy, credential echo only\): (\S+)",
                                   self.out).group(1)
        self.account = re.search(r"^account (acct_\w+)", self.out, re.M).group(1)
        self.data_dir = re.search(r"throwaway data in (\S+)", self.out).group(1)

    def request(self, method, path, key=None, body=None, form=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {"Authorization": "Bearer " + key} if key else {}
        data = None
        if body is not None:
            data = json.dumps(body)
        if form is not None:
            data = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        raw = resp.read().decode()
        conn.close()
        return resp.status, resp.getheader("Location"), raw

    def api(self, method, path, body=None, key=None, expect=200):
        status, _, raw = self.request(method, path, key or self.key, body)
        assert status == expect, (method, path, status, raw)
        return json.loads(raw) if raw else None

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=20)
        self.stderr.close()
        return code


def path_of(url):
    u = urllib.parse.urlparse(url)
    return u.path + ("?" + u.query if u.query else "")


class DevModeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dev = DevServer()

    @classmethod
    def tearDownClass(cls):
        if cls.dev.proc.poll() is None:
            cls.dev.stop()

    def test_every_start_line_and_healthz_say_dev_mode(self):
        lines = self.dev.out.splitlines()
        self.assertGreaterEqual(len(lines), 17)
        for line in lines:
            self.assertTrue(line.endswith("[DEV MODE]"), line)
        self.assertEqual(self.dev.api("GET", "/healthz", key=""),
                         {"mode": "DEV MODE", "status": "ok"})

    def test_sign_a_jwt_and_verify_it_with_pyjwt_against_the_jwks(self):
        signed = self.dev.api("POST", "/tokens", {"subject": "me", "audience": "api"})
        jwks = jwt.PyJWKClient(self.dev.base + "/accounts/%s/.well-known/jwks.json"
                               % self.dev.account)
        key = jwks.get_signing_key_from_jwt(signed["token"])
        claims = jwt.decode(signed["token"], key.key, algorithms=["RS256", "ES256"],
                            audience="api")
        self.assertEqual(claims["sub"], "me")

    def test_an_agent_calls_the_echo_upstream_without_seeing_the_key(self):
        echoed = self.dev.api("GET", "/proxy/echo/hello?x=1", key=self.dev.agent_key)
        self.assertEqual((echoed["method"], echoed["path"], echoed["query"]),
                         ("GET", "/dev/echo/hello", "x=1"))
        self.assertEqual(echoed["headers"]["Authorization"], "[REDACTED]")
        self.assertNotIn("dev-echo-secret-", json.dumps(echoed))
        self.dev.api("GET", "/secrets", key=self.dev.agent_key, expect=403)

    def connect(self, provider, identifier, decision="allow"):
        """The browser's part: the session link, the consent page, a button."""
        session = self.dev.api("POST", "/auth/sessions", {
            "provider": provider, "identifierId": identifier,
            "redirectUri": self.dev.base + "/dev/connected"}, expect=201)
        status, location, _ = self.dev.request("GET", path_of(session["url"]))
        self.assertEqual(status, 302)
        status, _, page = self.dev.request("GET", path_of(location))
        self.assertEqual(status, 200, page)
        self.assertIn(">Allow</button>", page)
        form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page))
        form = {k: v.replace("&amp;", "&") for k, v in form.items()}
        form["decision"] = decision
        status, callback, _ = self.dev.request("POST", "/dev/oauth/%s/decide" % provider,
                                               form=form)
        self.assertEqual(status, 302)
        status, done, _ = self.dev.request("GET", path_of(callback))
        self.assertEqual(status, 302)
        status, _, landing = self.dev.request("GET", path_of(done))
        self.assertEqual(status, 200)
        return json.loads(landing)

    def test_a_user_connects_and_disconnects_each_provider(self):
        for provider in PROVIDERS:
            with self.subTest(provider=provider):
                result = self.connect(provider, "user-" + provider)
                self.assertEqual(result["status"], "success", result)
                pair = "/connections/%s/user-%s" % (provider, provider)
                self.assertEqual(self.dev.api("GET", pair)["id"], result["tokenId"])
                token = self.dev.api("GET", pair + "/access-token")["accessToken"]
                self.assertTrue(token.startswith("dev-%s-at-" % provider), token)
                # The provider's API takes it, through the proxy by path.
                me = self.dev.api("GET", "/proxy/oauth/%s/me" % result["tokenId"])
                self.assertEqual((me["provider"], me["user"]), (provider, "dev-user"))
                # Authorizing again renews the same connection.
                again = self.connect(provider, "user-" + provider)
                self.assertEqual(again["tokenId"], result["tokenId"])
                token = self.dev.api("GET", pair + "/access-token")["accessToken"]
                gone = self.dev.api("DELETE", "/oauth-tokens/" + result["tokenId"])
                self.assertEqual(gone["revocation"],
                                 "unsupported" if provider == "microsoft" else "revoked")
                # Revoked is revoked: the access token no longer works there.
                status, _, _ = self.dev.request("GET", "/dev/oauth/%s/api/me" % provider, token)
                self.assertEqual(status, 200 if provider == "microsoft" else 401)

    def test_deny_and_bad_requests_at_the_dev_providers(self):
        self.assertEqual(self.connect("github", "user-deny", decision="deny"),
                         {"status": "error", "error": "access_denied"})
        status, _, body = self.dev.request("GET", "/dev/oauth/google/authorize?client_id=nope"
                                                  "&response_type=code&redirect_uri=x&state=y")
        self.assertEqual(status, 400, body)
        status, _, body = self.dev.request("POST", "/dev/oauth/google/token",
                                           form={"grant_type": "authorization_code",
                                                 "code": "made-up", "client_id": "dev-google",
                                                 "client_secret": "dev-google-client-secret"})
        self.assertEqual((status, json.loads(body)["error"]), (400, "invalid_grant"))
        status, _, body = self.dev.request("POST", "/dev/oauth/slack/token",
                                           form={"grant_type": "refresh_token",
                                                 "refresh_token": "x", "client_id": "dev-slack",
                                                 "client_secret": "wrong"})
        self.assertEqual((status, json.loads(body)), (200, {"ok": False,
                                                            "error": "invalid_client"}))
        self.assertEqual(self.dev.request("GET", "/dev/oauth/nope/authorize")[0], 404)
        # Only redirect URIs on the dev server itself, as a provider allows only registered ones.
        status, location, _ = self.dev.request("POST", "/dev/oauth/google/decide", form={
            "redirect_uri": "https://elsewhere.example/x", "state": "s", "decision": "allow"})
        self.assertEqual((status, location), (400, None))
        status, _, body = self.dev.request(
            "GET", "/dev/oauth/google/authorize?client_id=dev-google&response_type=code&state=s"
                   "&redirect_uri=https%3A%2F%2Felsewhere.example%2Fx")
        self.assertEqual(status, 400, body)
        self.assertIn("redirect_uri must be on", json.loads(body)["error"])

    def test_github_revocation_ends_the_whole_grant(self):
        """GitHub's grant DELETE revokes every token of the grant, as GitHub's
        does: here as a client of the dev provider itself."""
        def call(method, path, body, headers):
            conn = http.client.HTTPConnection("127.0.0.1", self.dev.port, timeout=10)
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            raw = resp.read().decode()
            conn.close()
            return resp.status, resp.getheader("Location"), raw
        redirect = self.dev.base + "/dev/connected"
        _, location, _ = call("POST", "/dev/oauth/github/decide", urllib.parse.urlencode(
            {"redirect_uri": redirect, "state": "s", "decision": "allow"}),
            {"Content-Type": "application/x-www-form-urlencoded"})
        code = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(location).query))["code"]
        form = {"client_id": "dev-github", "client_secret": "dev-github-client-secret"}
        token_headers = {"Accept": "application/json",
                         "Content-Type": "application/x-www-form-urlencoded"}
        _, _, raw = call("POST", "/dev/oauth/github/token", urllib.parse.urlencode(
            dict(form, grant_type="authorization_code", code=code, redirect_uri=redirect)),
            token_headers)
        grant = json.loads(raw)
        basic = "Basic " + base64.b64encode(b"dev-github:dev-github-client-secret").decode()
        status, _, _ = call("DELETE", "/dev/oauth/github/applications/dev-github/grant",
                            json.dumps({"access_token": grant["access_token"]}),
                            {"Authorization": basic, "Content-Type": "application/json"})
        self.assertEqual(status, 204)
        status, _, raw = call("POST", "/dev/oauth/github/token", urllib.parse.urlencode(
            dict(form, grant_type="refresh_token", refresh_token=grant["refresh_token"])),
            token_headers)
        self.assertEqual((status, json.loads(raw)), (200, {"error": "bad_refresh_token"}))

class DevModeGuardsTest(unittest.TestCase):
    def test_refuses_what_it_would_override_and_non_loopback_addresses(self):
        env = dict(os.environ, LATCHKEY_PUBLIC_URL="https://lk.example")
        refused = subprocess.run([BINARY, "dev"], capture_output=True, text=True, env=env,
                                 timeout=30)
        self.assertEqual(refused.returncode, 2, refused.stderr)
        self.assertIn("LATCHKEY_PUBLIC_URL", refused.stderr)
        for args, says in [(["--database-url", "postgresql://127.0.0.1:1/x"], "--database-url"),
                           (["--listen", "192.0.2.1:0"], "loopback only"),
                           (["--metrics-listen", "0.0.0.0:9464"], "--metrics-listen"),
                           (["--data-dir", "/tmp/lk-dev-given"], "--data-dir"),
                           (["--public-url", "https://lk.example"], "--public-url"),
                           (["--oauth-providers-file", "/dev/null"], "--oauth-providers-file"),
                           (["--listen", "[::1]:0"], "loopback only")]:
            result = run("dev", *args)
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertIn(says, result.stderr)
            self.assertNotIn("DEV MODE", result.stdout)

    def test_the_data_goes_when_it_stops(self):
        dev = DevServer()
        self.assertTrue(os.path.isdir(dev.data_dir))
        self.assertEqual(dev.stop(), 0)
        self.assertFalse(os.path.exists(dev.data_dir))

    def test_a_plain_start_is_not_dev_mode(self):
        server = Server().start()
        try:
            status, health, _ = server.request("GET", "/healthz")
            self.assertEqual((status, health), (200, {"status": "ok"}))
            self.assertEqual(server.request("GET", "/dev/echo/x")[0], 404)
            self.assertNotIn("DEV MODE", server.stdout)
        finally:
            server.stop()


if __name__ == "__main__":
    unittest.main()
