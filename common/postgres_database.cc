#include "common/postgres_database.h"

#include <libpq-fe.h>

#include <cstdlib>
#include <cstring>

namespace latchkey {
namespace {

constexpr Oid kInt8 = 20, kInt2 = 21, kInt4 = 23, kBool = 16, kBytea = 17;

Status MapError(const PGresult* res, PGconn* conn, std::string_view op) {
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string code = state ? state : "";
  if (code == "23505") return AlreadyExists("already exists");
  if (PQstatus(conn) != CONNECTION_OK || code.rfind("08", 0) == 0 || code == "57P01" ||
      code == "57P02" || code == "57P03" || code == "40001" || code == "40P01" || code == "53300") {
    return Unavailable("database is unavailable");
  }
  return Internal("postgres: " + std::string(op) + " failed (" + (code.empty() ? "?" : code) + ")");
}

// libpq's hex bytea text ("\x0a1b...").
Bytes DecodeBytea(const char* text, int length) {
  Bytes out;
  if (length < 2 || text[0] != '\\' || text[1] != 'x') return out;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return 0;
  };
  out.reserve(static_cast<size_t>(length - 2) / 2);
  for (int i = 2; i + 1 < length; i += 2) {
    out.push_back(static_cast<uint8_t>(nibble(text[i]) * 16 + nibble(text[i + 1])));
  }
  return out;
}

}  // namespace

class PostgresDatabase::Connection final : public SqlExecutor {
 public:
  explicit Connection(PGconn* conn) : conn_(conn) {}
  ~Connection() override { PQfinish(conn_); }

  bool healthy() const { return PQstatus(conn_) == CONNECTION_OK && !broken_; }
  // Reads whatever the server sent while the connection sat idle: a
  // restarted or crashed server has closed it, which shows here instead of
  // failing the caller's next statement.
  bool Alive() {
    return !broken_ && PQconsumeInput(conn_) == 1 && PQstatus(conn_) == CONNECTION_OK;
  }

  Result<std::vector<Row>> Query(std::string_view sql, const SqlParams& params) override {
    PGresult* res = Run(sql, params);
    auto status = PQresultStatus(res);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) return Fail(res, "query");
    std::vector<Row> rows;
    int n = PQntuples(res), cols = PQnfields(res);
    rows.reserve(static_cast<size_t>(n));
    for (int r = 0; r < n; ++r) {
      std::vector<SqlValue> values;
      values.reserve(static_cast<size_t>(cols));
      for (int c = 0; c < cols; ++c) {
        if (PQgetisnull(res, r, c)) {
          values.emplace_back(nullptr);
          continue;
        }
        const char* v = PQgetvalue(res, r, c);
        int len = PQgetlength(res, r, c);
        switch (PQftype(res, c)) {
          case kInt8:
          case kInt4:
          case kInt2:
            values.emplace_back(static_cast<int64_t>(std::strtoll(v, nullptr, 10)));
            break;
          case kBool:
            values.emplace_back(static_cast<int64_t>(v[0] == 't' ? 1 : 0));
            break;
          case kBytea:
            values.emplace_back(DecodeBytea(v, len));
            break;
          default:
            values.emplace_back(std::string(v, static_cast<size_t>(len)));
        }
      }
      rows.emplace_back(std::move(values));
    }
    PQclear(res);
    return rows;
  }

  Result<int64_t> Execute(std::string_view sql, const SqlParams& params) override {
    PGresult* res = Run(sql, params);
    auto status = PQresultStatus(res);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return Fail(res, "statement");
    const char* tuples = PQcmdTuples(res);
    int64_t n = tuples && *tuples ? std::strtoll(tuples, nullptr, 10) : 0;
    PQclear(res);
    return n;
  }

  Status LockKey(std::string_view key) override {
    return Query("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", {std::string(key)})
        .status();
  }

  Status Simple(const char* sql) {
    PGresult* res = PQexec(conn_, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
      return Fail(res, sql);
    }
    PQclear(res);
    return Status::Ok();
  }

 private:
  PGresult* Run(std::string_view sql, const SqlParams& params) {
    std::string text = NumberPlaceholders(sql);
    size_t n = params.size();
    std::vector<std::string> texts(n);
    std::vector<const char*> values(n, nullptr);
    std::vector<int> lengths(n, 0), formats(n, 0);
    std::vector<Oid> types(n, 0);
    for (size_t i = 0; i < n; ++i) {
      const SqlValue& p = params[i];
      if (std::holds_alternative<std::nullptr_t>(p)) continue;
      if (const auto* v = std::get_if<int64_t>(&p)) {
        texts[i] = std::to_string(*v);
        types[i] = kInt8;
      } else if (const auto* s = std::get_if<std::string>(&p)) {
        values[i] = s->data();
        lengths[i] = static_cast<int>(s->size());
        continue;
      } else if (const auto* b = std::get_if<Bytes>(&p)) {
        values[i] = reinterpret_cast<const char*>(b->data());
        lengths[i] = static_cast<int>(b->size());
        formats[i] = 1;
        types[i] = kBytea;
        continue;
      }
      values[i] = texts[i].c_str();
      lengths[i] = static_cast<int>(texts[i].size());
    }
    return PQexecParams(conn_, text.c_str(), static_cast<int>(n), types.data(), values.data(),
                        lengths.data(), formats.data(), 0);
  }

  Status Fail(PGresult* res, std::string_view op) {
    Status s = MapError(res, conn_, op);
    if (s.code() == StatusCode::kUnavailable && PQstatus(conn_) != CONNECTION_OK) broken_ = true;
    PQclear(res);
    return s;
  }

  PGconn* conn_;
  bool broken_ = false;
};

std::string PostgresDatabase::NumberPlaceholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int next = 1;
  bool quoted = false;
  for (char c : sql) {
    if (c == '\'') quoted = !quoted;
    if (c == '?' && !quoted) {
      out += '$';
      out += std::to_string(next++);
    } else {
      out += c;
    }
  }
  return out;
}

PostgresDatabase::PostgresDatabase(PostgresOptions options) : options_(std::move(options)) {}

PostgresDatabase::~PostgresDatabase() { Close(); }

Result<std::unique_ptr<PostgresDatabase>> PostgresDatabase::Open(const PostgresOptions& options) {
  std::unique_ptr<PostgresDatabase> db(new PostgresDatabase(options));
  ASSIGN_OR_RETURN(auto first, db->Take());
  db->Give(std::move(first));
  return db;
}

Result<std::unique_ptr<PostgresDatabase::Connection>> PostgresDatabase::Take() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return closed_ || !idle_.empty() || open_ < options_.pool_size; });
    if (closed_) return Unavailable("database is closed");
    while (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      if (c->Alive()) return c;
      --open_;  // dropped; a fresh one replaces it below
    }
    ++open_;  // reserve a slot, connect outside the lock
  }
  std::string timeout = std::to_string(options_.connect_timeout.count());
  const char* keys[] = {"dbname", "connect_timeout", "application_name", nullptr};
  const char* values[] = {options_.url.c_str(), timeout.c_str(), "latchkeyd", nullptr};
  PGconn* raw = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  // Server NOTICEs ("already exists, skipping") are not ours to print.
  PQsetNoticeProcessor(
      raw, [](void*, const char*) {}, nullptr);
  auto conn = std::make_unique<Connection>(raw);
  bool ok = PQstatus(raw) == CONNECTION_OK && conn->Simple("SET TIME ZONE 'UTC'").ok();
  if (ok && !options_.schema.empty()) {
    bool safe = options_.schema.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") ==
                std::string::npos;
    ok = safe && conn->Simple(("SET search_path TO " + options_.schema).c_str()).ok();
  }
  if (!ok) {
    std::lock_guard<std::mutex> lock(mu_);
    --open_;
    cv_.notify_one();
    return Unavailable("cannot connect to PostgreSQL");
  }
  return conn;
}

void PostgresDatabase::Give(std::unique_ptr<Connection> c) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_ || !c->healthy()) {
    --open_;
  } else {
    idle_.push_back(std::move(c));
  }
  cv_.notify_one();
}

Result<std::vector<Row>> PostgresDatabase::Query(std::string_view sql, const SqlParams& params) {
  // A read on a connection the server had closed is safe to run again on
  // a fresh one (at most once).
  for (int attempt = 0;; ++attempt) {
    ASSIGN_OR_RETURN(auto conn, Take());
    auto out = conn->Query(sql, params);
    bool lost = !out.ok() && !conn->healthy();
    Give(std::move(conn));
    if (!lost || attempt == 1) return out;
  }
}

Result<int64_t> PostgresDatabase::Execute(std::string_view sql, const SqlParams& params) {
  ASSIGN_OR_RETURN(auto conn, Take());
  auto out = conn->Execute(sql, params);
  Give(std::move(conn));
  return out;
}

Status PostgresDatabase::Transaction(const std::function<Status(SqlExecutor&)>& body) {
  ASSIGN_OR_RETURN(auto conn, Take());
  Status s = conn->Simple("BEGIN");
  if (!s.ok() && !conn->healthy()) {
    // Lost before anything ran: start over on a fresh connection, once.
    Give(std::move(conn));
    ASSIGN_OR_RETURN(conn, Take());
    s = conn->Simple("BEGIN");
  }
  if (s.ok()) {
    try {
      s = body(*conn);
    } catch (...) {
      conn->Simple("ROLLBACK").IgnoreError();
      Give(std::move(conn));
      throw;
    }
    if (s.ok()) {
      s = conn->Simple("COMMIT");
    } else {
      conn->Simple("ROLLBACK").IgnoreError();
    }
  }
  Give(std::move(conn));
  return s;
}

Status PostgresDatabase::Ping() { return Query("SELECT 1", {}).status(); }

void PostgresDatabase::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  idle_.clear();
  cv_.notify_all();
}

DatabasePoolStats PostgresDatabase::PoolStats() {
  std::lock_guard<std::mutex> lock(mu_);
  return {open_, open_ - static_cast<int>(idle_.size())};
}

}  // namespace latchkey
