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
  // Query parameters appended to the target URL (name, raw value).
  std::vector<std::pair<std::string, std::string>> query;
  // Host patterns the request may go to ("api.example.com", "*.example.com").
  std::vector<std::string> allowed_hosts;
  // Every secret string in the injection, as an upstream might echo it back.
  std::vector<std::string> secrets;
};

class CredentialSource {
 public:
  virtual ~CredentialSource() = default;
  // NotFound if the account has no credential by that name.
  virtual Result<Injection> Resolve(const std::string& account_id, const std::string& name) = 0;
  // Adds `count` uses of the credential, the last at `last_used`, inside
  // the caller's transaction. A credential deleted meanwhile is skipped.
  virtual Status RecordUses(SqlExecutor& tx, const std::string& account_id,
                            const std::string& name, int64_t count, TimePoint last_used) = 0;
};

}  // namespace latchkey
