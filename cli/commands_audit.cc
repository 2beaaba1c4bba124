// latchkey audit … (the hash-chained audit log) and proxy (one call with a
// stored credential injected, streamed to stdout).
#include <strings.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <thread>

#include "cli/output.h"
#include "cli/prompt.h"
#include "cli/session.h"

namespace latchkey::cli {
namespace {

using json = nlohmann::json;

struct AuditArgs {
  std::string action;
  std::string since;
  int limit = 50;
  bool follow = false;
};

std::string EventsPath(const AuditArgs& a, const std::string& since) {
  std::string path = "/audit-events?limit=" + std::to_string(a.limit);
  if (!a.action.empty()) path += "&action=" + UrlEncode(a.action);
  if (!since.empty()) path += "&since=" + UrlEncode(since);
  return path;
}

void PrintEvent(const json& e, bool as_json) {
  if (as_json) {
    std::cout << e.dump() << "\n";
  } else {
    std::cout << Cell(e["time"]) << "  " << Cell(e["action"]) << "  " << Cell(e["resource"]) << "  "
              << Cell(e["outcome"]) << "  " << Cell(e["actor"]) << "\n";
  }
  std::cout.flush();
}

// Polls for events newer than the last one seen, oldest first, until
// interrupted.
[[noreturn]] void Follow(Session& session, AuditArgs a, std::string since) {
  a.limit = 1000;  // a burst between two polls up to the API's page size
  int64_t last_seq = -1;
  for (;;) {
    json page = session.Call("GET", EventsPath(a, since));
    const json& events = page["data"];
    for (auto it = events.rbegin(); it != events.rend(); ++it) {
      if ((*it)["seq"].get<int64_t>() <= last_seq) continue;
      last_seq = (*it)["seq"].get<int64_t>();
      since = (*it)["time"].get<std::string>();
      PrintEvent(*it, session.globals().json);
    }
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }
}

void AddAudit(CLI::App& app, Session& session) {
  auto* audit = app.add_subcommand("audit", "The account's hash-chained audit log");
  audit->require_subcommand(1);
  audit->footer("Example: latchkey audit list --since 1h");
  auto a = std::make_shared<AuditArgs>();
  auto* list = audit->add_subcommand("list", "List events, newest first");
  list->footer(
      "Example: latchkey audit list --action proxy.request --since 1h\n"
      "         latchkey audit list --follow          # new events as they happen");
  list->add_option("--action", a->action, "Only this action (proxy.request, mcp.tool_call, …)");
  list->add_option("--since", a->since, "Only events this recent: 30m, 1h, 7d, or ISO 8601");
  list->add_option("--limit", a->limit, "At most this many (1-1000)")->capture_default_str();
  list->add_flag("--follow", a->follow, "Keep printing new events, oldest first");
  list->callback([&session, a] {
    std::string since = a->since;
    if (long long s = ParseDuration(since); s >= 0) since = IsoTime(std::time(nullptr) - s);
    if (a->follow) Follow(session, *a, since);
    session.Show("GET", EventsPath(*a, since), std::nullopt, [](const json& page) {
      Table t({"TIME", "ACTION", "RESOURCE", "OUTCOME", "ACTOR"});
      for (const auto& e : page["data"]) {
        t.Add({RelativeTime(e["time"]), Cell(e["action"]), Cell(e["resource"]), Cell(e["outcome"]),
               Cell(e["actor"])});
      }
      t.Print();
    });
  });
  auto* verify = audit->add_subcommand("verify", "Recompute the hash chain: exit 0 if intact");
  verify->footer("Example: latchkey audit verify");
  verify->callback([&session] {
    json v = session.Show("GET", "/audit-events/verify", std::nullopt, [](const json& r) {
      if (r.value("ok", false)) std::cout << "ok: " << Cell(r["count"]) << " events verify\n";
    });
    if (!v.value("ok", false)) {
      throw CliError(kExitApi, "the audit chain does not verify: " + v.value("reason", "") +
                                   " (event " + Cell(v["brokenEvent"]) + ")");
    }
  });
}

struct ProxyArgs {
  std::string credential;
  std::string url;
  std::string method;
  std::string data;
  std::vector<std::string> headers;
};

// -d DATA, -d @file, -d @- (stdin).
std::string RequestBody(const std::string& data) {
  if (data.empty() || data[0] != '@') return data;
  if (data == "@-") {
    return ReadStdin();
  }
  std::ifstream in(data.substr(1), std::ios::binary);
  if (!in) throw CliError(kExitUsage, "cannot read " + data.substr(1));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void Proxy(Session& session, const ProxyArgs& a) {
  std::vector<std::pair<std::string, std::string>> headers = {{"X-Target-Url", a.url},
                                                              {"X-Credential-Name", a.credential}};
  std::string body = RequestBody(a.data);
  std::string method = a.method.empty() ? (body.empty() ? "GET" : "POST") : a.method;
  headers.emplace_back("X-Target-Method", method);
  for (const auto& h : a.headers) {
    size_t colon = h.find(':');
    if (colon == std::string::npos || colon == 0) {
      throw CliError(kExitUsage, "-H takes 'Name: value' (a header without a colon was given)");
    }
    size_t start = h.find_first_not_of(' ', colon + 1);
    headers.emplace_back(h.substr(0, colon), start == std::string::npos ? "" : h.substr(start));
  }
  // libcurl would call any body a form; say JSON when it is JSON, else nothing.
  bool typed = false;
  for (const auto& [name, value] : headers) typed |= strcasecmp(name.c_str(), "Content-Type") == 0;
  if (!body.empty() && !typed) {
    bool is_json = !json::parse(body, nullptr, false).is_discarded();
    headers.emplace_back("Content-Type", is_json ? "application/json" : "");
  }
  long status = 0;
  std::string error_body;  // an error answer is held back, to tell whose it is
  try {
    // The proxy route takes the caller's method; the upstream's is X-Target-Method.
    session.client().Stream(
        body.empty() ? "GET" : "POST", "/v1/proxy", headers, body, [&](long s) { status = s; },
        [&](std::string_view chunk) {
          if (status >= 400) {
            if (error_body.size() < (1 << 20)) error_body.append(chunk);
            return;
          }
          std::fwrite(chunk.data(), 1, chunk.size(), stdout);
          std::fflush(stdout);
        });
  } catch (const NetworkError& e) {
    throw CliError(kExitApi, e.message);
  }
  if (status < 400) return;
  // Latchkey's own refusals are {"error","code","status"}; anything else is
  // the upstream's answer, printed as it came.
  json own = json::parse(error_body, nullptr, false);
  if (own.is_object() && own.value("status", 0L) == status && own.contains("code") &&
      own["code"].is_string() && own.contains("error") && own["error"].is_string()) {
    std::string line = own["code"].get<std::string>() + ": " + own["error"].get<std::string>();
    if (status == 401) throw CliError(kExitAuth, line + " (log in again: latchkey login)");
    throw CliError(kExitApi, line);
  }
  std::fwrite(error_body.data(), 1, error_body.size(), stdout);
  std::fflush(stdout);
  throw CliError(kExitApi, "the upstream answered HTTP " + std::to_string(status));
}

void AddProxy(CLI::App& app, Session& session) {
  auto* proxy = app.add_subcommand(
      "proxy", "Call an API with a stored credential injected; the answer streams to stdout");
  proxy->footer(
      "Examples:\n  latchkey proxy openai https://api.openai.com/v1/models\n"
      "  latchkey proxy anthropic https://api.anthropic.com/v1/messages -d @request.json \\\n"
      "      -H 'content-type: application/json' -H 'anthropic-version: 2023-06-01'\n"
      "  latchkey proxy oauth:otk_… https://api.github.com/user");
  auto a = std::make_shared<ProxyArgs>();
  proxy->add_option("credential", a->credential, "Provider id, secret name, or oauth:TOKEN_ID")
      ->required();
  proxy->add_option("url", a->url, "The https URL to call")->required();
  proxy->add_option("-X,--request", a->method, "Method (GET, or POST with -d)");
  proxy->add_option("-d,--data", a->data, "Body: text, @file, or @- for stdin");
  proxy->add_option("-H,--header", a->headers, "'Name: value' (repeat for more)");
  proxy->callback([&session, a] { Proxy(session, *a); });
}

}  // namespace

void AddAuditCommands(CLI::App& app, Session& session) {
  AddAudit(app, session);
  AddProxy(app, session);
}

}  // namespace latchkey::cli
