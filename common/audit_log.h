// AuditLog: the append-only, hash-chained record of what callers did.
//
// Events belong to a chain: an account's id, or "system" for operator
// actions that outlive an account (account.delete). Each event stores the
// SHA-256 of its own fields and of the previous event's hash in the same
// chain, so an edited, removed or reordered row breaks Verify().
//
// Append() runs inside the caller's transaction: if the event cannot be
// written, the operation it records fails with it (fail closed). Events
// never hold secret values: callers pass ids, names and outcomes only.
//
// Thread-safety: safe for concurrent use; concurrent appends to one chain
// serialize on the database's write lock (and a unique (chain, seq) key).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/database.h"
#include "common/migrations.h"

namespace latchkey {

inline constexpr char kSystemChain[] = "system";

// Who did it and from where; passed down from the HTTP layer with every
// operation that is audited.
struct AuditContext {
  std::string actor;  // API key id, or "admin"
  std::string request_id;
  std::string client_address;
};

struct AuditEvent {
  std::string id;          // "evt_..."; set by Append
  std::string account_id;  // chain: an account id or kSystemChain
  int64_t seq = 0;         // 1, 2, ... within the chain; set by Append
  TimePoint time;          // set by Append from the clock
  std::string actor;       // API key id, or "admin"
  std::string action;      // "account.create", "api_key.revoke", ...
  std::string resource;    // id of what was acted on
  std::string outcome;     // "success", "denied", "failure"
  std::string request_id;
  std::string client_address;
  std::vector<std::pair<std::string, std::string>> details;  // non-secret context
  std::string prev_hash;                                     // set by Append
  std::string hash;                                          // set by Append

  // An event in `account_id`'s chain, attributed to the caller in `ctx`.
  static AuditEvent For(const AuditContext& ctx, std::string account_id, std::string action,
                        std::string resource, std::string outcome = "success") {
    AuditEvent e;
    e.account_id = std::move(account_id);
    e.actor = ctx.actor;
    e.action = std::move(action);
    e.resource = std::move(resource);
    e.outcome = std::move(outcome);
    e.request_id = ctx.request_id;
    e.client_address = ctx.client_address;
    return e;
  }
};

struct AuditFilter {
  std::string account_id;  // chain to read (required)
  std::optional<std::string> action;
  std::optional<std::string> resource;
  std::optional<TimePoint> since;     // inclusive
  std::optional<TimePoint> until;     // exclusive
  int limit = 100;                    // 1..1000
  std::optional<int64_t> before_seq;  // cursor: events with seq < this
};

struct AuditPage {
  std::vector<AuditEvent> events;      // newest first
  std::optional<int64_t> next_cursor;  // pass as before_seq for the next page
};

struct AuditVerification {
  bool ok = true;
  int64_t count = 0;                       // events checked
  std::optional<AuditEvent> first_broken;  // set when !ok
  std::string reason;                      // why it is broken
};

// Sees events as they are appended, inside the appending transaction (the
// webhook outbox, the usage rollups): every event of one Append or
// AppendAll at once, in order. An error fails the append, and so the
// change it records.
class AuditObserver {
 public:
  virtual ~AuditObserver() = default;
  virtual Status OnAppend(SqlExecutor& tx, const std::vector<AuditEvent>& events) const = 0;
};

class AuditLog {
 public:
  explicit AuditLog(const Clock& clock) : clock_(clock) {}

  // Called at startup, before any append; `observer` outlives the log's
  // use. ClearObservers before observers go away.
  void AddObserver(const AuditObserver* observer) { observers_.push_back(observer); }
  void ClearObservers() { observers_.clear(); }

  static const std::vector<Migration>& Migrations();

  // Appends `event` to its chain inside `tx`; returns the stored event.
  Result<AuditEvent> Append(SqlExecutor& tx, AuditEvent event) const;
  // Appends each of `events`, in order, inside `tx`, reading each chain's
  // head once however many of its events there are (a group commit).
  Status AppendAll(SqlExecutor& tx, std::vector<AuditEvent>& events) const;

  Result<AuditPage> List(SqlExecutor& exec, const AuditFilter& filter) const;

  // Walks the chain from the first event and recomputes every hash.
  Result<AuditVerification> Verify(SqlExecutor& exec, const std::string& account_id) const;

  // Removes a whole chain (used when an account and all its data are deleted).
  Status DeleteChain(SqlExecutor& tx, const std::string& account_id) const;

  // The hash Append stores for `event` whose details serialize to
  // `details_json` (exposed for tests).
  static std::string ComputeHash(const AuditEvent& event, std::string_view details_json);

 private:
  const Clock& clock_;
  std::vector<const AuditObserver*> observers_;
};

}  // namespace latchkey
