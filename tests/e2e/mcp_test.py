"""The MCP server (POST /mcp) end to end: the real latchkeyd, driven by the
official TypeScript SDK from npm (@modelcontextprotocol/sdk, through
tests/e2e/sdk/mcp_session.mjs), with its tools calling a fake model
provider (sdk_test.FakeProvider) and fake OAuth providers (fake_oauth) on
loopback. The transport's own rules (sessions, revisions, methods, origins)
are checked with plain HTTP requests, where the SDK would hide them."""
import json
import os
import subprocess
import unittest

import jwt

from oauth_test import OAuthTestBase
from sdk_test import HAVE_SDKS, NO_SDKS, SDK_DIR, FakeProvider

OPENAI = "sk-planted-openai-mcp-q1w2e3r4t5"
ALL_TOOLS = {"list_credentials", "proxy_request", "list_oauth_connections", "call_oauth_api",
             "sign_token", "get_jwks_url"}
ACCEPT = "application/json, text/event-stream"


class Session:
    """One SDK client in a node process, stepped from the test."""

    def __init__(self, test, key):
        self.proc = subprocess.Popen(["node", "mcp_session.mjs"], cwd=SDK_DIR, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        test.addCleanup(self.close)
        self.connected = self.step(op="connect", url=test.base + "/mcp", key=key)

    def step(self, **step):
        self.proc.stdin.write(json.dumps(step) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError("the MCP client died: " + self.proc.stderr.read())
        return json.loads(line)

    def call(self, name, arguments=None):
        return self.step(op="call", name=name, arguments=arguments or {})

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        self.proc.stdout.close()
        self.proc.stderr.close()


@unittest.skipUnless(HAVE_SDKS, NO_SDKS)
class McpTest(OAuthTestBase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.base = "http://127.0.0.1:%d" % cls.server.port
        cls.upstream = FakeProvider()
        cls.call_as(cls.key, "PUT", "/credentials", {
            "openaiApiKey": OPENAI, "allowedHosts": {"openai": ["127.0.0.1"]}})
        cls.call_as(cls.key, "POST", "/certificates",
                    {"name": "mcp", "algorithm": "ES256", "custody": "managed"}, expect=201)
        cls.proxy_key_id, cls.proxy_key = cls.new_key(["proxy"])

    @classmethod
    def tearDownClass(cls):
        cls.upstream.close()
        super().tearDownClass()

    @classmethod
    def new_key(cls, scopes, **extra):
        body = cls.call_as(cls.key, "POST", "/api-keys",
                           dict({"name": "mcp-agent", "scopes": scopes}, **extra), expect=201)
        return body["id"], body["apiKey"]

    def raw(self, body=None, key=None, method="POST", headers=None):
        h = {"Accept": ACCEPT}
        h.update(headers or {})
        data = json.dumps(body) if body is not None and not isinstance(body, str) else body
        if data is not None:
            h["Content-Type"] = "application/json"
        return self.server.request(method, "/mcp", key or self.key, data, h)

    def initialize(self, key=None, revision="2025-11-25"):
        status, body, resp = self.raw({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                                       "params": {"protocolVersion": revision, "capabilities": {},
                                                  "clientInfo": {"name": "raw", "version": "1"}}},
                                      key)
        self.assertEqual(status, 200, body)
        return resp.getheader("Mcp-Session-Id"), body

    def test_the_sdk_connects_and_lists_the_tools_each_key_may_use(self):
        full = Session(self, self.key)
        self.assertTrue(full.connected["ok"], full.connected)
        self.assertEqual(full.connected["protocolVersion"], "2025-11-25")
        self.assertEqual(full.connected["server"]["name"], "latchkey")
        self.assertIn("tools", full.connected["capabilities"])
        tools = full.step(op="list")["tools"]
        self.assertEqual({t["name"] for t in tools}, ALL_TOOLS)
        for t in tools:
            self.assertEqual(t["inputSchema"]["type"], "object", t)
            self.assertTrue(t["description"], t)
        self.assertEqual(set(next(t for t in tools if t["name"] == "proxy_request")
                             ["inputSchema"]["required"]), {"credential", "url"})
        proxy_only = Session(self, self.proxy_key)
        names = {t["name"] for t in proxy_only.step(op="list")["tools"]}
        self.assertEqual(names, {"proxy_request", "call_oauth_api", "get_jwks_url"})
        # Not listed, and not callable either.
        denied = proxy_only.call("list_credentials")
        self.assertFalse(denied["ok"])
        self.assertIn("credentials:read", denied["error"])
        self.assertEqual(proxy_only.step(op="ping"), {"ok": True, "pong": {}})

    def test_proxy_request_injects_the_stored_key_and_never_passes_the_agents(self):
        agent = Session(self, self.proxy_key)
        before = len(self.upstream.requests)
        out = agent.call("proxy_request", {
            "credential": "openai", "url": self.upstream.url + "/v1/models?limit=2",
            "method": "POST", "headers": {"X-Trace": "t-1"}, "body": {"echo": OPENAI}})
        self.assertTrue(out["ok"], out)
        result = out["result"]["structuredContent"]
        self.assertEqual(result["status"], 200)
        self.assertFalse(result["truncated"])
        seen = self.upstream.requests[before:]
        self.assertEqual(len(seen), 1)
        self.assertEqual(seen[0]["path"], "/v1/models?limit=2")
        self.assertEqual(seen[0]["headers"]["authorization"], "Bearer " + OPENAI)
        self.assertEqual(seen[0]["headers"]["x-trace"], "t-1")
        self.assertEqual(seen[0]["headers"]["content-type"], "application/json")
        for name, value in seen[0]["header_list"]:
            self.assertNotIn(self.proxy_key, value)
        # The upstream echoed the stored key back: redacted on the way out.
        self.assertNotIn(OPENAI, json.dumps(out))
        self.assertIn("[REDACTED]", json.loads(result["body"])["echo"])
        # A big answer comes back bounded, and says so.
        big = agent.call("proxy_request", {"credential": "openai",
                                           "url": self.upstream.url + "/v1/big"})
        self.assertEqual(len(big["result"]["structuredContent"]["body"]), 64 * 1024)
        self.assertTrue(big["result"]["structuredContent"]["truncated"])
        # An answer that breaks off is an error, not a short success.
        broken = agent.call("proxy_request", {"credential": "openai",
                                              "url": self.upstream.url + "/v1/broken"})
        self.assertTrue(broken["result"]["isError"], broken)
        self.assertIn("broke off", broken["result"]["content"][0]["text"])
        # The proxy's refusals are tool errors the model can read.
        far = agent.call("proxy_request", {"credential": "openai",
                                           "url": "https://example.com/v1/models"})
        self.assertTrue(far["result"]["isError"], far)
        self.assertIn("not an allowed host", far["result"]["content"][0]["text"])

    def test_a_key_restricted_to_other_credentials_is_refused(self):
        _, restricted = self.new_key(["proxy"], credentials=["anthropic"], allowMissing=True)
        agent = Session(self, restricted)
        before = len(self.upstream.requests)
        out = agent.call("proxy_request", {"credential": "openai",
                                           "url": self.upstream.url + "/v1/models"})
        self.assertTrue(out["result"]["isError"], out)
        self.assertIn("may not use credential 'openai'", out["result"]["content"][0]["text"])
        self.assertEqual(len(self.upstream.requests), before)

    def test_oauth_tools_list_connections_and_call_the_providers_api(self):
        token = self.connect("github", "mcp-user")["tokenId"]
        full = Session(self, self.key)
        listed = full.call("list_oauth_connections", {"identifierId": "mcp-user"})
        connections = listed["result"]["structuredContent"]["connections"]
        self.assertEqual([c["id"] for c in connections], [token])
        by_provider = full.call("list_oauth_connections", {"provider": "github"})
        self.assertIn(token, [c["id"] for c in by_provider["result"]["structuredContent"]
                              ["connections"]])
        other = full.call("list_oauth_connections", {"provider": "notion",
                                                      "identifierId": "mcp-user"})
        self.assertEqual(other["result"]["structuredContent"]["connections"], [])
        self.assertEqual(connections[0]["provider"], "github")
        self.assertEqual(connections[0]["status"], "active")
        for issued in self.fake.issued:
            self.assertNotIn(issued, json.dumps(listed))
        out = full.call("call_oauth_api", {"tokenId": token, "path": "/user/repos?per_page=1"})
        self.assertTrue(out["ok"], out)
        result = out["result"]["structuredContent"]
        self.assertEqual(result["status"], 200, result)
        self.assertEqual(json.loads(result["body"])["dialect"], "github")
        seen = self.fake.api_requests[-1]
        self.assertEqual((seen["path"], seen["query"]), ("/api/github/user/repos", "per_page=1"))
        self.assertEqual(seen["headers"]["Accept"], "application/vnd.github+json")
        # Climbing out of the API base is a bad argument, never sent.
        sent = len(self.fake.api_requests)
        bad = full.call("call_oauth_api", {"tokenId": token, "path": "a/%2e%2e/%2e%2e/token"})
        self.assertFalse(bad["ok"])
        self.assertIn("path", bad["error"])
        self.assertEqual(len(self.fake.api_requests), sent)

    def test_sign_token_verifies_against_the_jwks_get_jwks_url_names(self):
        full = Session(self, self.key)
        urls = full.call("get_jwks_url")["result"]["structuredContent"]
        self.assertEqual(urls["jwksUrl"], urls["issuer"] + "/.well-known/jwks.json")
        signed = full.call("sign_token", {"subject": "agent-7", "audience": "billing",
                                          "claims": {"role": "reader"}, "expiresIn": 300})
        token = signed["result"]["structuredContent"]["token"]
        status, jwks, _ = self.server.request("GET", urls["jwksUrl"][len(self.base):])
        self.assertEqual(status, 200)
        key = next(k for k in jwks["keys"] if k["kid"] == jwt.get_unverified_header(token)["kid"])
        claims = jwt.decode(token, jwt.PyJWK(key).key, algorithms=["ES256"], audience="billing",
                            issuer=urls["issuer"])
        self.assertEqual((claims["sub"], claims["role"]), ("agent-7", "reader"))

    def test_bad_arguments_and_unknown_tools_are_json_rpc_errors(self):
        full = Session(self, self.key)
        missing = full.call("proxy_request", {"credential": "openai"})
        self.assertFalse(missing["ok"])
        self.assertEqual(missing["code"], -32602)
        self.assertIn("url", missing["error"])
        typo = full.call("sign_token", {"expiresIn": "soon"})
        self.assertEqual(typo["code"], -32602)
        self.assertIn("expiresIn", typo["error"])
        for name in ("x\u0000y", "a" * 100, "bad name", "oauth:"):
            odd = full.call("proxy_request", {"credential": name, "url": "https://a.example/"})
            self.assertEqual(odd["code"], -32602, name)
            self.assertIn("credential", odd["error"])
        extra = full.call("get_jwks_url", {"account": "someone-else"})
        self.assertEqual(extra["code"], -32602)
        self.assertIn("account", extra["error"])
        unknown = full.call("delete_everything")
        self.assertEqual(unknown["code"], -32602)
        self.assertIn("delete_everything", unknown["error"])
        self.assertEqual(full.step(op="ping")["ok"], True)  # the session survives them

    def test_a_key_revoked_mid_session_is_refused(self):
        key_id, key = self.new_key(["proxy"])
        agent = Session(self, key)
        self.assertTrue(agent.call("get_jwks_url")["ok"])
        self.call("DELETE", "/api-keys/" + key_id)
        after = agent.call("get_jwks_url")
        self.assertFalse(after["ok"], after)
        self.assertIn("401", after["error"])
        self.assertFalse(agent.step(op="list")["ok"])

    def test_each_call_of_a_known_tool_is_audited_without_its_arguments(self):
        _, reader = self.new_key(["audit:read"])
        agent = Session(self, self.proxy_key)
        agent.call("proxy_request", {"credential": "openai", "url": self.upstream.url + "/v1/x",
                                     "headers": {"X-Secretish": "planted-mcp-argument-1"}})
        agent.call("proxy_request", {"credential": "openai"})
        agent.call("list_credentials")
        status, events, _ = self.server.request("GET", "/audit-events?action=mcp.tool_call&limit=500", reader)
        self.assertEqual(status, 200)
        calls = [e for e in events["data"] if e["action"] == "mcp.tool_call"]
        outcomes = {(e["resource"], e["outcome"]) for e in calls}
        self.assertIn(("proxy_request", "success"), outcomes)
        self.assertIn(("proxy_request", "invalid"), outcomes)
        self.assertIn(("list_credentials", "denied"), outcomes)
        _, everything, _ = self.server.request("GET", "/audit-events?limit=1000", reader)
        for planted in ("planted-mcp-argument-1", OPENAI):
            self.assertNotIn(planted, json.dumps(everything))
            self.assertNotIn(planted, self.server.stderr())

    def test_sessions_are_required_bound_to_their_key_and_end_on_delete(self):
        ping = {"jsonrpc": "2.0", "id": 2, "method": "ping"}
        status, body, _ = self.raw(ping)
        self.assertEqual((status, body["error"]["code"]), (400, -32000), body)
        session, _ = self.initialize()
        self.assertTrue(session)
        status, body, _ = self.raw(ping, headers={"Mcp-Session-Id": session})
        self.assertEqual((status, body["result"]), (200, {}))
        # Another key of the same account cannot use it.
        status, body, _ = self.raw(ping, key=self.proxy_key, headers={"Mcp-Session-Id": session})
        self.assertEqual(status, 404, body)
        status, body, _ = self.raw(ping, headers={"Mcp-Session-Id": "mcps_nosuchsession"})
        self.assertEqual(status, 404, body)
        status, _, resp = self.raw(method="DELETE", headers={"Mcp-Session-Id": session})
        self.assertEqual(status, 204)
        self.assertIsNone(resp.getheader("Content-Type"))
        status, body, _ = self.raw(ping, headers={"Mcp-Session-Id": session})
        self.assertEqual(status, 404, body)
        # Notifications and client responses are accepted with no body.
        session, _ = self.initialize()
        status, body, _ = self.raw({"jsonrpc": "2.0", "method": "notifications/initialized"},
                                   headers={"Mcp-Session-Id": session})
        self.assertEqual((status, body), (202, None))

    def test_protocol_revisions_are_negotiated(self):
        for asked, answered in (("2025-11-25", "2025-11-25"), ("2025-06-18", "2025-06-18"),
                                ("2025-03-26", "2025-03-26"), ("2099-01-01", "2025-11-25")):
            _, body = self.initialize(revision=asked)
            self.assertEqual(body["result"]["protocolVersion"], answered, asked)
        session, _ = self.initialize()
        status, body, _ = self.raw({"jsonrpc": "2.0", "id": 3, "method": "tools/list"},
                                   headers={"Mcp-Session-Id": session,
                                            "MCP-Protocol-Version": "2024-01-01"})
        self.assertEqual(status, 400, body)

    def test_transport_refusals_are_json_rpc_errors_never_500(self):
        session, _ = self.initialize()
        h = {"Mcp-Session-Id": session}
        cases = [
            ("GET", None, {}, 405, -32000),
            ("POST", "{not json", h, 400, -32700),
            ("POST", [{"jsonrpc": "2.0", "id": 1, "method": "ping"}], h, 400, -32600),
            ("POST", {"id": 1, "method": "ping"}, h, 400, -32600),
            ("POST", {"jsonrpc": "2.0", "id": {"x": 1}, "method": "ping"}, h, 400, -32600),
            ("POST", {"jsonrpc": "2.0", "id": 1, "method": "ping"},
             dict(h, Origin="http://evil.example"), 403, -32000),
            ("POST", {"jsonrpc": "2.0", "id": 1, "method": "ping"},
             dict(h, Accept="text/html"), 406, -32000),
            ("POST", {"jsonrpc": "2.0", "id": 1, "method": "resources/list"}, h, 200, -32601),
            ("POST", {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": []}, h, 200,
             -32602),
            ("POST", {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                      "params": {"name": "get_jwks_url", "arguments": "x"}}, h, 200, -32602),
            ("POST", "[" * 5000, h, 400, -32700),
        ]
        for method, body, headers, status, code in cases:
            with self.subTest(method=method, body=str(body)[:60], headers=headers):
                got, parsed, _ = self.raw(body, method=method, headers=headers)
                self.assertEqual(got, status, parsed)
                self.assertEqual(parsed["error"]["code"], code, parsed)
        # The server's own origin is welcome (a browser on the console).
        got, _, _ = self.raw({"jsonrpc": "2.0", "id": 1, "method": "ping"},
                             headers=dict(h, Origin=self.base))
        self.assertEqual(got, 200)
        # Without a key, 401 before anything is read.
        got, _, _ = self.server.request("POST", "/mcp", None, "{}", {"Accept": ACCEPT})
        self.assertEqual(got, 401)


if __name__ == "__main__":
    unittest.main()
