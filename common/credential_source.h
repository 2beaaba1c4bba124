// CredentialSource: the one narrow interface through which the proxy gets
// a credential. It says what to inject into an outbound request and where
// that request may go; the proxy knows nothing of how credentials are
// stored (provider keys, typed secrets, and later OAuth tokens all fit).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/crypto.h"
#include "common/database.h"
#include "common/status.h"

namespace latchkey {

struct Injection {
  Injection() = default;
  Injection(const Injection&) = delete;
  Injection& operator=(const Injection&) = delete;
  Injection(Injection&&) = default;
  Injection& operator=(Injection&&) = default;
  ~Injection() {
    for (auto& [name, value] : headers) SecureWipe(value.data(), value.size());
    for (auto& [name, value] : query) SecureWipe(value.data(), value.size());
    for (auto& s : secrets) SecureWipe(s.data(), s.size());
  }

  // Headers set on the outbound request (replacing any of the same name).
  std::vector<std::pair<std::string, std::string>> headers;
  // Headers set only when the caller sent none of that name (an API's
  // version header, say); never secrets.
  std::vector<std::pair<std::string, std::string>> default_headers;
  // Query parameters appended to the target URL (name, raw value).
  std::vector<std::pair<std::string, std::string>> query;
  // Host patterns the request may go to ("api.example.com", "*.example.com").
  std::vector<std::string> allowed_hosts;
  // Where calls by path (/proxy/{credential}/..., /proxy/oauth/{tokenId}/...)
  // go: the credential's base URL or the OAuth provider's apiBaseUrl, an
  // absolute http(s) URL, perhaps with a path, without query or fragment.
  // Empty when the credential is not reachable by path.
  std::string base_url;
  // Every secret string in the injection, as an upstream might echo it back.
  std::vector<std::string> secrets;
};

class CredentialSource {
 public:
  virtual ~CredentialSource() = default;
  // NotFound if the account has no credential by that name.
  virtual Result<Injection> Resolve(const std::string& account_id, const std::string& name) = 0;
  // OK when the account has a credential by that name, NotFound when it
  // has none; opens nothing.
  virtual Status Exists(const std::string& account_id, const std::string& name) = 0;
  // Adds `count` uses of the credential, the last at `last_used`, inside
  // the caller's transaction. A credential deleted meanwhile is skipped.
  virtual Status RecordUses(SqlExecutor& tx, const std::string& account_id, const std::string& name,
                            int64_t count, TimePoint last_used) = 0;
};

// The proxy's name for an OAuth token: "oauth:" + the token id.
inline constexpr char kOAuthCredentialPrefix[] = "oauth:";

// Routes names that start with a registered prefix ("oauth:") to another
// source, without the prefix; every other name to the default source.
class CredentialRouter final : public CredentialSource {
 public:
  explicit CredentialRouter(CredentialSource& fallback) : fallback_(fallback) {}
  // Build before use; not thread-safe against lookups.
  void Add(std::string prefix, CredentialSource& source) {
    routes_.emplace_back(std::move(prefix), &source);
  }

  Result<Injection> Resolve(const std::string& account_id, const std::string& name) override {
    std::string rest;
    return Pick(name, &rest).Resolve(account_id, rest);
  }
  Status Exists(const std::string& account_id, const std::string& name) override {
    std::string rest;
    return Pick(name, &rest).Exists(account_id, rest);
  }
  Status RecordUses(SqlExecutor& tx, const std::string& account_id, const std::string& name,
                    int64_t count, TimePoint last_used) override {
    std::string rest;
    return Pick(name, &rest).RecordUses(tx, account_id, rest, count, last_used);
  }

 private:
  CredentialSource& Pick(const std::string& name, std::string* rest) {
    for (auto& [prefix, source] : routes_) {
      if (name.rfind(prefix, 0) == 0) {
        *rest = name.substr(prefix.size());
        return *source;
      }
    }
    *rest = name;
    return fallback_;
  }

  CredentialSource& fallback_;
  std::vector<std::pair<std::string, CredentialSource*>> routes_;
};

}  // namespace latchkey
