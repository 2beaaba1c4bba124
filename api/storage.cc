#include "api/storage.h"

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>

#include "common/audit_log.h"
#include "common/envelope.h"
#include "common/migrations.h"
#include "common/postgres_database.h"
#include "common/sqlite_database.h"
#include "services/accounts/accounts.h"
#include "services/accounts/admin_key.h"
#include "services/accounts/api_keys.h"
#include "services/accounts/idempotency.h"
#include "services/certificates/certificates.h"
#include "services/credentials/credentials.h"
#include "services/events/health.h"
#include "services/events/usage.h"
#include "services/events/webhooks.h"
#include "services/oauth/oauth.h"

namespace latchkey {
namespace {

// postgresql://user:secret@host/db -> postgresql://user:***@host/db
std::string RedactedUrl(const std::string& url) {
  size_t scheme = url.find("://");
  size_t at = url.find('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) return url;
  size_t colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

// The master keys: from LATCHKEY_MASTER_KEYS, else the data dir's key file,
// else a new key file, but only for a database that holds nothing sealed.
Status LoadMasterKeys(const Config& config, Database& db, bool allow_create_key, Storage* out) {
  std::string key_file = config.data_dir + "/master.key";
  if (config.master_keys) {
    auto ring = MasterKeyring::Parse(*config.master_keys);
    if (!ring.ok()) return InvalidArgument("LATCHKEY_MASTER_KEYS: " + ring.status().message());
    out->keys = std::move(*ring);
    out->key_source = "LATCHKEY_MASTER_KEYS";
  } else if (std::filesystem::exists(key_file)) {
    auto ring = MasterKeyring::LoadFile(key_file);
    if (!ring.ok()) return InvalidArgument(ring.status().message());
    out->keys = std::move(*ring);
    out->key_source = key_file;
  } else {
    ASSIGN_OR_RETURN(int64_t data_keys, Envelope::CountDataKeys(db));
    if (data_keys > 0) {
      return InvalidArgument(
          "the database holds sealed data but no master key is configured: set "
          "LATCHKEY_MASTER_KEYS or restore " +
          key_file);
    }
    if (!allow_create_key) return InvalidArgument("no master key configured");
    auto ring = MasterKeyring::CreateFile(key_file);
    if (!ring.ok()) return InvalidArgument(ring.status().message());
    out->keys = std::move(*ring);
    out->key_source = key_file + " (generated now)";
  }
  return Status::Ok();
}

}  // namespace

int ConfigError(const std::string& message) {
  std::fprintf(stderr, "latchkeyd: %s\n", message.c_str());
  return 2;
}

Status OpenStorage(const Config& config, const Clock& clock, Storage* out, bool allow_create_key) {
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) return InvalidArgument("cannot create data dir " + config.data_dir + ": " + ec.message());
  chmod(config.data_dir.c_str(), 0700);
  if (!config.database_url.empty()) {
    // Every replica must seal and open with the same keys: no local key file.
    if (!config.master_keys) {
      return InvalidArgument(
          "--database-url needs LATCHKEY_MASTER_KEYS (the same on every replica)");
    }
    out->db_path = RedactedUrl(config.database_url);
    auto pg = PostgresDatabase::Open(PostgresOptions{config.database_url, config.database_pool});
    if (!pg.ok()) return Unavailable("cannot connect to " + out->db_path);
    out->db = std::move(*pg);
  } else {
    out->db_path = config.data_dir + "/latchkey.db";
    ASSIGN_OR_RETURN(out->db,
                     SqliteDatabase::Open(SqliteOptions{out->db_path, kSqliteConnections, 5000}));
  }
  Database& db = *out->db;
  RETURN_IF_ERROR(ApplyMigrations(db, "envelope", Envelope::Migrations()));
  RETURN_IF_ERROR(ApplyMigrations(db, "audit", AuditLog::Migrations()));
  RETURN_IF_ERROR(ApplyMigrations(db, "accounts", AccountService::Migrations()));
  RETURN_IF_ERROR(ApplyMigrations(db, "api_keys", ApiKeyService::Migrations()));
  RETURN_IF_ERROR(ApplyMigrations(db, "idempotency", IdempotencyKeys::Migrations()));
  RETURN_IF_ERROR(ApplyMigrations(db, "admin", AdminKey::Migrations()));
  RETURN_IF_ERROR(ApplyMigrations(db, "certificates", CertificateService::Migrations()));
  RETURN_IF_ERROR(ApplyMigrations(db, "credentials", CredentialService::Migrations()));
  RETURN_IF_ERROR(OAuthService::Migrate(db));
  RETURN_IF_ERROR(ApplyMigrations(db, "events", WebhookService::Migrations()));
  RETURN_IF_ERROR(ApplyMigrations(db, "usage", UsageService::Migrations()));
  RETURN_IF_ERROR(ApplyMigrations(db, "health", HealthService::Migrations()));

  RETURN_IF_ERROR(LoadMasterKeys(config, db, allow_create_key, out));
  Envelope envelope(db, *out->keys, clock);
  ASSIGN_OR_RETURN(auto missing, envelope.MissingMasterKeys());
  if (!missing.empty()) {
    std::string ids;
    for (const auto& id : missing) ids += (ids.empty() ? "" : ", ") + id;
    return InvalidArgument("master key(s) " + ids +
                           " wrap existing data keys but are not configured");
  }
  return Status::Ok();
}

}  // namespace latchkey
