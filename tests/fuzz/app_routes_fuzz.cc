// Fuzzes the whole HTTP application (App::Handle over real services on a
// temporary SQLite file): each input picks a route, fills its path
// parameters, query and headers, and sends a JSON body, authenticated with
// the fuzz account's all-scopes key (the admin key on admin routes).
// Whatever the input, the answer must not be a 500, and must be JSON (a
// redirect may be empty; a streamed proxy answer is not started).
//
// Input: route byte, flags byte, then one line per path parameter ("@account"
// for the fuzz account's id), a query
// line ("a=1&b=2"), a header line ("Name:value" pairs separated by tabs),
// and the body (the rest).
//   flags bit 0+1 == 3: no Authorization header; bit 2: parameters sent raw
//   instead of percent-encoded; bit 3: HEAD for a GET route.
// LATCHKEY_FUZZ_ROUTES=1 prints the route table (index, method, pattern);
// LATCHKEY_FUZZ_VERBOSE=1 prints each request's status and body.
//
// Inputs that would destroy the world for all later ones (deleting the fuzz
// account or its key) or that generate RSA keys (~0.2-2 s each) are skipped.
// The world is rebuilt every kWorldInputs inputs so the database stays small.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "common/strings.h"
#include "common/url.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/fuzz_world.h"

namespace latchkey::fuzz {
namespace {

using json = nlohmann::json;

constexpr int kWorldInputs = 1024;

std::unique_ptr<FuzzWorld> NewWorld() {
  auto w = std::make_unique<FuzzWorld>();
  // POST /certificates/rotate without a policy makes an RSA key.
  RotationPolicyInput policy{86400, 7200, KeyAlgorithm::kEs256, 256};
  Require(w->certs.PutPolicy(w->account_id, policy, w->ctx).ok(), "rotation policy");
  return w;
}

FuzzWorld& World() {
  static std::unique_ptr<FuzzWorld> world;
  static int inputs = 0;
  if (inputs++ % kWorldInputs == 0) {
    world.reset();  // the old one's files go before the new one's are made
    world = NewWorld();
  }
  return *world;
}

void PrintRoutes(const FuzzWorld& w) {
  const auto& routes = w.app.router().routes();
  for (size_t i = 0; i < routes.size(); ++i) {
    std::printf("%zu %s %s\n", i, routes[i].method.c_str(), routes[i].pattern.c_str());
  }
}

// The pattern with each {name} replaced by the next input line ("@account":
// the fuzz account's id).
std::string FillPath(const std::string& pattern, FuzzInput& in, bool raw,
                     const std::string& account_id) {
  std::string path;
  size_t pos = 0;
  while (pos < pattern.size()) {
    size_t open = pattern.find('{', pos);
    if (open == std::string::npos) {
      path += pattern.substr(pos);
      break;
    }
    size_t close = pattern.find('}', open);
    path += pattern.substr(pos, open - pos);
    std::string value = in.Field('\n', 256);
    if (value == "@account") value = account_id;
    path += raw ? value : PercentEncode(value);
    pos = close + 1;
  }
  return path;
}

// Inputs whose effect would spoil every later input, or cost seconds.
bool Skip(const FuzzWorld& w, const Route& route, const std::string& method,
          const std::string& path, const std::string& body) {
  Router::Match m = w.app.router().Find(method, path);
  if (m.kind == Router::MatchKind::kFound && m.route->method == "DELETE") {
    for (const auto& [name, value] : m.params) {
      if (value == w.account_id || value == w.key_id) return true;
    }
  }
  if (route.pattern.rfind("/certificates", 0) == 0 && (method == "POST" || method == "PUT")) {
    json j = json::parse(body, nullptr, false);
    if (j.is_object() && (!j.contains("algorithm") || j["algorithm"] != "ES256")) return true;
  }
  return false;
}

[[noreturn]] void Report(const char* what, const HttpRequest& r, const HttpResponse& resp) {
  std::fprintf(stderr, "%s %s -> %d\n%s\n", r.method.c_str(), r.path.c_str(), resp.status,
               resp.body.substr(0, 2000).c_str());
  Fail(what);
}

void CheckResponse(const HttpRequest& r, const HttpResponse& resp) {
  if (resp.status == 500) Report("a request got a 500", r, resp);
  if (resp.status < 100 || resp.status > 599) Report("status out of range", r, resp);
  if (resp.stream) return;
  if (resp.status >= 300 && resp.status < 400 && resp.body.empty()) return;
  json j = json::parse(resp.body, nullptr, false);
  if (j.is_discarded()) Report("response body is not JSON", r, resp);
  if (resp.status >= 400) {
    if (!j.is_object() || !j.contains("status") || j["status"] != resp.status ||
        !j.contains("code") || !j["code"].is_string() || !j.contains("error") ||
        !j["error"].is_string()) {
      Report("error body lacks status, code or error", r, resp);
    }
  }
}

}  // namespace
}  // namespace latchkey::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace latchkey;
  using namespace latchkey::fuzz;
  FuzzWorld& w = World();
  static bool printed = std::getenv("LATCHKEY_FUZZ_ROUTES") && (PrintRoutes(w), true);
  (void)printed;
  const auto& routes = w.app.router().routes();
  FuzzInput in(data, size);
  const Route& route = routes[in.Byte() % routes.size()];
  uint8_t flags = in.Byte();

  HttpRequest r;
  r.method = route.method == "GET" && (flags & 8) ? "HEAD" : route.method;
  r.path = FillPath(route.pattern, in, flags & 4, w.account_id);
  std::string query = in.Field('\n', 4096);
  if (!query.empty()) {
    for (std::string_view pair : SplitList(query, '&')) {
      size_t eq = pair.find('=');
      r.query.emplace_back(std::string(pair.substr(0, eq)),
                           eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1)));
    }
  }
  std::string headers = in.Field('\n', 4096);
  for (std::string_view h : SplitList(headers, '\t')) {
    size_t colon = h.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    r.headers[std::string(h.substr(0, colon))] = std::string(h.substr(colon + 1));
  }
  if ((flags & 3) != 3) {
    r.headers["Authorization"] =
        "Bearer " + (route.auth == AuthKind::kAdmin ? *w.admin_token : w.api_key);
  }
  r.body = in.Rest();
  r.request_id = "req_fuzz";
  r.client_address = "127.0.0.1";
  if (Skip(w, route, r.method, r.path, r.body)) return 0;

  HttpRequest sent = r;
  HttpResponse resp = w.app.Handle(r);
  static bool verbose = std::getenv("LATCHKEY_FUZZ_VERBOSE") != nullptr;
  if (verbose) {
    std::printf("%s %s -> %d %s\n", sent.method.c_str(), sent.path.c_str(), resp.status,
                resp.body.substr(0, 160).c_str());
  }
  CheckResponse(sent, resp);
  return 0;
}
