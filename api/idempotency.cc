#include "api/idempotency.h"

#include <nlohmann/json.hpp>

#include "api/responses.h"

namespace latchkey {
namespace {

constexpr size_t kMaxKeyLength = 255;

// 1-255 printable ASCII characters but a comma (Stripe allows 255; UUIDs
// are typical). A comma is refused because two Idempotency-Key headers
// reach us joined by one.
bool ValidKey(const std::string& key) {
  if (key.empty() || key.size() > kMaxKeyLength) return false;
  for (char c : key) {
    if (c < 0x20 || c > 0x7e || c == ',') return false;
  }
  return true;
}

// What makes two requests the same request: method, path and the body's
// JSON value (so that key order and spacing do not matter); the raw body
// when it is not JSON.
std::string RequestText(const HttpRequest& request) {
  std::string body = request.body;
  auto parsed = nlohmann::json::parse(body, nullptr, false);
  if (!parsed.is_discarded()) body = parsed.dump();
  return request.method + " " + request.path + "\n" + body;
}

// What is stored to replay: the body without what is shown once.
std::string Storable(const std::string& body) {
  auto parsed = nlohmann::json::parse(body, nullptr, false);
  if (!parsed.is_object()) return body;
  for (const char* field : kShownOnceFields) parsed.erase(field);
  return parsed.dump();
}

HttpResponse Replay(int status, const std::string& stored) {
  auto body = nlohmann::json::parse(stored, nullptr, false);
  if (!body.is_object()) body = nlohmann::json::object();
  body["replayed"] = true;
  HttpResponse r = JsonResponse(status, body);
  r.headers.emplace_back("Idempotent-Replayed", "true");
  return r;
}

}  // namespace

Result<HttpResponse> RunIdempotent(IdempotencyKeys& keys, Logger& logger,
                                   const std::string& account_id, const std::string& caller_id,
                                   const HttpRequest& request,
                                   const std::function<Result<HttpResponse>()>& create) {
  auto key = request.Header("Idempotency-Key");
  if (!key) return create();
  if (!ValidKey(*key)) {
    return InvalidArgument(
        "Idempotency-Key must be one header of 1 to 255 printable ASCII characters, no comma "
        "(a UUID is typical)");
  }
  std::string key_hash = IdempotencyKeys::KeyHash(caller_id, *key);
  std::string request_hash = IdempotencyKeys::RequestHash(*key, RequestText(request));
  ASSIGN_OR_RETURN(IdempotencyDecision decision, keys.Begin(account_id, key_hash, request_hash));
  switch (decision.kind) {
    case IdempotencyDecision::Kind::kReplay:
      return Replay(decision.status, decision.response);
    case IdempotencyDecision::Kind::kMismatch:
      return ErrorResponse(422, "IDEMPOTENCY_KEY_REUSED",
                           "this Idempotency-Key was used in the last 24 hours with a different "
                           "request (method, path or body); send a new key for a new request");
    case IdempotencyDecision::Kind::kInProgress: {
      HttpResponse r = ErrorResponse(409, "IDEMPOTENCY_KEY_IN_USE",
                                     "a request with this Idempotency-Key is still running; "
                                     "retry after it finishes");
      r.headers.emplace_back("Retry-After", std::to_string(decision.retry_after));
      return r;
    }
    case IdempotencyDecision::Kind::kRun:
      break;
  }
  const std::string& lease = decision.lease;
  Result<HttpResponse> result = Internal("not run");
  try {
    result = create();
  } catch (...) {
    // Not remembered: a retry runs it again (App::Guarded answers the 500).
    (void)keys.Release(account_id, key_hash, lease);
    throw;
  }
  bool succeeded = result.ok() && result->status >= 200 && result->status < 300;
  Status recorded =
      succeeded ? keys.Complete(account_id, key_hash, lease, result->status, Storable(result->body))
                : keys.Release(account_id, key_hash, lease);
  if (!recorded.ok()) {
    // The work is done (or failed) either way; the key holds its lease and
    // a retry after it runs the request again.
    logger.Error("idempotency_record_failed",
                 {{"request_id", request.request_id}, {"status", recorded.ToString()}});
  }
  return result;
}

}  // namespace latchkey
