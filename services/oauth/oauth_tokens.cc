#include "services/oauth/oauth_tokens.h"

#include <algorithm>
#include <atomic>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "common/ids.h"

namespace latchkey {
namespace {

using Json = nlohmann::json;

constexpr char kSealKind[] = "oauth_token";
constexpr char kColumns[] =
    "id, account_id, provider, identifier_id, resource, scopes, status, sealed, refreshable,"
    " expires_at, next_refresh_at, lease_owner, lease_until, failures, metadata, created_at,"
    " last_refreshed_at";

SqlValue OptionalInt(const std::optional<int64_t>& v) { return v ? SqlValue(*v) : SqlValue(); }

// Uniform in [0, 1), per thread; for jitter only.
double Jitter() {
  thread_local std::minstd_rand rng([] {
    uint32_t seed;
    PublicRandomBytes(reinterpret_cast<uint8_t*>(&seed), sizeof(seed));
    return seed;
  }());
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

// The sealed part of a token row.
struct Secrets {
  std::string access_token;
  std::string refresh_token;
  std::string token_type;
  ~Secrets() {
    SecureWipe(access_token.data(), access_token.size());
    SecureWipe(refresh_token.data(), refresh_token.size());
  }
};

std::string EncodeSecrets(const Secrets& s) {
  Json j = {{"a", s.access_token}, {"r", s.refresh_token}, {"t", s.token_type}};
  std::string text = j.dump();
  WipeJsonStrings(j);
  return text;
}

Result<Secrets> DecodeSecrets(std::string_view text) {
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j["a"].is_string() || !j["r"].is_string() ||
      !j["t"].is_string()) {
    return DataLoss("a sealed OAuth token is malformed");
  }
  Secrets s;
  s.access_token = j["a"].get<std::string>();
  s.refresh_token = j["r"].get<std::string>();
  s.token_type = j["t"].get<std::string>();
  WipeJsonStrings(j);
  return s;
}

}  // namespace

struct OAuthTokens::Flight {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  Status status;
};

struct OAuthTokens::Row {
  std::string id;
  std::string account_id;
  std::string provider;
  std::string identifier_id;
  std::string resource;
  std::vector<std::string> scopes;
  std::string status;
  Bytes sealed;
  bool refreshable = false;
  std::optional<int64_t> expires_at;
  std::optional<int64_t> next_refresh_at;
  std::optional<std::string> lease_owner;
  std::optional<int64_t> lease_until;
  int64_t failures = 0;
  std::string metadata;
  int64_t created_at = 0;
  std::optional<int64_t> last_refreshed_at;

  static Row From(const latchkey::Row& r) {
    Row row;
    row.id = r.Text(0);
    row.account_id = r.Text(1);
    row.provider = r.Text(2);
    row.identifier_id = r.Text(3);
    row.resource = r.Text(4);
    row.scopes = ParseScopeList(r.Text(5));
    row.status = r.Text(6);
    row.sealed = r.Blob(7);
    row.refreshable = r.Int(8) != 0;
    if (!r.IsNull(9)) row.expires_at = r.Int(9);
    if (!r.IsNull(10)) row.next_refresh_at = r.Int(10);
    if (!r.IsNull(11)) row.lease_owner = r.Text(11);
    if (!r.IsNull(12)) row.lease_until = r.Int(12);
    row.failures = r.Int(13);
    row.metadata = r.Text(14);
    row.created_at = r.Int(15);
    if (!r.IsNull(16)) row.last_refreshed_at = r.Int(16);
    return row;
  }
};

OAuthTokens::OAuthTokens(Database& db, Envelope& envelope, AuditLog& audit, const Clock& clock,
                         const OAuthProviders& providers, OAuthClients& clients,
                         const TokenEndpoint& endpoint, OAuthTokenOptions options)
    : db_(db),
      envelope_(envelope),
      audit_(audit),
      clock_(clock),
      providers_(providers),
      clients_(clients),
      endpoint_(endpoint),
      options_(std::move(options)) {
  if (options_.owner.empty()) options_.owner = NewId("own");
  options_.refresh_workers = std::max(1, options_.refresh_workers);
  options_.batch = std::max(1, options_.batch);
}

const std::vector<Migration>& OAuthTokens::Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1,
       "CREATE TABLE oauth_tokens ("
       " id TEXT PRIMARY KEY,"
       " account_id TEXT NOT NULL,"
       " provider TEXT NOT NULL,"
       " identifier_id TEXT NOT NULL,"
       " resource TEXT NOT NULL,"
       " scopes TEXT NOT NULL,"
       " status TEXT NOT NULL,"
       " sealed ${BLOB} NOT NULL,"
       " refreshable INTEGER NOT NULL,"
       " expires_at ${BIGINT},"
       " next_refresh_at ${BIGINT},"
       " lease_owner TEXT,"
       " lease_until ${BIGINT},"
       " failures INTEGER NOT NULL DEFAULT 0,"
       " metadata TEXT NOT NULL,"
       " created_at ${BIGINT} NOT NULL,"
       " last_refreshed_at ${BIGINT},"
       " last_used_at ${BIGINT});"
       // The scheduler's only way in: no pass scans the table.
       "CREATE INDEX oauth_tokens_due ON oauth_tokens (next_refresh_at);"
       "CREATE INDEX oauth_tokens_identifier ON oauth_tokens (account_id, identifier_id)"},
  };
  return kMigrations;
}

std::vector<std::string> OAuthTokens::OwnedTables() { return {"oauth_tokens"}; }

std::optional<int64_t> OAuthTokens::NextRefresh(TimePoint now, std::optional<int64_t> expires_in,
                                                bool refreshable) const {
  if (!expires_in || !refreshable) return std::nullopt;
  int64_t margin = std::min<int64_t>(options_.refresh_margin.count(), *expires_in / 2);
  int64_t jitter = static_cast<int64_t>(Jitter() * static_cast<double>(margin / 5 + 1));
  return ToUnix(now) + std::max<int64_t>(0, *expires_in - margin - std::min(jitter, margin / 5));
}

Result<std::vector<std::string>> OAuthTokens::Store(SqlExecutor& tx, const std::string& account_id,
                                                    const OAuthProvider& provider,
                                                    const std::string& identifier_id,
                                                    const TokenGrant& grant,
                                                    const std::vector<std::string>& requested,
                                                    const AuditContext& ctx) {
  TimePoint now = clock_.Now();
  std::vector<std::string> ids;
  for (const TokenGrant* g = &grant; g != nullptr; g = g->user.get()) {
    std::string id = NewId("otk");
    Secrets s;
    s.access_token = g->access_token;
    s.refresh_token = g->refresh_token;
    s.token_type = g->token_type;
    std::string plain = EncodeSecrets(s);
    auto sealed = envelope_.Seal(tx, account_id, kSealKind, id, plain);
    SecureWipe(plain.data(), plain.size());
    RETURN_IF_ERROR(sealed.status());
    bool refreshable = !g->refresh_token.empty();
    std::optional<int64_t> expires_at;
    if (g->expires_in) expires_at = ToUnix(now) + *g->expires_in;
    const std::vector<std::string>& scopes = g->scopes.empty() ? requested : g->scopes;
    RETURN_IF_ERROR(
        tx.Execute("INSERT INTO oauth_tokens (id, account_id, provider, identifier_id, resource,"
                   " scopes, status, sealed, refreshable, expires_at, next_refresh_at, failures,"
                   " metadata, created_at, last_refreshed_at)"
                   " VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, 0, ?, ?, NULL)",
                   {id, account_id, provider.id, identifier_id, provider.id, ScopeListJson(scopes),
                    *sealed, int64_t{refreshable}, OptionalInt(expires_at),
                    OptionalInt(NextRefresh(now, g->expires_in, refreshable)), g->metadata_json,
                    ToUnix(now)})
            .status());
    AuditEvent e = AuditEvent::For(ctx, account_id, "oauth.token.create", id);
    e.details = {{"provider", provider.id}, {"identifierId", identifier_id}};
    RETURN_IF_ERROR(audit_.Append(tx, e).status());
    ids.push_back(std::move(id));
  }
  return ids;
}

void OAuthTokens::SetOnStored(std::function<void()> hook) {
  std::lock_guard<std::mutex> lock(mu_);
  on_stored_ = std::move(hook);
}

void OAuthTokens::NotifyStored() {
  std::function<void()> hook;
  {
    std::lock_guard<std::mutex> lock(mu_);
    hook = on_stored_;
  }
  if (hook) hook();
}

Result<OAuthTokens::Row> OAuthTokens::Load(SqlExecutor& exec, const std::string& id) {
  ASSIGN_OR_RETURN(
      auto rows,
      exec.Query(std::string("SELECT ") + kColumns + " FROM oauth_tokens WHERE id = ?", {id}));
  if (rows.empty()) return NotFound("no OAuth token " + id);
  return Row::From(rows[0]);
}

std::string OAuthTokens::DisplayStatus(const Row& row, TimePoint now) const {
  bool expired = row.expires_at && *row.expires_at <= ToUnix(now);
  if (row.status == "needs_reauth") return row.status;
  if (expired && !row.refreshable) return "expired";
  if (expired && row.failures > 0) return "refresh_failing";
  return row.status;
}

OAuthTokenInfo OAuthTokens::Info(const Row& row, TimePoint now) const {
  OAuthTokenInfo info;
  info.id = row.id;
  info.provider = row.provider;
  info.identifier_id = row.identifier_id;
  info.resource = row.resource;
  info.scopes = row.scopes;
  info.status = DisplayStatus(row, now);
  if (row.expires_at) info.expires_at = FromUnix(*row.expires_at);
  info.created_at = FromUnix(row.created_at);
  if (row.last_refreshed_at) info.last_refreshed_at = FromUnix(*row.last_refreshed_at);
  info.metadata_json = row.metadata;
  info.refreshable = row.refreshable;
  return info;
}

Result<std::vector<OAuthTokenInfo>> OAuthTokens::List(
    const std::string& account_id, const std::optional<std::string>& identifier_id,
    const std::optional<std::string>& resource, int limit) {
  std::string sql = std::string("SELECT ") + kColumns + " FROM oauth_tokens WHERE account_id = ?";
  SqlParams params = {account_id};
  if (identifier_id) {
    sql += " AND identifier_id = ?";
    params.push_back(*identifier_id);
  }
  if (resource) {
    sql += " AND resource = ?";
    params.push_back(*resource);
  }
  sql += " ORDER BY created_at, id LIMIT ?";
  params.emplace_back(std::in_place_type<int64_t>, limit);
  ASSIGN_OR_RETURN(auto rows, db_.Query(sql, params));
  TimePoint now = clock_.Now();
  std::vector<OAuthTokenInfo> out;
  for (const auto& r : rows) out.push_back(Info(Row::From(r), now));
  return out;
}

Result<OAuthTokenInfo> OAuthTokens::Get(const std::string& account_id, const std::string& id) {
  ASSIGN_OR_RETURN(Row row, Load(db_, id));
  if (row.account_id != account_id) return NotFound("no OAuth token " + id);
  return Info(row, clock_.Now());
}

Result<AccessToken> OAuthTokens::Access(const std::string& account_id, const std::string& id,
                                        const AuditContext* ctx) {
  ASSIGN_OR_RETURN(Row row, Load(db_, id));
  if (row.account_id != account_id) return NotFound("no OAuth token " + id);
  const OAuthProvider* provider = providers_.Find(row.provider);
  if (!provider) return FailedPrecondition("OAuth provider '" + row.provider + "' is gone");
  if (row.status == "needs_reauth") {
    return NeedsReauth("the user must authorize " + row.provider + " again");
  }
  int64_t now = ToUnix(clock_.Now());
  bool due = row.next_refresh_at && *row.next_refresh_at <= now;
  // An expired token that is not due is being refreshed right now (the
  // claim moved next_refresh_at to the lease's end) or is backing off;
  // joining the refresh shares the one in flight, and is a no-op otherwise.
  bool expired = row.refreshable && row.expires_at && *row.expires_at <= now;
  if (due || expired) {
    Status refreshed = RefreshShared(id);
    if (refreshed.code() == StatusCode::kNeedsReauth) return refreshed;
    ASSIGN_OR_RETURN(row, Load(db_, id));
    if (row.account_id != account_id) return NotFound("no OAuth token " + id);
  }
  now = ToUnix(clock_.Now());
  if (row.status == "needs_reauth") {
    return NeedsReauth("the user must authorize " + row.provider + " again");
  }
  if (row.expires_at && *row.expires_at <= now) {
    if (!row.refreshable) {
      return NeedsReauth(
          "the access token has expired and cannot be refreshed; the user must"
          " authorize " +
          row.provider + " again");
    }
    return Unavailable("the access token has expired and refreshing it is failing; retrying");
  }
  ASSIGN_OR_RETURN(SecretBytes plain,
                   envelope_.Open(db_, account_id, kSealKind, id, AsView(row.sealed)));
  ASSIGN_OR_RETURN(Secrets secrets, DecodeSecrets(plain.view()));
  if (ctx) {
    AuditEvent e = AuditEvent::For(*ctx, account_id, "oauth.token.access", id);
    e.details = {{"provider", row.provider}};
    RETURN_IF_ERROR(
        db_.Transaction([&](SqlExecutor& tx) { return audit_.Append(tx, e).status(); }));
  }
  AccessToken out;
  out.access_token = std::move(secrets.access_token);
  out.token_type = secrets.token_type;
  if (row.expires_at) out.expires_at = FromUnix(*row.expires_at);
  out.provider = provider;
  return out;
}

Status OAuthTokens::RefreshShared(const std::string& id) {
  std::shared_ptr<Flight> flight;
  bool leader = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = flights_.find(id);
    if (it == flights_.end()) {
      flight = std::make_shared<Flight>();
      flights_.emplace(id, flight);
      leader = true;
    } else {
      flight = it->second;
    }
  }
  if (!leader) {
    std::unique_lock<std::mutex> lock(flight->mu);
    flight->cv.wait(lock, [&] { return flight->done; });
    return flight->status;
  }
  Status status = RefreshClaimed(id);
  {
    std::lock_guard<std::mutex> lock(mu_);
    flights_.erase(id);
  }
  {
    std::lock_guard<std::mutex> lock(flight->mu);
    flight->done = true;
    flight->status = status;
  }
  flight->cv.notify_all();
  return status;
}

Status OAuthTokens::WaitForOtherHolder(const std::string& id) {
  // Another process holds the lease; its result lands in the row. Poll the
  // row (cheap, by primary key) until the lease is released or runs out,
  // or the caller has waited long enough (it runs on a worker, never on a
  // network thread, but workers are few).
  auto deadline = std::chrono::steady_clock::now() + std::min(options_.lease, options_.holder_wait);
  while (std::chrono::steady_clock::now() < deadline) {
    ASSIGN_OR_RETURN(Row row, Load(db_, id));
    if (!row.lease_until || *row.lease_until <= ToUnix(clock_.Now())) return Status::Ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Unavailable("another replica is refreshing this token");
}

Status OAuthTokens::RefreshClaimed(const std::string& id) {
  TimePoint now = clock_.Now();
  int64_t lease_until = ToUnix(now) + options_.lease.count();
  ASSIGN_OR_RETURN(
      int64_t claimed,
      db_.Execute("UPDATE oauth_tokens SET lease_owner = ?, lease_until = ?,"
                  " next_refresh_at = ? WHERE id = ? AND next_refresh_at <= ?"
                  " AND status <> 'needs_reauth'"
                  " AND (lease_until IS NULL OR lease_until <= ?)",
                  {options_.owner, lease_until, lease_until, id, ToUnix(now), ToUnix(now)}));
  if (claimed == 0) {
    ASSIGN_OR_RETURN(Row row, Load(db_, id));
    if (row.status == "needs_reauth") {
      return NeedsReauth("the user must authorize " + row.provider + " again");
    }
    if (row.lease_owner && row.lease_until && *row.lease_until > ToUnix(now)) {
      return WaitForOtherHolder(id);
    }
    return Status::Ok();  // refreshed meanwhile: no longer due
  }

  ASSIGN_OR_RETURN(Row row, Load(db_, id));
  const OAuthProvider* provider = providers_.Find(row.provider);
  Status outcome;
  std::optional<TokenGrant> grant;
  std::optional<Secrets> old;
  if (!provider) {
    outcome = FailedPrecondition("OAuth provider '" + row.provider + "' is gone");
  } else {
    auto plain = envelope_.Open(db_, row.account_id, kSealKind, id, AsView(row.sealed));
    auto secrets = plain.ok() ? DecodeSecrets(plain->view()) : Result<Secrets>(plain.status());
    auto client = clients_.Credentials(row.account_id, *provider);
    if (!secrets.ok()) {
      outcome = secrets.status();
    } else if (!client.ok()) {
      outcome = client.status();
    } else if (secrets->refresh_token.empty()) {
      outcome = FailedPrecondition("the token has no refresh token");
    } else {
      auto refreshed = endpoint_.Refresh(*provider, *client, secrets->refresh_token);
      if (refreshed.ok()) {
        grant.emplace(std::move(*refreshed));
        old.emplace(std::move(*secrets));
      } else {
        outcome = refreshed.status();
      }
    }
  }

  now = clock_.Now();
  AuditContext system{"system", "", ""};
  if (grant) {
    // (A Slack answer with only an authed_user token was made the grant
    // itself by ParseResponse: either way it is this row's token.)
    const TokenGrant& g = *grant;
    Secrets next;
    next.access_token = g.access_token;
    next.refresh_token = g.refresh_token.empty() ? old->refresh_token : g.refresh_token;
    next.token_type = g.token_type;
    std::string plain = EncodeSecrets(next);
    Status s = db_.Transaction([&](SqlExecutor& tx) -> Status {
      auto sealed = envelope_.Seal(tx, row.account_id, kSealKind, id, plain);
      RETURN_IF_ERROR(sealed.status());
      std::optional<int64_t> expires_at;
      if (g.expires_in) expires_at = ToUnix(now) + *g.expires_in;
      SqlValue scopes = g.scopes.empty() ? SqlValue(ScopeListJson(row.scopes))
                                         : SqlValue(ScopeListJson(g.scopes));
      ASSIGN_OR_RETURN(
          int64_t n,
          tx.Execute(
              "UPDATE oauth_tokens SET sealed = ?, expires_at = ?, next_refresh_at = ?,"
              " status = 'active', failures = 0, last_refreshed_at = ?, scopes = ?,"
              " lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?",
              {*sealed, OptionalInt(expires_at), OptionalInt(NextRefresh(now, g.expires_in, true)),
               ToUnix(now), scopes, id, options_.owner}));
      if (n == 0) return Unavailable("the token was deleted or its lease lost during refresh");
      AuditEvent e = AuditEvent::For(system, row.account_id, "oauth.token.refresh", id);
      e.details = {{"provider", row.provider},
                   {"rotated", g.refresh_token.empty() ? "false" : "true"}};
      return audit_.Append(tx, e).status();
    });
    SecureWipe(plain.data(), plain.size());
    return s;
  }

  if (outcome.code() == StatusCode::kNeedsReauth) {
    RETURN_IF_ERROR(db_.Transaction([&](SqlExecutor& tx) -> Status {
      ASSIGN_OR_RETURN(int64_t n, tx.Execute("UPDATE oauth_tokens SET status = 'needs_reauth',"
                                             " next_refresh_at = NULL, lease_owner = NULL,"
                                             " lease_until = NULL WHERE id = ? AND lease_owner = ?",
                                             {id, options_.owner}));
      if (n == 0) return Status::Ok();
      AuditEvent e =
          AuditEvent::For(system, row.account_id, "oauth.token.needs_reauth", id, "failure");
      e.details = {{"provider", row.provider}, {"reason", outcome.message()}};
      return audit_.Append(tx, e).status();
    }));
    return outcome;
  }

  // Anything else may pass: back off exponentially (with jitter) and retry.
  int64_t failures = row.failures + 1;
  int64_t backoff = options_.first_backoff.count();
  for (int64_t i = 1; i < failures && backoff < options_.max_backoff.count(); ++i) backoff *= 2;
  backoff = std::min<int64_t>(backoff, options_.max_backoff.count());
  backoff = std::max<int64_t>(1, static_cast<int64_t>(backoff * (0.5 + 0.5 * Jitter())));
  RETURN_IF_ERROR(db_.Transaction([&](SqlExecutor& tx) -> Status {
    // The status shown (refresh_failing once expired) follows from failures.
    ASSIGN_OR_RETURN(int64_t n,
                     tx.Execute("UPDATE oauth_tokens SET failures = ?, next_refresh_at = ?,"
                                " lease_owner = NULL, lease_until = NULL"
                                " WHERE id = ? AND lease_owner = ?",
                                {failures, ToUnix(now) + backoff, id, options_.owner}));
    if (n == 0) return Status::Ok();
    AuditEvent e = AuditEvent::For(system, row.account_id, "oauth.token.refresh", id, "failure");
    e.details = {{"provider", row.provider},
                 {"reason", outcome.message()},
                 {"retryInSeconds", std::to_string(backoff)}};
    return audit_.Append(tx, e).status();
  }));
  return outcome;
}

Status OAuthTokens::Delete(const std::string& account_id, const std::string& id, bool revoke,
                           const AuditContext& ctx) {
  ASSIGN_OR_RETURN(Row row, Load(db_, id));
  if (row.account_id != account_id) return NotFound("no OAuth token " + id);
  const OAuthProvider* provider = providers_.Find(row.provider);
  bool revoked = false;
  if (revoke && provider && provider->revocation_url) {
    ASSIGN_OR_RETURN(SecretBytes plain,
                     envelope_.Open(db_, account_id, kSealKind, id, AsView(row.sealed)));
    ASSIGN_OR_RETURN(Secrets secrets, DecodeSecrets(plain.view()));
    ASSIGN_OR_RETURN(OAuthClientCredentials client, clients_.Credentials(account_id, *provider));
    // Revoking the refresh token ends the whole grant where the provider
    // ties them (RFC 7009 §2.1); Slack revokes by the access token.
    bool by_refresh = !secrets.refresh_token.empty() && provider->dialect != TokenDialect::kSlack;
    Status s = endpoint_.Revoke(*provider, client,
                                by_refresh ? secrets.refresh_token : secrets.access_token,
                                by_refresh ? "refresh_token" : "access_token");
    if (!s.ok() && s.code() != StatusCode::kFailedPrecondition) return s;
    revoked = s.ok();
  }
  return db_.Transaction([&](SqlExecutor& tx) -> Status {
    ASSIGN_OR_RETURN(int64_t n, tx.Execute("DELETE FROM oauth_tokens WHERE id = ? AND"
                                           " account_id = ?",
                                           {id, account_id}));
    if (n == 0) return NotFound("no OAuth token " + id);
    AuditEvent e = AuditEvent::For(ctx, account_id, "oauth.token.delete", id);
    e.details = {{"provider", row.provider}, {"revoked", revoked ? "true" : "false"}};
    return audit_.Append(tx, e).status();
  });
}

Result<int> OAuthTokens::RunDue() {
  ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT id FROM oauth_tokens WHERE next_refresh_at <= ?"
                                        " ORDER BY next_refresh_at LIMIT ?",
                                        {ToUnix(clock_.Now()), int64_t{options_.batch}}));
  if (rows.empty()) return 0;
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < rows.size(); i = next++) {
      // Outcomes land in the row (status, backoff) and the audit log.
      RefreshShared(rows[i].Text(0)).IgnoreError();
    }
  };
  size_t workers = std::min<size_t>(rows.size(), static_cast<size_t>(options_.refresh_workers));
  std::vector<std::thread> threads;
  for (size_t i = 1; i < workers; ++i) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  return static_cast<int>(rows.size());
}

Result<std::optional<TimePoint>> OAuthTokens::NextDue() {
  ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT next_refresh_at FROM oauth_tokens"
                                        " WHERE next_refresh_at IS NOT NULL"
                                        " ORDER BY next_refresh_at LIMIT 1"));
  if (rows.empty()) return std::optional<TimePoint>();
  return std::optional<TimePoint>(FromUnix(rows[0].Int(0)));
}

Result<Injection> OAuthTokenCredentials::Resolve(const std::string& account_id,
                                                 const std::string& name) {
  ASSIGN_OR_RETURN(AccessToken token, tokens_.Access(account_id, name, nullptr));
  Injection out;
  out.headers.emplace_back("Authorization", token.token_type + " " + token.access_token);
  out.allowed_hosts = token.provider->api_hosts;
  out.secrets.push_back(token.access_token);
  return out;
}

Status OAuthTokenCredentials::RecordUses(SqlExecutor& tx, const std::string& account_id,
                                         const std::string& name, int64_t count,
                                         TimePoint last_used) {
  (void)count;
  return tx
      .Execute("UPDATE oauth_tokens SET last_used_at = ? WHERE id = ? AND account_id = ?",
               {ToUnix(last_used), name, account_id})
      .status();
}

}  // namespace latchkey
