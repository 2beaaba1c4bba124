// Storage: the database and master keys latchkeyd runs on, opened and
// migrated; shared by the server and the offline commands (rewrap,
// admin-key rotate).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "api/config.h"
#include "common/clock.h"
#include "common/database.h"
#include "common/master_keys.h"

namespace latchkey {

// Connections in the SQLite pool.
inline constexpr int kSqliteConnections = 4;

// Storage and keys, opened and migrated.
struct Storage {
  std::unique_ptr<Database> db;
  std::optional<MasterKeyring> keys;
  std::string db_path;
  std::string key_source;
};

// Opens the database (PostgreSQL with --database-url, else SQLite in the
// data dir), applies every component's migrations and loads the master
// keys: from LATCHKEY_MASTER_KEYS, else the data dir's key file, else (only
// with `allow_create_key`, and only for a database that holds nothing
// sealed) a new key file.
Status OpenStorage(const Config& config, const Clock& clock, Storage* out, bool allow_create_key);

// Prints "latchkeyd: {message}" to stderr; returns 2, the exit code for bad
// configuration.
int ConfigError(const std::string& message);

}  // namespace latchkey
