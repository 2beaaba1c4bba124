#include "api/conditional.h"

#include <nlohmann/json.hpp>

#include "api/responses.h"
#include "common/crypto.h"
#include "common/strings.h"

namespace latchkey {
namespace {

// Fields that change without anyone editing the resource: use, health,
// the next scheduled rotation, a webhook's failing streak.
constexpr const char* kVolatileFields[] = {"lastUsedAt", "useCount",       "health",      "usage",
                                           "usedToday",  "nextRotationAt", "failingSince"};

bool IsSuccess(const Result<HttpResponse>& r) {
  return r.ok() && r->status >= 200 && r->status < 300;
}

// A write's answer carries the resource's new ETag; a DELETE's answer is
// not the resource.
void AddETag(const HttpRequest& request, HttpResponse& response) {
  if (request.method == "DELETE") return;
  response.headers.emplace_back("ETag", ETagOf(response.body));
}

HttpResponse PreconditionFailed(const std::optional<std::string>& current) {
  nlohmann::json body = {{"code", "PRECONDITION_FAILED"}, {"status", 412}};
  if (current) {
    body["error"] = "the resource changed since you read it: its ETag is now " + *current +
                    "; read it again and retry with that If-Match";
    body["currentEtag"] = *current;
  } else {
    body["error"] = "If-Match was sent but the resource does not exist";
  }
  HttpResponse r = JsonResponse(412, body);
  if (current) r.headers.emplace_back("ETag", *current);
  return r;
}

}  // namespace

std::string ETagOf(const std::string& json_body) {
  auto parsed = nlohmann::json::parse(json_body, nullptr, false);
  std::string canonical = json_body;
  if (parsed.is_object()) {
    for (const char* field : kVolatileFields) parsed.erase(field);
    canonical = parsed.dump();
  }
  return "\"" + Sha256Hex(canonical).substr(0, 32) + "\"";
}

bool WellFormedIfMatch(const std::string& if_match) {
  std::vector<std::string_view> tags = SplitList(if_match);
  if (tags.empty()) return false;
  for (std::string_view tag : tags) {
    if (tag == "*") continue;
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    if (tag.size() < 2 || tag.front() != '"' || tag.back() != '"') return false;
    if (tag.substr(1, tag.size() - 2).find('"') != std::string_view::npos) return false;
  }
  return true;
}

bool IfMatchAccepts(const std::string& if_match, const std::string& etag) {
  for (std::string_view part : SplitList(if_match)) {
    std::string_view tag = part;
    if (tag == "*") return true;
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);  // weak: compared as strong
    if (tag == etag) return true;
  }
  return false;
}

Result<HttpResponse> ConditionalWrites::Run(const std::string& lock_key, const HttpRequest& request,
                                            const std::function<Result<HttpResponse>()>& read,
                                            const std::function<Result<HttpResponse>()>& write) {
  auto if_match = request.Header("If-Match");
  bool is_read = request.method == "GET" || request.method == "HEAD";
  if (is_read || !if_match) {
    Result<HttpResponse> result = is_read ? read() : write();
    if (IsSuccess(result)) AddETag(request, *result);
    return result;
  }
  if (!WellFormedIfMatch(*if_match)) {
    return InvalidArgument(
        "If-Match must be \"*\" or one or more ETags in double quotes, exactly as an ETag "
        "header answered them");
  }
  std::timed_mutex& stripe = stripes_[std::hash<std::string>{}(lock_key) % kStripes];
  std::unique_lock<std::timed_mutex> lock(stripe, kLockWait);
  if (!lock.owns_lock()) {
    HttpResponse busy = ErrorResponse(
        503, "UNAVAILABLE", "other conditional writes to this resource are queued; retry");
    busy.headers.emplace_back("Retry-After", "1");
    return busy;
  }
  Result<HttpResponse> current = read();
  if (!current.ok() && current.status().code() != StatusCode::kNotFound) return current.status();
  if (!IsSuccess(current)) return PreconditionFailed(std::nullopt);
  std::string etag = ETagOf(current->body);
  if (!IfMatchAccepts(*if_match, etag)) return PreconditionFailed(etag);
  Result<HttpResponse> result = write();
  if (IsSuccess(result)) AddETag(request, *result);
  return result;
}

}  // namespace latchkey
