// Status and Result<T>: how errors cross module boundaries in Latchkey.
//
// A Status is a code plus a human message that is safe to show a caller: it
// never carries secret values or internal details (those are logged, with
// the request id, where they happen). Result<T> holds either a T or a
// non-OK Status.
//
//   Result<Account> account = accounts.Get(id);
//   if (!account.ok()) return account.status();
//
//   ASSIGN_OR_RETURN(Account account, accounts.Get(id));
//   RETURN_IF_ERROR(audit.Append(tx, event));
//
// Thread-safety: values; copy freely.
#pragma once

#include <cassert>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace latchkey {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // 400 BAD_REQUEST
  kUnauthenticated,     // 401 UNAUTHORIZED
  kPermissionDenied,    // 403 FORBIDDEN
  kNotFound,            // 404 NOT_FOUND
  kAlreadyExists,       // 409 CONFLICT
  kFailedPrecondition,  // 409 CONFLICT (state does not allow it)
  kPayloadTooLarge,     // 413 PAYLOAD_TOO_LARGE
  kResourceExhausted,   // 429 RATE_LIMITED
  kInternal,            // 500 INTERNAL
  kUnavailable,         // 503 UNAVAILABLE
  kUpstreamError,       // 502 UPSTREAM_ERROR
  kUpstreamTimeout,     // 504 UPSTREAM_TIMEOUT
  kDataLoss,            // 500 INTERNAL (a sealed value failed to open)
  kNeedsReauth,         // 409 NEEDS_REAUTH (an OAuth grant the user must renew)
};

// The stable name of a code, e.g. "NOT_FOUND"; used in logs and JSON errors.
std::string_view StatusCodeName(StatusCode code);
std::ostream& operator<<(std::ostream& os, StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // Seconds to wait before trying again (a 429's or 503's Retry-After); 0
  // when the error does not say.
  int64_t retry_after() const { return retry_after_; }
  Status WithRetryAfter(int64_t seconds) const {
    Status s = *this;
    s.retry_after_ = seconds;
    return s;
  }

  // "NOT_FOUND: account not found"; for logs and test failures.
  std::string ToString() const;

  // Marks a Status as deliberately ignored.
  void IgnoreError() const {}

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  int64_t retry_after_ = 0;
};

inline Status InvalidArgument(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status Unauthenticated(std::string m) {
  return {StatusCode::kUnauthenticated, std::move(m)};
}
inline Status PermissionDenied(std::string m) {
  return {StatusCode::kPermissionDenied, std::move(m)};
}
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
inline Status FailedPrecondition(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}
inline Status PayloadTooLarge(std::string m) {
  return {StatusCode::kPayloadTooLarge, std::move(m)};
}
inline Status ResourceExhausted(std::string m) {
  return {StatusCode::kResourceExhausted, std::move(m)};
}
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status DataLoss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status NeedsReauth(std::string m) { return {StatusCode::kNeedsReauth, std::move(m)}; }
inline Status UpstreamError(std::string m) { return {StatusCode::kUpstreamError, std::move(m)}; }
inline Status UpstreamTimeout(std::string m) {
  return {StatusCode::kUpstreamTimeout, std::move(m)};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok() && "Result built from an OK Status without a value");
    if (status_.ok()) status_ = Internal("empty result");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace latchkey

#define LATCHKEY_CONCAT_INNER(a, b) a##b
#define LATCHKEY_CONCAT(a, b) LATCHKEY_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                            \
  do {                                                   \
    ::latchkey::Status latchkey_status_ = (expr);        \
    if (!latchkey_status_.ok()) return latchkey_status_; \
  } while (0)

#define LATCHKEY_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.ok()) return tmp.status();                  \
  lhs = std::move(tmp).value()

#define ASSIGN_OR_RETURN(lhs, expr) \
  LATCHKEY_ASSIGN_OR_RETURN_IMPL(LATCHKEY_CONCAT(latchkey_result_, __LINE__), lhs, expr)
