// McpServer on its own: JSON-RPC dispatch, sessions against an injected
// clock, scope-filtered tools (here simple ones of the test's own; the
// real tools run end to end in tests/e2e/mcp_test.py), and the audit
// record of each call, on a real database.
#include "services/mcp/mcp_server.h"

#include <boost/test/unit_test.hpp>
#include <thread>

#include "tests/services/accounts/fixture.h"

namespace latchkey {
namespace {

using json = nlohmann::json;

struct Fixture : testing::AccountsFixture {
  std::string account = accounts.Create("acme", ctx)->account.id;
  AuditWriter writer{*db, audit};
  ToolDone parked;  // a call the "later" tool has not answered yet
  std::unique_ptr<McpServer> server;

  Principal Key(std::string id, std::vector<std::string> scopes) {
    return Principal{account, std::move(id), std::move(scopes), std::nullopt, std::nullopt};
  }

  explicit Fixture(McpOptions options = {}) { Make(std::move(options)); }

  void Make(McpOptions options) {
    std::vector<McpTool> tools;
    tools.push_back(Tool("echo", "", [](const json& args, ToolDone done) {
      if (args.contains("bad")) return done(InvalidArgument("bad is not an argument of echo"));
      if (args.contains("fail")) return done(NotFound("no such thing"));
      if (args.contains("throw")) throw std::runtime_error("boom");
      done(json{{"echo", args}});
    }));
    tools.push_back(Tool("proxyish", "proxy", [](const json&, ToolDone done) {
      done(json{{"ok", true}});
    }));
    tools.push_back(
        Tool("later", "", [this](const json&, ToolDone done) { parked = std::move(done); }));
    server = std::make_unique<McpServer>(std::move(tools), writer, clock, std::move(options));
  }

  static McpTool Tool(std::string name, std::string scope,
                      std::function<void(const json&, ToolDone)> body) {
    McpTool t;
    t.name = t.title = t.description = std::move(name);
    t.input_schema = {{"type", "object"}};
    t.scope = std::move(scope);
    t.run = [body](const McpToolCall&, const json& args, ToolDone done) {
      body(args, std::move(done));
    };
    return t;
  }

  // Sends one message; the answer as (status, parsed body or null).
  std::pair<int, json> Send(const Principal& who, const json& message,
                            std::optional<std::string> session = std::nullopt) {
    McpHttpRequest req{"POST",       std::move(session), std::nullopt,
                       std::nullopt, std::nullopt,       message.dump()};
    std::optional<McpHttpResponse> got;
    server->Handle(who, ctx, req, [&](McpHttpResponse r) {
      BOOST_TEST(!got.has_value(), "answered twice");
      got = std::move(r);
    });
    BOOST_REQUIRE(got.has_value());
    last_headers = got->headers;
    return {got->status, got->body.empty() ? json() : json::parse(got->body)};
  }

  std::string Open(const Principal& who) {
    auto [status, body] = Send(who, Request(1, "initialize", {{"protocolVersion", "2025-11-25"}}));
    BOOST_REQUIRE(status == 200);
    for (const auto& [name, value] : last_headers) {
      if (name == "Mcp-Session-Id") return value;
    }
    BOOST_FAIL("no session id");
    return "";
  }

  static json Request(int id, std::string method, json params = json::object()) {
    return {{"jsonrpc", "2.0"}, {"id", id}, {"method", std::move(method)}, {"params", params}};
  }
  static json Call(const std::string& tool, json args) {
    return Request(7, "tools/call", {{"name", tool}, {"arguments", std::move(args)}});
  }

  std::vector<std::pair<std::string, std::string>> ToolCallRecords() {
    AuditFilter filter;
    filter.account_id = account;
    filter.action = "mcp.tool_call";
    auto page = writer.List(filter);
    BOOST_REQUIRE(page.ok());
    std::vector<std::pair<std::string, std::string>> out;
    for (const AuditEvent& e : page->events) out.emplace_back(e.resource, e.outcome);
    return out;
  }

  std::vector<std::pair<std::string, std::string>> last_headers;
};

BOOST_AUTO_TEST_SUITE(McpServerTest)

BOOST_FIXTURE_TEST_CASE(SessionsEndWhenIdleAndBelongToTheKeyThatOpenedThem, Fixture) {
  Principal alice = Key("key_a", {"proxy"});
  std::string session = Open(alice);
  BOOST_TEST(Send(alice, Request(2, "ping"), session).first == 200);
  BOOST_TEST(Send(Key("key_b", {"proxy"}), Request(2, "ping"), session).first == 404);
  clock.Advance(std::chrono::seconds(3599));
  BOOST_TEST(Send(alice, Request(2, "ping"), session).first == 200);  // use renews it
  clock.Advance(std::chrono::seconds(3601));
  auto [status, body] = Send(alice, Request(2, "ping"), session);
  BOOST_TEST(status == 404);
  BOOST_TEST(body["error"]["code"] == -32001);
  BOOST_TEST(server->session_count() == 0u);
}

BOOST_AUTO_TEST_CASE(TheLeastRecentlyUsedSessionEndsAtCapacity) {
  Fixture f(McpOptions{.max_sessions = 2});
  Principal key = f.Key("key_a", {});
  std::string first = f.Open(key);
  f.clock.Advance(std::chrono::seconds(1));
  std::string second = f.Open(key);
  f.clock.Advance(std::chrono::seconds(1));
  BOOST_TEST(f.Send(key, Fixture::Request(2, "ping"), first).first == 200);  // first is fresher
  f.clock.Advance(std::chrono::seconds(1));
  std::string third = f.Open(key);
  BOOST_TEST(f.server->session_count() == 2u);
  BOOST_TEST(f.Send(key, Fixture::Request(2, "ping"), first).first == 200);
  BOOST_TEST(f.Send(key, Fixture::Request(2, "ping"), second).first == 404);
  BOOST_TEST(f.Send(key, Fixture::Request(2, "ping"), third).first == 200);
}

BOOST_AUTO_TEST_CASE(OneAccountAtItsCapEndsOnlyItsOwnSessions) {
  Fixture f(McpOptions{.max_sessions = 10, .max_sessions_per_account = 2});
  Principal victim = f.Key("key_v", {});
  std::string kept = f.Open(victim);
  Principal hostile = f.Key("key_h", {});
  hostile.account_id = "acct_hostile";
  for (int i = 0; i < 50; ++i) {
    f.clock.Advance(std::chrono::seconds(1));
    f.Open(hostile);
  }
  BOOST_TEST(f.server->session_count() == 3u);
  BOOST_TEST(f.Send(victim, Fixture::Request(2, "ping"), kept).first == 200);
}

BOOST_FIXTURE_TEST_CASE(ToolsAreListedAndCalledOnlyWithTheirScope, Fixture) {
  Principal plain = Key("key_a", {"audit:read"});
  std::string session = Open(plain);
  auto [status, listed] = Send(plain, Request(2, "tools/list"), session);
  BOOST_TEST(status == 200);
  std::vector<std::string> names;
  for (const auto& t : listed["result"]["tools"]) names.push_back(t["name"]);
  BOOST_TEST(names == (std::vector<std::string>{"echo", "later"}),
             boost::test_tools::per_element());
  auto [_, refused] = Send(plain, Call("proxyish", json::object()), session);
  BOOST_TEST(refused["error"]["code"] == -32602);
  BOOST_TEST(refused["error"]["message"].get<std::string>().find("'proxy' scope") !=
             std::string::npos);
  Principal proxy = Key("key_p", {"proxy"});
  std::string other = Open(proxy);
  auto [ok_status, ok] = Send(proxy, Call("proxyish", json::object()), other);
  BOOST_TEST(ok["result"]["structuredContent"]["ok"] == true);
  BOOST_TEST(ok["result"]["isError"] == false);
  auto records = ToolCallRecords();
  BOOST_TEST(records.size() == 2u);
  BOOST_TEST((records[0] == std::pair<std::string, std::string>{"proxyish", "success"}));
  BOOST_TEST((records[1] == std::pair<std::string, std::string>{"proxyish", "denied"}));
}

BOOST_FIXTURE_TEST_CASE(ToolOutcomesMapToJsonRpcErrorsOrToolErrors, Fixture) {
  Principal key = Key("key_a", {});
  std::string session = Open(key);
  auto [s1, echoed] = Send(key, Call("echo", {{"x", 1}}), session);
  BOOST_TEST(echoed["result"]["structuredContent"]["echo"]["x"] == 1);
  BOOST_TEST(json::parse(echoed["result"]["content"][0]["text"].get<std::string>()) ==
             echoed["result"]["structuredContent"]);
  auto [s2, bad] = Send(key, Call("echo", {{"bad", 1}}), session);
  BOOST_TEST(bad["error"]["code"] == -32602);
  BOOST_TEST(bad["error"]["message"] == "bad is not an argument of echo");
  auto [s3, failed] = Send(key, Call("echo", {{"fail", 1}}), session);
  BOOST_TEST(failed["result"]["isError"] == true);
  BOOST_TEST(failed["result"]["content"][0]["text"] == "no such thing");
  auto [s4, thrown] = Send(key, Call("echo", {{"throw", 1}}), session);
  BOOST_TEST(thrown["error"]["code"] == -32603);
  BOOST_TEST(thrown["error"]["message"].get<std::string>().find("boom") == std::string::npos);
  auto [s5, unknown] = Send(key, Call("nope", json::object()), session);
  BOOST_TEST(unknown["error"]["code"] == -32602);
  auto records = ToolCallRecords();  // newest first; the unknown tool is not a call
  BOOST_REQUIRE(records.size() == 4u);
  BOOST_TEST(records[0].second == "failure");
  BOOST_TEST(records[1].second == "failure");
  BOOST_TEST(records[2].second == "invalid");
  BOOST_TEST(records[3].second == "success");
}

BOOST_FIXTURE_TEST_CASE(AToolMayAnswerLaterFromAnotherThread, Fixture) {
  Principal key = Key("key_a", {});
  std::string session = Open(key);
  McpHttpRequest req{"POST",       session,      std::nullopt,
                     std::nullopt, std::nullopt, Call("later", json::object()).dump()};
  std::atomic<int> answers{0};
  std::string body;
  server->Handle(key, ctx, req, [&](McpHttpResponse r) {
    body = r.body;
    answers++;
  });
  BOOST_TEST(answers.load() == 0);
  BOOST_REQUIRE(parked);
  server.reset();  // the answer may come after the server is gone
  std::thread([done = std::move(parked)] { done(json{{"late", true}}); }).join();
  BOOST_TEST(answers.load() == 1);
  BOOST_TEST(json::parse(body)["result"]["structuredContent"]["late"] == true);
}

BOOST_FIXTURE_TEST_CASE(ABodyWithANulByteIsAParseError, Fixture) {
  Principal key = Key("key_a", {});
  std::string session = Open(key);
  McpHttpRequest req{
      "POST",       session,
      std::nullopt, std::nullopt,
      std::nullopt, std::string("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"pi\0ng\"}", 41)};
  std::optional<McpHttpResponse> got;
  server->Handle(key, ctx, req, [&](McpHttpResponse r) { got = std::move(r); });
  BOOST_REQUIRE(got.has_value());
  BOOST_TEST(got->status == 400);
  BOOST_TEST(json::parse(got->body)["error"]["code"] == -32700);
}

BOOST_FIXTURE_TEST_CASE(TransportRulesAreCheckedBeforeAnyMessage, Fixture) {
  Principal key = Key("key_a", {});
  auto answer = [&](McpHttpRequest req) {
    std::optional<McpHttpResponse> got;
    server->Handle(key, ctx, req, [&](McpHttpResponse r) { got = std::move(r); });
    BOOST_REQUIRE(got.has_value());
    return *got;
  };
  std::string ping = Request(1, "ping").dump();
  BOOST_TEST(answer({"GET", std::nullopt, std::nullopt, std::nullopt, std::nullopt, ""}).status ==
             405);
  BOOST_TEST(answer({"POST", std::nullopt, std::nullopt, std::nullopt, "https://evil.test", ping})
                 .status == 403);
  BOOST_TEST(
      answer({"POST", std::nullopt, "1999-01-01", std::nullopt, std::nullopt, ping}).status == 400);
  BOOST_TEST(answer({"POST", std::nullopt, std::nullopt, "text/html", std::nullopt, ping}).status ==
             406);
  BOOST_TEST(
      answer({"DELETE", std::nullopt, std::nullopt, std::nullopt, std::nullopt, ""}).status == 400);
  std::string session = Open(key);
  BOOST_TEST(answer({"DELETE", session, std::nullopt, std::nullopt, std::nullopt, ""}).status ==
             204);
  BOOST_TEST(server->session_count() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
