// The OpenAPI 3.1 document of latchkeyd (GET /openapi.json), built from the
// route table. Each route's RouteDoc gives its summary, tag, schemas and
// success status; what routes share is added here, once, from what the
// route is:
//   - every operation: the X-Request-Id header (sent and answered), 429,
//     and a `default` response of #/components/schemas/Error;
//   - 400 with a body, query or path parameters; 401 and 403 by auth and
//     scope; 404 with path parameters; 409 on writes; 413 with a body;
//     503 on routes that wait for a worker;
//   - a list body (api/schemas/list.h): the `limit` and `cursor` parameters;
//   - a create (CreatesResource): Idempotency-Key, Idempotent-Replayed,
//     409 IDEMPOTENCY_KEY_IN_USE and 422 IDEMPOTENCY_KEY_REUSED;
//   - a conditional resource (RouteDoc::conditional): the ETag header, and
//     on writes If-Match and 412 PRECONDITION_FAILED;
//   - request and success bodies: an `example`, the schema's own
//     `examples[0]` or one made from its parts' examples.
//
// Thread-safety: a pure function of its arguments.
#pragma once

#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "api/router.h"

namespace latchkey {

// The document of every route in `router`, served from `public_url`.
// Throws nlohmann::json::parse_error when a schema constant is not JSON (a
// bug the api tests catch: they build the document).
nlohmann::json BuildOpenApi(const Router& router, const std::string& public_url);

// The document's text, built once per public URL: GET /openapi.json is
// public and answered on the request thread, so it must not rebuild (parse
// every schema, make every example) per request.
//
// Thread-safety: thread-safe.
class OpenApiCache {
 public:
  std::string Get(const Router& router, const std::string& public_url);

 private:
  std::mutex mu_;
  std::string url_;   // guarded by mu_
  std::string text_;  // guarded by mu_; empty until built
};

}  // namespace latchkey
