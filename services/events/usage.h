// UsageService: calls per credential, API key, MCP tool and OAuth token,
// kept as hour and day rollups, and daily call limits.
//
// The rollups are written by observing the audit log (AuditObserver): each
// batch of audit events adds its proxy calls, tool calls and token fetches
// to their buckets in the same transaction, so the counts equal what the
// audit log records, refused calls included, without scanning it. Hours
// are kept 7 days, days 90 (Purge).
//
// Limits: a credential or an API key may make at most N proxy calls per UTC
// day. Admit counts from the day's rollup, re-read every `refresh`, plus the
// calls this process admitted since; with several replicas a limit can be
// overshot by what the others admit within one refresh. The first refusal
// of a day raises one usage.limit_reached event (across replicas).
//
// Thread-safety: safe for concurrent use.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/audit_log.h"
#include "common/audit_writer.h"
#include "common/clock.h"
#include "common/database.h"
#include "services/events/usage_store.h"

namespace latchkey {

struct UsageQuery {
  std::string kind;     // "credential", "api_key", "mcp_tool", "oauth_token", or "" for all
  std::string subject;  // "" for all
  std::string granularity = "day";
  std::optional<TimePoint> from;  // default: 7 days (day) or 24 hours (hour) before `to`
  std::optional<TimePoint> to;    // default: now
  // Paging: rows after this one in the newest-first order, at most `limit`.
  std::optional<UsagePosition> after;
  int64_t limit = 10000;
};

// A limit as shown: the rule and what was used of it today.
struct UsageLimitView {
  UsageLimit limit;
  int64_t used_today = 0;
};

class UsageService final : public AuditObserver {
 public:
  // `writer` (optional) is synced before a count is re-read, so calls it
  // still holds are counted.
  UsageService(Database& db, AuditLog& audit, const Clock& clock, AuditWriter* writer,
               std::chrono::seconds refresh = std::chrono::seconds(5));

  static const std::vector<Migration>& Migrations() { return UsageStore::Migrations(); }
  static const std::vector<std::string>& OwnedTables() { return UsageStore::OwnedTables(); }

  // The rollups: adds the calls in `events` to their buckets inside `tx`.
  Status OnAppend(SqlExecutor& tx, const std::vector<AuditEvent>& events) const override;

  // InvalidArgument for an unknown kind or granularity, or a range past
  // what is kept.
  Result<std::vector<UsageRow>> Query(const std::string& account_id, const UsageQuery& q);

  // Sets (or with nullopt removes) the daily limit of a "credential" or
  // "api_key" subject; NotFound removing one that is not set.
  Status SetLimit(const std::string& account_id, const std::string& kind,
                  const std::string& subject, std::optional<int64_t> max_calls_per_day,
                  const AuditContext& ctx);
  Result<std::vector<UsageLimitView>> Limits(const std::string& account_id);

  // OK if a proxy call with `credential` by API key `key_id` is within every
  // limit that applies (and counts it); otherwise ResourceExhausted with a
  // retry_after of the time to the day's end.
  Status Admit(const std::string& account_id, const std::string& credential,
               const std::string& key_id);

  // Drops buckets older than they are kept; returns how many.
  Result<int64_t> Purge();

  // The upper bound (ms) of the latency bucket holding quantile `q` of the
  // calls; 0 with no timed calls (the unbounded bucket reports its lower
  // bound).
  static int64_t LatencyPercentileMs(const UsageCounts& counts, double q);

 private:
  struct Counter {
    int64_t day = -1;   // the UTC day counted
    int64_t base = 0;   // the rollup's count when last read
    int64_t local = 0;  // admitted here since
    TimePoint read_at;
  };
  Status LoadLimits(TimePoint now);  // mu_ held
  Status Refused(const UsageLimit& limit, int64_t day, TimePoint now);

  Database& db_;
  AuditLog& audit_;
  const Clock& clock_;
  AuditWriter* writer_;
  const std::chrono::seconds refresh_;

  std::mutex mu_;                                          // guards the members below
  std::map<std::string, std::vector<UsageLimit>> limits_;  // by account
  std::optional<TimePoint> limits_read_at_;
  std::map<UsageKey, Counter> counters_;
};

}  // namespace latchkey
