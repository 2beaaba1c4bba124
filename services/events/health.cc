#include "services/events/health.h"

#include <nlohmann/json.hpp>
#include <random>

#include "common/json_text.h"
#include "common/strings.h"
#include "common/url.h"
#include "services/events/event_types.h"

namespace latchkey {
namespace {

constexpr int64_t kNever = 253402300799;  // 9999-12-31: a row with nothing to test

// The cheap authenticated GET that tests a provider key: under its base URL.
const std::map<std::string, std::string>& ProviderProbes() {
  static const std::map<std::string, std::string> kProbes = {
      {"openai", "v1/models"},     {"anthropic", "v1/models"}, {"google", "v1beta/models"},
      {"mistral", "v1/models"},    {"cohere", "v1/models"},    {"groq", "openai/v1/models"},
      {"together", "v1/models"},   {"deepseek", "models"},     {"xai", "v1/models"},
      {"openrouter", "api/v1/key"}};
  return kProbes;
}

// The signed-in user's profile, under each OAuth provider's API base URL.
const std::map<std::string, std::string>& OAuthProbes() {
  static const std::map<std::string, std::string> kProbes = {{"google", "oauth2/v3/userinfo"},
                                                             {"microsoft", "v1.0/me"},
                                                             {"slack", "auth.test"},
                                                             {"github", "user"},
                                                             {"notion", "v1/users/me"}};
  return kProbes;
}

std::optional<HealthProbe> ProbeFor(const HealthRow& row) {
  HealthProbe p{row.account_id, row.credential, "", "", row.expect_status, false};
  if (row.kind == "secret") {
    if (row.url.empty()) return std::nullopt;
    p.url = row.url;
    return p;
  }
  const auto& probes = row.kind == "oauth" ? OAuthProbes() : ProviderProbes();
  auto found = probes.find(row.provider);
  if (found == probes.end()) return std::nullopt;
  p.path = found->second;
  p.slack_ok = row.kind == "oauth" && row.provider == "slack";
  return p;
}

std::string_view Detail(const AuditEvent& e, std::string_view key) {
  for (const auto& [k, v] : e.details) {
    if (k == key) return v;
  }
  return {};
}

// Healthy, or why not.
std::string Verdict(const HealthProbe& probe, const ProbeResult& r) {
  if (!r.error.empty()) return r.error;
  bool status_ok =
      probe.expect_status ? r.status == probe.expect_status : r.status >= 200 && r.status <= 299;
  if (!status_ok) return "the upstream answered " + std::to_string(r.status);
  if (probe.slack_ok) {
    auto body = JsonNestingWithin(r.body) && !HasNulByte(r.body)
                    ? nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false)
                    : nlohmann::json();
    if (!body.is_object() || body.value("ok", nlohmann::json()) != true) {
      return "Slack answered ok:false";
    }
  }
  return "";
}

}  // namespace

HealthService::HealthService(Database& db, AuditLog& audit, const Clock& clock,
                             HealthOptions options)
    : db_(db), audit_(audit), clock_(clock), options_(std::move(options)) {}

const std::vector<Migration>& HealthService::Migrations() { return HealthStore::Migrations(); }
const std::vector<std::string>& HealthService::OwnedTables() { return HealthStore::OwnedTables(); }

double HealthService::Jitter() const {
  if (options_.jitter) return options_.jitter();
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

Status HealthService::OnAppend(SqlExecutor& tx, const std::vector<AuditEvent>& events) const {
  TimePoint now = clock_.Now();
  auto first_test = [&](const HealthRow& row) {
    if (!ProbeFor(row)) return FromUnix(kNever);
    // Spread over one interval, so that credentials stored together are
    // not all tested together.
    return now + std::chrono::seconds(static_cast<int64_t>(
                     static_cast<double>(options_.interval.count()) * Jitter()));
  };
  auto upsert = [&](HealthRow row) {
    row.next_check_at = first_test(row);
    return HealthStore::Upsert(tx, row);
  };
  for (const AuditEvent& e : events) {
    if (e.outcome != "success") continue;
    if (e.action == "credentials.update") {
      for (std::string_view id : SplitList(Detail(e, "set"))) {
        RETURN_IF_ERROR(upsert({e.account_id, std::string(id), "provider", std::string(id)}));
      }
      for (std::string_view id : SplitList(Detail(e, "removed"))) {
        RETURN_IF_ERROR(HealthStore::Delete(tx, e.account_id, std::string(id)));
      }
    } else if (e.action == "secret.create") {
      RETURN_IF_ERROR(upsert({e.account_id, std::string(Detail(e, "name")), "secret", ""}));
    } else if (e.action == "secret.delete") {
      RETURN_IF_ERROR(HealthStore::Delete(tx, e.account_id, std::string(Detail(e, "name"))));
    } else if (e.action == "oauth.token.create") {
      RETURN_IF_ERROR(upsert(
          {e.account_id, "oauth:" + e.resource, "oauth", std::string(Detail(e, "provider"))}));
    } else if (e.action == "oauth.token.replace") {
      // A new grant: the last test's verdict was about the old one.
      RETURN_IF_ERROR(HealthStore::Delete(tx, e.account_id, "oauth:" + e.resource));
      RETURN_IF_ERROR(upsert(
          {e.account_id, "oauth:" + e.resource, "oauth", std::string(Detail(e, "provider"))}));
    } else if (e.action == "oauth.token.delete") {
      RETURN_IF_ERROR(HealthStore::Delete(tx, e.account_id, "oauth:" + e.resource));
    }
  }
  return Status::Ok();
}

Result<Health> HealthService::Run(const HealthRow& row, const std::string& actor) {
  auto probe = ProbeFor(row);
  if (!probe) return FailedPrecondition("no health check is known for " + row.credential);
  if (!prober_) return Unavailable("health checks are not running");
  probe->actor = actor;
  ProbeResult result = prober_(*probe);
  HealthRow next = row;
  std::string why = Verdict(*probe, result);
  next.health.status = why.empty() ? HealthStatus::kHealthy : HealthStatus::kUnhealthy;
  next.health.checked_at = clock_.Now();
  next.health.last_error = why.substr(0, 500);
  next.health.latency_ms = result.latency_ms;
  double spread = 0.9 + 0.2 * Jitter();
  next.next_check_at = clock_.Now() + std::chrono::seconds(static_cast<int64_t>(
                                          static_cast<double>(options_.interval.count()) * spread));
  RETURN_IF_ERROR(db_.Transaction([&](SqlExecutor& tx) -> Status {
    // The transition is judged against the status on record now, under a
    // lock, so tests that overlapped (here or on another replica) raise one
    // event between them.
    RETURN_IF_ERROR(tx.LockKey("health:" + row.account_id + ":" + row.credential));
    ASSIGN_OR_RETURN(auto current, HealthStore::Get(tx, row.account_id, row.credential));
    if (!current) return Status::Ok();  // deleted meanwhile
    HealthStatus before = current->health.status;
    bool turned_bad =
        next.health.status == HealthStatus::kUnhealthy && before != HealthStatus::kUnhealthy;
    bool recovered =
        next.health.status == HealthStatus::kHealthy && before == HealthStatus::kUnhealthy;
    // The audit chain before the health row: the order a change that
    // removes the row (observed in its own append) takes them in.
    if (turned_bad || recovered) {
      AuditEvent e = AuditEvent::For(AuditContext{kHealthActor, "", ""}, row.account_id,
                                     kCredentialHealthAction, row.credential,
                                     turned_bad ? "failure" : "success");
      e.details = {{"kind", row.kind}};
      if (turned_bad) e.details.emplace_back("reason", next.health.last_error);
      RETURN_IF_ERROR(audit_.Append(tx, e).status());
    }
    return HealthStore::Record(tx, next);
  }));
  return next.health;
}

Result<Health> HealthService::TestNow(const std::string& account_id, const std::string& kind,
                                      const std::string& credential, const std::string& provider,
                                      const AuditContext& ctx) {
  ASSIGN_OR_RETURN(auto row, HealthStore::Get(db_, account_id, credential));
  if (!row) {
    HealthRow fresh{account_id, credential, kind, provider};
    fresh.next_check_at = clock_.Now() + options_.interval;
    if (!ProbeFor(fresh)) fresh.next_check_at = FromUnix(kNever);
    RETURN_IF_ERROR(
        db_.Transaction([&](SqlExecutor& tx) { return HealthStore::Upsert(tx, fresh); }));
    row = fresh;
  }
  if (!ProbeFor(*row)) {
    return FailedPrecondition(
        kind == "secret" ? "secret '" + credential +
                               "' has no health check; give it a healthCheck with "
                               "PUT /secrets/" +
                               credential + " (or PUT /secrets/" + credential + "/health-check)"
                         : "no health check is known for " + credential);
  }
  return Run(*row, ctx.actor);  // on record as a proxy call by the caller
}

Status HealthService::ValidateSecretCheck(const std::string& url, int expect_status) {
  RETURN_IF_ERROR(ParseHttpUrl(url, "url", 2048).status());
  if (expect_status != 0 && (expect_status < 100 || expect_status > 599)) {
    return InvalidArgument("expectStatus must be an HTTP status (100-599)");
  }
  return Status::Ok();
}

Status HealthService::SetSecretCheck(const std::string& account_id, const std::string& name,
                                     const std::string& url, int expect_status,
                                     const AuditContext& ctx) {
  RETURN_IF_ERROR(ValidateSecretCheck(url, expect_status));
  HealthRow row{account_id, name, "secret", "", url, expect_status};
  row.next_check_at =
      clock_.Now() + std::chrono::seconds(static_cast<int64_t>(
                         static_cast<double>(options_.interval.count()) * Jitter()));
  return db_.Transaction([&](SqlExecutor& tx) -> Status {
    AuditEvent e = AuditEvent::For(ctx, account_id, "secret.health_check.put", name);
    e.details = {{"expectStatus", std::to_string(expect_status)}};
    RETURN_IF_ERROR(audit_.Append(tx, e).status());  // the chain first, as in Run
    RETURN_IF_ERROR(HealthStore::Upsert(tx, row));
    // A secret that had nothing to test is tested from now on.
    return HealthStore::TestNoLaterThan(tx, account_id, name, row.next_check_at);
  });
}

Result<std::map<std::string, Health>> HealthService::ForAccount(const std::string& account_id) {
  ASSIGN_OR_RETURN(auto rows, HealthStore::ForAccount(db_, account_id));
  std::map<std::string, Health> out;
  for (auto& r : rows) out[r.credential] = std::move(r.health);
  return out;
}

Status HealthService::RemoveSecretCheck(const std::string& account_id, const std::string& name,
                                        const AuditContext& ctx) {
  return db_.Transaction([&](SqlExecutor& tx) -> Status {
    ASSIGN_OR_RETURN(auto row, HealthStore::Get(tx, account_id, name));
    if (!row || row->kind != "secret" || row->url.empty()) return Status::Ok();
    RETURN_IF_ERROR(
        audit_.Append(tx, AuditEvent::For(ctx, account_id, "secret.health_check.delete", name))
            .status());
    // A fresh row: nothing to test, health unknown.
    RETURN_IF_ERROR(HealthStore::Delete(tx, account_id, name));
    HealthRow bare{account_id, name, "secret", ""};
    bare.next_check_at = FromUnix(kNever);
    return HealthStore::Upsert(tx, bare);
  });
}

Result<std::map<std::string, SecretCheck>> HealthService::SecretChecks(
    const std::string& account_id) {
  ASSIGN_OR_RETURN(auto rows, HealthStore::ForAccount(db_, account_id));
  std::map<std::string, SecretCheck> out;
  for (auto& r : rows) {
    if (r.kind == "secret" && !r.url.empty()) out[r.credential] = {r.url, r.expect_status};
  }
  return out;
}

Result<int> HealthService::RunDue() {
  // One claim per test, taken just before it, so a lease never runs out
  // while the test waits its turn.
  int made = 0;
  for (int i = 0; i < options_.batch; ++i) {
    TimePoint now = clock_.Now();
    ASSIGN_OR_RETURN(auto due,
                     HealthStore::ClaimDue(db_, now, 1, options_.owner, now + options_.lease));
    if (due.empty()) break;
    if (Run(due[0]).ok()) ++made;
  }
  return made;
}

}  // namespace latchkey
