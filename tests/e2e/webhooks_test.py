"""Webhooks end to end: the real latchkeyd delivering to receivers on
loopback (threaded http.server on 127.0.0.1), every Standard Webhooks
signature checked by the reference JavaScript library (standardwebhooks on
npm, through tests/e2e/sdk/webhook_verify.mjs). Covers the events changes
raise, retries (by the route and by the background worker), a restart with
deliveries pending, secret rotation, subscriptions and disabling, the Slack
format, the outbound address policy, bad input, isolation between accounts
and scopes, and (on PostgreSQL, under tests/pg/with_postgres.sh) three
replicas delivering each message once."""
import base64
import calendar
import collections
import hashlib
import hmac
import http.server
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from server import PG_URL, Server

HERE = os.path.dirname(os.path.abspath(__file__))
SDK_DIR = os.path.join(HERE, "sdk")
HAVE_VERIFIER = (shutil.which("node") is not None
                 and os.path.isdir(os.path.join(SDK_DIR, "node_modules", "standardwebhooks")))
NO_VERIFIER = ("the webhook tests need node and tests/e2e/sdk/node_modules/standardwebhooks"
               " (npm ci in tests/e2e/sdk)")

ADMIN = "webhooks-test-admin-key-0001"
# Receivers listen on 127.0.0.1 over plain http.
ALLOW_LOOPBACK = ["--proxy-allow-http", "127.0.0.1", "--proxy-allow-private", "127.0.0.1/32"]

# Planted values that no webhook body may carry.
SECRET_V1 = "planted-secret-value-v1-Zq8xW3"
SECRET_V2 = "planted-secret-value-v2-Kp4mN7"
OPENAI_KEY = "sk-planted-openai-webhooks-Hj5tR2"


def wait_until(predicate, timeout=20, what="condition"):
    """Polls an observable condition (real time passes in the server)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what)


def free_port():
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unix(iso):
    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ"))


def verify(secret, post):
    """The reference library's verdict on one received POST:
    {"ok": True, "payload": ...} or {"ok": False, "error": ...}."""
    out = subprocess.run(["node", "webhook_verify.mjs"], cwd=SDK_DIR, capture_output=True,
                         text=True, timeout=30, input=json.dumps({
                             "secret": secret, "headers": post["headers"],
                             "body": post["body"].decode()}))
    if out.returncode != 0 or not out.stdout.strip():
        raise AssertionError("webhook_verify.mjs failed: " + out.stderr)
    return json.loads(out.stdout)


def signature(secret, msg_id, timestamp, body):
    """One "v1,..." entry, computed here independently of the library."""
    key = base64.b64decode(secret[len("whsec_"):])
    mac = hmac.new(key, b"%s.%s.%s" % (msg_id.encode(), timestamp.encode(), body),
                   hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


class Receiver:
    """Records every POST (path, lower-cased headers, raw body); answers
    the statuses queued with answer(), then 200."""

    def __init__(self, port=0, delay=0.0):
        self.lock = threading.Lock()
        self.received = []
        self.statuses = collections.deque()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if delay:
                    time.sleep(delay)
                with receiver.lock:
                    receiver.received.append({
                        "path": self.path, "body": body,
                        "headers": {k.lower(): v for k, v in self.headers.items()}})
                    status = receiver.statuses.popleft() if receiver.statuses else 200
                out = b"{}"
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path="/hook"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def answer(self, *statuses):
        with self.lock:
            self.statuses.extend(statuses)

    def posts(self, path=None):
        with self.lock:
            return [p for p in self.received if path is None or p["path"] == path]

    def per_id(self):
        with self.lock:
            return collections.Counter(p["headers"].get("webhook-id") for p in self.received)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class WebhookTestBase(unittest.TestCase):
    """Helpers shared by the tests below; `self.server` is the default
    server for each of them."""

    def call(self, method, path, key, body=None, expect=200, server=None):
        status, parsed, _ = (server or self.server).request(method, path, key, body)
        self.assertEqual(status, expect, (method, path, parsed))
        return parsed

    def error(self, method, path, key, body, status, code, server=None):
        """A refused request: `status` with the usual error object."""
        parsed = self.call(method, path, key, body, expect=status, server=server)
        self.assertEqual(set(parsed), {"error", "code", "status"}, parsed)
        self.assertEqual((parsed["status"], parsed["code"]), (status, code), parsed)
        return parsed

    def new_account(self, server=None):
        acct = self.call("POST", "/admin/accounts", ADMIN, {"name": "webhooks"}, expect=201,
                         server=server)
        return acct["id"], acct["apiKey"]

    def receiver(self, **kw):
        rx = Receiver(**kw)
        self.addCleanup(rx.close)
        return rx

    def create_hook(self, key, url, events=("*",), server=None, **extra):
        body = dict({"url": url, "events": list(events)}, **extra)
        hook = self.call("POST", "/webhooks", key, body, expect=201, server=server)
        self.shown_secrets.append(hook["secret"])
        return hook

    def new_cert(self, key, server=None, name="wh-cert"):
        return self.call("POST", "/certificates", key, {"name": name, "algorithm": "ES256"},
                         expect=201, server=server)

    def deliveries(self, key, hook_id, server=None):
        return self.call("GET", "/webhooks/%s/deliveries?limit=1000" % hook_id, key,
                         server=server)["data"]

    def wait_delivered(self, key, hook_id, count, server=None, timeout=20):
        """Waits until the endpoint has `count` deliveries, all delivered."""
        def done():
            ds = self.deliveries(key, hook_id, server)
            return ds if len(ds) == count and all(d["state"] == "delivered" for d in ds) else None
        try:
            return wait_until(done, timeout, "%d delivered deliveries" % count)
        except AssertionError:
            raise AssertionError("not all delivered: %s" % json.dumps(
                self.deliveries(key, hook_id, server), indent=1))

    def assert_verifies(self, secret, post):
        out = verify(secret, post)
        self.assertTrue(out["ok"], (out, post))
        self.assertEqual(out["payload"], json.loads(post["body"]))
        return out["payload"]


@unittest.skipUnless(HAVE_VERIFIER, NO_VERIFIER)
class WebhooksTest(WebhookTestBase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(env={"LATCHKEY_ADMIN_KEY": ADMIN}, args=ALLOW_LOOPBACK).start()
        cls.shown_secrets = []  # every secret the server returned, for the log check

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    # 1. Signatures and payloads

    def test_every_delivery_verifies_with_standardwebhooks_and_carries_no_secret(self):
        account, key = self.new_account()
        rx = self.receiver()
        hook = self.create_hook(key, rx.url(), ["*"])
        self.assertRegex(hook["id"], r"^whk_")
        self.assertTrue(hook["secret"].startswith("whsec_"), hook)
        self.assertEqual(len(base64.b64decode(hook["secret"][6:], validate=True)), 32)

        cert = self.call("POST", "/certificates", key, {"name": "wh-cert"}, expect=201)
        self.assertIn("PRIVATE KEY", cert["privateKey"])  # exported: shown once, never sent on
        agent = self.call("POST", "/api-keys", key, {"name": "wh-agent", "scopes": ["proxy"]},
                          expect=201)
        self.call("DELETE", "/api-keys/" + agent["id"], key)
        self.call("POST", "/secrets", key, {"name": "wh-secret", "type": "API_KEY",
                                            "value": SECRET_V1,
                                            "allowedHosts": ["api.example.com"]}, expect=201)
        self.call("PUT", "/secrets/wh-secret", key, {"value": SECRET_V2})
        self.call("PUT", "/credentials", key, {"openaiApiKey": OPENAI_KEY})
        expected = ["api_key.created", "api_key.revoked", "certificate.created",
                    "credential.updated", "credential.updated", "credential.updated"]

        deliveries = self.wait_delivered(key, hook["id"], len(expected))
        self.assertEqual(sorted(d["type"] for d in deliveries), expected)
        posts = rx.posts()
        self.assertEqual(len(posts), len(expected))  # one POST each, none doubled
        self.assertEqual({p["headers"]["webhook-id"] for p in posts},
                         {d["messageId"] for d in deliveries})
        data = collections.defaultdict(list)
        for p in posts:
            h = p["headers"]
            self.assertEqual(h["content-type"], "application/json")
            self.assertRegex(h["webhook-id"], r"^msg_")
            self.assertLess(abs(int(h["webhook-timestamp"]) - time.time()), 120)
            self.assertRegex(h["webhook-signature"], r"^v1,[A-Za-z0-9+/]{43}=$")  # one entry
            payload = self.assert_verifies(hook["secret"], p)
            self.assertEqual(set(payload), {"type", "timestamp", "data"})
            self.assertRegex(payload["timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
            self.assertEqual(payload["data"]["accountId"], account)
            data[payload["type"]].append(payload["data"])
        self.assertEqual(data["certificate.created"], [{
            "accountId": account, "certificateId": cert["id"], "kid": cert["kid"],
            "algorithm": cert["algorithm"], "custody": "exported"}])
        self.assertEqual(data["api_key.created"], [
            {"accountId": account, "apiKeyId": agent["id"], "name": "wh-agent"}])
        self.assertEqual(data["api_key.revoked"], [{"accountId": account, "apiKeyId": agent["id"]}])
        updated = data["credential.updated"]
        self.assertEqual(sorted(d.get("name", "") for d in updated), ["", "wh-secret", "wh-secret"])
        self.assertIn("openai", json.dumps([d for d in updated if "name" not in d]))

        # Nothing secret in any body or header.
        raw = b"".join(p["body"] + json.dumps(p["headers"]).encode() for p in posts)
        pem_line = cert["privateKey"].splitlines()[2]
        for planted in (SECRET_V1, SECRET_V2, OPENAI_KEY, agent["apiKey"],
                        agent["apiKey"].split(".", 1)[1], key, key.split(".", 1)[1], ADMIN,
                        hook["secret"], hook["secret"][6:], pem_line):
            self.assertNotIn(planted.encode(), raw)

        # The verifier can say no: a changed body, id or secret does not verify.
        p = posts[0]
        tampered = dict(p, body=p["body"].replace(account.encode(), b"acct_someone_else"))
        self.assertFalse(verify(hook["secret"], tampered)["ok"])
        other_id = dict(p, headers=dict(p["headers"], **{"webhook-id": "msg_forged"}))
        self.assertFalse(verify(hook["secret"], other_id)["ok"])
        wrong = "whsec_" + base64.b64encode(os.urandom(32)).decode()
        self.assertEqual(verify(wrong, p), {"ok": False, "error": "No matching signature found"})

    # 2. Retries

    def test_a_failing_receiver_is_retried_with_the_same_webhook_id_until_it_answers_2xx(self):
        _, key = self.new_account()
        rx = self.receiver()
        rx.answer(500, 500)  # then 200
        hook = self.create_hook(key, rx.url(), ["certificate.created"])
        cert = self.new_cert(key)

        # Attempt 1, by the worker.
        first = wait_until(lambda: [d for d in self.deliveries(key, hook["id"])
                                    if d["attempts"] >= 1], what="the first attempt")
        self.assertEqual(len(first), 1)
        d = first[0]
        self.assertRegex(d["id"], r"^whd_")
        self.assertEqual((d["state"], d["attempts"], d["type"], d["webhookId"]),
                         ("pending", 1, "certificate.created", hook["id"]))
        self.assertEqual(d["attemptLog"][0]["statusCode"], 500)
        self.assertIn("500", d["attemptLog"][0]["error"])
        self.assertIsNotNone(d["nextAttemptAt"])

        # Attempts 2 and 3, by the retry route.
        retry = "/webhooks/%s/deliveries/%s/retry" % (hook["id"], d["id"])
        second = self.call("POST", retry, key)
        self.assertEqual((second["state"], second["attempts"]), ("pending", 2))
        self.assertEqual([a["statusCode"] for a in second["attemptLog"]], [500, 500])
        third = self.call("POST", retry, key)
        self.assertEqual((third["state"], third["attempts"], third["nextAttemptAt"]),
                         ("delivered", 3, None))
        self.assertEqual([a["statusCode"] for a in third["attemptLog"]], [500, 500, 200])
        self.assertEqual([a["number"] for a in third["attemptLog"]], [1, 2, 3])
        self.assertIsNone(third["attemptLog"][2]["error"])
        self.assertEqual(self.deliveries(key, hook["id"]), [third])
        self.error("POST", retry, key, None, 409, "CONFLICT")  # already delivered

        posts = rx.posts()
        self.assertEqual(len(posts), 3)
        self.assertEqual({p["headers"]["webhook-id"] for p in posts}, {d["messageId"]})
        self.assertEqual({p["body"] for p in posts}, {posts[0]["body"]})
        for p in posts:
            payload = self.assert_verifies(hook["secret"], p)
            self.assertEqual(payload["data"]["certificateId"], cert["id"])

    def test_the_worker_retries_a_failed_delivery_about_5_seconds_later(self):
        _, key = self.new_account()
        rx = self.receiver()
        rx.answer(503)  # then 200
        hook = self.create_hook(key, rx.url(), ["api_key.created"])
        self.call("POST", "/api-keys", key, {"name": "wh-retried", "scopes": ["proxy"]},
                  expect=201)
        failed = wait_until(lambda: [d for d in self.deliveries(key, hook["id"])
                                     if d["attempts"] >= 1], what="the first attempt")[0]
        self.assertEqual((failed["state"], failed["attempts"]), ("pending", 1), failed)
        self.assertEqual(failed["attemptLog"][0]["statusCode"], 503)
        delay = unix(failed["nextAttemptAt"]) - unix(failed["attemptLog"][0]["at"])
        self.assertTrue(4 <= delay <= 6, failed)

        done = self.wait_delivered(key, hook["id"], 1, timeout=20)[0]
        self.assertEqual([a["statusCode"] for a in done["attemptLog"]], [503, 200])
        gap = unix(done["attemptLog"][1]["at"]) - unix(done["attemptLog"][0]["at"])
        self.assertTrue(4 <= gap <= 8, done)  # when due, within a pass of the worker
        posts = rx.posts()
        self.assertEqual([p["headers"]["webhook-id"] for p in posts], [done["messageId"]] * 2)
        for p in posts:
            self.assert_verifies(hook["secret"], p)

    # 3. Restart

    def test_deliveries_pending_across_a_restart_are_delivered_after_it(self):
        tmp = tempfile.TemporaryDirectory(prefix="latchkey-webhooks-")
        self.addCleanup(tmp.cleanup)
        server = Server(data_dir=os.path.join(tmp.name, "data"), env={"LATCHKEY_ADMIN_KEY": ADMIN},
                        args=ALLOW_LOOPBACK).start()
        self.addCleanup(server.cleanup)
        port = free_port()  # the receiver is down
        _, key = self.new_account(server)
        hook = self.create_hook(key, "http://127.0.0.1:%d/hook" % port, ["*"], server=server)
        self.new_cert(key, server)
        failed = wait_until(lambda: [d for d in self.deliveries(key, hook["id"], server)
                                     if d["attempts"] >= 1], what="an attempt on the closed port")
        self.assertIsNone(failed[0]["attemptLog"][0]["statusCode"])
        self.assertTrue(failed[0]["attemptLog"][0]["error"], failed)
        self.assertEqual(failed[0]["state"], "pending")
        # A second one raised just before the stop, attempted or not.
        self.call("POST", "/api-keys", key, {"name": "wh-late", "scopes": ["proxy"]}, expect=201,
                  server=server)

        self.assertEqual(server.stop(), 0)
        server.proc.stdout.close()  # start() opens a new pipe
        server.start()
        rx = self.receiver(port=port)

        delivered = self.wait_delivered(key, hook["id"], 2, server=server, timeout=20)
        self.assertEqual(sorted(d["type"] for d in delivered),
                         ["api_key.created", "certificate.created"])
        counts = rx.per_id()
        self.assertEqual(set(counts), {d["messageId"] for d in delivered})
        self.assertEqual(set(counts.values()), {1}, counts)  # nothing lost, nothing doubled
        for d in delivered:
            self.assertEqual(d["attemptLog"][-1]["statusCode"], 200, d)
            self.assertTrue(all(a["statusCode"] is None for a in d["attemptLog"][:-1]), d)
        for p in rx.posts():
            self.assert_verifies(hook["secret"], p)

    # 4. Rotation

    def test_after_rotation_deliveries_are_signed_with_both_secrets(self):
        _, key = self.new_account()
        rx = self.receiver()
        hook = self.create_hook(key, rx.url(), ["certificate.created"])
        old = hook["secret"]
        tested = self.call("POST", "/webhooks/%s/test" % hook["id"], key)
        self.assertEqual((tested["state"], tested["type"]), ("delivered", "webhook.test"))
        before = rx.posts()[-1]
        self.assertEqual(len(before["headers"]["webhook-signature"].split(" ")), 1)
        self.assert_verifies(old, before)

        rotated = self.call("POST", "/webhooks/%s/rotate-secret" % hook["id"], key)
        self.shown_secrets.append(rotated["secret"])
        self.assertEqual(set(rotated), {"id", "secret", "previousSecretValidUntil"})
        self.assertEqual(rotated["id"], hook["id"])
        new = rotated["secret"]
        self.assertTrue(new.startswith("whsec_"))
        self.assertNotEqual(new, old)
        self.assertLess(abs(unix(rotated["previousSecretValidUntil"]) - (time.time() + 86400)),
                        120)
        got = self.call("GET", "/webhooks/" + hook["id"], key)
        self.assertEqual(got["previousSecretValidUntil"], rotated["previousSecretValidUntil"])

        self.new_cert(key)
        wait_until(lambda: len(rx.posts()) == 2, what="the delivery after the rotation")
        p = rx.posts()[-1]
        h = p["headers"]
        entries = h["webhook-signature"].split(" ")
        self.assertEqual(len(entries), 2, entries)
        self.assertEqual(set(entries), {
            signature(s, h["webhook-id"], h["webhook-timestamp"], p["body"]) for s in (new, old)})
        self.assertEqual(self.assert_verifies(new, p)["type"], "certificate.created")
        self.assert_verifies(old, p)
        self.assertFalse(verify("whsec_" + base64.b64encode(os.urandom(32)).decode(), p)["ok"])

    # 5. Subscriptions

    def test_endpoints_receive_only_what_they_subscribe_to_and_nothing_while_disabled(self):
        _, key = self.new_account()
        rx = self.receiver()
        certs = self.create_hook(key, rx.url("/certs"), ["certificate.created"])
        every = self.create_hook(key, rx.url("/all"), ["*"])

        def types(path):
            return [json.loads(p["body"])["type"] for p in rx.posts(path)]

        self.call("POST", "/api-keys", key, {"name": "wh-1", "scopes": ["proxy"]}, expect=201)
        cert1 = self.new_cert(key)
        self.wait_delivered(key, every["id"], 2)
        self.wait_delivered(key, certs["id"], 1)
        self.assertEqual(types("/certs"), ["certificate.created"])
        self.assertEqual(sorted(types("/all")), ["api_key.created", "certificate.created"])

        off = self.call("PATCH", "/webhooks/" + every["id"], key, {"enabled": False})
        self.assertFalse(off["enabled"])
        self.assertFalse(self.call("GET", "/webhooks/" + every["id"], key)["enabled"])
        self.call("POST", "/api-keys", key, {"name": "wh-2", "scopes": ["proxy"]}, expect=201)
        cert2 = self.new_cert(key)
        self.wait_delivered(key, certs["id"], 2)  # the changes were made and sent on
        self.assertEqual(len(self.deliveries(key, every["id"])), 2)  # none queued while off
        self.assertEqual(len(rx.posts("/all")), 2)
        # Not even the test route sends to a disabled endpoint.
        tested = self.call("POST", "/webhooks/%s/test" % every["id"], key)
        self.assertNotEqual(tested["state"], "delivered")
        self.assertIsNone(tested["attemptLog"][0]["statusCode"])
        self.assertIn("disabled", tested["attemptLog"][0]["error"])
        self.assertEqual(len(rx.posts("/all")), 2)

        on = self.call("PATCH", "/webhooks/" + every["id"], key, {"enabled": True})
        self.assertTrue(on["enabled"])
        cert3 = self.new_cert(key)
        wait_until(lambda: len(rx.posts("/all")) == 3, what="a delivery after re-enabling")
        self.wait_delivered(key, certs["id"], 3)
        sent = [json.loads(p["body"])["data"] for p in rx.posts("/all")]
        self.assertEqual({d.get("certificateId") for d in sent} - {None},
                         {cert1["id"], cert3["id"]})  # cert2 (while off) never came
        self.assertNotIn(cert2["id"], json.dumps(sent))

        # A new subscription takes effect for the next change.
        changed = self.call("PATCH", "/webhooks/" + certs["id"], key,
                            {"events": ["api_key.created"]})
        self.assertEqual(changed["events"], ["api_key.created"])
        self.new_cert(key)
        self.call("POST", "/api-keys", key, {"name": "wh-3", "scopes": ["proxy"]}, expect=201)
        self.wait_delivered(key, certs["id"], 4)
        self.assertEqual(types("/certs"), ["certificate.created"] * 3 + ["api_key.created"])

    # 6. Slack

    def test_slack_format_posts_text_without_a_signature_and_masks_the_url(self):
        account, key = self.new_account()
        rx = self.receiver()
        path = "/services/T0LATCH/B0HOOKS/slackPathToken9876"
        hook = self.create_hook(key, rx.url(path), ["certificate.created"], format="slack")
        self.assertEqual(hook["format"], "slack")
        masked = "http://127.0.0.1:%d/…9876" % rx.port
        got = self.call("GET", "/webhooks/" + hook["id"], key)
        listed = self.call("GET", "/webhooks", key)["data"]
        patched = self.call("PATCH", "/webhooks/" + hook["id"], key, {"description": "ops"})
        self.assertEqual([got["url"], patched["url"]] + [h["url"] for h in listed], [masked] * 3)
        for shown in (got, listed, patched):
            self.assertNotIn("slackPathToken", json.dumps(shown, ensure_ascii=False))

        tested = self.call("POST", "/webhooks/%s/test" % hook["id"], key)
        self.assertEqual(tested["state"], "delivered", tested)
        self.assertEqual(tested["attemptLog"][-1]["statusCode"], 200)
        first = rx.posts()[0]
        self.assertEqual(first["path"], path)
        self.assertNotIn("webhook-signature", first["headers"])
        self.assertEqual(first["headers"]["content-type"], "application/json")
        text = json.loads(first["body"])
        self.assertEqual(set(text), {"text"})
        self.assertTrue(text["text"].startswith("Latchkey: webhook.test ("), text)
        self.assertIn(account, text["text"])
        self.assertIn(hook["id"], text["text"])

        cert = self.new_cert(key)
        wait_until(lambda: len(rx.posts()) == 2, what="the certificate.created message")
        second = rx.posts()[1]
        self.assertNotIn("webhook-signature", second["headers"])
        text = json.loads(second["body"])
        self.assertEqual(set(text), {"text"})
        self.assertTrue(text["text"].startswith("Latchkey: certificate.created ("), text)
        self.assertIn(cert["id"], text["text"])
        self.assertIn(cert["kid"], text["text"])
        self.assertNotIn("slackPathToken", json.dumps(self.deliveries(key, hook["id"])))
        self.assertNotIn("slackPathToken", self.server.stderr())

    # 7. Address policy

    def test_a_receiver_on_a_private_address_is_refused_without_proxy_allow_private(self):
        server = Server(env={"LATCHKEY_ADMIN_KEY": ADMIN},
                        args=["--proxy-allow-http", "127.0.0.1"]).start()
        self.addCleanup(server.cleanup)
        rx = self.receiver()
        _, key = self.new_account(server)
        hook = self.create_hook(key, rx.url(), ["*"], server=server)
        tested = self.call("POST", "/webhooks/%s/test" % hook["id"], key, server=server)
        self.assertNotEqual(tested["state"], "delivered")
        self.assertEqual(tested["attempts"], 1)
        attempt = tested["attemptLog"][0]
        self.assertIsNone(attempt["statusCode"])
        self.assertIn("127.0.0.1", attempt["error"])
        self.assertIn("address webhooks are not sent to", attempt["error"])
        # The worker's attempts are refused the same way.
        self.new_cert(key, server)
        event = wait_until(lambda: [d for d in self.deliveries(key, hook["id"], server)
                                    if d["type"] == "certificate.created" and d["attempts"]],
                           what="the worker's attempt")[0]
        self.assertIn("address webhooks are not sent to", event["attemptLog"][0]["error"])
        self.assertEqual(rx.posts(), [])

        # Plain http only to the hosts allowed it.
        refused = self.error("POST", "/webhooks", key, {"url": "http://hooks.example.com/in",
                                                        "events": ["*"]},
                             400, "BAD_REQUEST", server=server)
        self.assertIn("hooks.example.com", refused["error"])
        self.assertEqual([h["id"] for h in self.call("GET", "/webhooks", key,
                                                     server=server)["data"]], [hook["id"]])

    # 8. Bad input, isolation, scopes, the secret

    def test_bad_input_is_a_400_and_changes_nothing(self):
        _, key = self.new_account()
        rx = self.receiver()
        hook = self.create_hook(key, rx.url(), ["certificate.created"])
        del hook["secret"]
        url = rx.url()
        for body, mentions in [
                ({"url": url, "events": ["certificate.exploded"]}, "certificate.exploded"),
                ({"url": url, "events": []}, "events"),
                ({"url": url, "events": "certificate.created"}, "events"),
                ({"url": url}, "events"),
                ({"url": "ftp://127.0.0.1/hook", "events": ["*"]}, "url"),
                ({"url": "not a url", "events": ["*"]}, "url"),
                ({"events": ["*"]}, "url"),
                ({"url": url, "events": ["*"], "colour": "red"}, "colour"),
                ({"url": url, "events": ["*"], "format": "teams"}, "format"),
                ({"url": "http://hooks.example.com/in", "events": ["*"]}, "hooks.example.com"),
                ("{not json", "")]:
            refused = self.error("POST", "/webhooks", key, body, 400, "BAD_REQUEST")
            self.assertIn(mentions, refused["error"], body)
        for body, mentions in [
                ({"enabled": "false"}, "enabled"),
                ({"enabled": 0}, "enabled"),
                ({"events": ["nope.nothing"]}, "nope.nothing"),
                ({"events": []}, "events"),
                ({"url": "ftp://127.0.0.1/hook"}, "url"),
                ({"format": "slack"}, "format"),
                ({"secret": "whsec_AAAA"}, "secret")]:
            refused = self.error("PATCH", "/webhooks/" + hook["id"], key, body, 400,
                                 "BAD_REQUEST")
            self.assertIn(mentions, refused["error"], body)
        self.assertEqual(self.call("GET", "/webhooks", key)["data"], [hook])
        self.assertEqual(self.call("GET", "/webhooks/" + hook["id"], key), hook)
        self.assertEqual(self.deliveries(key, hook["id"]), [])
        self.error("GET", "/webhooks/whk_doesnotexist", key, None, 404, "NOT_FOUND")

        deleted = self.call("DELETE", "/webhooks/" + hook["id"], key)
        self.assertEqual(deleted, {"id": hook["id"], "deleted": True})
        self.error("GET", "/webhooks/" + hook["id"], key, None, 404, "NOT_FOUND")
        self.error("DELETE", "/webhooks/" + hook["id"], key, None, 404, "NOT_FOUND")
        self.error("GET", "/webhooks/%s/deliveries" % hook["id"], key, None, 404, "NOT_FOUND")
        self.assertEqual(self.call("GET", "/webhooks", key)["data"], [])
        self.new_cert(key)  # no endpoint left to send it to
        self.assertEqual(rx.posts(), [])

    def test_another_accounts_endpoint_is_404_and_a_key_without_the_scope_is_403(self):
        _, key = self.new_account()
        _, other = self.new_account()
        # Made before the endpoint, so its api_key.created goes nowhere.
        limited = self.call("POST", "/api-keys", key, {
            "name": "no-webhooks", "scopes": ["certificates:read", "certificates:write",
                                              "proxy", "audit:read"]}, expect=201)["apiKey"]
        rx = self.receiver()
        hook = self.create_hook(key, rx.url("/mine"), ["*"])
        del hook["secret"]
        tested = self.call("POST", "/webhooks/%s/test" % hook["id"], key)
        theirs = self.create_hook(other, rx.url("/theirs"), ["*"])
        routes = [
            ("GET", "/webhooks/" + hook["id"], None),
            ("PATCH", "/webhooks/" + hook["id"], {"enabled": False}),
            ("POST", "/webhooks/%s/rotate-secret" % hook["id"], None),
            ("POST", "/webhooks/%s/test" % hook["id"], None),
            ("GET", "/webhooks/%s/deliveries" % hook["id"], None),
            ("POST", "/webhooks/%s/deliveries/%s/retry" % (hook["id"], tested["id"]), None),
            ("DELETE", "/webhooks/" + hook["id"], None)]
        for method, path, body in routes:
            self.error(method, path, other, body, 404, "NOT_FOUND")
        # Nor through an endpoint of its own.
        self.error("POST", "/webhooks/%s/deliveries/%s/retry" % (theirs["id"], tested["id"]),
                   other, None, 404, "NOT_FOUND")
        self.assertEqual([h["id"] for h in self.call("GET", "/webhooks", other)["data"]],
                         [theirs["id"]])

        for method, path, body in routes + [
                ("GET", "/webhooks", None),
                ("POST", "/webhooks", {"url": rx.url(), "events": ["*"]})]:
            self.error(method, path, limited, body, 403, "FORBIDDEN")
        types = self.call("GET", "/webhooks/event-types", limited)["data"]
        names = [t["name"] for t in types]
        for name in ("certificate.created", "certificate.revoked", "api_key.created",
                     "api_key.revoked", "credential.updated"):
            self.assertIn(name, names)
        self.assertTrue(all(set(t) == {"name", "description"} and t["description"]
                            for t in types), types)

        # Nothing above touched the endpoint: same state, one delivery, one POST.
        self.assertEqual(self.call("GET", "/webhooks/" + hook["id"], key), hook)
        self.assertEqual([d["id"] for d in self.deliveries(key, hook["id"])], [tested["id"]])
        self.assertEqual(len(rx.posts("/mine")), 1)

        # webhooks:write alone is enough.
        hooks_only = self.call("POST", "/api-keys", key, {
            "name": "webhooks-only", "scopes": ["webhooks:write"]}, expect=201)["apiKey"]
        self.assertEqual(len(self.call("GET", "/webhooks", hooks_only)["data"]), 1)
        self.create_hook(hooks_only, rx.url("/second"), ["api_key.revoked"])

    def test_the_secret_is_only_in_the_create_and_rotate_answers_and_never_logged(self):
        _, key = self.new_account()
        rx = self.receiver()
        rx.answer(500)
        hook = self.create_hook(key, rx.url(), ["*"])
        secret = hook["secret"]
        tested = self.call("POST", "/webhooks/%s/test" % hook["id"], key)
        self.assertEqual(tested["state"], "pending")
        retried = self.call("POST", "/webhooks/%s/deliveries/%s/retry" % (hook["id"],
                                                                          tested["id"]), key)
        self.assertEqual(retried["state"], "delivered")
        rotated = self.call("POST", "/webhooks/%s/rotate-secret" % hook["id"], key)
        self.shown_secrets.append(rotated["secret"])
        shown = [self.call("GET", "/webhooks", key),
                 self.call("GET", "/webhooks/" + hook["id"], key),
                 self.call("PATCH", "/webhooks/" + hook["id"], key, {"description": "x"}),
                 tested, retried, self.call("GET", "/webhooks/%s/deliveries" % hook["id"], key)]
        for endpoint in shown[0]["data"] + shown[1:3]:
            self.assertNotIn("secret", endpoint)
        text = json.dumps(shown)
        for s in (secret, rotated["secret"]):
            self.assertNotIn(s[6:], text)
        # Not in the log, and sealed at rest.
        log = self.server.stderr()
        self.assertIn(hook["id"], log)  # the log is the one these requests went to
        stored = self.server.stored_bytes()
        for s in self.shown_secrets:
            self.assertNotIn(s[6:], log)
            self.assertNotIn(s[6:].encode(), stored)


@unittest.skipUnless(PG_URL, "needs PostgreSQL (tests/pg/with_postgres.sh)")
@unittest.skipUnless(HAVE_VERIFIER, NO_VERIFIER)
class WebhookReplicasTest(WebhookTestBase):
    """Three replicas on one PostgreSQL database, all delivering."""

    def setUp(self):
        self.shown_secrets = []
        self.tmp = tempfile.TemporaryDirectory(prefix="latchkey-webhook-replicas-")
        self.addCleanup(self.tmp.cleanup)
        data = os.path.join(self.tmp.name, "data")  # one database for every replica
        self.replicas = []
        for _ in range(3):
            r = Server(data_dir=data, env={"LATCHKEY_ADMIN_KEY": ADMIN}, args=ALLOW_LOOPBACK)
            self.addCleanup(r.cleanup)
            self.replicas.append(r.start())
        self.server = self.replicas[0]

    def test_three_replicas_deliver_each_message_exactly_once(self):
        _, key = self.new_account()
        rx = self.receiver(delay=0.1)  # attempts overlap the other replicas' passes
        hook = self.create_hook(key, rx.url(), ["api_key.created"], server=self.replicas[1])
        errors = []

        def raise_events(replica, n):
            for i in range(10):
                status, body, _ = replica.request("POST", "/api-keys", key, {
                    "name": "wh-%d-%d" % (n, i), "scopes": ["proxy"]})
                if status != 201:
                    errors.append((status, body))
        threads = [threading.Thread(target=raise_events, args=(r, n))
                   for n, r in enumerate(self.replicas)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])

        wait_until(lambda: len(rx.per_id()) >= 30, timeout=30, what="30 distinct messages")
        delivered = self.wait_delivered(key, hook["id"], 30, server=self.replicas[2])
        # Every replica's worker has had further passes over the table by now.
        later = time.time() + 2.5
        wait_until(lambda: time.time() > later, what="a few more passes")
        counts = rx.per_id()
        self.assertEqual(len(counts), 30)
        self.assertEqual({i: c for i, c in counts.items() if c != 1}, {})  # no duplicates
        self.assertEqual(set(counts), {d["messageId"] for d in delivered})
        self.assertEqual({d["attempts"] for d in delivered}, {1})
        self.assertEqual(self.server.sql_value("SELECT COUNT(*) FROM webhook_attempts"), 30)
        for p in rx.posts()[:3]:
            self.assert_verifies(hook["secret"], p)


if __name__ == "__main__":
    unittest.main()
