#include "services/events/usage.h"

#include <algorithm>
#include <charconv>

#include "common/ids.h"
#include "common/names.h"
#include "services/events/event_types.h"

namespace latchkey {
namespace {

constexpr int64_t kHour = 3600;
constexpr int64_t kDay = 86400;
constexpr int64_t kKeepHours = 7 * kDay;
constexpr int64_t kKeepDays = 90 * kDay;

int64_t DetailInt(const AuditEvent& e, std::string_view key) {
  for (const auto& [k, v] : e.details) {
    if (k != key) continue;
    int64_t n = 0;
    std::from_chars(v.data(), v.data() + v.size(), n);
    return n;
  }
  return 0;
}

size_t LatencyBucket(int64_t ms) {
  for (size_t i = 0; i < kLatencyBoundsMs.size(); ++i) {
    if (ms <= kLatencyBoundsMs[i]) return i;
  }
  return kLatencyBoundsMs.size();
}

UsageCounts ProxyCounts(const AuditEvent& e) {
  UsageCounts c;
  c.calls = 1;
  int64_t status = DetailInt(e, "status");
  if (e.outcome == "denied") c.denied = 1;
  if (status >= 400 && status < 500) c.errors_4xx = 1;
  if (status >= 500) c.errors_5xx = 1;
  if (e.outcome == "failure" && status == 0) c.failures = 1;
  c.bytes_in = DetailInt(e, "bytes_in");
  c.bytes_out = DetailInt(e, "bytes_out");
  if (status > 0) c.latency[LatencyBucket(DetailInt(e, "latency_ms"))] = 1;
  return c;
}

// The rollups an audit event adds to: (key, counts) pairs.
std::vector<std::pair<UsageKey, UsageCounts>> Contributions(const AuditEvent& e) {
  std::vector<std::pair<UsageKey, UsageCounts>> out;
  if (e.action == "proxy.request") {
    if (e.actor == kHealthActor) return out;  // our own health checks are not usage
    UsageCounts c = ProxyCounts(e);
    out.push_back({{e.account_id, "credential", e.resource}, c});
    if (e.actor.rfind("key_", 0) == 0) out.push_back({{e.account_id, "api_key", e.actor}, c});
  } else if (e.action == "mcp.tool_call" || e.action == "oauth.token.access") {
    UsageCounts c;
    c.calls = 1;
    if (e.outcome == "denied") c.denied = 1;
    if (e.outcome == "failure") c.failures = 1;
    bool tool = e.action == "mcp.tool_call";
    out.push_back({{e.account_id, tool ? "mcp_tool" : "oauth_token", e.resource}, c});
  }
  return out;
}

bool IsKind(const std::string& kind) {
  return kind == "credential" || kind == "api_key" || kind == "mcp_tool" || kind == "oauth_token";
}

}  // namespace

UsageService::UsageService(Database& db, AuditLog& audit, const Clock& clock, AuditWriter* writer,
                           std::chrono::seconds refresh)
    : db_(db), audit_(audit), clock_(clock), writer_(writer), refresh_(refresh) {}

Status UsageService::OnAppend(SqlExecutor& tx, const std::vector<AuditEvent>& events) const {
  // One write per bucket, however many calls the batch holds.
  std::map<std::pair<UsageKey, int64_t>, UsageCounts> hours, days;
  for (const AuditEvent& e : events) {
    int64_t t = ToUnix(e.time);
    for (auto& [key, counts] : Contributions(e)) {
      hours[{key, t - t % kHour}].Add(counts);
      days[{key, t - t % kDay}].Add(counts);
    }
  }
  for (auto* buckets : {&hours, &days}) {
    for (const auto& [at, counts] : *buckets) {
      UsageRow row{at.first, buckets == &hours ? "hour" : "day", at.second, counts};
      RETURN_IF_ERROR(UsageStore::Add(tx, row));
    }
  }
  return Status::Ok();
}

Result<std::vector<UsageRow>> UsageService::Query(const std::string& account_id,
                                                  const UsageQuery& q) {
  if (!q.kind.empty() && !IsKind(q.kind)) {
    return InvalidArgument("kind must be credential, api_key, mcp_tool or oauth_token");
  }
  bool hourly = q.granularity == "hour";
  if (!hourly && q.granularity != "day") return InvalidArgument("granularity must be hour or day");
  int64_t to = ToUnix(q.to.value_or(clock_.Now()));
  int64_t from = q.from ? ToUnix(*q.from) : to - (hourly ? kDay : 7 * kDay);
  if (from > to) return InvalidArgument("from must not be after to");
  int64_t oldest = ToUnix(clock_.Now()) - (hourly ? kKeepHours : kKeepDays);
  if (from < oldest - (hourly ? kHour : kDay)) {
    return InvalidArgument(hourly ? "hours are kept for 7 days; ask for days before that"
                                  : "days are kept for 90 days");
  }
  int64_t unit = hourly ? kHour : kDay;
  return UsageStore::Query(db_, account_id, q.kind, q.subject, q.granularity, from - from % unit,
                           to + 1, q.after, q.limit);
}

Status UsageService::SetLimit(const std::string& account_id, const std::string& kind,
                              const std::string& subject, std::optional<int64_t> max,
                              const AuditContext& ctx) {
  if (kind != "credential" && kind != "api_key") {
    return InvalidArgument("a limit applies to a credential or an API key");
  }
  bool oauth = subject.rfind("oauth:", 0) == 0 && IsValidId(subject.substr(6), "otk");
  if (kind == "credential" && !IsCredentialName(subject) && !oauth) {
    return InvalidArgument("credential must be a provider id, a secret's name or oauth:otk_...");
  }
  if (kind == "api_key" && !IsValidId(subject, "key")) {
    return InvalidArgument("apiKeyId must be an API key id (key_...)");
  }
  RETURN_IF_ERROR(db_.Transaction([&](SqlExecutor& tx) -> Status {
    if (max) {
      RETURN_IF_ERROR(UsageStore::PutLimit(tx, UsageLimit{account_id, kind, subject, *max, {}}));
    } else {
      ASSIGN_OR_RETURN(bool deleted, UsageStore::DeleteLimit(tx, account_id, kind, subject));
      if (!deleted) return NotFound("no limit on " + kind + " " + subject);
    }
    AuditEvent e = AuditEvent::For(ctx, account_id, "usage.limit.put", kind + ":" + subject);
    e.details = {{"maxCallsPerDay", max ? std::to_string(*max) : "none"}};
    return audit_.Append(tx, e).status();
  }));
  std::lock_guard<std::mutex> lock(mu_);
  limits_read_at_.reset();  // this replica applies it at once
  return Status::Ok();
}

Result<std::vector<UsageLimitView>> UsageService::Limits(const std::string& account_id) {
  if (writer_) RETURN_IF_ERROR(writer_->Sync());
  ASSIGN_OR_RETURN(auto limits, UsageStore::Limits(db_, account_id));
  int64_t now = ToUnix(clock_.Now());
  std::vector<UsageLimitView> out;
  for (auto& l : limits) {
    ASSIGN_OR_RETURN(int64_t used, UsageStore::CallsInDay(db_, {account_id, l.kind, l.subject},
                                                          now - now % kDay));
    out.push_back({std::move(l), used});
  }
  return out;
}

Status UsageService::LoadLimits(TimePoint now) {
  if (limits_read_at_ && now - *limits_read_at_ < refresh_) return Status::Ok();
  ASSIGN_OR_RETURN(auto all, UsageStore::AllLimits(db_));
  limits_.clear();
  for (auto& l : all) limits_[l.account_id].push_back(std::move(l));
  limits_read_at_ = now;
  return Status::Ok();
}

Status UsageService::Admit(const std::string& account_id, const std::string& credential,
                           const std::string& key_id) {
  if (key_id == kHealthActor) return Status::Ok();  // health checks use no limit up
  TimePoint now = clock_.Now();
  int64_t today = ToUnix(now) - ToUnix(now) % kDay;
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(LoadLimits(now));
  auto found = limits_.find(account_id);
  if (found == limits_.end()) return Status::Ok();
  std::vector<Counter*> counted;
  for (const UsageLimit& l : found->second) {
    if (l.subject != (l.kind == "credential" ? credential : key_id)) continue;
    Counter& c = counters_[{account_id, l.kind, l.subject}];
    if (c.day != today || now - c.read_at >= refresh_) {
      if (writer_) RETURN_IF_ERROR(writer_->Sync());
      ASSIGN_OR_RETURN(c.base, UsageStore::CallsInDay(db_, {account_id, l.kind, l.subject}, today));
      c = Counter{today, c.base, 0, now};
    }
    if (c.base + c.local >= l.max_calls_per_day) return Refused(l, today, now);
    counted.push_back(&c);
  }
  for (Counter* c : counted) ++c->local;
  return Status::Ok();
}

Status UsageService::Refused(const UsageLimit& l, int64_t day, TimePoint now) {
  if (l.notified_day != day) {
    RETURN_IF_ERROR(db_.Transaction([&](SqlExecutor& tx) -> Status {
      ASSIGN_OR_RETURN(bool first, UsageStore::MarkNotified(tx, l, day));
      if (!first) return Status::Ok();
      AuditEvent e = AuditEvent::For(AuditContext{"usage", "", ""}, l.account_id, kUsageLimitAction,
                                     l.kind + ":" + l.subject, "denied");
      e.details = {{"limit", std::to_string(l.max_calls_per_day)},
                   {"window", FormatIso8601(FromUnix(day))}};
      return audit_.Append(tx, e).status();
    }));
    for (UsageLimit& cached : limits_[l.account_id]) {
      if (cached.kind == l.kind && cached.subject == l.subject) cached.notified_day = day;
    }
  }
  int64_t wait = day + kDay - ToUnix(now);
  std::string what = l.kind == "credential" ? "credential '" + l.subject + "'" : "this API key";
  return ResourceExhausted(what + " has made its " + std::to_string(l.max_calls_per_day) +
                           " calls for today (UTC); the limit resets at " +
                           FormatIso8601(FromUnix(day + kDay)))
      .WithRetryAfter(std::max<int64_t>(1, wait));
}

Result<int64_t> UsageService::Purge() {
  int64_t now = ToUnix(clock_.Now());
  return UsageStore::Purge(db_, now - kKeepHours, now - kKeepDays);
}

int64_t UsageService::LatencyPercentileMs(const UsageCounts& counts, double q) {
  int64_t total = 0;
  for (int64_t n : counts.latency) total += n;
  if (total == 0) return 0;
  int64_t rank = std::max<int64_t>(1, static_cast<int64_t>(q * static_cast<double>(total) + 0.999));
  int64_t seen = 0;
  for (size_t i = 0; i < counts.latency.size(); ++i) {
    seen += counts.latency[i];
    if (seen >= rank)
      return i < kLatencyBoundsMs.size() ? kLatencyBoundsMs[i] : kLatencyBoundsMs.back();
  }
  return kLatencyBoundsMs.back();
}

}  // namespace latchkey
