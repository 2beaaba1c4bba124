#include "services/events/webhook_store.h"

#include "common/sql_time.h"
#include "common/strings.h"

namespace latchkey {
namespace {

constexpr char kEndpointColumns[] =
    "id, account_id, url, description, events, format, enabled, disabled_reason, previous_until,"
    " failing_since, created_at, updated_at";

constexpr char kDeliveryColumns[] =
    "d.id, d.account_id, d.endpoint_id, d.message_id, m.type, d.state, d.attempts,"
    " d.next_attempt_at, d.deadline, d.created_at, d.updated_at";

std::string JoinEvents(const std::vector<std::string>& events) {
  std::string out;
  for (const auto& e : events) out += (out.empty() ? "" : ",") + e;
  return out;
}

WebhookEndpoint EndpointFromRow(const Row& r) {
  WebhookEndpoint e;
  e.id = r.Text(0);
  e.account_id = r.Text(1);
  e.url = r.Text(2);
  e.description = r.Text(3);
  std::string events = r.Text(4);  // outlives the views SplitList returns
  for (std::string_view t : SplitList(events)) e.events.emplace_back(t);
  e.format = WebhookFormatFromName(r.Text(5)).value_or(WebhookFormat::kStandard);
  e.enabled = r.Int(6) != 0;
  e.disabled_reason = r.Text(7);
  e.previous_until = OptionalTimeAt(r, 8);
  e.failing_since = OptionalTimeAt(r, 9);
  e.created_at = FromUnix(r.Int(10));
  e.updated_at = FromUnix(r.Int(11));
  return e;
}

DeliveryState StateFromText(const std::string& s) {
  if (s == "delivered") return DeliveryState::kDelivered;
  if (s == "failed") return DeliveryState::kFailed;
  return DeliveryState::kPending;
}

Delivery DeliveryFromRow(const Row& r) {
  Delivery d;
  d.id = r.Text(0);
  d.account_id = r.Text(1);
  d.endpoint_id = r.Text(2);
  d.message_id = r.Text(3);
  d.type = r.Text(4);
  d.state = StateFromText(r.Text(5));
  d.attempts = r.Int(6);
  d.next_attempt_at = OptionalTimeAt(r, 7);
  d.deadline = FromUnix(r.Int(8));
  d.created_at = FromUnix(r.Int(9));
  d.updated_at = FromUnix(r.Int(10));
  return d;
}

SqlValue HttpStatusOrNull(const std::optional<int>& code) {
  return code ? SqlValue(int64_t{*code}) : SqlValue();
}

Status LoadAttempts(SqlExecutor& exec, Delivery* d) {
  ASSIGN_OR_RETURN(auto rows, exec.Query("SELECT n, at, status_code, error, latency_ms"
                                         " FROM webhook_attempts WHERE delivery_id = ? ORDER BY n",
                                         {d->id}));
  for (const Row& r : rows) {
    DeliveryAttempt a;
    a.number = r.Int(0);
    a.at = FromUnix(r.Int(1));
    if (!r.IsNull(2)) a.status_code = static_cast<int>(r.Int(2));
    a.error = r.Text(3);
    a.latency_ms = r.Int(4);
    d->attempt_log.push_back(std::move(a));
  }
  return Status::Ok();
}

}  // namespace

const std::vector<Migration>& WebhookStore::Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1,
       "CREATE TABLE webhook_endpoints ("
       " id TEXT PRIMARY KEY, account_id TEXT NOT NULL, url TEXT NOT NULL,"
       " description TEXT NOT NULL, events TEXT NOT NULL, format TEXT NOT NULL,"
       " enabled INTEGER NOT NULL, disabled_reason TEXT NOT NULL DEFAULT '',"
       " secret ${BLOB} NOT NULL, previous_secret ${BLOB}, previous_until ${BIGINT},"
       " failing_since ${BIGINT}, created_at ${BIGINT} NOT NULL, updated_at ${BIGINT} NOT NULL);"
       "CREATE INDEX webhook_endpoints_account ON webhook_endpoints(account_id, id);"
       "CREATE TABLE webhook_messages ("
       " id TEXT PRIMARY KEY, account_id TEXT NOT NULL, type TEXT NOT NULL,"
       " body TEXT NOT NULL, created_at ${BIGINT} NOT NULL);"
       "CREATE INDEX webhook_messages_account ON webhook_messages(account_id);"
       "CREATE TABLE webhook_deliveries ("
       " id TEXT PRIMARY KEY, account_id TEXT NOT NULL, endpoint_id TEXT NOT NULL,"
       " message_id TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL,"
       " next_attempt_at ${BIGINT}, deadline ${BIGINT} NOT NULL, lease_owner TEXT,"
       " lease_until ${BIGINT}, created_at ${BIGINT} NOT NULL, updated_at ${BIGINT} NOT NULL);"
       "CREATE INDEX webhook_deliveries_due ON webhook_deliveries(state, next_attempt_at);"
       "CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries(endpoint_id, id);"
       "CREATE INDEX webhook_deliveries_account ON webhook_deliveries(account_id);"
       "CREATE TABLE webhook_attempts ("
       " delivery_id TEXT NOT NULL, account_id TEXT NOT NULL, n INTEGER NOT NULL,"
       " at ${BIGINT} NOT NULL, status_code INTEGER, error TEXT NOT NULL,"
       " latency_ms ${BIGINT} NOT NULL, PRIMARY KEY (delivery_id, n));"
       "CREATE INDEX webhook_attempts_account ON webhook_attempts(account_id)"},
  };
  return kMigrations;
}

const std::vector<std::string>& WebhookStore::OwnedTables() {
  static const std::vector<std::string> kTables = {"webhook_attempts", "webhook_deliveries",
                                                   "webhook_messages", "webhook_endpoints"};
  return kTables;
}

Status WebhookStore::InsertEndpoint(SqlExecutor& tx, const WebhookEndpoint& e,
                                    const Bytes& secret) {
  return tx
      .Execute(
          "INSERT INTO webhook_endpoints (id, account_id, url, description, events, format,"
          " enabled, disabled_reason, secret, created_at, updated_at)"
          " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {e.id, e.account_id, e.url, e.description, JoinEvents(e.events),
           std::string(WebhookFormatName(e.format)), int64_t{e.enabled ? 1 : 0}, e.disabled_reason,
           secret, ToUnix(e.created_at), ToUnix(e.updated_at)})
      .status();
}

Result<std::optional<WebhookEndpoint>> WebhookStore::GetEndpoint(SqlExecutor& exec,
                                                                 const std::string& account_id,
                                                                 const std::string& id) {
  ASSIGN_OR_RETURN(auto rows, exec.Query(std::string("SELECT ") + kEndpointColumns +
                                             " FROM webhook_endpoints WHERE account_id = ?"
                                             " AND id = ?",
                                         {account_id, id}));
  if (rows.empty()) return std::optional<WebhookEndpoint>();
  return std::optional<WebhookEndpoint>(EndpointFromRow(rows[0]));
}

Result<std::vector<WebhookEndpoint>> WebhookStore::ListEndpoints(SqlExecutor& exec,
                                                                 const std::string& account_id) {
  ASSIGN_OR_RETURN(auto rows, exec.Query(std::string("SELECT ") + kEndpointColumns +
                                             " FROM webhook_endpoints WHERE account_id = ?"
                                             " ORDER BY id DESC",
                                         {account_id}));
  std::vector<WebhookEndpoint> out;
  for (const Row& r : rows) out.push_back(EndpointFromRow(r));
  return out;
}

Result<int64_t> WebhookStore::CountEndpoints(SqlExecutor& exec, const std::string& account_id) {
  ASSIGN_OR_RETURN(
      auto rows,
      exec.Query("SELECT COUNT(*) FROM webhook_endpoints WHERE account_id = ?", {account_id}));
  return rows.empty() ? 0 : rows[0].Int(0);
}

Status WebhookStore::UpdateEndpoint(SqlExecutor& tx, const WebhookEndpoint& e) {
  return tx
      .Execute(
          "UPDATE webhook_endpoints SET url = ?, description = ?, events = ?, format = ?,"
          " enabled = ?, disabled_reason = ?, failing_since = ?, updated_at = ?"
          " WHERE account_id = ? AND id = ?",
          {e.url, e.description, JoinEvents(e.events), std::string(WebhookFormatName(e.format)),
           int64_t{e.enabled ? 1 : 0}, e.disabled_reason, TimeOrNull(e.failing_since),
           ToUnix(e.updated_at), e.account_id, e.id})
      .status();
}

Result<bool> WebhookStore::DeleteEndpoint(SqlExecutor& tx, const std::string& account_id,
                                          const std::string& id) {
  RETURN_IF_ERROR(tx.Execute("DELETE FROM webhook_attempts WHERE delivery_id IN"
                             " (SELECT id FROM webhook_deliveries WHERE endpoint_id = ?"
                             " AND account_id = ?)",
                             {id, account_id})
                      .status());
  RETURN_IF_ERROR(
      tx.Execute("DELETE FROM webhook_deliveries WHERE endpoint_id = ? AND account_id = ?",
                 {id, account_id})
          .status());
  ASSIGN_OR_RETURN(int64_t n,
                   tx.Execute("DELETE FROM webhook_endpoints WHERE account_id = ? AND id = ?",
                              {account_id, id}));
  return n > 0;
}

Result<SealedWebhookSecrets> WebhookStore::Secrets(SqlExecutor& exec, const std::string& id,
                                                   TimePoint now) {
  ASSIGN_OR_RETURN(auto rows, exec.Query("SELECT secret, previous_secret, previous_until"
                                         " FROM webhook_endpoints WHERE id = ?",
                                         {id}));
  if (rows.empty()) return NotFound("no webhook " + id);
  SealedWebhookSecrets s;
  s.current = rows[0].Blob(0);
  if (!rows[0].IsNull(1) && !rows[0].IsNull(2) && rows[0].Int(2) > ToUnix(now)) {
    s.previous = rows[0].Blob(1);
  }
  return s;
}

Status WebhookStore::RotateSecret(SqlExecutor& tx, const std::string& id, const Bytes& secret,
                                  TimePoint until, TimePoint now) {
  return tx
      .Execute(
          "UPDATE webhook_endpoints SET previous_secret = secret, previous_until = ?,"
          " secret = ?, updated_at = ? WHERE id = ?",
          {ToUnix(until), secret, ToUnix(now), id})
      .status();
}

Status WebhookStore::InsertMessage(SqlExecutor& tx, const std::string& id,
                                   const std::string& account_id, const std::string& type,
                                   const std::string& body, TimePoint now) {
  return tx
      .Execute(
          "INSERT INTO webhook_messages (id, account_id, type, body, created_at)"
          " VALUES (?, ?, ?, ?, ?)",
          {id, account_id, type, body, ToUnix(now)})
      .status();
}

Status WebhookStore::InsertDelivery(SqlExecutor& tx, const Delivery& d) {
  return tx
      .Execute(
          "INSERT INTO webhook_deliveries (id, account_id, endpoint_id, message_id, state,"
          " attempts, next_attempt_at, deadline, created_at, updated_at)"
          " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {d.id, d.account_id, d.endpoint_id, d.message_id, std::string(DeliveryStateName(d.state)),
           d.attempts, TimeOrNull(d.next_attempt_at), ToUnix(d.deadline), ToUnix(d.created_at),
           ToUnix(d.updated_at)})
      .status();
}

Result<std::vector<std::string>> WebhookStore::DueDeliveries(SqlExecutor& exec, TimePoint now,
                                                             int limit) {
  ASSIGN_OR_RETURN(auto rows, exec.Query("SELECT id FROM webhook_deliveries WHERE state = 'pending'"
                                         " AND next_attempt_at <= ? AND (lease_until IS NULL OR"
                                         " lease_until <= ?) ORDER BY next_attempt_at LIMIT ?",
                                         {ToUnix(now), ToUnix(now), int64_t{limit}}));
  std::vector<std::string> out;
  for (const Row& r : rows) out.push_back(r.Text(0));
  return out;
}

Result<bool> WebhookStore::Claim(SqlExecutor& tx, const std::string& id, const std::string& owner,
                                 TimePoint now, TimePoint lease_until) {
  ASSIGN_OR_RETURN(int64_t n,
                   tx.Execute("UPDATE webhook_deliveries SET lease_owner = ?,"
                              " lease_until = ? WHERE id = ? AND state = 'pending'"
                              " AND next_attempt_at <= ? AND (lease_until IS NULL"
                              " OR lease_until <= ?)",
                              {owner, ToUnix(lease_until), id, ToUnix(now), ToUnix(now)}));
  return n == 1;
}

Result<std::optional<DeliveryJob>> WebhookStore::Job(SqlExecutor& exec, const std::string& id,
                                                     TimePoint now) {
  ASSIGN_OR_RETURN(auto rows, exec.Query(std::string("SELECT ") + kDeliveryColumns +
                                             ", m.body FROM webhook_deliveries d JOIN"
                                             " webhook_messages m ON m.id = d.message_id"
                                             " WHERE d.id = ?",
                                         {id}));
  if (rows.empty()) return std::optional<DeliveryJob>();
  DeliveryJob job;
  job.delivery = DeliveryFromRow(rows[0]);
  job.body = rows[0].Text(11);
  ASSIGN_OR_RETURN(auto endpoint,
                   GetEndpoint(exec, job.delivery.account_id, job.delivery.endpoint_id));
  if (!endpoint) return std::optional<DeliveryJob>();
  job.endpoint = std::move(*endpoint);
  ASSIGN_OR_RETURN(job.secrets, Secrets(exec, job.endpoint.id, now));
  return std::optional<DeliveryJob>(std::move(job));
}

Result<bool> WebhookStore::RecordAttempt(SqlExecutor& tx, const Delivery& d,
                                         const std::string& owner, const DeliveryAttempt& a) {
  ASSIGN_OR_RETURN(int64_t n,
                   tx.Execute("UPDATE webhook_deliveries SET state = ?, attempts = ?,"
                              " next_attempt_at = ?, lease_owner = NULL, lease_until = NULL,"
                              " updated_at = ? WHERE id = ? AND lease_owner = ?",
                              {std::string(DeliveryStateName(d.state)), d.attempts,
                               TimeOrNull(d.next_attempt_at), ToUnix(a.at), d.id, owner}));
  if (n != 1) return false;
  RETURN_IF_ERROR(tx.Execute("INSERT INTO webhook_attempts (delivery_id, account_id, n, at,"
                             " status_code, error, latency_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
                             {d.id, d.account_id, a.number, ToUnix(a.at),
                              HttpStatusOrNull(a.status_code), a.error, a.latency_ms})
                      .status());
  return true;
}

Result<std::optional<Delivery>> WebhookStore::GetDelivery(SqlExecutor& exec,
                                                          const std::string& account_id,
                                                          const std::string& id) {
  ASSIGN_OR_RETURN(auto rows, exec.Query(std::string("SELECT ") + kDeliveryColumns +
                                             " FROM webhook_deliveries d JOIN webhook_messages m"
                                             " ON m.id = d.message_id WHERE d.account_id = ?"
                                             " AND d.id = ?",
                                         {account_id, id}));
  if (rows.empty()) return std::optional<Delivery>();
  Delivery d = DeliveryFromRow(rows[0]);
  RETURN_IF_ERROR(LoadAttempts(exec, &d));
  return std::optional<Delivery>(std::move(d));
}

Result<std::vector<Delivery>> WebhookStore::ListDeliveries(
    SqlExecutor& exec, const std::string& account_id, const std::string& endpoint_id, int limit,
    const std::optional<std::string>& before) {
  std::string sql = std::string("SELECT ") + kDeliveryColumns +
                    " FROM webhook_deliveries d JOIN webhook_messages m ON m.id = d.message_id"
                    " WHERE d.account_id = ? AND d.endpoint_id = ?";
  SqlParams params{account_id, endpoint_id};
  if (before) sql += " AND d.id < ?", params.emplace_back(*before);
  sql += " ORDER BY d.id DESC LIMIT ?";
  params.emplace_back(int64_t{limit});
  ASSIGN_OR_RETURN(auto rows, exec.Query(sql, params));
  std::vector<Delivery> out;
  for (const Row& r : rows) {
    out.push_back(DeliveryFromRow(r));
    RETURN_IF_ERROR(LoadAttempts(exec, &out.back()));
  }
  return out;
}

Status WebhookStore::Requeue(SqlExecutor& tx, const Delivery& d, TimePoint now) {
  return tx
      .Execute(
          "UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = ?,"
          " deadline = CASE WHEN deadline < ? THEN ? ELSE deadline END, updated_at = ?"
          " WHERE id = ?",
          {ToUnix(now), ToUnix(now), ToUnix(now), ToUnix(now), d.id})
      .status();
}

}  // namespace latchkey
