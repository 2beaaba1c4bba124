#include "common/sqlite_database.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <unordered_map>

namespace latchkey {
namespace {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

Status FromSqlite(int rc, std::string_view what) {
  int primary = rc & 0xff;
  if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
    return AlreadyExists("already exists");
  }
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    return Unavailable("database is busy");
  }
  std::string msg = "database error during ";
  msg += what;
  msg += " (";
  msg += sqlite3_errstr(rc);
  msg += ")";
  return Internal(msg);
}

}  // namespace

// One sqlite3 handle with its prepared-statement cache. Used by one thread at
// a time (the pool hands it out exclusively).
class SqliteDatabase::Connection final : public SqlExecutor {
 public:
  explicit Connection(sqlite3* db) : db_(db) {}
  ~Connection() override {
    cache_.clear();  // finalize statements before the handle closes
  }

  sqlite3* handle() { return db_.get(); }

  Result<std::vector<Row>> Query(std::string_view sql, const SqlParams& params) override {
    std::vector<Row> rows;
    Status s = Run(sql, params, &rows);
    if (!s.ok()) return s;
    return rows;
  }

  Result<int64_t> Execute(std::string_view sql, const SqlParams& params) override {
    Status s = Run(sql, params, nullptr);
    if (!s.ok()) return s;
    return static_cast<int64_t>(sqlite3_changes(db_.get()));
  }

  Status ExecRaw(const char* sql) {
    int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr);
    return rc == SQLITE_OK ? Status::Ok() : FromSqlite(rc, sql);
  }

 private:
  Result<sqlite3_stmt*> Prepare(std::string_view sql) {
    auto it = cache_.find(std::string(sql));
    if (it != cache_.end()) return it->second.get();
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    if (rc != SQLITE_OK) return FromSqlite(rc, "prepare");
    cache_.emplace(std::string(sql), StmtPtr(raw));
    return raw;
  }

  static Status Bind(sqlite3_stmt* stmt, const SqlParams& params) {
    if (static_cast<int>(params.size()) != sqlite3_bind_parameter_count(stmt)) {
      return Internal("statement parameter count mismatch");
    }
    for (size_t i = 0; i < params.size(); ++i) {
      int idx = static_cast<int>(i) + 1;
      int rc = std::visit(
          [&](const auto& v) -> int {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::nullptr_t>) {
              return sqlite3_bind_null(stmt, idx);
            } else if constexpr (std::is_same_v<T, int64_t>) {
              return sqlite3_bind_int64(stmt, idx, v);
            } else if constexpr (std::is_same_v<T, std::string>) {
              return sqlite3_bind_text64(stmt, idx, v.data(), v.size(), SQLITE_TRANSIENT,
                                         SQLITE_UTF8);
            } else {
              return sqlite3_bind_blob64(stmt, idx, v.data(), v.size(), SQLITE_TRANSIENT);
            }
          },
          params[i]);
      if (rc != SQLITE_OK) return FromSqlite(rc, "bind");
    }
    return Status::Ok();
  }

  static SqlValue Column(sqlite3_stmt* stmt, int i) {
    switch (sqlite3_column_type(stmt, i)) {
      case SQLITE_INTEGER:
        return static_cast<int64_t>(sqlite3_column_int64(stmt, i));
      case SQLITE_FLOAT:
        return static_cast<int64_t>(sqlite3_column_double(stmt, i));
      case SQLITE_TEXT: {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
        return std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt, i)));
      }
      case SQLITE_BLOB: {
        const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(stmt, i));
        return Bytes(p, p + sqlite3_column_bytes(stmt, i));
      }
      default:
        return nullptr;
    }
  }

  Status Run(std::string_view sql, const SqlParams& params, std::vector<Row>* rows) {
    ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql));
    Status s = Bind(stmt, params);
    int rc = SQLITE_OK;
    if (s.ok()) {
      int ncols = sqlite3_column_count(stmt);
      while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (rows == nullptr) continue;
        std::vector<SqlValue> cols;
        cols.reserve(static_cast<size_t>(ncols));
        for (int i = 0; i < ncols; ++i) cols.push_back(Column(stmt, i));
        rows->emplace_back(std::move(cols));
      }
      if (rc != SQLITE_DONE) s = FromSqlite(sqlite3_extended_errcode(db_.get()), "statement");
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return s;
  }

  std::unique_ptr<sqlite3, DbCloser> db_;
  std::unordered_map<std::string, StmtPtr> cache_;
};

// Hands out connections exclusively; blocks while all are in use.
class SqliteDatabase::Pool {
 public:
  void Add(std::unique_ptr<Connection> c) { idle_.push_back(std::move(c)); }

  // nullptr once closed.
  std::unique_ptr<Connection> Take() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return closed_ || !idle_.empty(); });
    if (closed_) return nullptr;
    auto c = std::move(idle_.back());
    idle_.pop_back();
    ++in_use_;
    return c;
  }

  DatabasePoolStats Stats() {
    std::lock_guard<std::mutex> lock(mu_);
    return {static_cast<int>(idle_.size()) + in_use_, in_use_};
  }

  void Give(std::unique_ptr<Connection> c) {
    std::lock_guard<std::mutex> lock(mu_);
    --in_use_;
    idle_.push_back(std::move(c));
    cv_.notify_all();
  }

  // Waits for borrowed connections to come back, then closes them all.
  void Close() {
    std::unique_lock<std::mutex> lock(mu_);
    if (closed_) return;
    cv_.wait(lock, [&] { return in_use_ == 0; });
    closed_ = true;
    idle_.clear();
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  // Guarded by mu_.
  std::vector<std::unique_ptr<Connection>> idle_;
  int in_use_ = 0;
  bool closed_ = false;
};

namespace {

// Borrows a connection for one scope.
class Lease {
 public:
  Lease(SqliteDatabase::Connection* c, std::function<void()> release)
      : c_(c), release_(std::move(release)) {}
  ~Lease() { release_(); }
  SqliteDatabase::Connection* get() { return c_; }

 private:
  SqliteDatabase::Connection* c_;
  std::function<void()> release_;
};

}  // namespace

namespace {

using DbPtr = std::unique_ptr<sqlite3, DbCloser>;

Status OpenHandle(const std::string& path, int flags, DbPtr* out) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  out->reset(raw);
  if (rc != SQLITE_OK) return Unavailable("cannot open " + path + ": " + sqlite3_errstr(rc));
  sqlite3_busy_timeout(raw, 5000);
  return Status::Ok();
}

// Gives `from` the name `to` unless a file has it: link() where the
// filesystem has hard links, else renameat2(RENAME_NOREPLACE), else (a
// filesystem with neither) a check and rename().
Status PublishNoReplace(const std::string& from, const std::string& to) {
  int rc = ::link(from.c_str(), to.c_str());
  if (rc != 0 && (errno == EPERM || errno == EOPNOTSUPP || errno == EMLINK || errno == ENOSYS)) {
    rc = ::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE);
    if (rc != 0 && (errno == EINVAL || errno == ENOSYS) && ::access(to.c_str(), F_OK) != 0) {
      rc = std::rename(from.c_str(), to.c_str());
    }
  }
  if (rc == 0) return Status::Ok();
  if (errno == EEXIST) return AlreadyExists(to + " exists; choose a new file");
  return Unavailable("cannot create " + to + ": " + std::strerror(errno));
}

// After a rename, so that the new name survives a crash.
void SyncParentDirectory(const std::string& path) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, std::max<size_t>(slash, 1));
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

Status CopyPages(sqlite3* from, sqlite3* to) {
  sqlite3_backup* backup = sqlite3_backup_init(to, "main", from, "main");
  if (backup == nullptr) return Unavailable(std::string("backup: ") + sqlite3_errmsg(to));
  int rc = sqlite3_backup_step(backup, -1);  // all pages, under one read snapshot
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) return Unavailable(std::string("backup: ") + sqlite3_errstr(rc));
  // A plain single-file database, whatever the source's journal mode.
  rc = sqlite3_exec(to, "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status::Ok() : FromSqlite(rc, "backup");
}

Status IntegrityCheck(sqlite3* db, const std::string& path) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &raw, nullptr) != SQLITE_OK) {
    return DataLoss(path + " is not a SQLite database");
  }
  StmtPtr stmt(raw);
  if (sqlite3_step(stmt.get()) != SQLITE_ROW) return DataLoss(path + " is not a SQLite database");
  const char* verdict = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 0));
  if (verdict == nullptr || std::string_view(verdict) != "ok") {
    return DataLoss(path + " failed its integrity check: " + (verdict ? verdict : "no answer"));
  }
  return Status::Ok();
}

}  // namespace

Status SqliteCopy(const std::string& from, const std::string& to) {
  if (::access(to.c_str(), F_OK) == 0) return AlreadyExists(to + " exists; choose a new file");
  if (::access(from.c_str(), R_OK) != 0) return Unavailable("cannot read " + from);
  // Made here by mkstemp: empty, 0600 whatever the umask, and this copy's
  // alone (an interrupted copy's leftover blocks nothing).
  std::string partial = to + ".partial-XXXXXX";
  int fd = ::mkstemp(partial.data());
  if (fd < 0) return Unavailable("cannot create " + partial + ": " + std::strerror(errno));
  ::close(fd);
  Status copied = [&]() -> Status {
    DbPtr source, copy;
    RETURN_IF_ERROR(OpenHandle(from, SQLITE_OPEN_READONLY, &source));
    RETURN_IF_ERROR(IntegrityCheck(source.get(), from));
    // synchronous=FULL (the default): the copy is on disk once it commits.
    RETURN_IF_ERROR(OpenHandle(partial, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &copy));
    RETURN_IF_ERROR(CopyPages(source.get(), copy.get()));
    return IntegrityCheck(copy.get(), to);
  }();
  if (copied.ok()) copied = PublishNoReplace(partial, to);
  std::remove(partial.c_str());
  if (!copied.ok()) return copied;
  SyncParentDirectory(to);
  return Status::Ok();
}

Result<std::unique_ptr<SqliteDatabase>> SqliteDatabase::Open(const SqliteOptions& options) {
  bool memory = options.path == ":memory:";
  int pool_size = memory ? 1 : std::max(1, options.pool_size);
  auto pool = std::make_unique<Pool>();
  for (int i = 0; i < pool_size; ++i) {
    sqlite3* raw = nullptr;
    int rc =
        sqlite3_open_v2(options.path.c_str(), &raw,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    auto conn = std::make_unique<Connection>(raw);
    if (rc != SQLITE_OK) {
      return Unavailable("cannot open database " + options.path + ": " + sqlite3_errstr(rc));
    }
    sqlite3_busy_timeout(raw, options.busy_timeout_ms);
    for (const char* pragma :
         {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON"}) {
      Status s = conn->ExecRaw(pragma);
      if (!s.ok()) return Unavailable("cannot configure database: " + s.message());
    }
    pool->Add(std::move(conn));
  }
  return std::unique_ptr<SqliteDatabase>(new SqliteDatabase(std::move(pool)));
}

SqliteDatabase::SqliteDatabase(std::unique_ptr<Pool> pool) : pool_(std::move(pool)) {}

SqliteDatabase::~SqliteDatabase() { Close(); }

#define LATCHKEY_WITH_CONNECTION(var)                         \
  std::unique_ptr<Connection> var##_owned = pool_->Take();    \
  if (!var##_owned) return Unavailable("database is closed"); \
  Connection* var = var##_owned.get();                        \
  Lease var##_lease(var, [&] { pool_->Give(std::move(var##_owned)); })

Result<std::vector<Row>> SqliteDatabase::Query(std::string_view sql, const SqlParams& params) {
  LATCHKEY_WITH_CONNECTION(conn);
  return conn->Query(sql, params);
}

Result<int64_t> SqliteDatabase::Execute(std::string_view sql, const SqlParams& params) {
  LATCHKEY_WITH_CONNECTION(conn);
  return conn->Execute(sql, params);
}

Status SqliteDatabase::Transaction(const std::function<Status(SqlExecutor&)>& body) {
  LATCHKEY_WITH_CONNECTION(conn);
  RETURN_IF_ERROR(conn->ExecRaw("BEGIN IMMEDIATE"));
  Status s;
  try {
    s = body(*conn);
  } catch (...) {
    conn->ExecRaw("ROLLBACK").IgnoreError();
    throw;
  }
  if (s.ok()) {
    s = conn->ExecRaw("COMMIT");
    if (s.ok()) return s;
  }
  conn->ExecRaw("ROLLBACK").IgnoreError();
  return s;
}

Status SqliteDatabase::Ping() {
  auto rows = Query("SELECT 1", {});
  if (!rows.ok()) return rows.status();
  return Status::Ok();
}

void SqliteDatabase::Close() {
  if (pool_) pool_->Close();
}

DatabasePoolStats SqliteDatabase::PoolStats() { return pool_->Stats(); }

}  // namespace latchkey
