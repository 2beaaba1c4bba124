// OAuthFlowStore: the SQL behind OAuthFlows (authorization sessions).
// Stateless; every function runs on the executor it is given, so callers
// compose them inside one transaction.
//
// A session moves forward only: created, started (Authorize bound a state
// and verifier to it), completed (a callback or exchange consumed it).
// Start and Complete are conditional updates, so of two racing requests
// exactly one sees true.
//
// Thread-safety: stateless; see SqlExecutor.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/crypto.h"
#include "common/database.h"
#include "common/migrations.h"
#include "services/oauth/oauth_flows.h"

namespace latchkey {

// One oauth_sessions row. Times are whole Unix seconds, as stored.
struct OAuthSessionRow {
  std::string id;
  std::string account_id;
  std::string provider;
  std::string identifier_id;
  std::string redirect_uri;
  std::vector<std::string> scopes;
  std::optional<std::vector<std::string>> user_scopes;  // Slack's user_scope
  CodeDelivery delivery = CodeDelivery::kRedirect;
  std::optional<Bytes> sealed_verifier;  // set by Start when the flow uses PKCE
  int64_t created_at = 0;
  int64_t expires_at = 0;
  bool started = false;
  bool completed = false;
};

class OAuthFlowStore {
 public:
  static const std::vector<Migration>& Migrations();
  // Tables whose rows belong to an account (removed with it).
  static const std::vector<std::string>& OwnedTables();

  // Inserts a new, unstarted session.
  static Status Insert(SqlExecutor& tx, const OAuthSessionRow& session);
  // nullopt if there is no such session.
  static Result<std::optional<OAuthSessionRow>> Get(SqlExecutor& exec, const std::string& id);
  // The session whose state hashes to `state_hash`; nullopt if none.
  static Result<std::optional<OAuthSessionRow>> FindByStateHash(SqlExecutor& exec,
                                                                const std::string& state_hash);
  // Binds the state (by its hash) and the sealed verifier; false if the
  // session was started already.
  static Result<bool> Start(SqlExecutor& tx, const std::string& id, int64_t started_at,
                            const std::string& state_hash,
                            const std::optional<Bytes>& sealed_verifier);
  // Marks the session used; false if it was already.
  static Result<bool> Complete(SqlExecutor& exec, const std::string& id, int64_t completed_at);
  // Deletes sessions that expired before `cutoff`; returns how many.
  static Result<int64_t> PurgeExpiredBefore(SqlExecutor& exec, int64_t cutoff);
};

}  // namespace latchkey
