#include "common/audit_store.h"

namespace latchkey {
namespace {

constexpr char kColumns[] =
    "id, account_id, seq, occurred_at, actor, action, resource, outcome, request_id,"
    " client_address, details, prev_hash, hash";

// Details are stored as the JSON text that was hashed; parse back the flat
// object we wrote (string keys and values only).
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

AuditStore::StoredEvent FromRow(const Row& row) {
  AuditStore::StoredEvent stored;
  AuditEvent& e = stored.event;
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
  stored.details_json = row.Text(10);
  return stored;
}

Result<std::vector<AuditStore::StoredEvent>> Read(SqlExecutor& exec, const std::string& sql,
                                                  const SqlParams& params) {
  ASSIGN_OR_RETURN(auto rows, exec.Query(sql, params));
  std::vector<AuditStore::StoredEvent> out;
  out.reserve(rows.size());
  for (const Row& row : rows) out.push_back(FromRow(row));
  return out;
}

}  // namespace

const std::vector<Migration>& AuditStore::Migrations() {
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

Result<std::optional<AuditStore::ChainHead>> AuditStore::LockHead(SqlExecutor& tx,
                                                                  const std::string& account_id) {
  RETURN_IF_ERROR(tx.LockKey("audit:" + account_id));
  ASSIGN_OR_RETURN(auto last, tx.Query("SELECT seq, hash FROM audit_events WHERE account_id = ?"
                                       " ORDER BY seq DESC LIMIT 1",
                                       {account_id}));
  if (last.empty()) return std::optional<ChainHead>();
  return std::optional<ChainHead>(ChainHead{last[0].Int(0), last[0].Text(1)});
}

Status AuditStore::Insert(SqlExecutor& tx, const AuditEvent& e, const std::string& details_json) {
  static const std::string kInsert = std::string("INSERT INTO audit_events (") + kColumns +
                                     ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  return tx
      .Execute(kInsert,
               {e.id, e.account_id, e.seq, ToUnix(e.time), e.actor, e.action, e.resource, e.outcome,
                e.request_id, e.client_address, details_json, e.prev_hash, e.hash})
      .status();
}

Result<std::vector<AuditStore::StoredEvent>> AuditStore::List(SqlExecutor& exec,
                                                              const AuditFilter& f, int64_t limit) {
  std::string sql = std::string("SELECT ") + kColumns + " FROM audit_events WHERE account_id = ?";
  SqlParams params{f.account_id};
  if (f.action) sql += " AND action = ?", params.emplace_back(*f.action);
  if (f.resource) sql += " AND resource = ?", params.emplace_back(*f.resource);
  if (f.since) sql += " AND occurred_at >= ?", params.emplace_back(ToUnix(*f.since));
  if (f.until) sql += " AND occurred_at < ?", params.emplace_back(ToUnix(*f.until));
  if (f.before_seq) sql += " AND seq < ?", params.emplace_back(*f.before_seq);
  sql += " ORDER BY seq DESC LIMIT ?";
  params.emplace_back(limit);
  return Read(exec, sql, params);
}

Result<std::vector<AuditStore::StoredEvent>> AuditStore::Chain(SqlExecutor& exec,
                                                               const std::string& account_id) {
  return Read(
      exec,
      std::string("SELECT ") + kColumns + " FROM audit_events WHERE account_id = ? ORDER BY seq",
      {account_id});
}

Status AuditStore::DeleteChain(SqlExecutor& tx, const std::string& account_id) {
  return tx.Execute("DELETE FROM audit_events WHERE account_id = ?", {account_id}).status();
}

}  // namespace latchkey
