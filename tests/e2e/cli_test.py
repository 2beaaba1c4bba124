"""latchkey, the command-line client (docs/cli.md), end to end: build/latchkey
run as a user would, against the real latchkeyd on loopback, with fake OAuth
providers and a fake upstream as the only fakes (the edge of the machine).
Every --json answer is compared with the same GET done directly; mutations
are checked through the API; planted secret values are searched for in
argv, the CLI's config, its output, the server's log and its storage."""
import datetime
import http.server
import json
import os
import queue
import re
import secrets
import select
import socket
import subprocess
import tempfile
import termios
import threading
import time
import unittest

from fake_oauth import CLIENT_SECRETS
from oauth_test import APP, OAuthTestBase, browse, query_of, wait_until
from server import BINARY, Server

CLI = os.path.join(os.path.dirname(os.path.abspath(BINARY)), "latchkey")


def planted(tag):
    return "sk-planted-cli-%s-%s" % (tag, secrets.token_hex(8))


def read_pty(master, out=b"", until=None, timeout=20):
    """Reads a pty's master side until `until` shows up, else to the end (EIO
    once the child's side is closed). Returns everything read."""
    deadline = time.monotonic() + timeout
    while until is None or until not in out:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("timed out; read so far: %r" % out)
        if not select.select([master], [], [], left)[0]:
            continue
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO
            data = b""
        if not data:
            if until is None:
                return out
            raise AssertionError("no %r in %r" % (until, out))
        out += data
    return out


def cmdlines():
    """Every running process's argument list."""
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                out.append(f.read())
        except OSError:
            pass
    return out


def lines_of(proc):
    """A queue of the process's stdout lines as they come, then None."""
    lines = queue.Queue()

    def pump():
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)
    threading.Thread(target=pump, daemon=True).start()
    return lines


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Cli:
    """Runs build/latchkey with its own HOME and XDG_CONFIG_HOME, NO_COLOR, and
    no LATCHKEY_* variable but those a test passes; stdin is a pipe (never a
    terminal) unless a test builds its own."""

    def __init__(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="latchkey-cli-")
        self.home = self.tmp.name
        self.config_home = os.path.join(self.home, "xdg")
        self.config_path = os.path.join(self.config_home, "latchkey", "config.json")
        self.base_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.home,
                         "XDG_CONFIG_HOME": self.config_home, "NO_COLOR": "1"}

    def environ(self, env=None):
        e = dict(self.base_env)
        e.update(env or {})
        return e

    def run(self, *args, input="", env=None):
        return subprocess.run([CLI] + [str(a) for a in args], input=input, capture_output=True,
                              text=True, timeout=30, env=self.environ(env))

    def ok(self, *args, **kw):
        r = self.run(*args, **kw)
        if r.returncode != 0:
            raise AssertionError("latchkey %s: exit %d\nstdout: %s\nstderr: %s"
                                 % (" ".join(map(str, args)), r.returncode, r.stdout, r.stderr))
        return r

    def json(self, *args, **kw):
        return json.loads(self.ok(*args, "--json", **kw).stdout)

    def stored_text(self):
        """Every file under HOME (the config included), as text."""
        out = ""
        for root, _, files in os.walk(self.home):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    out += f.read().decode("utf-8", "replace")
        return out

    def cleanup(self):
        self.tmp.cleanup()


class CliAssertions:
    def assertHeaders(self, table, *headers):
        """The table's first line names these columns (two spaces apart)."""
        self.assertEqual(re.split(r" {2,}", table.splitlines()[0].strip()), list(headers), table)

    def assertOneLineError(self, result, code, *needles):
        self.assertEqual(result.returncode, code, (result.stdout, result.stderr))
        lines = result.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, result.stderr)
        self.assertTrue(lines[0].startswith("error: "), result.stderr)
        for needle in needles:
            self.assertIn(needle, lines[0])

    def assertSameAsApi(self, cli_args, path, token=None, env=None):
        """latchkey ... --json equals GET path. Tried twice: an API key's
        lastUsedAt moves at most once a minute and may move between the reads."""
        for _ in range(2):
            got = self.cli.json(*cli_args, env=env)
            status, want, _ = self.server.request("GET", path, token or self.key)
            self.assertEqual(status, 200, want)
            if got == want:
                return got
        self.assertEqual(got, want)


class Upstream:
    """An HTTP/1.1 API on loopback for the proxy: /sse streams event one, waits
    for `release`, then sends event two; anything else echoes, with status N
    for /status/N. Records every request it gets."""

    def __init__(self):
        self.requests = []
        self.release = threading.Event()
        self.sent_last = False
        up = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def chunk(self, data):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()

            def handle_any(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                up.requests.append({"method": self.command, "path": self.path, "body": body,
                                    "headers": dict(self.headers.items())})
                if self.path == "/sse":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    self.chunk(b"data: one\n\n")
                    up.release.wait(30)
                    up.sent_last = True
                    self.chunk(b"data: two\n\n")
                    self.wfile.write(b"0\r\n\r\n")
                    return
                m = re.match(r"/status/(\d+)$", self.path)
                status = int(m.group(1)) if m else 200
                out = json.dumps({"method": self.command, "body": body,
                                  "test": self.headers.get("X-Cli-Test")}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            do_GET = do_POST = do_PUT = handle_any

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.base = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


class CommandsTest(OAuthTestBase, CliAssertions):
    """Every command against one server (fake OAuth providers, loopback proxy
    targets allowed), logged in once as account acme's first key."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cli = Cli()
        cls.url = "http://127.0.0.1:%d" % cls.server.port
        cls.upstream = Upstream()
        try:
            cls.cli.ok("login", "--url", cls.url, input=cls.key + "\n")
        except Exception:
            cls.tearDownClass()
            raise
        _, cls.me, _ = cls.server.request("GET", "/api-keys/current", cls.key)

    @classmethod
    def tearDownClass(cls):
        cls.upstream.close()
        cls.cli.cleanup()
        super().tearDownClass()

    def assertNowhere(self, value, *outputs):
        """Not in the given outputs, the CLI's files, the server's log, nor in
        plaintext in what the server stored."""
        for out in outputs:
            self.assertNotIn(value, out)
        self.assertNotIn(value, self.cli.stored_text())
        self.assertNotIn(value, self.server.stderr())
        self.assertNotIn(value.encode(), self.server.stored_bytes())

    def test_status_json_is_readyz_plus_current_key_and_table_names_them(self):
        for _ in range(2):
            got = self.cli.json("status")
            current = self.call("GET", "/api-keys/current")
            if got["key"] == current:
                break
        self.assertEqual(got["key"], current)
        self.assertEqual((got["url"], got["profile"]), (self.url, "default"))
        self.assertEqual(got["health"], self.call("GET", "/readyz"))
        table = self.cli.ok("status").stdout
        self.assertHeaders(table, "FIELD", "VALUE")
        for value in (self.url, self.me["accountId"], self.me["id"], "ready"):
            self.assertIn(value, table)
        self.assertNotIn(self.key.split(".")[-1], table)

    def test_accounts_create_list_delete_with_the_admin_key_from_the_environment(self):
        env = {"LATCHKEY_URL": self.url, "LATCHKEY_API_KEY": self.admin}
        created = self.cli.json("accounts", "create", "cli-json-acct", env=env)
        self.assertTrue(created["apiKey"].startswith("lk_key_"))
        r = self.cli.ok("accounts", "create", "cli-table-acct", env=env)
        self.assertIn("(cli-table-acct)", r.stdout)
        table_id = re.search(r"Created account (\S+) ", r.stdout).group(1)
        listed = self.assertSameAsApi(["accounts", "list"], "/admin/accounts?limit=1000",
                                      self.admin, env)
        self.assertTrue({created["id"], table_id} <= {a["id"] for a in listed["data"]})
        table = self.cli.ok("accounts", "list", env=env).stdout
        self.assertHeaders(table, "ID", "NAME", "CREATED")
        for value in (created["id"], table_id, "cli-json-acct", "cli-table-acct"):
            self.assertIn(value, table)
        self.assertNotIn(created["apiKey"], table)
        self.assertEqual(self.cli.json("accounts", "delete", created["id"], "--yes", env=env),
                         {"id": created["id"], "deleted": True})
        r = self.cli.ok("accounts", "delete", table_id, "--yes", env=env)
        self.assertIn("Deleted account " + table_id, r.stdout)
        ids = {a["id"] for a in self.call("GET", "/admin/accounts?limit=1000", key=self.admin)["data"]}
        self.assertFalse({created["id"], table_id} & ids)

    def test_keys_create_list_revoke(self):
        r = self.cli.ok("keys", "create", "--name", "cli-agent", "--scope", "proxy",
                        "--credential", "openai", "--expires", "30d")
        secret = r.stdout.strip()
        self.assertTrue(secret.startswith("lk_key_"), r.stdout)
        missing = self.cli.run("keys", "create", "--name", "early", "--scope", "proxy",
                               "--credential", "not-yet")
        self.assertNotEqual(missing.returncode, 0)
        self.assertIn("no credential 'not-yet'", missing.stderr)
        early = self.cli.json("keys", "create", "--name", "early", "--scope", "proxy",
                              "--credential", "not-yet", "--allow-missing")
        self.assertEqual(early["credentials"], ["not-yet"])
        made = self.cli.json("keys", "create", "--name", "cli-json-key",
                             "--scope", "certificates:read", "--scope", "audit:read")
        keys = {k["name"]: k for k in self.call("GET", "/api-keys?limit=1000")["data"]}
        agent = keys["cli-agent"]
        self.assertEqual((agent["scopes"], agent["credentials"]), (["proxy"], ["openai"]))
        expires = datetime.datetime.fromisoformat(agent["expiresAt"].replace("Z", "+00:00"))
        want = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=30)
        self.assertLess(abs((expires - want).total_seconds()), 300)
        self.assertEqual(keys["cli-json-key"]["id"], made["id"])
        self.assertEqual(sorted(keys["cli-json-key"]["scopes"]), ["audit:read", "certificates:read"])
        self.assertSameAsApi(["keys", "list"], "/api-keys?limit=1000")
        table = self.cli.ok("keys", "list").stdout
        self.assertHeaders(table, "ID", "NAME", "SCOPES", "CREDENTIALS", "EXPIRES", "LAST USED")
        for value in (agent["id"], made["id"], "cli-agent", "proxy", "openai"):
            self.assertIn(value, table)
        self.assertRegex(table, r"cli-agent .* in (29|30)d ")  # 30d less the seconds since
        for key in (secret, made["apiKey"], self.key):
            self.assertNotIn(key.split(".")[-1], table)
        r = self.cli.ok("keys", "revoke", agent["id"], "--yes")
        self.assertIn("Revoked " + agent["id"], r.stdout)
        self.assertEqual(self.cli.json("keys", "revoke", made["id"], "--yes"),
                         {"id": made["id"], "revoked": True})
        ids = {k["id"] for k in self.call("GET", "/api-keys?limit=1000")["data"]}
        self.assertFalse({agent["id"], made["id"]} & ids)
        self.assertEqual(self.server.request("GET", "/api-keys/current", secret)[0], 401)

    def test_certs_create_list_show_revoke_delete_with_a_private_key_file(self):
        pem_path = os.path.join(self.cli.home, "edge.pem")
        r = self.cli.ok("certs", "create", "--name", "cli-edge", "--alg", "ES256", "--out", pem_path)
        edge = re.search(r"Created (\S+) \(kid", r.stderr).group(1)
        self.assertEqual(os.stat(pem_path).st_mode & 0o777, 0o600)
        with open(pem_path) as f:
            self.assertIn("-----BEGIN PRIVATE KEY-----", f.read())
        r = self.cli.ok("certs", "create", "--name", "cli-printed")
        self.assertIn("-----BEGIN PRIVATE KEY-----", r.stdout)
        managed = self.cli.json("certs", "create", "--name", "cli-managed", "--managed")
        self.assertEqual(managed["custody"], "managed")
        self.assertNotIn("privateKey", managed)
        self.assertEqual(self.call("GET", "/certificates/" + edge)["algorithm"], "ES256")
        self.assertSameAsApi(["certs", "list"], "/certificates?limit=1000")
        table = self.cli.ok("certs", "list").stdout
        self.assertHeaders(table, "ID", "KID", "NAME", "ALG", "CUSTODY", "STATUS", "EXPIRES",
                           "CREATED")
        for value in (edge, managed["id"], managed["kid"], "cli-edge", "cli-printed", "managed"):
            self.assertIn(value, table)
        self.assertSameAsApi(["certs", "show", edge], "/certificates/" + edge)
        table = self.cli.ok("certs", "show", managed["id"]).stdout
        self.assertIn(managed["id"], table.splitlines()[1])
        self.assertIn("Revoked " + edge, self.cli.ok("certs", "revoke", edge, "--yes").stdout)
        self.assertEqual(self.call("GET", "/certificates/" + edge)["status"], "revoked")
        self.assertEqual(self.cli.json("certs", "delete", edge, "--yes"),
                         {"id": edge, "deleted": True})
        self.call("GET", "/certificates/" + edge, expect=404)
        revoked = self.cli.json("certs", "revoke", managed["id"], "--yes")
        self.assertEqual(revoked["status"], "revoked")
        r = self.cli.ok("certs", "delete", managed["id"], "--yes")
        self.assertIn("Deleted " + managed["id"], r.stdout)
        self.call("GET", "/certificates/" + managed["id"], expect=404)

    def test_certs_rotate_and_policy_then_tokens_sign_and_verify(self):
        rotated = self.cli.json("certs", "rotate")
        self.assertEqual(self.call("GET", "/certificates/" + rotated["id"])["custody"], "managed")
        r = self.cli.ok("certs", "rotate")
        self.assertHeaders(r.stdout, "ID", "KID", "NAME", "ALG", "CUSTODY", "STATUS", "EXPIRES",
                           "CREATED")
        table = self.cli.ok("certs", "policy", "set", "--period", "30d", "--overlap", "1d",
                            "--alg", "ES256").stdout
        self.assertHeaders(table, "PERIOD", "OVERLAP", "ALG", "NEXT ROTATION")
        self.assertIn("2592000s", table)
        policy = self.call("GET", "/certificates/rotation-policy")
        self.assertEqual((policy["rotationPeriod"], policy["overlap"], policy["algorithm"]),
                         (2592000, 86400, "ES256"))
        set_json = self.cli.json("certs", "policy", "set", "--period", "20d", "--overlap", "2h")
        self.assertEqual(set_json["rotationPeriod"], 1728000)
        self.assertSameAsApi(["certs", "policy", "show"], "/certificates/rotation-policy")
        self.assertIn("1728000s", self.cli.ok("certs", "policy", "show").stdout)

        token = self.cli.ok("tokens", "sign", "--sub", "agent-7", "--aud", "billing",
                            "--claim", "role=reader", "--claim", "n=3", "--ttl", "10m").stdout.strip()
        checked = self.call("POST", "/tokens/verify", {"token": token, "audience": "billing"})
        self.assertTrue(checked["valid"], checked)
        self.assertEqual((checked["claims"]["sub"], checked["claims"]["role"], checked["claims"]["n"]),
                         ("agent-7", "reader", 3))
        self.assertEqual(checked["claims"]["exp"] - checked["claims"]["iat"], 600)
        signed = self.cli.json("tokens", "sign", "--sub", "agent-8")
        self.assertEqual(set(signed), {"token", "kid", "jti", "expiresAt"})
        r = self.cli.ok("tokens", "verify", token, "--aud", "billing")
        self.assertEqual(json.loads(r.stdout)["role"], "reader")
        verified = self.cli.json("tokens", "verify", "-", input=signed["token"] + "\n")
        self.assertEqual(verified, self.call("POST", "/tokens/verify", {"token": signed["token"]}))
        r = self.cli.run("tokens", "verify", "garbage")
        reason = self.call("POST", "/tokens/verify", {"token": "garbage"})["reason"]
        self.assertOneLineError(r, 1, "invalid token", reason)

    def test_credentials_set_through_a_pipe_list_and_unset(self):
        value, other = planted("pipe"), planted("anthropic")
        args = ["credentials", "set", "openai"]
        r = self.cli.ok(*args, input=value + "\n")
        self.assertNotIn(value, args)
        self.assertIn("Stored the openai key.", r.stdout)
        self.assertEqual(self.call("GET", "/credentials")["openaiApiKeyLast4"], value[-4:])
        r2 = self.cli.ok("credentials", "set", "anthropic", "--json", input=other)
        self.assertEqual(json.loads(r2.stdout)["anthropicApiKeyLast4"], other[-4:])
        self.assertSameAsApi(["credentials", "list"], "/credentials")
        table = self.cli.ok("credentials", "list").stdout
        self.assertHeaders(table, "PROVIDER", "KEY", "HOSTS", "BASE URL", "USES", "LAST USED")
        self.assertIn("…" + value[-4:], table)
        self.assertIn("api.openai.com", table)
        r3 = self.cli.ok("credentials", "unset", "anthropic", "--yes")
        self.assertIn("Removed the anthropic key.", r3.stdout)
        self.assertFalse(self.call("GET", "/credentials")["hasAnthropicApiKey"])
        again = self.cli.json("credentials", "unset", "anthropic", "--yes")
        self.assertFalse(again["hasAnthropicApiKey"])
        for v in (value, other):
            self.assertNowhere(v, r.stdout, r.stderr, r2.stdout, r2.stderr, table, r3.stdout)

    def test_credentials_set_at_a_terminal_prompts_without_echo(self):
        value = planted("pty")
        args = [CLI, "credentials", "set", "openai"]
        master, slave = os.openpty()
        proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave,
                                env=self.cli.environ(), start_new_session=True)
        os.close(slave)
        try:
            out = read_pty(master, until=b"openai API key: ")
            with open("/proc/%d/cmdline" % proc.pid, "rb") as f:  # waiting at the prompt
                self.assertEqual(f.read().split(b"\0")[:-1], [a.encode() for a in args])
            # The prompt is written before echo goes off: type once it is off.
            wait_until(lambda: not termios.tcgetattr(master)[3] & termios.ECHO, what="echo off")
            os.write(master, (value + "\n").encode())
            self.assertFalse([c for c in cmdlines() if value.encode() in c])
            out = read_pty(master, out)
            self.assertEqual(proc.wait(timeout=30), 0, out)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            os.close(master)
        self.assertIn(b"Stored the openai key.", out)
        self.assertNotIn(value[-12:].encode(), out)
        self.assertNotIn(value, args)
        self.assertEqual(self.call("GET", "/credentials")["openaiApiKeyLast4"], value[-4:])
        self.assertNowhere(value, out.decode("utf-8", "replace"))

    def test_secrets_add_list_show_update_rm(self):
        password, key, newer = planted("basic"), planted("apikey"), planted("apikey2")
        r = self.cli.ok("secrets", "add", "cli-basic", "--type", "BASIC_AUTH",
                        "--host", "api.example.com", input="svc-user\n%s\n" % password)
        self.assertHeaders(r.stdout, "NAME", "TYPE", "MASKED", "HOSTS", "VERSION", "USES", "LAST USED")
        self.assertIn("password:…" + password[-4:], r.stdout)
        added = self.cli.json("secrets", "add", "cli-key", "--type", "API_KEY", "--host",
                              "127.0.0.1", "--base-url", "http://127.0.0.1:9/api", input=key)
        self.assertEqual(added, self.call("GET", "/secrets/cli-key"))
        self.assertEqual(added["baseUrl"], "http://127.0.0.1:9/api")
        self.assertSameAsApi(["secrets", "list"], "/secrets?limit=1000")
        self.assertSameAsApi(["secrets", "show", "cli-basic"], "/secrets/cli-basic")
        table = self.cli.ok("secrets", "list").stdout
        for value in ("cli-basic", "cli-key", "BASIC_AUTH", "API_KEY", "…" + key[-4:]):
            self.assertIn(value, table)
        shown = self.cli.ok("secrets", "show", "cli-key").stdout
        self.assertIn("value:…" + key[-4:], shown)
        r2 = self.cli.ok("secrets", "update", "cli-key", "--host", "127.0.0.1", "--host",
                         "api.example.com", input=newer + "\n")
        self.assertIn("value:…" + newer[-4:], r2.stdout)
        s = self.call("GET", "/secrets/cli-key")
        self.assertEqual((s["version"], s["allowedHosts"]), (2, ["127.0.0.1", "api.example.com"]))
        self.assertEqual(self.cli.json("secrets", "update", "cli-key", input=key)["version"], 3)
        refused = self.cli.run("secrets", "rm", "cli-basic")
        self.assertOneLineError(refused, 2, "--yes")
        self.call("GET", "/secrets/cli-basic")
        self.assertIn("Deleted cli-basic", self.cli.ok("secrets", "rm", "cli-basic", "--yes").stdout)
        self.assertEqual(self.cli.json("secrets", "rm", "cli-key", "--yes"),
                         {"name": "cli-key", "deleted": True})
        names = {s["name"] for s in self.call("GET", "/secrets?limit=1000")["data"]}
        self.assertFalse({"cli-basic", "cli-key"} & names)
        for v in (password, key, newer):
            self.assertNowhere(v, r.stdout, r.stderr, table, shown, r2.stdout, r2.stderr)

    def test_oauth_providers_and_redirects_set_and_list(self):
        secret = CLIENT_SECRETS["github"]
        r = self.cli.ok("oauth", "providers", "set", "github", "--client-id", "client-github",
                        "--scope", "read:user", input=secret + "\n")
        self.assertIn("Registered github (client client-github, secret …%s)" % secret[-4:], r.stdout)
        github = {p["provider"]: p for p in self.call("GET", "/oauth/providers")["data"]}["github"]
        self.assertEqual((github["clientId"], github["clientSecretLast4"], github["scopes"]),
                         ("client-github", secret[-4:], ["read:user"]))
        answer = self.cli.json("oauth", "providers", "set", "microsoft", "--client-id",
                               "client-microsoft", "--tenant", "contoso",
                               input=CLIENT_SECRETS["microsoft"])
        self.assertEqual(answer["tenant"], "contoso")
        self.assertSameAsApi(["oauth", "providers", "list"], "/oauth/providers?limit=1000")
        table = self.cli.ok("oauth", "providers", "list").stdout
        self.assertHeaders(table, "PROVIDER", "CONFIGURED", "CLIENT ID", "SECRET", "SCOPES", "API")
        self.assertIn("client-github", table)
        self.assertIn("…" + secret[-4:], table)
        for out in (r.stdout, r.stderr, table):
            self.assertNotIn(secret, out)
            self.assertNotIn(CLIENT_SECRETS["microsoft"], out)
        uris = [APP, "http://localhost:9/cli-done"]
        self.assertEqual(self.cli.ok("oauth", "redirects", "set", *uris).stdout.splitlines(), uris)
        self.assertEqual(self.call("GET", "/oauth/redirect-uris")["redirectUris"], uris)
        self.assertEqual(self.cli.json("oauth", "redirects", "set", *uris), {"redirectUris": uris})
        self.assertSameAsApi(["oauth", "redirects", "list"], "/oauth/redirect-uris")
        self.assertEqual(self.cli.ok("oauth", "redirects", "list").stdout.splitlines(), uris)

    def test_oauth_connect_then_tokens_list_show_access_token_revoke(self):
        link = self.cli.ok("oauth", "connect", "google", "--user", "cli-user", "--redirect", APP)
        self.assertIn("10 minutes", link.stderr)
        first = query_of(browse(link.stdout.strip())[1])
        self.assertEqual(first["status"], "success", first)
        started = self.cli.json("oauth", "connect", "google", "--user", "cli-user-2",
                                "--redirect", APP)
        self.assertEqual(set(started), {"sessionId", "url", "expiresAt"})
        second = query_of(browse(started["url"])[1])
        self.assertEqual(second["status"], "success", second)
        a, b = first["tokenId"], second["tokenId"]
        self.assertSameAsApi(["oauth", "tokens", "list"], "/oauth-tokens?limit=1000")
        mine = self.assertSameAsApi(
            ["oauth", "tokens", "list", "--user", "cli-user", "--provider", "google"],
            "/oauth-tokens?limit=1000&identifierId=cli-user&resource=google")
        self.assertEqual([t["id"] for t in mine["data"]], [a])
        table = self.cli.ok("oauth", "tokens", "list", "--provider", "google").stdout
        self.assertHeaders(table, "ID", "PROVIDER", "USER", "STATUS", "SCOPES", "EXPIRES", "REFRESHED")
        for value in (a, b, "cli-user", "cli-user-2", "active"):
            self.assertIn(value, table)
        self.assertSameAsApi(["oauth", "tokens", "show", a], "/oauth-tokens/" + a)
        self.assertIn(b, self.cli.ok("oauth", "tokens", "show", b).stdout)
        access = self.assertSameAsApi(["oauth", "tokens", "access-token", a],
                                      "/oauth-tokens/%s/access-token" % a)
        self.assertIn(access["accessToken"], self.fake.issued)
        self.assertNotIn(access["accessToken"], table)
        printed = self.cli.ok("oauth", "tokens", "access-token", a).stdout.strip()
        self.assertEqual(printed, access["accessToken"])
        r = self.cli.ok("proxy", "oauth:" + a, self.fake.base + "/api/google/me")
        self.assertEqual((json.loads(r.stdout)["dialect"], self.fake.api_requests[-1]["token"]),
                         ("google", access["accessToken"]))
        revoked = len(self.fake.revoked)
        self.assertIn("Deleted %s (at the provider: revoked)" % a,
                      self.cli.ok("oauth", "tokens", "revoke", a, "--yes").stdout)
        self.assertGreater(len(self.fake.revoked), revoked)
        self.call("GET", "/oauth-tokens/" + a, expect=404)
        revoked = len(self.fake.revoked)
        self.assertEqual(self.cli.json("oauth", "tokens", "revoke", b, "--keep-at-provider", "--yes"),
                         {"id": b, "deleted": True, "revocation": "skipped"})
        self.assertEqual(len(self.fake.revoked), revoked)
        self.call("GET", "/oauth-tokens/" + b, expect=404)

    def test_audit_list_and_verify(self):
        events = self.assertSameAsApi(["audit", "list"], "/audit-events?limit=50")["data"]
        self.assertTrue(events)
        table = self.cli.ok("audit", "list").stdout
        self.assertHeaders(table, "TIME", "ACTION", "RESOURCE", "OUTCOME", "ACTOR")
        self.assertIn(events[0]["action"], table)
        put = self.cli.json("audit", "list", "--action", "oauth.client.put", "--since", "1h")["data"]
        want = self.call("GET", "/audit-events?limit=50&action=oauth.client.put")["data"]
        self.assertEqual([e["id"] for e in put], [e["id"] for e in want])
        self.assertTrue(put)
        self.assertSameAsApi(["audit", "verify"], "/audit-events/verify")
        self.assertRegex(self.cli.ok("audit", "verify").stdout, r"^ok: \d+ events verify\n$")

    def test_audit_follow_prints_new_events_as_they_happen(self):
        proc = subprocess.Popen([CLI, "audit", "list", "--follow", "--json", "--limit", "3"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True, env=self.cli.environ())
        try:
            lines = lines_of(proc)
            old = [json.loads(lines.get(timeout=20)) for _ in range(3)]
            self.assertEqual([e["seq"] for e in old], sorted(e["seq"] for e in old))
            uris = self.call("GET", "/oauth/redirect-uris")
            self.call("PUT", "/oauth/redirect-uris", uris)  # one more event
            # Other events may come first (denied keys are recorded in batches).
            while (new := json.loads(lines.get(timeout=20)))["action"] != "oauth.redirect_uris.put":
                pass
            self.assertGreater(new["seq"], old[-1]["seq"])
        finally:
            proc.kill()
            proc.wait()
            proc.stdout.close()

    def add_upstream_secret(self, name):
        value = planted("upstream")
        self.cli.ok("secrets", "add", name, "--type", "API_KEY", "--host", "127.0.0.1", input=value)
        return value

    def assertInjected(self, request, value):
        self.assertEqual(request["headers"].get("Authorization"), "Bearer " + value)
        seen = json.dumps(request)
        self.assertNotIn(self.key.split(".")[-1], seen)
        self.assertNotIn("X-Credential-Name", request["headers"])

    def test_proxy_prints_the_first_event_before_the_upstream_sends_the_last(self):
        value = self.add_upstream_secret("cli-stream")
        self.upstream.release.clear()
        self.upstream.sent_last = False
        proc = subprocess.Popen([CLI, "proxy", "cli-stream", self.upstream.base + "/sse"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=self.cli.environ())
        lines = lines_of(proc)
        try:
            self.assertEqual(lines.get(timeout=20), "data: one\n")
            self.assertFalse(self.upstream.sent_last)
        finally:
            self.upstream.release.set()
        rest = []
        while (line := lines.get(timeout=20)) is not None:
            rest.append(line)
        self.assertEqual(rest, ["\n", "data: two\n", "\n"])
        self.assertEqual(proc.wait(timeout=30), 0, proc.stderr.read())
        proc.stdout.close()
        proc.stderr.close()
        self.assertInjected(self.upstream.requests[-1], value)

    def test_proxy_data_from_a_file_and_headers_and_an_upstream_4xx_exits_1(self):
        value = self.add_upstream_secret("cli-echo")
        body_path = os.path.join(self.cli.home, "body.json")
        with open(body_path, "w") as f:
            f.write('{"hello": "cli"}')
        r = self.cli.ok("proxy", "cli-echo", self.upstream.base + "/echo", "-d", "@" + body_path,
                        "-H", "X-Cli-Test: yes", "-H", "Content-Type: application/json")
        self.assertEqual(json.loads(r.stdout),
                         {"method": "POST", "body": '{"hello": "cli"}', "test": "yes"})
        sent = self.upstream.requests[-1]
        self.assertEqual(sent["headers"]["Content-Type"], "application/json")
        self.assertInjected(sent, value)
        # A JSON body without -H is labelled JSON, not as libcurl's form.
        self.cli.ok("proxy", "cli-echo", self.upstream.base + "/echo", "-d", '{"a": 1}')
        self.assertEqual(self.upstream.requests[-1]["headers"]["Content-Type"], "application/json")
        # A malformed -H is refused without echoing what might be a secret.
        r = self.cli.run("proxy", "cli-echo", self.upstream.base + "/echo",
                         "-H", "Authorization Bearer " + value)
        self.assertOneLineError(r, 2, "colon")
        self.assertNotIn(value, r.stderr + r.stdout)
        r = self.cli.ok("proxy", "cli-echo", self.upstream.base + "/echo", "-X", "PUT", "-d", "@-",
                        input="from stdin")
        self.assertEqual(json.loads(r.stdout)["method"], "PUT")
        self.assertEqual(self.upstream.requests[-1]["body"], "from stdin")
        for status in (404, 403, 401):  # the upstream's answer: not the CLI's login
            with self.subTest(upstream_status=status):
                r = self.cli.run("proxy", "cli-echo", self.upstream.base + "/status/%d" % status)
                self.assertOneLineError(r, 1, str(status))
                self.assertEqual(json.loads(r.stdout)["method"], "GET")
                self.assertInjected(self.upstream.requests[-1], value)
        # Refused by latchkeyd itself: its error code, as for any API error.
        r = self.cli.run("proxy", "no-such-secret", self.upstream.base + "/echo")
        self.assertOneLineError(r, 1, "NOT_FOUND")

    def test_exit_codes_for_api_and_usage_errors(self):
        self.assertOneLineError(self.cli.run("certs", "show", "cert_nonexistent"), 1, "NOT_FOUND")
        self.assertOneLineError(self.cli.run("keys", "create", "--name", "x", "--scope", "nope"),
                                1, "BAD_REQUEST")
        for args in (["frobnicate"], ["certs", "frobnicate"], ["keys", "create", "--name", "x"],
                     ["certs", "create"], ["certs", "create", "--name", "x", "--alg", "HS256"],
                     ["keys", "list", "--no-such-flag"], []):
            with self.subTest(args=args):
                r = self.cli.run(*args)
                self.assertEqual(r.returncode, 2, (r.stdout, r.stderr))
                self.assertTrue(r.stderr.strip())
        self.assertOneLineError(self.cli.run("credentials", "set", "openai"), 2, "no openai API key")


class LoginConfigTest(unittest.TestCase, CliAssertions):
    """login, logout, status, profiles and the environment; a fresh HOME and
    XDG_CONFIG_HOME for every test."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        cls.admin = cls.server.read_admin_key()
        cls.url = "http://127.0.0.1:%d" % cls.server.port
        cls.accounts = [cls.server.request("POST", "/admin/accounts", cls.admin, {"name": n})[1]
                        for n in ("alpha", "beta")]

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def setUp(self):
        self.cli = Cli()
        self.key = self.accounts[0]["apiKey"]

    def tearDown(self):
        self.cli.cleanup()

    def account_of(self, *args, env=None):
        return self.cli.json("status", *args, env=env)["key"]["accountId"]

    def test_without_any_login_every_command_exits_3(self):
        for args in (["status"], ["certs", "list"], ["secrets", "rm", "x", "--yes"]):
            with self.subTest(args=args):
                self.assertOneLineError(self.cli.run(*args), 3, "not logged in")

    def test_login_stores_the_key_owner_only_and_logout_forgets_it(self):
        r = self.cli.ok("login", "--url", self.url + "/", input=self.key + "\n")
        self.assertIn("Logged in to " + self.url, r.stdout)
        self.assertIn(self.accounts[0]["id"], r.stdout)
        self.assertNotIn(self.key.split(".")[-1], r.stdout + r.stderr)
        self.assertEqual(os.stat(self.cli.config_path).st_mode & 0o777, 0o600)
        self.assertEqual(os.stat(os.path.dirname(self.cli.config_path)).st_mode & 0o777, 0o700)
        with open(self.cli.config_path) as f:
            self.assertEqual(json.load(f)["profiles"]["default"],
                             {"url": self.url, "apiKey": self.key})
        self.assertEqual(self.account_of(), self.accounts[0]["id"])
        self.cli.ok("logout")
        self.assertNotIn(self.key, self.cli.stored_text())
        self.assertOneLineError(self.cli.run("status"), 3, "not logged in")

    def test_login_json_answers_as_the_api_and_the_admin_key_logs_in_too(self):
        who = self.cli.json("login", "--url", self.url, input=self.key)
        self.assertEqual(who["id"], self.server.request("GET", "/api-keys/current", self.key)[1]["id"])
        root = self.cli.json("login", "--url", self.url, "--profile", "root", input=self.admin)
        self.assertEqual(root, {"admin": True, "accounts": "2"})  # a string: "1000+" for more
        table = self.cli.ok("status", "--profile", "root").stdout
        self.assertRegex(table, r"(?m)^key +admin$")

    def test_a_config_file_others_may_read_is_refused_with_the_chmod_that_fixes_it(self):
        self.cli.ok("login", "--url", self.url, input=self.key)
        os.chmod(self.cli.config_path, 0o644)
        r = self.cli.run("status")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("chmod 600 " + self.cli.config_path, r.stderr)
        self.assertNotIn(self.key, r.stdout + r.stderr)
        os.chmod(self.cli.config_path, 0o600)
        self.assertEqual(self.account_of(), self.accounts[0]["id"])

    def test_a_config_directory_others_may_write_or_a_linked_file_is_refused(self):
        self.cli.ok("login", "--url", self.url, input=self.key)
        directory = os.path.dirname(self.cli.config_path)
        os.chmod(directory, 0o777)
        r = self.cli.run("status")
        self.assertOneLineError(r, 2, "chmod 700 " + directory)
        os.chmod(directory, 0o700)
        # A link in place of the file: not followed, for reading or writing.
        elsewhere = os.path.join(self.cli.home, "elsewhere.json")
        os.rename(self.cli.config_path, elsewhere)
        os.symlink(elsewhere, self.cli.config_path)
        self.assertOneLineError(self.cli.run("status"), 2, "not a file of yours")
        os.unlink(self.cli.config_path)
        os.rename(elsewhere, self.cli.config_path)
        self.assertEqual(self.account_of(), self.accounts[0]["id"])

    def test_profiles_select_between_two_logins(self):
        alpha, beta = self.accounts
        self.cli.ok("login", "--url", self.url, input=alpha["apiKey"])
        self.cli.ok("--profile", "beta", "login", "--url", self.url, input=beta["apiKey"])
        self.assertEqual(self.account_of(), alpha["id"])
        self.assertEqual(self.account_of("--profile", "beta"), beta["id"])
        self.assertEqual(self.account_of(env={"LATCHKEY_PROFILE": "beta"}), beta["id"])
        self.cli.ok("logout", "--profile", "beta")
        self.assertEqual(self.cli.run("status", "--profile", "beta").returncode, 3)
        self.assertEqual(self.account_of(), alpha["id"])

    def test_environment_url_and_key_override_the_file(self):
        alpha, beta = self.accounts
        self.cli.ok("login", "--url", self.url, input=alpha["apiKey"])
        env = {"LATCHKEY_URL": self.url, "LATCHKEY_API_KEY": beta["apiKey"]}
        self.assertEqual(self.account_of(env=env), beta["id"])
        # Only one of the two: refused, so a stored key never goes to a URL
        # from the environment (or an environment key to the stored URL).
        gone = "http://127.0.0.1:%d" % closed_port()
        for half in ({"LATCHKEY_URL": gone}, {"LATCHKEY_API_KEY": beta["apiKey"]}):
            with self.subTest(env=sorted(half)):
                self.assertOneLineError(self.cli.run("status", env=half), 3, "LATCHKEY_URL")

    def test_network_errors_exit_1(self):
        gone = "http://127.0.0.1:%d" % closed_port()
        r = self.cli.run("login", "--url", gone, input=self.key)
        self.assertOneLineError(r, 1, "cannot reach")
        self.assertFalse(os.path.exists(self.cli.config_path))
        env = {"LATCHKEY_URL": gone, "LATCHKEY_API_KEY": self.key}
        self.assertOneLineError(self.cli.run("status", env=env), 1, "cannot reach " + gone)

    def test_a_refused_key_exits_3_and_is_not_stored(self):
        r = self.cli.run("login", "--url", self.url, input="lk_key_nope.nope")
        self.assertOneLineError(r, 3, "UNAUTHORIZED")
        self.assertFalse(os.path.exists(self.cli.config_path))
        self.cli.ok("login", "--url", self.url, input=self.key)
        doomed = self.cli.json("keys", "create", "--name", "doomed", "--scope", "certificates:read")
        env = {"LATCHKEY_URL": self.url, "LATCHKEY_API_KEY": doomed["apiKey"]}
        self.assertEqual(self.cli.json("certs", "list", env=env),
                         {"data": [], "nextCursor": None})
        self.cli.ok("keys", "revoke", doomed["id"], "--yes")
        self.assertOneLineError(self.cli.run("certs", "list", env=env), 3, "UNAUTHORIZED")
        self.assertOneLineError(self.cli.run("certs", "rotate", env=env), 3, "UNAUTHORIZED")
        r = self.cli.run("proxy", "openai", "https://api.openai.com/v1/models", env=env)
        self.assertOneLineError(r, 3, "UNAUTHORIZED")


class OfflineTest(unittest.TestCase):
    """What needs no server: --version, --help everywhere, completion scripts."""

    @classmethod
    def setUpClass(cls):
        cls.cli = Cli()

    @classmethod
    def tearDownClass(cls):
        cls.cli.cleanup()

    def test_version(self):
        self.assertRegex(self.cli.ok("--version").stdout, r"^latchkey \d+\.\d+\.\d+\S*\n$")

    def test_help_on_every_command_exits_0_with_an_example(self):
        # Every command path, from the completion script (made from the tree).
        script = self.cli.ok("completion", "bash").stdout
        paths = [""] + re.findall(r'^ +"(/[^"]+)"\)', script, re.M)
        self.assertIn("/oauth/tokens/access-token", paths)
        self.assertGreaterEqual(len(paths), 50)
        for path in paths:
            with self.subTest(command=path):
                r = self.cli.run(*path.split("/")[1:], "--help")
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn("Example", r.stdout)

    def complete(self, *words):
        script = os.path.join(self.cli.home, "latchkey.bash")
        with open(script, "w") as f:
            f.write(self.cli.ok("completion", "bash").stdout)
        line = ("source %s; COMP_WORDS=(%s); COMP_CWORD=%d; _latchkey; echo \"${COMPREPLY[@]}\""
                % (script, " ".join(words), len(words) - 1))
        r = subprocess.run(["bash", "--norc", "--noprofile", "-c", line], capture_output=True,
                           text=True, timeout=30, env=self.cli.environ())
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.strip()

    def test_bash_completion_completes_commands_at_two_levels(self):
        self.assertEqual(self.complete("latchkey", "cer"), "certs")
        self.assertEqual(self.complete("latchkey", "certs", "cr"), "create")
        self.assertEqual(self.complete("latchkey", "oauth", "tokens", "acc"), "access-token")

    def test_zsh_and_fish_completion_scripts(self):
        for shell in ("zsh", "fish"):
            with self.subTest(shell=shell):
                r = self.cli.ok("completion", shell)
                self.assertIn("latchkey", r.stdout)
        self.assertEqual(self.cli.run("completion", "tcsh").returncode, 2)


if __name__ == "__main__":
    unittest.main()
