"""Fake OAuth providers on loopback: the edge of the machine in the OAuth
tests. One HTTP server plays google, microsoft, slack, github and notion,
each with the quirks latchkeyd has to handle:

  google     form body; refresh answers carry no refresh_token (keep the old)
  microsoft  {tenant} in the URL path; every refresh rotates the refresh
             token; a dead grant is 400 invalid_grant with AADSTS700082
  slack      comma-separated scopes and user_scope; errors are HTTP 200 with
             "ok": false; a bot token plus a separate authed_user token,
             both expiring and rotating
  github     errors are HTTP 200 with "error"; Accept: application/json
             required; GitHub-App user tokens expire and rotate
  notion     HTTP Basic client auth and a JSON body; workspace metadata;
             rotating refresh tokens, or none at all (non-expiring)

The authorize endpoint consents at once (no login page) and redirects back
with a code, or with error=access_denied when told to deny. PKCE S256 is
checked, and a verifier sent for a code issued without a challenge is
refused (RFC 9700 §4.8.2). A refresh token used after it rotated is
counted as a reuse: the tests require none.

Each provider's API lives under /api/<dialect>/ (the apiBaseUrl the
providers file names): it answers who the bearer token belongs to and
echoes the request (method, path, query, headers, body), and refuses a
token that has expired once strict_expiry is on.
"""
import base64
import hashlib
import http.server
import json
import secrets
import threading
import time
import urllib.parse

DIALECTS = ("google", "microsoft", "slack", "github", "notion")
CLIENT_SECRETS = {d: "planted-%s-client-secret-%s" % (d, secrets.token_hex(6)) for d in DIALECTS}
TENANT = "contoso"


def client_id(dialect):
    return "client-" + dialect


class FakeProviders:
    def __init__(self, expires_in=3600):
        self.lock = threading.Lock()
        self.expires_in = {d: expires_in for d in DIALECTS}
        self.github_refresh_lifetime = 15811200  # refresh_token_expires_in: 183 days
        self.codes = {}
        self.refresh_tokens = {}   # token -> {"dialect", "kind", "valid"}
        self.access_tokens = {}    # token -> dialect
        self.access_expiry = {}    # token -> time.time() it expires at
        self.strict_expiry = False  # the API refuses expired access tokens
        self.api_requests = []     # what reached /api: method, path, headers, body
        self.refreshes = {d: 0 for d in DIALECTS}
        self.reused = []           # refresh tokens used after they rotated
        self.authorize_requests = []
        self.token_requests = []
        self.revoked = []
        self.revoke_requests = []
        self.revoke_status = {}    # dialect -> the status its revocation endpoint answers
        self.revoke_answer = {}    # dialect -> (status, body) it answers instead of revoking
        self.deny_next = False
        self.fail_next_refresh = {}  # dialect -> http status to fail with
        self.notion_non_expiring = False
        self.issued = []           # every token value handed out
        self.refresh_delay = 0.0   # seconds each token request takes (outside the lock)
        self.api_delay = 0.0       # seconds each /api request takes
        self.stalled = 0           # requests held by one of the delays now
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def send(self, status, body, headers=None):
                data = json.dumps(body).encode() if not isinstance(body, bytes) else body
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                url = urllib.parse.urlparse(self.path)
                parts = url.path.strip("/").split("/")
                query = dict(urllib.parse.parse_qsl(url.query))
                if parts[-1] == "authorize":
                    return fake.authorize(self, parts, query)
                if parts[0] == "api":
                    if fake.api_delay:
                        fake.stall(fake.api_delay)
                    return fake.api(self)
                self.send(404, {"error": "not_found"})

            def do_DELETE(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                parts = urllib.parse.urlparse(self.path).path.strip("/").split("/")
                if parts[:2] == ["github", "applications"] and parts[-1] == "grant":
                    with fake.lock:
                        return fake.revoke_github(self, parts, raw)
                self.send(404, {"message": "Not Found"})

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                parts = urllib.parse.urlparse(self.path).path.strip("/").split("/")
                if parts[0] == "api":
                    return fake.api(self, raw)
                if fake.refresh_delay:
                    fake.stall(fake.refresh_delay)
                with fake.lock:
                    if parts[-1] == "token":
                        return fake.token(self, parts[0], raw)
                    if parts[-1] == "revoke":
                        return fake.revoke(self, parts[0], raw)
                self.send(404, {"error": "not_found"})

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        # A client that died mid-request (the replica killed on purpose).
        self.httpd.handle_error = lambda request, address: None
        self.port = self.httpd.server_address[1]
        self.base = "http://127.0.0.1:%d" % self.port
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stall(self, seconds):
        with self.lock:
            self.stalled += 1
        try:
            time.sleep(seconds)
        finally:
            with self.lock:
                self.stalled -= 1

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def providers_file(self):
        """The providers file pointing every built-in entry here."""
        b = self.base
        entries = {
            "google": {"authorizationUrl": b + "/google/authorize", "tokenUrl": b + "/google/token",
                       "revocationUrl": b + "/google/revoke", "issuer": b + "/google"},
            "microsoft": {"authorizationUrl": b + "/microsoft/{tenant}/authorize",
                          "tokenUrl": b + "/microsoft/{tenant}/token"},
            "slack": {"authorizationUrl": b + "/slack/authorize", "tokenUrl": b + "/slack/token",
                      "revocationUrl": b + "/slack/revoke"},
            "github": {"authorizationUrl": b + "/github/authorize", "tokenUrl": b + "/github/token",
                       "revocationUrl": b + "/github/applications/{clientId}/grant"},
            "notion": {"authorizationUrl": b + "/notion/authorize", "tokenUrl": b + "/notion/token",
                       "revocationUrl": b + "/notion/revoke"},
        }
        for d, entry in entries.items():
            entry["apiHosts"] = ["127.0.0.1"]
            entry["apiBaseUrl"] = b + "/api/" + d
        return entries

    # --- authorization endpoint -------------------------------------------------

    def authorize(self, h, parts, q):
        dialect = parts[0]
        self.authorize_requests.append({"dialect": dialect, "path": parts, "query": q})
        redirect = q.get("redirect_uri", "")
        if dialect == "microsoft" and parts[1] != TENANT:
            return h.send(400, {"error": "invalid_tenant"})
        if q.get("client_id") != client_id(dialect) or q.get("response_type") != "code":
            return h.send(400, {"error": "invalid_client"})
        if self.deny_next:
            self.deny_next = False
            target = redirect + "?" + urllib.parse.urlencode(
                {"error": "access_denied", "state": q.get("state", "")})
        else:
            code = "code-" + secrets.token_urlsafe(12)
            with self.lock:
                self.codes[code] = {"dialect": dialect, "redirect_uri": redirect,
                                    "challenge": q.get("code_challenge"),
                                    "scope": q.get("scope", ""),
                                    "user_scope": q.get("user_scope", ""), "used": False}
            params = {"code": code, "state": q.get("state", "")}
            if dialect == "google":
                params["iss"] = self.base + "/google"
            target = redirect + "?" + urllib.parse.urlencode(params)
        h.send_response(302)
        h.send_header("Location", target)
        h.send_header("Content-Length", "0")
        h.end_headers()

    def code_for_attacker(self, dialect, redirect_uri):
        """A code issued to an authorization request made without PKCE."""
        code = "code-" + secrets.token_urlsafe(12)
        with self.lock:
            self.codes[code] = {"dialect": dialect, "redirect_uri": redirect_uri,
                                "challenge": None, "scope": "", "user_scope": "", "used": False}
        return code

    # --- token endpoint -------------------------------------------------------------

    def error(self, h, dialect, status, code, description=""):
        """An error in the dialect's own shape."""
        if dialect == "slack":
            return h.send(200, {"ok": False, "error": code})
        if dialect == "github":
            return h.send(200, {"error": code, "error_description": description})
        body = {"error": code}
        if description:
            body["error_description"] = description
        return h.send(status, body)

    def client_ok(self, h, dialect, form):
        if dialect == "notion":
            auth = h.headers.get("Authorization", "")
            want = "Basic " + base64.b64encode(
                ("%s:%s" % (client_id(dialect), CLIENT_SECRETS[dialect])).encode()).decode()
            return auth == want and "client_secret" not in form
        return (form.get("client_id") == client_id(dialect)
                and form.get("client_secret") == CLIENT_SECRETS[dialect])

    def new_token(self, dialect, prefix):
        token = "fake-%s-%s-%s" % (prefix, dialect, secrets.token_urlsafe(16))
        self.issued.append(token)
        return token

    def issue(self, dialect, kind="bot", refresh=True, expires=True):
        at = self.new_token(dialect, "at")
        self.access_tokens[at] = dialect
        out = {"access_token": at}
        if expires:
            out["expires_in"] = self.expires_in[dialect]
            self.access_expiry[at] = time.time() + self.expires_in[dialect]
        if refresh:
            rt = self.new_token(dialect, "rt")
            self.refresh_tokens[rt] = {"dialect": dialect, "kind": kind, "valid": True}
            out["refresh_token"] = rt
        return out

    def token(self, h, dialect, raw):
        self.token_requests.append({"dialect": dialect, "headers": dict(h.headers.items()),
                                    "body": raw})
        if dialect == "notion":
            if not h.headers.get("Content-Type", "").startswith("application/json"):
                return h.send(400, {"error": "invalid_request", "error_description": "JSON only"})
            form = json.loads(raw)
        else:
            form = dict(urllib.parse.parse_qsl(raw))
        if dialect == "github" and h.headers.get("Accept") != "application/json":
            # GitHub answers form-encoded unless asked for JSON.
            return h.send(200, b"error=unsupported_accept")
        if not self.client_ok(h, dialect, form):
            return self.error(h, dialect, 401, "invalid_client")
        grant = form.get("grant_type")
        if grant == "authorization_code":
            return self.exchange(h, dialect, form)
        if grant == "refresh_token":
            return self.refresh(h, dialect, form)
        return self.error(h, dialect, 400, "unsupported_grant_type")

    def exchange(self, h, dialect, form):
        c = self.codes.get(form.get("code"))
        if not c or c["used"] or c["dialect"] != dialect:
            return self.error(h, dialect, 400, "bad_verification_code" if dialect == "github"
                              else "invalid_grant")
        c["used"] = True
        if c["redirect_uri"] != form.get("redirect_uri"):
            return self.error(h, dialect, 400, "invalid_grant", "redirect_uri mismatch")
        verifier = form.get("code_verifier")
        if c["challenge"] is None:
            if verifier is not None:  # PKCE downgrade
                return self.error(h, dialect, 400, "invalid_grant", "unexpected code_verifier")
        else:
            if verifier is None:
                return self.error(h, dialect, 400, "invalid_grant", "code_verifier required")
            digest = base64.urlsafe_b64encode(
                hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if digest != c["challenge"]:
                return self.error(h, dialect, 400, "invalid_grant", "PKCE verification failed")
        if dialect == "slack":
            body = {"ok": True, "app_id": "A123", "team": {"id": "T1", "name": "Acme"},
                    "enterprise": None, "is_enterprise_install": False}
            if c["scope"]:
                body.update(self.issue(dialect, "bot"))
                body.update({"token_type": "bot", "scope": c["scope"], "bot_user_id": "U0BOT"})
            if c["user_scope"]:
                user = self.issue(dialect, "user")
                user.update({"id": "U1", "scope": c["user_scope"], "token_type": "user"})
                body["authed_user"] = user
            else:
                body["authed_user"] = {"id": "U1"}
            return h.send(200, body)
        if dialect == "notion":
            body = self.issue(dialect, refresh=not self.notion_non_expiring,
                              expires=not self.notion_non_expiring)
            body.update({"token_type": "bearer", "bot_id": "bot-1", "workspace_id": "ws-1",
                         "workspace_name": "Acme HQ", "workspace_icon": None,
                         "owner": {"type": "user", "user": {"id": "user-1"}},
                         "duplicated_template_id": None})
            return h.send(200, body)
        body = self.issue(dialect)
        body.update({"token_type": "Bearer", "scope": c["scope"].replace(",", " ")})
        if dialect == "github":
            body["refresh_token_expires_in"] = self.github_refresh_lifetime
            body["scope"] = c["scope"].replace(" ", ",")
        return h.send(200, body)

    def refresh(self, h, dialect, form):
        if dialect in self.fail_next_refresh:
            status = self.fail_next_refresh.pop(dialect)
            return h.send(status, {"error": "server_error"})
        rt = form.get("refresh_token")
        entry = self.refresh_tokens.get(rt)
        if not entry or entry["dialect"] != dialect:
            return self.error(h, dialect, 400, self.dead_grant_code(dialect),
                              "AADSTS700082: The refresh token has expired due to inactivity."
                              if dialect == "microsoft" else "")
        if not entry["valid"]:
            self.reused.append(rt)
            return self.error(h, dialect, 400, self.dead_grant_code(dialect))
        self.refreshes[dialect] += 1
        if dialect == "google":
            # Google keeps the refresh token: the answer has none.
            out = self.issue(dialect, refresh=False)
            out.update({"token_type": "Bearer", "scope": "openid email"})
            return h.send(200, out)
        entry["valid"] = False  # everyone else rotates
        out = self.issue(dialect, entry["kind"])
        if dialect == "slack":
            out.update({"ok": True, "token_type": entry["kind"], "team": {"id": "T1"}})
        else:
            out["token_type"] = "bearer"
        return h.send(200, out)

    @staticmethod
    def dead_grant_code(dialect):
        return {"slack": "invalid_refresh_token", "github": "bad_refresh_token"}.get(
            dialect, "invalid_grant")

    def kill_grants(self, dialect):
        """The user revoked the app at the provider: every refresh token dies."""
        with self.lock:
            for rt in [k for k, v in self.refresh_tokens.items() if v["dialect"] == dialect]:
                del self.refresh_tokens[rt]

    @staticmethod
    def basic(dialect):
        return "Basic " + base64.b64encode(
            ("%s:%s" % (client_id(dialect), CLIENT_SECRETS[dialect])).encode()).decode()

    def revoke_github(self, h, parts, raw):
        """GitHub's DELETE /applications/{client_id}/grant, as its REST
        reference documents it: HTTP Basic with the app's client id and
        secret, a JSON body {"access_token"}; 204, 404 for an unknown token,
        422 for a malformed request."""
        self.revoke_requests.append({"dialect": "github", "method": h.command, "path": h.path,
                                     "body": raw, "headers": dict(h.headers.items())})
        if "github" in self.revoke_status:
            return h.send(self.revoke_status["github"], {"message": "Service unavailable"})
        if h.headers.get("Authorization") != self.basic("github") or \
                parts[2] != client_id("github"):
            return h.send(404, {"message": "Not Found"})  # GitHub hides apps it won't show
        if h.headers.get("Accept") != "application/vnd.github+json" or \
                not h.headers.get("User-Agent"):
            return h.send(415, {"message": "Unsupported Media Type"})
        try:
            body = json.loads(raw)
        except ValueError:
            return h.send(400, {"message": "Problems parsing JSON"})
        if not isinstance(body, dict) or set(body) != {"access_token"}:
            return h.send(422, {"message": "Validation Failed"})
        token = body["access_token"]
        if self.access_tokens.get(token) != "github":
            return h.send(404, {"message": "Not Found"})
        self.revoked.append(token)
        del self.access_tokens[token]
        return h.send(204, b"")

    def revoke_notion(self, h, raw):
        """Notion's POST /v1/oauth/revoke: HTTP Basic, Notion-Version, a JSON
        body {"token"} naming an access token; 200 {} when revoked."""
        if h.headers.get("Authorization") != self.basic("notion"):
            return h.send(401, {"object": "error", "status": 401, "code": "unauthorized"})
        if not h.headers.get("Notion-Version") or \
                not h.headers.get("Content-Type", "").startswith("application/json"):
            return h.send(400, {"object": "error", "status": 400, "code": "missing_version"})
        body = json.loads(raw)
        if set(body) != {"token"}:
            return h.send(400, {"object": "error", "status": 400, "code": "validation_error"})
        if self.access_tokens.get(body["token"]) != "notion":
            return h.send(400, {"object": "error", "status": 400, "code": "invalid_grant"})
        self.revoked.append(body["token"])
        del self.access_tokens[body["token"]]
        return h.send(200, {})

    def revoke(self, h, dialect, raw):
        if dialect in self.revoke_answer:
            self.revoke_requests.append({"dialect": dialect, "body": raw,
                                         "headers": dict(h.headers.items())})
            return h.send(*self.revoke_answer[dialect])
        if dialect in self.revoke_status:
            self.revoke_requests.append({"dialect": dialect, "body": raw,
                                         "headers": dict(h.headers.items())})
            return h.send(self.revoke_status[dialect], {"error": "temporarily_unavailable"})
        if dialect == "notion":
            self.revoke_requests.append({"dialect": dialect, "body": raw,
                                         "headers": dict(h.headers.items())})
            return self.revoke_notion(h, raw)
        token = dict(urllib.parse.parse_qsl(raw)).get("token")
        self.revoked.append(token)
        self.revoke_requests.append({"dialect": dialect, "body": raw,
                                     "headers": dict(h.headers.items())})
        self.refresh_tokens.pop(token, None)
        self.access_tokens.pop(token, None)
        return h.send(200, {"ok": True} if dialect == "slack" else {})

    # --- a provider API the proxy can call --------------------------------------------

    def api(self, h, body=""):
        auth = h.headers.get("Authorization", "")
        token = auth[len("Bearer "):] if auth.lower().startswith("bearer ") else ""
        url = urllib.parse.urlparse(h.path)
        with self.lock:
            dialect = self.access_tokens.get(token)
            expired = self.strict_expiry and self.access_expiry.get(token, float("inf")) <= time.time()
            self.api_requests.append({"method": h.command, "path": url.path, "query": url.query,
                                      "headers": dict(h.headers.items()), "body": body,
                                      "token": token})
        if not dialect or expired:
            return h.send(401, {"error": "invalid_token"})
        return h.send(200, {"ok": True, "dialect": dialect, "method": h.command,
                            "path": url.path, "query": url.query, "body": body})
