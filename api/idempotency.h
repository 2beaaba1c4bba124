// Idempotency-Key on the routes that create something (CreatesResource in
// api/router.h): the same key with the same request within 24 hours
// answers the first response again, with "replayed": true and without
// what is shown only once; the same key with a different request is 422;
// while the first is still running, 409. A request that fails is not
// remembered, so that a retry runs it again.
#pragma once

#include <functional>
#include <string>

#include "api/http_types.h"
#include "common/logger.h"
#include "common/status.h"
#include "services/accounts/idempotency.h"

namespace latchkey {

// The fields a create shows once (secrets): never stored, never replayed.
inline constexpr const char* kShownOnceFields[] = {"apiKey", "privateKey", "secret"};

// Runs `create` under the request's Idempotency-Key, or simply runs it when
// the request has none. Keys belong to the caller: `account_id` ("" for the
// operator) and the API key `caller_id` that sent it, so that a key with
// fewer rights can never be answered what another key was allowed to do.
Result<HttpResponse> RunIdempotent(IdempotencyKeys& keys, Logger& logger,
                                   const std::string& account_id, const std::string& caller_id,
                                   const HttpRequest& request,
                                   const std::function<Result<HttpResponse>()>& create);

}  // namespace latchkey
