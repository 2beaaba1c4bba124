// ETag and If-Match for the resources people edit (RouteDoc::conditional).
//
// A resource's ETag is a digest of what its GET answers, without the
// fields that change by themselves (use counts, health, usage), so it
// changes exactly when someone edits the resource. A write with If-Match
// runs only while the resource still has one of the listed ETags (or, for
// "*", exists); otherwise it is 412 naming the current ETag. Without
// If-Match a write behaves as it always did (the last one wins).
//
// The check and the write are one step on this server (writes to one
// resource with If-Match are serialized); replicas do not share that lock,
// so two replicas' writes within the same moment can both pass the check.
//
// Thread-safety: ConditionalWrites is thread-safe.
#pragma once

#include <array>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "api/http_types.h"
#include "common/status.h"

namespace latchkey {

// The ETag (a quoted string) of a JSON resource body.
std::string ETagOf(const std::string& json_body);

// True when an If-Match value is "*" or a comma-separated list of quoted
// entity tags (each possibly W/).
bool WellFormedIfMatch(const std::string& if_match);

// True when an If-Match header value names `etag` (or is "*").
bool IfMatchAccepts(const std::string& if_match, const std::string& etag);

class ConditionalWrites {
 public:
  // `read` answers the resource as its GET does; `write` edits (or
  // deletes) it. Adds the ETag header to what `write` answers (and to
  // `read` for a GET). `lock_key` names the resource: writes with If-Match
  // to one resource run one at a time; one that waits kLockWait is a 503.
  Result<HttpResponse> Run(const std::string& lock_key, const HttpRequest& request,
                           const std::function<Result<HttpResponse>()>& read,
                           const std::function<Result<HttpResponse>()>& write);

 private:
  static constexpr size_t kStripes = 64;
  // How long a write with If-Match waits for others to the same resource
  // (on a worker) before answering 503: a burst cannot hold every worker.
  static constexpr std::chrono::seconds kLockWait{5};
  std::array<std::timed_mutex, kStripes> stripes_;
};

}  // namespace latchkey
