// Helpers shared by tests: a temporary directory that cleans up after itself
// and a migrated SQLite database in it.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "common/audit_log.h"
#include "common/envelope.h"
#include "common/migrations.h"
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

inline std::unique_ptr<SqliteDatabase> OpenDb(const TempDir& dir, const std::string& name = "t.db") {
  auto db = SqliteDatabase::Open(SqliteOptions{dir.file(name), 4, 5000});
  if (!db.ok()) std::abort();
  return std::move(*db);
}

inline MasterKeyring TestKeyring(const std::string& spec =
                                     "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=") {
  auto ring = MasterKeyring::Parse(spec);
  if (!ring.ok()) std::abort();
  return std::move(*ring);
}

}  // namespace latchkey::testing
