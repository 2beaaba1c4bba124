// HealthStore: the SQL behind health checks. Stateless; see SqlExecutor.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/database.h"
#include "common/migrations.h"

namespace latchkey {

enum class HealthStatus { kUnknown, kHealthy, kUnhealthy, kExpiringSoon };
std::string_view HealthStatusName(HealthStatus s);

struct Health {
  HealthStatus status = HealthStatus::kUnknown;
  std::optional<TimePoint> checked_at;
  std::string last_error;  // why the last test failed; empty when it passed
  int64_t latency_ms = 0;
};
// One credential's check and its last outcome.
struct HealthRow {
  std::string account_id;
  std::string credential;  // the proxy's name for it
  std::string kind;        // "provider", "secret", "oauth"
  std::string provider;    // the key's or OAuth connection's provider; "" for a secret
  std::string url;         // a secret's check URL; "" otherwise
  int expect_status = 0;
  Health health;
  TimePoint next_check_at;
};

class HealthStore {
 public:
  static const std::vector<Migration>& Migrations();
  static const std::vector<std::string>& OwnedTables();

  // Inserts the row, or (for an existing one) updates its kind, provider
  // and check, keeping its health and schedule (a replaced key keeps its
  // last health until its next test).
  static Status Upsert(SqlExecutor& tx, const HealthRow& row);
  // Brings the row's next test forward to `at` if it is due later.
  static Status TestNoLaterThan(SqlExecutor& tx, const std::string& account_id,
                                const std::string& credential, TimePoint at);
  static Status Delete(SqlExecutor& tx, const std::string& account_id,
                       const std::string& credential);
  static Result<std::optional<HealthRow>> Get(SqlExecutor& exec, const std::string& account_id,
                                              const std::string& credential);
  static Result<std::vector<HealthRow>> ForAccount(SqlExecutor& exec,
                                                   const std::string& account_id);
  // Up to `limit` rows due at `now` (with a test to make) whose lease is
  // free, each claimed for `owner` until `lease_until`.
  static Result<std::vector<HealthRow>> ClaimDue(Database& db, TimePoint now, int limit,
                                                 const std::string& owner, TimePoint lease_until);
  // Records a test's outcome and the next one; releases the lease.
  static Status Record(SqlExecutor& tx, const HealthRow& row);
};

}  // namespace latchkey
