// HealthService: whether each stored credential still works.
//
// Every provider key, OAuth connection and typed secret with a check gets
// a row when it is stored (the service observes the audit log, so rows
// follow the changes in their own transactions) and is tested every
// `interval` (6 h by default), the first test spread at random over one
// interval so that many credentials never fire together; each test is
// claimed with a lease, so N replicas test each credential once. A test is
// a cheap authenticated GET made through the proxy (same host rules,
// address checks and audit as any call; the value is never seen here):
// listing models for LLM keys, the user's profile for OAuth connections,
// and the operator's URL for a secret. Turning unhealthy raises
// credential.unhealthy; passing again, credential.recovered.
//
// Thread-safety: safe for concurrent use; set_prober before the first test.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/audit_log.h"
#include "common/clock.h"
#include "common/database.h"
#include "common/migrations.h"
#include "services/events/health_store.h"

namespace latchkey {

// One test to make: through the proxy, with `credential`, GET either
// `path` under the credential's base URL or the absolute `url`.
struct HealthProbe {
  std::string account_id;
  std::string credential;  // "openai", a secret's name, "oauth:otk_..."
  std::string path;        // "v1/models"
  std::string url;         // a secret's check URL
  int expect_status = 0;   // 0: any 2xx
  bool slack_ok = false;   // Slack answers 200 with {"ok": false} for a bad token
  std::string actor;       // who asked (an API key id); empty for the schedule's tests
};

struct ProbeResult {
  int status = 0;     // the upstream's status; 0 when it never answered
  std::string body;   // the first few KiB
  std::string error;  // our refusal or the transfer's failure
  int64_t latency_ms = 0;
};

using Prober = std::function<ProbeResult(const HealthProbe&)>;

struct HealthOptions {
  std::chrono::seconds interval{6 * 3600};
  std::string owner = "local";  // this replica, in the leases it takes
  int batch = 20;               // tests per pass
  std::chrono::seconds lease{120};
  std::function<double()> jitter;  // 0..1; random unless a test fixes it
};

// A secret's health check: GET `url` with the secret injected; healthy on
// `expect_status`, or on any 2xx when it is 0.
struct SecretCheck {
  std::string url;
  int expect_status = 0;
};

class HealthService final : public AuditObserver {
 public:
  HealthService(Database& db, AuditLog& audit, const Clock& clock, HealthOptions options);

  static const std::vector<Migration>& Migrations();
  static const std::vector<std::string>& OwnedTables();

  void set_prober(Prober prober) { prober_ = std::move(prober); }

  // Keeps the rows in step with stored credentials, inside `tx`.
  Status OnAppend(SqlExecutor& tx, const std::vector<AuditEvent>& events) const override;

  // Tests `credential` now ("provider", "secret" or "oauth" `kind`;
  // `provider` names the OAuth provider or the key's provider) and returns
  // its health. FailedPrecondition for a secret without a check or a
  // provider without a test.
  Result<Health> TestNow(const std::string& account_id, const std::string& kind,
                         const std::string& credential, const std::string& provider,
                         const AuditContext& ctx);
  // Gives a secret a check (GET `url`, expecting `expect_status` or any 2xx).
  Status SetSecretCheck(const std::string& account_id, const std::string& name,
                        const std::string& url, int expect_status, const AuditContext& ctx);
  // Takes a secret's check away: its health goes back to unknown and it is
  // no longer tested. Nothing happens (or is audited) if it had none.
  Status RemoveSecretCheck(const std::string& account_id, const std::string& name,
                           const AuditContext& ctx);
  // InvalidArgument unless SetSecretCheck would take `url` and
  // `expect_status` (0: any 2xx), so a caller can check before other writes.
  static Status ValidateSecretCheck(const std::string& url, int expect_status);
  // The account's secrets' checks, by secret name (secrets without one are
  // left out).
  Result<std::map<std::string, SecretCheck>> SecretChecks(const std::string& account_id);
  // Each credential's health in the account, by credential name.
  Result<std::map<std::string, Health>> ForAccount(const std::string& account_id);
  // Makes the tests due now; returns how many.
  Result<int> RunDue();

 private:
  // `actor`: the caller who asked for the test, or empty (the schedule).
  Result<Health> Run(const HealthRow& row, const std::string& actor = "");
  double Jitter() const;

  Database& db_;
  AuditLog& audit_;
  const Clock& clock_;
  const HealthOptions options_;
  Prober prober_;
};

}  // namespace latchkey
