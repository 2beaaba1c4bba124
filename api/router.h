// Router: method + path pattern -> route. Patterns are literal segments and
// `{name}` parameters ("/api-keys/{id}"); parameters are percent-decoded and
// must be non-empty. A last `{name...}` takes one or more segments, the
// rest of the path as sent (not decoded, possibly empty: "/proxy/openai/"
// gives ""). Literal segments win over parameters. HEAD finds the GET route
// of the path.
//
// Every route carries what the OpenAPI document and the auth layer need.
//
// Thread-safety: build at startup, then read-only.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "api/http_types.h"
#include "common/status.h"

namespace latchkey {

struct Principal;
struct RequestContext;

enum class AuthKind {
  kPublic,
  kAdmin,
  kApiKey,
  // An API key sent as Authorization: Bearer, or as the provider SDKs send
  // their own keys (SdkKey in app.cc), for the proxy's drop-in base URLs.
  kSdkKey,
};

struct RouteDoc {
  std::string summary;
  std::string tag;
  std::string request_schema;   // JSON Schema text, empty if no body
  std::string response_schema;  // JSON Schema text of the success body
  int success_status = 200;
  std::vector<std::string> query_params;
  // A resource people edit: its reads and writes answer an ETag and its
  // writes take If-Match (412 when it no longer matches).
  bool conditional = false;
};

// A POST whose success is 201 creates something: it takes an
// Idempotency-Key (see api/idempotency.h).
inline bool CreatesResource(const std::string& method, const RouteDoc& doc) {
  return method == "POST" && doc.success_status == 201;
}

struct Route {
  std::string method;
  std::string pattern;
  AuthKind auth = AuthKind::kApiKey;
  std::string scope;  // required scope when auth == kApiKey
  std::function<Result<HttpResponse>(RequestContext&)> handler;
  RouteDoc doc;
  // May wait (database writes, provider calls, key generation, waits for
  // another replica): runs on the worker pool, never on the thread that
  // serves connections. Only routes answered from memory (or one indexed
  // read) are not.
  bool blocking = true;
};

// The value of RouteDoc::conditional that a table sets.
inline constexpr bool kConditional = true;

// Values of RouteRow::blocking, so that a table says which it means.
inline constexpr bool kBlocking = true;
inline constexpr bool kNonBlocking = false;  // answered from memory

// One row of a route family's table: a Route whose handler is a named
// function of the family's dependencies (`Deps`, a struct of references to
// the services the family uses), so that the family reads as data:
//
//   {{"GET", "/certificates/{id}", AuthKind::kApiKey, scopes::kCertificatesRead, kBlocking,
//     GetCertificate},
//    {"Read a certificate", "certificates", "", schemas::kCertificate}},
template <typename Deps>
struct RouteRow {
  struct Endpoint {
    const char* method;
    const char* pattern;
    AuthKind auth;
    const char* scope;  // "" unless auth == kApiKey
    bool blocking;      // see Route::blocking
    Result<HttpResponse> (*handler)(const Deps&, RequestContext&);
  };
  Endpoint endpoint;
  RouteDoc doc;
};

class Router {
 public:
  void Add(Route route);

  enum class MatchKind { kFound, kNotFound, kMethodNotAllowed, kBadPath };
  struct Match {
    MatchKind kind = MatchKind::kNotFound;
    const Route* route = nullptr;
    std::map<std::string, std::string> params;
    std::vector<std::string> allowed_methods;  // for kMethodNotAllowed
  };
  Match Find(const std::string& method, const std::string& path) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  // Returns true and fills params when the path's segments fit the
  // pattern's; sets *bad when a parameter is not valid percent-encoding.
  static bool Fits(const std::vector<std::string>& pattern,
                   const std::vector<std::string>& segments,
                   std::map<std::string, std::string>* params, int* literal_score, bool* bad);
  std::vector<Route> routes_;
  std::vector<std::vector<std::string>> patterns_;  // routes_[i].pattern, split
};

// Adds every row of `table`, in order, with its handler bound to a copy of
// `deps` (references only: the services must outlive the router).
template <typename Deps, size_t N>
void AddRoutes(Router& router, const Deps& deps, const RouteRow<Deps> (&table)[N]) {
  for (const RouteRow<Deps>& row : table) {
    const auto& e = row.endpoint;
    auto handler = e.handler;
    router.Add({e.method, e.pattern, e.auth, e.scope,
                [deps, handler](RequestContext& ctx) { return handler(deps, ctx); }, row.doc,
                e.blocking});
  }
}

}  // namespace latchkey
