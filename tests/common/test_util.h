// Helpers shared by tests: a temporary directory that cleans up after itself
// and a migrated SQLite database in it.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "common/audit_log.h"
#include "common/envelope.h"
#include "common/migrations.h"
#include "common/postgres_database.h"
#include "common/sqlite_database.h"

namespace latchkey::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "latchkey-test-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Set (by tests/pg/with_postgres.sh) when the suite runs on PostgreSQL.
inline const char* TestDatabaseUrl() { return std::getenv("LATCHKEY_TEST_DATABASE_URL"); }

// A fresh, empty database: a SQLite file in `dir`, or on PostgreSQL a new
// schema of its own in the test cluster.
inline std::unique_ptr<Database> OpenDb(const TempDir& dir, const std::string& name = "t.db") {
  if (const char* url = TestDatabaseUrl()) {
    static std::atomic<int> counter{0};
    std::string schema = "t" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
    auto admin = PostgresDatabase::Open(PostgresOptions{url, 1});
    if (!admin.ok() || !(*admin)->Execute("CREATE SCHEMA " + schema, {}).ok()) std::abort();
    (*admin)->Close();
    auto db = PostgresDatabase::Open(PostgresOptions{url, 4, std::chrono::seconds(5), schema});
    if (!db.ok()) std::abort();
    return std::move(*db);
  }
  auto db = SqliteDatabase::Open(SqliteOptions{dir.file(name), 4, 5000});
  if (!db.ok()) std::abort();
  return std::move(*db);
}

// Everything `db` has stored, to search for plaintext: the SQLite file after
// a checkpoint, or a data dump of the PostgreSQL schema with bytea decoded.
inline std::string StoredBytes(Database& db, const TempDir& dir, const std::string& name = "t.db") {
  std::string out;
  if (auto* pg = dynamic_cast<PostgresDatabase*>(&db)) {
    std::string cmd =
        "pg_dump --data-only -n " + pg->options().schema + " '" + pg->options().url + "'";
    FILE* p = ::popen(cmd.c_str(), "r");
    char buf[4096];
    size_t n;
    while (p && (n = std::fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
    if (!p || ::pclose(p) != 0 || out.find("COPY ") == std::string::npos) {
      std::fprintf(stderr, "StoredBytes: pg_dump failed\n");
      std::abort();  // an empty dump would make every "not found" pass
    }
    // bytea comes out as \\x<hex>; add the decoded bytes too.
    std::string decoded;
    for (size_t at = out.find("\\\\x"); at != std::string::npos; at = out.find("\\\\x", at + 1)) {
      size_t i = at + 3;
      while (i + 1 < out.size() && std::isxdigit(static_cast<unsigned char>(out[i])) &&
             std::isxdigit(static_cast<unsigned char>(out[i + 1]))) {
        decoded += static_cast<char>(std::stoi(out.substr(i, 2), nullptr, 16));
        i += 2;
      }
    }
    return out + decoded;
  }
  db.Execute("PRAGMA wal_checkpoint(TRUNCATE)", {}).status().IgnoreError();
  std::ifstream f(dir.file(name), std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline MasterKeyring TestKeyring(
    const std::string& spec = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=") {
  auto ring = MasterKeyring::Parse(spec);
  if (!ring.ok()) std::abort();
  return std::move(*ring);
}

}  // namespace latchkey::testing
