// OAuthTokenStore: the SQL behind OAuthTokens. Stateless; every function
// runs on the executor it is given, so callers compose them inside one
// transaction (a write and its audit event commit together).
//
// Refresh leases: Claim is a conditional UPDATE that succeeds for one
// replica only; it also moves next_refresh_at to the lease's end, so a
// holder that dies leaves the token due again when the lease runs out. The
// writes that end a refresh (CommitRefresh, MarkNeedsReauth, ScheduleRetry)
// apply only while `owner` still holds the lease and release it; they
// return false when the lease was lost or the token deleted.
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
#include "services/oauth/token_filter.h"
#include "services/oauth/token_status.h"

namespace latchkey {

// One oauth_tokens row. Times are whole Unix seconds, as stored.
struct TokenRow {
  std::string id;
  std::string account_id;
  std::string provider;
  std::string identifier_id;
  std::string resource;  // the provider id
  std::vector<std::string> scopes;
  TokenStatus status = TokenStatus::kActive;  // only kActive or kNeedsReauth
  Bytes sealed;                               // TokenSecrets, sealed
  bool refreshable = false;
  std::optional<int64_t> expires_at;       // null: does not expire
  std::optional<int64_t> next_refresh_at;  // null: nothing to refresh
  std::optional<std::string> lease_owner;
  std::optional<int64_t> lease_until;
  int64_t failures = 0;  // transient refresh failures since the last success
  std::string metadata;  // JSON object text
  int64_t created_at = 0;
  std::optional<int64_t> last_refreshed_at;
  // ConnectionKey (oauth_tokens.cc) of the row's account, provider,
  // identifier and kind: unique, so one connection is one row. Null on
  // rows stored before connections were kept (they get it when replaced).
  std::optional<std::string> connection_key;
};

// What a successful refresh writes over the row.
struct RefreshedToken {
  Bytes sealed;
  std::optional<int64_t> expires_at;
  std::optional<int64_t> next_refresh_at;
  int64_t refreshed_at = 0;
  std::vector<std::string> scopes;
};

class OAuthTokenStore {
 public:
  static const std::vector<Migration>& Migrations();
  // Tables whose rows belong to an account (removed with it).
  static const std::vector<std::string>& OwnedTables();

  // Inserts `row` as given.
  static Status Insert(SqlExecutor& tx, const TokenRow& row);
  // Writes a new grant over the row with `row.id` in `row.account_id`:
  // everything but its id, provider, identifier and created_at; releases
  // any refresh lease (a refresh in flight then finds it lost). NotFound
  // when there is no such row.
  static Status Replace(SqlExecutor& tx, const TokenRow& row);
  // The row carrying `key` (a unique index); nullopt when none does.
  static Result<std::optional<TokenRow>> GetByConnectionKey(SqlExecutor& exec,
                                                            const std::string& key);
  // nullopt if there is no such token (in any account). DataLoss for a row
  // whose status this code does not know.
  static Result<std::optional<TokenRow>> Get(SqlExecutor& exec, const std::string& id);
  // The account's tokens matching `filter`, newest first (created_at, then
  // id, both descending).
  static Result<std::vector<TokenRow>> List(SqlExecutor& exec, const std::string& account_id,
                                            const TokenFilter& filter);
  // The account's tokens for one provider and identifier, newest first
  // (at most 100: every kind, and duplicates stored before connections).
  static Result<std::vector<TokenRow>> ListConnection(SqlExecutor& exec,
                                                      const std::string& account_id,
                                                      const std::string& provider,
                                                      const std::string& identifier_id);
  // False if the account has no such token.
  static Result<bool> Delete(SqlExecutor& tx, const std::string& account_id, const std::string& id);

  // Takes the refresh lease until `lease_until` for `owner`. False when
  // the token is not due at `now`, needs reauthorization, or another
  // owner's lease is still running (or the token is gone).
  static Result<bool> Claim(SqlExecutor& exec, const std::string& id, const std::string& owner,
                            int64_t now, int64_t lease_until);
  // Writes the new grant, status active and no failures; releases the lease.
  static Result<bool> CommitRefresh(SqlExecutor& tx, const std::string& id,
                                    const std::string& owner, const RefreshedToken& refreshed);
  // Status needs_reauth and nothing more to refresh; releases the lease.
  static Result<bool> MarkNeedsReauth(SqlExecutor& tx, const std::string& id,
                                      const std::string& owner);
  // Records the failure count and when to try again; releases the lease.
  static Result<bool> ScheduleRetry(SqlExecutor& tx, const std::string& id,
                                    const std::string& owner, int64_t failures, int64_t retry_at);

  // Up to `limit` ids due at `now`, earliest first, found through the
  // next_refresh_at index (no pass scans the table).
  static Result<std::vector<std::string>> DueIds(SqlExecutor& exec, int64_t now, int64_t limit);
  // The earliest next_refresh_at of any token; nullopt when none has one.
  static Result<std::optional<int64_t>> NextDue(SqlExecutor& exec);

  // Records when the proxy last used the token; a no-op for another
  // account's or a deleted token.
  static Status RecordUse(SqlExecutor& tx, const std::string& account_id, const std::string& id,
                          int64_t used_at);
};

}  // namespace latchkey
