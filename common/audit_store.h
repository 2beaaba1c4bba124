// AuditStore: the SQL behind the audit log (audit_log.h). Stateless; every
// function runs on the executor it is given, so an event is appended inside
// the transaction of the change it records.
//
// Thread-safety: stateless; see SqlExecutor.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/audit_log.h"
#include "common/database.h"
#include "common/migrations.h"

namespace latchkey {

class AuditStore {
 public:
  static const std::vector<Migration>& Migrations();

  // An event as stored: its details are the JSON text that was hashed.
  struct StoredEvent {
    AuditEvent event;
    std::string details_json;
  };
  // The last event of a chain.
  struct ChainHead {
    int64_t seq = 0;
    std::string hash;
  };

  // Takes the chain's lock for the rest of `tx` (concurrent writers, such as
  // replicas on PostgreSQL, take turns), then reads its last event; nullopt
  // for an empty chain.
  static Result<std::optional<ChainHead>> LockHead(SqlExecutor& tx, const std::string& account_id);
  static Status Insert(SqlExecutor& tx, const AuditEvent& event, const std::string& details_json);
  // Events matching `f` (its limit is ignored), newest first, at most `limit`.
  static Result<std::vector<StoredEvent>> List(SqlExecutor& exec, const AuditFilter& f,
                                               int64_t limit);
  // The whole chain, oldest first.
  static Result<std::vector<StoredEvent>> Chain(SqlExecutor& exec, const std::string& account_id);
  static Status DeleteChain(SqlExecutor& tx, const std::string& account_id);
};

}  // namespace latchkey
