"""The drop-in base URLs (/proxy/{credential}/...) end to end: the real
latchkeyd, the official OpenAI and Anthropic SDKs from npm (tests/e2e/sdk)
pointed at it with the caller's Latchkey key as their API key, and a fake
provider on loopback (the only fake, at the edge of the machine) that
answers as OpenAI and Anthropic do and records every request it gets."""
import http.server
import json
import os
import shutil
import socket
import subprocess
import threading
import unittest
import urllib.parse

from server import Server

HERE = os.path.dirname(os.path.abspath(__file__))
SDK_DIR = os.path.join(HERE, "sdk")
HAVE_SDKS = (shutil.which("node") is not None
             and os.path.isdir(os.path.join(SDK_DIR, "node_modules", "openai"))
             and os.path.isdir(os.path.join(SDK_DIR, "node_modules", "@anthropic-ai", "sdk")))
NO_SDKS = ("the SDK tests need node and tests/e2e/sdk/node_modules "
           "(make test-deps, or: cd tests/e2e/sdk && npm ci)")

OPENAI = "sk-planted-openai-sdk-a1b2c3d4e5"
ANTHROPIC = "sk-ant-planted-sdk-f6g7h8i9j0"
GOOGLE = "AIza-planted-google-sdk-k1l2m3n4"
PLANTED = [OPENAI, ANTHROPIC, GOOGLE]

# The base URL GET /credentials reports for a provider with no override.
DEFAULT_BASE_URLS = {"openai": "https://api.openai.com",
                     "anthropic": "https://api.anthropic.com",
                     "google": "https://generativelanguage.googleapis.com"}


def base_url_in(creds, provider):
    """Where GET /credentials reports a provider's base URL (the one line to
    change if latchkeyd spells it otherwise)."""
    return creds["baseUrls"][provider]


OPENAI_TEXT = "Hello from the fake OpenAI."
OPENAI_PIECES = ["Streamed ", "hello from ", "the fake OpenAI."]
ANTHROPIC_TEXT = "Hello from the fake Anthropic."
ANTHROPIC_PIECES = ["Streamed ", "hello from ", "the fake Anthropic."]


def openai_completion(model):
    return {"id": "chatcmpl-fake-1", "object": "chat.completion", "created": 1700000000,
            "model": model, "system_fingerprint": None,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": OPENAI_TEXT,
                                                 "refusal": None},
                         "logprobs": None, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 9, "completion_tokens": 6, "total_tokens": 15}}


def openai_chunks(model):
    def chunk(delta, finish=None):
        return {"id": "chatcmpl-fake-2", "object": "chat.completion.chunk", "created": 1700000000,
                "model": model, "system_fingerprint": None,
                "choices": [{"index": 0, "delta": delta, "logprobs": None,
                             "finish_reason": finish}]}
    events = [chunk({"role": "assistant", "content": ""})]
    events += [chunk({"content": piece}) for piece in OPENAI_PIECES]
    events.append(chunk({}, "stop"))
    return ["data: %s\n\n" % json.dumps(e) for e in events] + ["data: [DONE]\n\n"]


def anthropic_message(model):
    return {"id": "msg_fake_1", "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "text", "text": ANTHROPIC_TEXT}],
            "stop_reason": "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": 9, "output_tokens": 6}}


def anthropic_events(model):
    events = [("message_start", {"type": "message_start", "message": {
                  "id": "msg_fake_2", "type": "message", "role": "assistant", "model": model,
                  "content": [], "stop_reason": None, "stop_sequence": None,
                  "usage": {"input_tokens": 9, "output_tokens": 1}}}),
              ("content_block_start", {"type": "content_block_start", "index": 0,
                                       "content_block": {"type": "text", "text": ""}}),
              ("ping", {"type": "ping"})]
    events += [("content_block_delta", {"type": "content_block_delta", "index": 0,
                                        "delta": {"type": "text_delta", "text": piece}})
               for piece in ANTHROPIC_PIECES]
    events += [("content_block_stop", {"type": "content_block_stop", "index": 0}),
               ("message_delta", {"type": "message_delta",
                                  "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                  "usage": {"output_tokens": 6}}),
               ("message_stop", {"type": "message_stop"})]
    return ["event: %s\ndata: %s\n\n" % (name, json.dumps(data)) for name, data in events]


class FakeProvider:
    """Answers POST /v1/chat/completions as OpenAI and POST /v1/messages as
    Anthropic (JSON, or server-sent events when the body asks to stream);
    GET /v1/big gets 200 KiB of text, /v1/broken 9 of 1000 promised bytes; anything else a small JSON 200 that
    echoes the body. Records every request."""

    def __init__(self):
        self.requests = []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def handle_any(self):
                try:
                    self.respond()
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def send_json(self, status, value):
                out = json.dumps(value).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def send_events(self, events):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for event in events:
                    data = event.encode()
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")

            def respond(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                fake.requests.append({"method": self.command, "path": self.path,
                                      "headers": {k.lower(): v for k, v in self.headers.items()},
                                      "header_list": list(self.headers.items()), "body": body})
                path = self.path.split("?")[0]
                try:
                    request = json.loads(body) if body else {}
                except ValueError:
                    request = {}
                if not isinstance(request, dict):
                    request = {}
                model = request.get("model", "unknown")
                stream = request.get("stream") is True
                if self.command == "POST" and path == "/v1/chat/completions":
                    if stream:
                        self.send_events(openai_chunks(model))
                    else:
                        self.send_json(200, openai_completion(model))
                elif self.command == "POST" and path == "/v1/messages":
                    if stream:
                        self.send_events(anthropic_events(model))
                    else:
                        self.send_json(200, anthropic_message(model))
                elif path == "/v1/broken":
                    # Promises more than it sends, then hangs up.
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", "1000")
                    self.end_headers()
                    self.wfile.write(b"only part")
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                elif path == "/v1/big":
                    out = b"x" * (200 * 1024)
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(out)))
                    self.end_headers()
                    self.wfile.write(out)
                else:
                    self.send_json(200, {"ok": True, "method": self.command, "path": path,
                                         "echo": body.decode("utf-8", "replace")})

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = handle_any

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # A caller that stopped reading (a truncated MCP tool result).
        self.httpd.handle_error = lambda request, address: None
        self.port = self.httpd.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class DropInBase(unittest.TestCase):
    """One latchkeyd and one fake provider per class; an account whose
    OpenAI, Anthropic and Google keys have their base URLs on the fake."""

    @classmethod
    def setUpClass(cls):
        cls.upstream = FakeProvider()
        cls.server = Server(args=["--proxy-allow-http", "127.0.0.1", "--proxy-allow-private",
                                  "127.0.0.1/32", "--proxy-timeout-ms", "5000"]).start()
        cls.admin = cls.server.read_admin_key()
        _, body, _ = cls.server.request("POST", "/admin/accounts", cls.admin, {"name": "agents"})
        cls.key = body["apiKey"]
        cls.base = "http://127.0.0.1:%d" % cls.server.port
        # No allowedHosts: the providers keep their default ones, so each
        # override's host (127.0.0.1) becomes the allowed host.
        status, body, _ = cls.server.request("PUT", "/credentials", cls.key, {
            "openaiApiKey": OPENAI, "anthropicApiKey": ANTHROPIC, "googleApiKey": GOOGLE,
            "baseUrls": {"openai": cls.upstream.url, "anthropic": cls.upstream.url,
                         "google": cls.upstream.url}})
        assert status == 200, (status, body)

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        cls.upstream.close()

    def call(self, method, path, headers=None, body=None):
        """A request to latchkeyd with no Authorization unless given."""
        return self.server.request(method, path, body=body, headers=headers)

    def assert_never_arrived(self, requests, key):
        """`key` is nowhere in what the fake provider received."""
        for r in requests:
            self.assertNotIn(key, r["path"])
            self.assertNotIn(urllib.parse.quote(key, safe=""), r["path"])
            for name, value in r["header_list"]:
                self.assertNotIn(key, name)
                self.assertNotIn(key, value)
            self.assertNotIn(key.encode(), r["body"])


@unittest.skipUnless(HAVE_SDKS, NO_SDKS)
class OfficialSdkTest(DropInBase):
    def run_sdk(self, script, mode, auth=None):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("OPENAI_", "ANTHROPIC_", "SDK_"))}
        env.update({"LATCHKEY_URL": self.base, "LATCHKEY_API_KEY": self.key, "SDK_MODE": mode})
        if auth:
            env["SDK_AUTH"] = auth
        before = len(self.upstream.requests)
        proc = subprocess.run(["node", script], cwd=SDK_DIR, env=env, capture_output=True,
                              text=True, timeout=60)
        self.assertEqual(proc.returncode, 0, "%s %s failed: %s\nlatchkeyd stderr tail:\n%s"
                         % (script, mode, proc.stderr, self.server.stderr()[-4000:]))
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        seen = self.upstream.requests[before:]
        self.assertEqual(len(seen), 1, [(r["method"], r["path"]) for r in seen])
        self.assert_never_arrived(seen, self.key)
        return out, seen[0]

    def check_openai(self, req, stream):
        self.assertEqual(req["method"], "POST")
        self.assertEqual(req["path"], "/v1/chat/completions")
        self.assertEqual(req["headers"].get("authorization"), "Bearer " + OPENAI)
        sent = json.loads(req["body"])
        self.assertEqual(sent["model"], "gpt-4o-mini")
        self.assertEqual(sent.get("stream", False), stream)

    def check_anthropic(self, req, stream):
        self.assertEqual(req["method"], "POST")
        self.assertEqual(req["path"], "/v1/messages")
        self.assertEqual(req["headers"].get("x-api-key"), ANTHROPIC)
        self.assertNotIn("authorization", req["headers"])
        self.assertTrue(req["headers"].get("anthropic-version"))
        sent = json.loads(req["body"])
        self.assertEqual(sent["max_tokens"], 64)
        self.assertEqual(sent.get("stream", False), stream)

    def test_openai_sdk_chat_completion(self):
        out, req = self.run_sdk("openai_call.mjs", "plain")
        self.assertEqual(out["text"], OPENAI_TEXT)
        self.assertEqual(out["id"], "chatcmpl-fake-1")
        self.assertEqual(out["finishReason"], "stop")
        self.check_openai(req, stream=False)

    def test_openai_sdk_streamed_chat_completion(self):
        out, req = self.run_sdk("openai_call.mjs", "stream")
        self.assertEqual(out["text"], "".join(OPENAI_PIECES))
        self.assertEqual(out["chunks"], len(OPENAI_PIECES) + 2)
        self.assertEqual(out["finishReason"], "stop")
        self.check_openai(req, stream=True)

    def test_anthropic_sdk_message(self):
        out, req = self.run_sdk("anthropic_call.mjs", "plain")
        self.assertEqual(out["text"], ANTHROPIC_TEXT)
        self.assertEqual(out["id"], "msg_fake_1")
        self.assertEqual(out["stopReason"], "end_turn")
        self.check_anthropic(req, stream=False)

    def test_anthropic_sdk_streamed_message(self):
        out, req = self.run_sdk("anthropic_call.mjs", "stream")
        self.assertEqual(out["text"], "".join(ANTHROPIC_PIECES))
        self.assertEqual(out["finalText"], "".join(ANTHROPIC_PIECES))
        self.assertEqual(out["deltas"], len(ANTHROPIC_PIECES))
        self.assertEqual(out["stopReason"], "end_turn")
        self.check_anthropic(req, stream=True)

    def test_anthropic_sdk_sending_its_key_as_x_api_key(self):
        # Current SDKs send Authorization: Bearer; earlier ones, x-api-key.
        for mode, text in (("plain", ANTHROPIC_TEXT), ("stream", "".join(ANTHROPIC_PIECES))):
            out, req = self.run_sdk("anthropic_call.mjs", mode, auth="x-api-key")
            self.assertEqual(out["text"], text, mode)
            self.check_anthropic(req, stream=mode == "stream")


class DropInProxyTest(DropInBase):
    def test_every_way_an_sdk_sends_its_key_is_accepted_and_replaced(self):
        k = self.key
        quoted = urllib.parse.quote(k, safe="")
        # (form, credential, path sent, headers, path the provider should see,
        #  header the stored key arrives in, its value)
        cases = [
            ("Authorization: Bearer", "openai", "/v1/models", {"Authorization": "Bearer " + k},
             "/v1/models", "authorization", "Bearer " + OPENAI),
            ("x-api-key", "anthropic", "/v1/models", {"x-api-key": k},
             "/v1/models", "x-api-key", ANTHROPIC),
            ("x-api-key to openai", "openai", "/v1/models", {"x-api-key": k},
             "/v1/models", "authorization", "Bearer " + OPENAI),
            ("x-goog-api-key", "google", "/v1beta/models", {"x-goog-api-key": k},
             "/v1beta/models", "x-goog-api-key", GOOGLE),
            ("?key=", "google", "/v1beta/models?key=%s&pageSize=5" % quoted, {},
             "/v1beta/models?pageSize=5", "x-goog-api-key", GOOGLE),
            ("?key= alone", "google", "/v1beta/models?key=" + quoted, {},
             "/v1beta/models", "x-goog-api-key", GOOGLE),
            ("api-key", "openai", "/v1/models", {"api-key": k},
             "/v1/models", "authorization", "Bearer " + OPENAI),
        ]
        carriers = {"authorization", "x-api-key", "x-goog-api-key", "api-key"}
        for form, credential, path, headers, upstream_path, injected, value in cases:
            before = len(self.upstream.requests)
            status, body, _ = self.call("GET", "/proxy/%s%s" % (credential, path), headers)
            self.assertEqual(status, 200, (form, body))
            seen = self.upstream.requests[before:]
            self.assertEqual(len(seen), 1, form)
            req = seen[0]
            self.assertEqual(req["path"], upstream_path, form)
            self.assertNotIn("key=", req["path"], form)
            self.assertEqual(req["headers"].get(injected), value, form)
            # The header that carried our key is gone (unless it is the one
            # the stored key now arrives in), and no other carrier appears.
            for name in carriers - {injected}:
                self.assertNotIn(name, req["headers"], form)
            self.assert_never_arrived(seen, k)
        # Nor does the key in the query string reach the log.
        self.assertNotIn(k, self.server.stderr())

    def test_methods_bodies_and_query_strings_are_forwarded(self):
        auth = {"Authorization": "Bearer " + self.key}
        before = len(self.upstream.requests)
        status, _, _ = self.call("GET", "/proxy/openai/v1/models?a=1&b=2", auth)
        self.assertEqual(status, 200)
        self.assertEqual(self.upstream.requests[-1]["path"], "/v1/models?a=1&b=2")
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
            body = b'{"m":"%s"}' % method.encode() if method in ("POST", "PUT", "PATCH") else None
            h = dict(auth, **({"Content-Type": "application/json"} if body else {}))
            status, parsed, _ = self.call(method, "/proxy/openai/v1/files/file-1", h, body)
            self.assertEqual(status, 200, (method, parsed))
            req = self.upstream.requests[-1]
            self.assertEqual((req["method"], req["path"]), (method, "/v1/files/file-1"))
            self.assertEqual(req["body"], body or b"")
            self.assertEqual(req["headers"].get("authorization"), "Bearer " + OPENAI)
        self.assert_never_arrived(self.upstream.requests[before:], self.key)

    def test_a_key_restricted_to_other_credentials_is_403(self):
        status, body = self.server.request("POST", "/api-keys", self.key, {
            "name": "anthropic-only", "scopes": ["proxy"], "credentials": ["anthropic"]})[:2]
        self.assertEqual(status, 201, body)
        agent = body["apiKey"]
        before = len(self.upstream.requests)
        for headers in ({"Authorization": "Bearer " + agent}, {"x-api-key": agent}):
            status, body, _ = self.call("GET", "/proxy/openai/v1/models", headers)
            self.assertEqual(status, 403, (headers, body))
            self.assertEqual(body["code"], "FORBIDDEN")
        self.assertEqual(len(self.upstream.requests), before)
        status, body, _ = self.call("GET", "/proxy/anthropic/v1/models", {"x-api-key": agent})
        self.assertEqual(status, 200, body)
        self.assertEqual(self.upstream.requests[-1]["headers"].get("x-api-key"), ANTHROPIC)
        self.assert_never_arrived(self.upstream.requests[before:], agent)

    def test_traversal_and_encoded_slashes_are_400_and_never_sent(self):
        auth = {"Authorization": "Bearer " + self.key}
        before = len(self.upstream.requests)
        for path in ("/proxy/openai/v1/../../admin/accounts",
                     "/proxy/openai/..",
                     "/proxy/openai/../anthropic/v1/models",
                     "/proxy/openai/v1/%2e%2e/secrets",
                     "/proxy/openai/v1/%2E%2E/secrets",
                     "/proxy/openai/v1/.%2e/secrets",
                     "/proxy/openai/v1/%2e./secrets",
                     "/proxy/openai/v1%2fmodels",
                     "/proxy/openai/v1%2Fmodels",
                     "/proxy/openai/v1/%2e%2e%2fsecrets",
                     "/proxy/x%0D%0Aoutcome%3Dsuccess/v1",  # not a credential name
                     "/proxy/open%20ai/v1/models"):
            status, body, _ = self.call("GET", path, auth)
            self.assertEqual(status, 400, (path, body))
            self.assertEqual(body["code"], "BAD_REQUEST", path)
        self.assertEqual(len(self.upstream.requests), before)

    def test_a_key_sent_as_an_encoded_or_repeated_parameter_or_header_is_not_forwarded(self):
        before = len(self.upstream.requests)
        for path, headers in (("/proxy/openai/v1/models?%6Bey=" + self.key + "&a=1", {}),
                              ("/proxy/openai/v1/models?ke%79=" + self.key, {}),
                              ("/proxy/openai/v1/models?key=" + self.key + "&key=" + self.key, {}),
                              ("/proxy/openai/v1/models", {"Authorization": "Bearer " + self.key,
                                                           "api-key": self.key + ", " + self.key})):
            status, body, _ = self.call("GET", path, headers)
            self.assertEqual(status, 200, (path, body))
        seen = self.upstream.requests[before:]
        self.assertEqual(len(seen), 4)
        self.assert_never_arrived(seen, self.key)
        self.assertEqual(seen[0]["path"], "/v1/models?a=1")

    def test_a_missing_or_unknown_key_is_401(self):
        before = len(self.upstream.requests)
        for headers, path in (({}, "/proxy/openai/v1/models"),
                              ({}, "/proxy/anthropic/v1/messages"),
                              ({"Authorization": "Bearer lk_key_x.y"}, "/proxy/openai/v1/models"),
                              ({"x-api-key": "lk_key_x.y"}, "/proxy/anthropic/v1/models"),
                              ({}, "/proxy/google/v1beta/models?key=lk_key_x.y")):
            status, body, _ = self.call("GET", path, headers)
            self.assertEqual(status, 401, (headers, path, body))
            self.assertEqual(body["code"], "UNAUTHORIZED")
        self.assertEqual(len(self.upstream.requests), before)

    def test_a_secret_is_reachable_by_path_only_with_a_base_url_of_its_own(self):
        secret = "planted-secret-by-path-7q8r9s"
        status, body, _ = self.server.request("POST", "/secrets", self.key, {
            "name": "svc", "type": "API_KEY", "value": secret, "allowedHosts": ["127.0.0.1"]})
        self.assertEqual(status, 201, body)
        self.assertIsNone(body["baseUrl"])
        before = len(self.upstream.requests)
        status, body, _ = self.call("GET", "/proxy/svc/v1/things",
                                    {"Authorization": "Bearer " + self.key})
        self.assertEqual((status, body["code"]), (404, "NOT_FOUND"))
        self.assertIn("no base URL", body["error"])
        self.assertEqual(len(self.upstream.requests), before)
        status, body, _ = self.server.request("PUT", "/secrets/svc", self.key, {
            "value": secret, "baseUrl": self.upstream.url + "/api"})
        self.assertEqual((status, body["baseUrl"]), (200, self.upstream.url + "/api"))
        status, body, _ = self.call("GET", "/proxy/svc/v1/things?x=1",
                                    {"Authorization": "Bearer " + self.key})
        self.assertEqual(status, 200, body)
        req = self.upstream.requests[-1]
        self.assertEqual(req["path"], "/api/v1/things?x=1")
        self.assertEqual(req["headers"].get("authorization"), "Bearer " + secret)
        status, body, _ = self.server.request("PUT", "/secrets/svc", self.key, {
            "value": secret, "baseUrl": "https://elsewhere.example/api"})
        self.assertEqual((status, body["code"]), (400, "BAD_REQUEST"))
        self.assertIn("allowedHosts", body["error"])

    def test_a_null_base_url_restores_the_default(self):
        _, body, _ = self.server.request("POST", "/admin/accounts", self.admin, {"name": "restore"})
        key = body["apiKey"]
        creds = self.server.request("GET", "/credentials", key)[1]
        self.assertEqual(base_url_in(creds, "openai"), DEFAULT_BASE_URLS["openai"])
        status, body, _ = self.server.request("PUT", "/credentials", key, {
            "openaiApiKey": OPENAI, "baseUrls": {"openai": self.upstream.url}})
        self.assertEqual(status, 200, body)
        creds = self.server.request("GET", "/credentials", key)[1]
        self.assertEqual(base_url_in(creds, "openai"), self.upstream.url)
        self.assertEqual(base_url_in(creds, "anthropic"), DEFAULT_BASE_URLS["anthropic"])
        status, body, _ = self.server.request("PUT", "/credentials", key,
                                              {"baseUrls": {"openai": None}})
        self.assertEqual(status, 200, body)
        creds = self.server.request("GET", "/credentials", key)[1]
        self.assertEqual(base_url_in(creds, "openai"), DEFAULT_BASE_URLS["openai"])
        self.assertTrue(creds["hasOpenaiApiKey"])

    def test_zz_stored_keys_appear_nowhere_but_the_upstream(self):
        log = self.server.stderr()
        for p in PLANTED:
            self.assertNotIn(p, log)
        stored = self.server.stored_bytes()
        for p in PLANTED:
            self.assertNotIn(p.encode(), stored)


if __name__ == "__main__":
    unittest.main()
