// What the C++ benchmarks share: a migrated SQLite database in a fresh
// temporary directory with the account services wired as latchkeyd wires
// them.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include "common/audit_log.h"
#include "common/envelope.h"
#include "common/migrations.h"
#include "common/sqlite_database.h"
#include "services/accounts/accounts.h"
#include "services/accounts/api_keys.h"

namespace latchkey::bench {

inline std::string FreshDir(const std::string& name) {
  std::string dir = std::filesystem::temp_directory_path() / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

struct BenchStore {
  explicit BenchStore(const std::string& name) : dir(FreshDir(name)) {
    for (auto* m : {&Envelope::Migrations(), &AuditLog::Migrations(), &AccountService::Migrations(),
                    &ApiKeyService::Migrations()}) {
      if (!ApplyMigrations(*db, "bench" + std::to_string(step++), *m).ok()) std::exit(1);
    }
  }
  ~BenchStore() { std::filesystem::remove_all(dir); }

  std::string dir;
  std::unique_ptr<SqliteDatabase> db =
      std::move(*SqliteDatabase::Open(SqliteOptions{dir + "/b.db", 4, 5000}));
  FakeClock clock;
  MasterKeyring keys =
      std::move(*MasterKeyring::Parse("k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="));
  Envelope envelope{*db, keys, clock};
  AuditLog audit{clock};
  ApiKeyService api_keys{*db, audit, clock};
  AccountService accounts{*db, envelope, audit, api_keys, clock};

 private:
  int step = 0;
};

}  // namespace latchkey::bench
