// Building responses: JSON bodies, the one Status -> HTTP mapping, and the
// error shape {"error": "...", "code": "...", "status": N}.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "api/http_types.h"
#include "common/status.h"

namespace latchkey {

// HTTP status for a Status code (kOk -> 200).
int HttpStatusFor(StatusCode code);

HttpResponse JsonResponse(int status, const nlohmann::json& body);

// A 302 to `location`. (Every response's Referrer-Policy: no-referrer
// keeps a code or token id in it out of Referer headers.)
HttpResponse RedirectResponse(const std::string& location);

// The error body for `status`. kInternal and kDataLoss always answer a
// generic message: their text may describe internals.
HttpResponse ErrorResponse(const Status& status);

// An error with an explicit HTTP status and code (for transport-level
// errors: 404 route, 405, 408, 431, ...).
HttpResponse ErrorResponse(int http_status, std::string_view code, std::string_view message);

// The same error as raw JSON text (for places that cannot build a response).
std::string ErrorBody(int http_status, std::string_view code, std::string_view message);

}  // namespace latchkey
