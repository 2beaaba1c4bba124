#include "common/audit_log.h"

#include <map>

#include "common/crypto.h"
#include "common/ids.h"
#include "common/json_text.h"

namespace latchkey {
namespace {

constexpr char kColumns[] =
    "id, account_id, seq, occurred_at, actor, action, resource, outcome, request_id,"
    " client_address, details, prev_hash, hash";

// Details are stored as the JSON text that was hashed; parse back the flat
// object we wrote (string keys and values only).
std::vector<std::pair<std::string, std::string>> ParseDetails(const std::string& json);

AuditEvent FromRow(const Row& row) {
  AuditEvent e;
  e.id = row.Text(0);
  e.account_id = row.Text(1);
  e.seq = row.Int(2);
  e.time = FromUnix(row.Int(3));
  e.actor = row.Text(4);
  e.action = row.Text(5);
  e.resource = row.Text(6);
  e.outcome = row.Text(7);
  e.request_id = row.Text(8);
  e.client_address = row.Text(9);
  e.details = ParseDetails(row.Text(10));
  e.prev_hash = row.Text(11);
  e.hash = row.Text(12);
  return e;
}

std::vector<std::pair<std::string, std::string>> ParseDetails(const std::string& json) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t i = 0;
  auto read_string = [&](std::string* s) -> bool {
    while (i < json.size() && json[i] != '"') ++i;
    if (i >= json.size()) return false;
    ++i;
    while (i < json.size() && json[i] != '"') {
      char c = json[i++];
      if (c == '\\' && i < json.size()) {
        char e = json[i++];
        switch (e) {
          case 'n':
            *s += '\n';
            break;
          case 'r':
            *s += '\r';
            break;
          case 't':
            *s += '\t';
            break;
          case 'u': {
            unsigned code = 0;
            for (int k = 0; k < 4 && i < json.size(); ++k, ++i) {
              char h = json[i];
              code = code * 16 + static_cast<unsigned>(h >= 'a'   ? h - 'a' + 10
                                                       : h >= 'A' ? h - 'A' + 10
                                                                  : h - '0');
            }
            if (code < 0x80)
              *s += static_cast<char>(code);
            else
              *s += "\xef\xbf\xbd";
            break;
          }
          default:
            *s += e;
        }
      } else {
        *s += c;
      }
    }
    ++i;
    return true;
  };
  while (true) {
    std::string k, v;
    if (!read_string(&k) || !read_string(&v)) break;
    out.emplace_back(std::move(k), std::move(v));
  }
  return out;
}

void AppendField(std::string* out, std::string_view value) {
  *out += std::to_string(value.size());
  *out += ':';
  *out += value;
  *out += '\n';
}

}  // namespace

const std::vector<Migration>& AuditLog::Migrations() {
  static const std::string kTable =
      "CREATE TABLE audit_events ("
      " id TEXT PRIMARY KEY,"
      " account_id TEXT NOT NULL,"
      " seq ${BIGINT} NOT NULL,"
      " occurred_at ${BIGINT} NOT NULL,"
      " actor TEXT NOT NULL,"
      " action TEXT NOT NULL,"
      " resource TEXT NOT NULL,"
      " outcome TEXT NOT NULL,"
      " request_id TEXT NOT NULL,"
      " client_address TEXT NOT NULL,"
      " details TEXT NOT NULL,"
      " prev_hash TEXT NOT NULL,"
      " hash TEXT NOT NULL,"
      " UNIQUE (account_id, seq));"
      "CREATE INDEX audit_events_time ON audit_events (account_id, occurred_at);";
  // UPDATEs are refused by the database itself, in each dialect's words.
  static const std::vector<Migration> kMigrations = {
      {1,
       kTable + "CREATE TRIGGER audit_events_append_only BEFORE UPDATE ON audit_events"
                " BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
       kTable + "CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS"
                " $$ BEGIN RAISE EXCEPTION 'audit events are append-only'; END $$;"
                "CREATE TRIGGER audit_events_append_only BEFORE UPDATE ON audit_events"
                " FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"},
  };
  return kMigrations;
}

std::string AuditLog::ComputeHash(const AuditEvent& e, std::string_view details_json) {
  std::string canonical = "latchkey-audit-v1\n";
  AppendField(&canonical, e.prev_hash);
  AppendField(&canonical, e.id);
  AppendField(&canonical, e.account_id);
  AppendField(&canonical, std::to_string(e.seq));
  AppendField(&canonical, std::to_string(ToUnix(e.time)));
  AppendField(&canonical, e.actor);
  AppendField(&canonical, e.action);
  AppendField(&canonical, e.resource);
  AppendField(&canonical, e.outcome);
  AppendField(&canonical, e.request_id);
  AppendField(&canonical, e.client_address);
  AppendField(&canonical, details_json);
  return Sha256Hex(canonical);
}

Result<AuditEvent> AuditLog::Append(SqlExecutor& tx, AuditEvent event) const {
  std::vector<AuditEvent> one;
  one.push_back(std::move(event));
  RETURN_IF_ERROR(AppendAll(tx, one));
  return std::move(one[0]);
}

Status AuditLog::AppendAll(SqlExecutor& tx, std::vector<AuditEvent>& events) const {
  struct Head {
    int64_t seq;
    std::string hash;
  };
  std::map<std::string, Head> heads;  // chain -> its last event, as appended so far
  for (AuditEvent& event : events) {
    if (event.account_id.empty() || event.action.empty()) {
      return Internal("audit event without chain or action");
    }
    auto head = heads.find(event.account_id);
    if (head == heads.end()) {
      // Concurrent writers of one chain (replicas on PostgreSQL) take turns.
      RETURN_IF_ERROR(tx.LockKey("audit:" + event.account_id));
      ASSIGN_OR_RETURN(auto last, tx.Query("SELECT seq, hash FROM audit_events WHERE account_id = ?"
                                           " ORDER BY seq DESC LIMIT 1",
                                           {event.account_id}));
      Head h = last.empty() ? Head{0, std::string(64, '0')} : Head{last[0].Int(0), last[0].Text(1)};
      head = heads.emplace(event.account_id, std::move(h)).first;
    }
    event.seq = head->second.seq + 1;
    event.prev_hash = head->second.hash;
    event.id = NewSortableId("evt", std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
    event.time = clock_.Now();
    std::string details = JsonFlatObject(event.details);
    event.hash = ComputeHash(event, details);
    static const std::string kInsert = std::string("INSERT INTO audit_events (") + kColumns +
                                       ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    Status s =
        tx.Execute(kInsert, {event.id, event.account_id, event.seq, ToUnix(event.time), event.actor,
                             event.action, event.resource, event.outcome, event.request_id,
                             event.client_address, details, event.prev_hash, event.hash})
            .status();
    if (!s.ok()) return Status(s.code(), "cannot write audit event: " + s.message());
    head->second = Head{event.seq, event.hash};
  }
  return Status::Ok();
}

Result<AuditPage> AuditLog::List(SqlExecutor& exec, const AuditFilter& f) const {
  std::string sql = std::string("SELECT ") + kColumns + " FROM audit_events WHERE account_id = ?";
  SqlParams params{f.account_id};
  if (f.action) sql += " AND action = ?", params.emplace_back(*f.action);
  if (f.resource) sql += " AND resource = ?", params.emplace_back(*f.resource);
  if (f.since) sql += " AND occurred_at >= ?", params.emplace_back(ToUnix(*f.since));
  if (f.until) sql += " AND occurred_at < ?", params.emplace_back(ToUnix(*f.until));
  if (f.before_seq) sql += " AND seq < ?", params.emplace_back(*f.before_seq);
  int limit = f.limit < 1 ? 1 : f.limit > 1000 ? 1000 : f.limit;
  sql += " ORDER BY seq DESC LIMIT ?";
  params.emplace_back(int64_t{limit + 1});
  ASSIGN_OR_RETURN(auto rows, exec.Query(sql, params));
  AuditPage page;
  for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(limit); ++i) {
    page.events.push_back(FromRow(rows[i]));
  }
  if (rows.size() > static_cast<size_t>(limit)) page.next_cursor = page.events.back().seq;
  return page;
}

Result<AuditVerification> AuditLog::Verify(SqlExecutor& exec, const std::string& account_id) const {
  ASSIGN_OR_RETURN(auto rows, exec.Query(std::string("SELECT ") + kColumns +
                                             " FROM audit_events WHERE account_id = ? ORDER BY seq",
                                         {account_id}));
  AuditVerification v;
  std::string prev(64, '0');
  int64_t expected_seq = 1;
  for (const Row& row : rows) {
    AuditEvent e = FromRow(row);
    std::string reason;
    if (e.seq != expected_seq)
      reason = "sequence gap before this event";
    else if (e.prev_hash != prev)
      reason = "previous-hash link does not match";
    else if (ComputeHash(e, row.Text(10)) != e.hash)
      reason = "event hash does not match its contents";
    if (!reason.empty()) {
      v.ok = false;
      v.reason = reason;
      v.first_broken = std::move(e);
      return v;
    }
    prev = e.hash;
    ++expected_seq;
    ++v.count;
  }
  return v;
}

Status AuditLog::DeleteChain(SqlExecutor& tx, const std::string& account_id) const {
  return tx.Execute("DELETE FROM audit_events WHERE account_id = ?", {account_id}).status();
}

}  // namespace latchkey
