#include "api/responses.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/json_text.h"

namespace latchkey {

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
      return 409;
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kPayloadTooLarge:
      return 413;
    case StatusCode::kResourceExhausted:
      return 429;
    case StatusCode::kInternal:
      return 500;
    case StatusCode::kDataLoss:
      return 500;
    case StatusCode::kNeedsReauth:
      return 409;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kUpstreamError:
      return 502;
    case StatusCode::kUpstreamTimeout:
      return 504;
  }
  return 500;
}

HttpResponse RedirectResponse(const std::string& location) {
  HttpResponse r;
  r.status = 302;
  r.content_type = "text/plain";
  r.headers.emplace_back("Location", location);
  return r;
}

HttpResponse JsonResponse(int status, const nlohmann::json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

std::string ErrorBody(int http_status, std::string_view code, std::string_view message) {
  // Messages may quote what the caller sent; never echo it back at length.
  constexpr size_t kMaxMessage = 512;
  std::string shortened;
  if (message.size() > kMaxMessage) {
    shortened = std::string(message.substr(0, kMaxMessage)) + "...";
    message = shortened;
  }
  return "{\"error\":" + JsonQuote(message) + ",\"code\":" + JsonQuote(code) +
         ",\"status\":" + std::to_string(http_status) + "}";
}

HttpResponse ErrorResponse(int http_status, std::string_view code, std::string_view message) {
  HttpResponse r;
  r.status = http_status;
  r.body = ErrorBody(http_status, code, message);
  return r;
}

HttpResponse ErrorResponse(const Status& status) {
  int http = HttpStatusFor(status.code());
  if (http == 500) return ErrorResponse(500, "INTERNAL", "internal error");
  if (http == 503) {
    HttpResponse r = ErrorResponse(503, "UNAVAILABLE", "service temporarily unavailable");
    r.headers.emplace_back("Retry-After", "1");
    return r;
  }
  HttpResponse r = ErrorResponse(http, StatusCodeName(status.code()), status.message());
  if (http == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer");
  if (http == 429) {
    r.headers.emplace_back("Retry-After",
                           std::to_string(std::max<int64_t>(1, status.retry_after())));
  }
  return r;
}

}  // namespace latchkey
