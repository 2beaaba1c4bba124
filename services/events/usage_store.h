// UsageStore: the SQL behind usage rollups and limits. Stateless; each
// function runs on the executor it is given (the rollups are written inside
// the transaction that appends the audit events they count).
//
// Thread-safety: stateless; see SqlExecutor.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/database.h"
#include "common/migrations.h"

namespace latchkey {

// Upper bounds (ms) of the latency buckets; the last bucket is unbounded.
inline constexpr std::array<int64_t, 11> kLatencyBoundsMs = {5,   10,   25,   50,   100,  250,
                                                             500, 1000, 2500, 5000, 10000};
inline constexpr size_t kLatencyBuckets = kLatencyBoundsMs.size() + 1;

// What was counted for one subject in one bucket.
struct UsageCounts {
  int64_t calls = 0;
  int64_t denied = 0;      // refused by us (policy, limit)
  int64_t errors_4xx = 0;  // the upstream answered 4xx
  int64_t errors_5xx = 0;  // the upstream answered 5xx
  int64_t failures = 0;    // no answer (network, timeout) or a failed tool call
  int64_t bytes_in = 0;    // request bytes sent upstream
  int64_t bytes_out = 0;   // response bytes returned
  std::array<int64_t, kLatencyBuckets> latency{};  // calls per latency bucket

  void Add(const UsageCounts& o);
};

// Which rollup: by credential, by API key, by MCP tool, by OAuth token.
struct UsageKey {
  std::string account_id;
  std::string kind;     // "credential", "api_key", "mcp_tool", "oauth_token"
  std::string subject;  // the credential's name, the key's id, the tool's name, the token's id
  bool operator<(const UsageKey& o) const;
};

struct UsageRow {
  UsageKey key;
  std::string granularity;  // "hour" or "day"
  int64_t bucket = 0;       // unix seconds of the bucket's start
  UsageCounts counts;
};

struct UsageLimit {
  std::string account_id;
  std::string kind;  // "credential" or "api_key"
  std::string subject;
  int64_t max_calls_per_day = 0;
  std::optional<int64_t> notified_day;  // the day whose limit_reached event was raised
};

// A row's place in Query's order.
struct UsagePosition {
  int64_t bucket = 0;
  std::string kind;
  std::string subject;
};

class UsageStore {
 public:
  static const std::vector<Migration>& Migrations();
  static const std::vector<std::string>& OwnedTables();

  // Adds `row`'s counts to its bucket (creating it).
  static Status Add(SqlExecutor& tx, const UsageRow& row);
  // Buckets of `granularity` in [from, to), newest first (bucket, then
  // kind and subject, all descending), at most `limit`, only those after
  // `after` in that order; kind and subject filter when not empty.
  static Result<std::vector<UsageRow>> Query(SqlExecutor& exec, const std::string& account_id,
                                             const std::string& kind, const std::string& subject,
                                             const std::string& granularity, int64_t from,
                                             int64_t to, const std::optional<UsagePosition>& after,
                                             int64_t limit);
  // Calls made (not denied) in the day bucket starting at `day`.
  static Result<int64_t> CallsInDay(SqlExecutor& exec, const UsageKey& key, int64_t day);
  // Drops hour buckets before `hours_before` and day buckets before
  // `days_before`; returns how many rows went.
  static Result<int64_t> Purge(SqlExecutor& tx, int64_t hours_before, int64_t days_before);

  static Status PutLimit(SqlExecutor& tx, const UsageLimit& limit);
  static Result<bool> DeleteLimit(SqlExecutor& tx, const std::string& account_id,
                                  const std::string& kind, const std::string& subject);
  static Result<std::vector<UsageLimit>> Limits(SqlExecutor& exec, const std::string& account_id);
  static Result<std::vector<UsageLimit>> AllLimits(SqlExecutor& exec);
  // Marks `day` notified; false if it already was (by this or another replica).
  static Result<bool> MarkNotified(SqlExecutor& tx, const UsageLimit& limit, int64_t day);
};

}  // namespace latchkey
