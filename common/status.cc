#include "common/status.h"

#include <ostream>

namespace latchkey {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kInvalidArgument:
      return "BAD_REQUEST";
    case StatusCode::kUnauthenticated:
      return "UNAUTHORIZED";
    case StatusCode::kPermissionDenied:
      return "FORBIDDEN";
    case StatusCode::kNotFound:
      return "NOT_FOUND";
    case StatusCode::kAlreadyExists:
      return "CONFLICT";
    case StatusCode::kFailedPrecondition:
      return "CONFLICT";
    case StatusCode::kPayloadTooLarge:
      return "PAYLOAD_TOO_LARGE";
    case StatusCode::kResourceExhausted:
      return "RATE_LIMITED";
    case StatusCode::kInternal:
      return "INTERNAL";
    case StatusCode::kUnavailable:
      return "UNAVAILABLE";
    case StatusCode::kUpstreamError:
      return "UPSTREAM_ERROR";
    case StatusCode::kUpstreamTimeout:
      return "UPSTREAM_TIMEOUT";
    case StatusCode::kDataLoss:
      return "INTERNAL";
    case StatusCode::kNeedsReauth:
      return "NEEDS_REAUTH";
  }
  return "INTERNAL";
}

std::ostream& operator<<(std::ostream& os, StatusCode code) { return os << StatusCodeName(code); }

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out(StatusCodeName(code_));
  out += ": ";
  out += message_;
  return out;
}

}  // namespace latchkey
