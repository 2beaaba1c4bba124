// OAuthTokens' refresh half: the scheduler's passes, the single flight per
// token in this process, and the lease that makes one replica refresh.
#include <algorithm>
#include <atomic>
#include <random>
#include <thread>

#include "common/ids.h"
#include "common/metrics.h"
#include "services/oauth/oauth_token_store.h"
#include "services/oauth/oauth_tokens.h"
#include "services/oauth/token_secrets.h"

namespace latchkey {
namespace {

// Uniform in [0, 1), per thread; for jitter only.
double Jitter() {
  thread_local std::minstd_rand rng([] {
    uint32_t seed;
    PublicRandomBytes(reinterpret_cast<uint8_t*>(&seed), sizeof(seed));
    return seed;
  }());
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

// Refreshes run on the scheduler or on behalf of whichever caller found the
// token due; the audit log attributes them to the system, not that caller.
AuditContext SystemContext() { return {"system", "", ""}; }

}  // namespace

// One refresh in flight in this process; its leader publishes the outcome.
struct OAuthTokens::Flight {
  std::mutex mu;
  std::condition_variable cv;  // notified once, when done turns true
  bool done = false;           // Guarded by mu.
  Status status;               // Guarded by mu; final once done.
};

// What CallProvider brings back for CommitGrant.
struct OAuthTokens::Refreshed {
  SecretBytes plain;                  // the new TokenSecrets, encoded for sealing
  std::optional<int64_t> expires_in;  // as granted
  std::vector<std::string> scopes;    // as granted; empty when not reported
  bool rotated = false;               // the provider sent a new refresh token
};

std::optional<int64_t> OAuthTokens::NextRefresh(TimePoint now, std::optional<int64_t> expires_in,
                                                bool refreshable) const {
  if (!expires_in || !refreshable) return std::nullopt;
  int64_t margin = std::min<int64_t>(options_.refresh_margin.count(), *expires_in / 2);
  int64_t jitter = static_cast<int64_t>(Jitter() * static_cast<double>(margin / 5 + 1));
  return ToUnix(now) + std::max<int64_t>(0, *expires_in - margin - std::min(jitter, margin / 5));
}

Result<TokenRow> OAuthTokens::RefreshIfDue(TokenRow row) {
  int64_t now = ToUnix(clock_.Now());
  bool due = row.next_refresh_at && *row.next_refresh_at <= now;
  // An expired token that is not due is being refreshed right now (the
  // claim moved next_refresh_at to the lease's end) or is backing off;
  // joining the refresh shares the one in flight, and is a no-op otherwise.
  bool expired = row.refreshable && row.expires_at && *row.expires_at <= now;
  if (!due && !expired) return row;
  Status refreshed = RefreshShared(row.id);
  if (refreshed.code() == StatusCode::kNeedsReauth) return refreshed;
  // Any other failure is recorded in the row (backoff, failures) and read
  // from it by the caller.
  return LoadOwned(row.account_id, row.id);
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

Status OAuthTokens::RefreshClaimed(const std::string& id) {
  int64_t now = ToUnix(clock_.Now());
  int64_t lease_until = now + options_.lease.count();
  ASSIGN_OR_RETURN(bool claimed, OAuthTokenStore::Claim(db_, id, options_.owner, now, lease_until));
  if (!claimed) return AfterLostClaim(id, now);
  ASSIGN_OR_RETURN(TokenRow row, Load(id));
  Result<Refreshed> refreshed = CallProvider(row);
  static CounterFamily& refreshes = Metrics::Default().Counter(
      "latchkey_oauth_refreshes_total",
      "OAuth token refreshes by provider and outcome (success, needs_reauth, retry)",
      {"provider", "outcome"});
  if (refreshed.ok()) {
    refreshes.Add({row.provider, "success"});
    return CommitGrant(row, *refreshed);
  }
  if (refreshed.status().code() == StatusCode::kNeedsReauth) {
    refreshes.Add({row.provider, "needs_reauth"});
    return MarkNeedsReauth(row, refreshed.status());
  }
  refreshes.Add({row.provider, "retry"});
  // Anything else may pass: network errors, timeouts, 5xx, a missing client.
  return ScheduleRetry(row, refreshed.status());
}

Status OAuthTokens::AfterLostClaim(const std::string& id, int64_t now) {
  ASSIGN_OR_RETURN(TokenRow row, Load(id));
  if (row.status == TokenStatus::kNeedsReauth) return NeedsReauthFor(row);
  if (row.lease_owner && row.lease_until && *row.lease_until > now) {
    return WaitForOtherHolder(id);
  }
  return Status::Ok();  // refreshed meanwhile: no longer due
}

Status OAuthTokens::WaitForOtherHolder(const std::string& id) {
  // Another process holds the lease; its result lands in the row. Poll the
  // row (cheap, by primary key) until the lease is released or runs out,
  // or the caller has waited long enough (it runs on a worker, never on a
  // network thread, but workers are few).
  auto deadline = std::chrono::steady_clock::now() + std::min(options_.lease, options_.holder_wait);
  while (std::chrono::steady_clock::now() < deadline) {
    ASSIGN_OR_RETURN(TokenRow row, Load(id));
    if (!row.lease_until || *row.lease_until <= ToUnix(clock_.Now())) return Status::Ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Unavailable("another replica is refreshing this token");
}

Result<OAuthTokens::Refreshed> OAuthTokens::CallProvider(const TokenRow& row) {
  const OAuthProvider* provider = providers_.Find(row.provider);
  if (!provider) return FailedPrecondition("OAuth provider '" + row.provider + "' is gone");
  ASSIGN_OR_RETURN(TokenSecrets old, OpenSecrets(row));
  ASSIGN_OR_RETURN(OAuthClientCredentials client, clients_.Credentials(row.account_id, *provider));
  if (old.refresh_token.empty()) return FailedPrecondition("the token has no refresh token");
  ASSIGN_OR_RETURN(TokenGrant grant, endpoint_.Refresh(*provider, client, old.refresh_token));
  // (A Slack answer with only an authed_user token was made the grant
  // itself by ParseResponse: either way it is this row's token.) A grant
  // without a refresh token keeps the old one.
  TokenSecrets next = SecretsOf(grant);
  if (next.refresh_token.empty()) next.refresh_token = old.refresh_token;
  Refreshed out;
  ASSIGN_OR_RETURN(out.plain, EncodeTokenSecrets(next));
  out.expires_in = grant.expires_in;
  out.scopes = std::move(grant.scopes);
  out.rotated = !grant.refresh_token.empty();
  return out;
}

Status OAuthTokens::CommitGrant(const TokenRow& row, const Refreshed& refreshed) {
  TimePoint now = clock_.Now();
  RefreshedToken update;
  if (refreshed.expires_in) update.expires_at = ToUnix(now) + *refreshed.expires_in;
  update.next_refresh_at = NextRefresh(now, refreshed.expires_in, true);
  update.refreshed_at = ToUnix(now);
  update.scopes = refreshed.scopes.empty() ? row.scopes : refreshed.scopes;
  return db_.Transaction([&](SqlExecutor& tx) -> Status {
    ASSIGN_OR_RETURN(update.sealed, envelope_.Seal(tx, row.account_id, kTokenSealKind, row.id,
                                                   refreshed.plain.view()));
    ASSIGN_OR_RETURN(bool held, OAuthTokenStore::CommitRefresh(tx, row.id, options_.owner, update));
    if (!held) return Unavailable("the token was deleted or its lease lost during refresh");
    AuditEvent e = AuditEvent::For(SystemContext(), row.account_id, "oauth.token.refresh", row.id);
    e.details = {{"provider", row.provider}, {"rotated", refreshed.rotated ? "true" : "false"}};
    return audit_.Append(tx, e).status();
  });
}

Status OAuthTokens::MarkNeedsReauth(const TokenRow& row, const Status& reason) {
  RETURN_IF_ERROR(db_.Transaction([&](SqlExecutor& tx) -> Status {
    ASSIGN_OR_RETURN(bool held, OAuthTokenStore::MarkNeedsReauth(tx, row.id, options_.owner));
    if (!held) return Status::Ok();
    AuditEvent e = AuditEvent::For(SystemContext(), row.account_id, "oauth.token.needs_reauth",
                                   row.id, "failure");
    e.details = {{"provider", row.provider}, {"reason", reason.message()}};
    return audit_.Append(tx, e).status();
  }));
  return reason;
}

Status OAuthTokens::ScheduleRetry(const TokenRow& row, const Status& reason) {
  int64_t failures = row.failures + 1;
  int64_t backoff = Backoff(failures);
  int64_t retry_at = ToUnix(clock_.Now()) + backoff;
  RETURN_IF_ERROR(db_.Transaction([&](SqlExecutor& tx) -> Status {
    // The status shown (refresh_failing once expired) follows from failures.
    ASSIGN_OR_RETURN(
        bool held, OAuthTokenStore::ScheduleRetry(tx, row.id, options_.owner, failures, retry_at));
    if (!held) return Status::Ok();
    AuditEvent e =
        AuditEvent::For(SystemContext(), row.account_id, "oauth.token.refresh", row.id, "failure");
    e.details = {{"provider", row.provider},
                 {"reason", reason.message()},
                 {"retryInSeconds", std::to_string(backoff)}};
    return audit_.Append(tx, e).status();
  }));
  return reason;
}

int64_t OAuthTokens::Backoff(int64_t failures) const {
  int64_t backoff = options_.first_backoff.count();
  for (int64_t i = 1; i < failures && backoff < options_.max_backoff.count(); ++i) backoff *= 2;
  backoff = std::min<int64_t>(backoff, options_.max_backoff.count());
  // Half to all of it, so replicas that failed together do not retry together.
  return std::max<int64_t>(1, static_cast<int64_t>(backoff * (0.5 + 0.5 * Jitter())));
}

Result<int> OAuthTokens::RunDue() {
  ASSIGN_OR_RETURN(std::vector<std::string> ids,
                   OAuthTokenStore::DueIds(db_, ToUnix(clock_.Now()), options_.batch));
  if (ids.empty()) return 0;
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < ids.size(); i = next++) {
      // Outcomes land in the row (status, backoff) and the audit log.
      RefreshShared(ids[i]).IgnoreError();
    }
  };
  size_t workers = std::min<size_t>(ids.size(), static_cast<size_t>(options_.refresh_workers));
  std::vector<std::thread> threads;
  for (size_t i = 1; i < workers; ++i) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  return static_cast<int>(ids.size());
}

Result<std::optional<TimePoint>> OAuthTokens::NextDue() {
  ASSIGN_OR_RETURN(std::optional<int64_t> next, OAuthTokenStore::NextDue(db_));
  if (!next) return std::optional<TimePoint>();
  return std::optional<TimePoint>(FromUnix(*next));
}

}  // namespace latchkey
