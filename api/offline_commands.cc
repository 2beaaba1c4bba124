// The offline commands: `latchkeyd rewrap`, `latchkeyd admin-key rotate`,
// `latchkeyd backup` and `latchkeyd restore`. Each does its one job and
// exits.
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>

#include "api/daemon.h"
#include "api/storage.h"
#include "common/audit_log.h"
#include "common/crypto.h"
#include "common/envelope.h"
#include "common/sqlite_database.h"
#include "services/accounts/account_store.h"
#include "services/accounts/admin_key.h"

namespace latchkey {

int RunRewrap(const Config& config) {
  SystemClock& clock = SystemClock::Get();
  Storage storage;
  Status opened = OpenStorage(config, clock, &storage, /*allow_create_key=*/false);
  if (!opened.ok()) return ConfigError(opened.message());
  Envelope envelope(*storage.db, *storage.keys, clock);
  auto count = envelope.RewrapAll();
  if (!count.ok()) {
    std::fprintf(stderr, "latchkeyd: rewrap failed, nothing changed: %s\n",
                 count.status().message().c_str());
    return 1;
  }
  std::printf("rewrapped %lld data keys under master key %s\n", static_cast<long long>(*count),
              storage.keys->active_id().c_str());
  storage.db->Close();
  return 0;
}

int RunRotateAdminKey(const Config& config) {
  SystemClock& clock = SystemClock::Get();
  Storage storage;
  Status opened = OpenStorage(config, clock, &storage, /*allow_create_key=*/false);
  if (!opened.ok()) return ConfigError(opened.message());
  AuditLog audit(clock);
  auto key = AdminKey::Rotate(*storage.db, audit, AuditContext{"operator", "", "local"});
  storage.db->Close();
  if (!key.ok()) {
    std::fprintf(stderr, "latchkeyd: admin key rotation failed, nothing changed: %s\n",
                 key.status().message().c_str());
    return 1;
  }
  std::printf("admin key (shown once, store it now): %s\n", key->c_str());
  SecureWipe(key->data(), key->size());
  std::printf(
      "the old key stops working; running servers take the new one up within their "
      "--maintenance-interval (10 s by default)\n");
  if (config.admin_key) {
    std::printf(
        "note: LATCHKEY_ADMIN_KEY is set here; a server started with it accepts only that key\n");
  }
  return 0;
}

namespace {

constexpr char kDatabaseFile[] = "/latchkey.db";

// What the restored database holds, checked: every data key opens with the
// configured master keys and every audit chain verifies.
struct RestoreReport {
  int64_t data_keys = 0;
  int64_t accounts = 0;
  int64_t events = 0;
};

Result<RestoreReport> CheckRestored(const Config& config) {
  SystemClock& clock = SystemClock::Get();
  Storage storage;
  RETURN_IF_ERROR(OpenStorage(config, clock, &storage, /*allow_create_key=*/false));
  RestoreReport report;
  Envelope envelope(*storage.db, *storage.keys, clock);
  ASSIGN_OR_RETURN(report.data_keys, envelope.CheckAll());
  ASSIGN_OR_RETURN(std::vector<Account> accounts, AccountStore::List(*storage.db));
  std::vector<std::string> chains = {kSystemChain};
  for (const Account& a : accounts) chains.push_back(a.id);
  report.accounts = static_cast<int64_t>(accounts.size());
  AuditLog audit(clock);
  for (const std::string& chain : chains) {
    ASSIGN_OR_RETURN(AuditVerification v, audit.Verify(*storage.db, chain));
    if (!v.ok) return DataLoss("the audit chain of " + chain + " is broken: " + v.reason);
    report.events += v.count;
  }
  storage.db->Close();
  return report;
}

}  // namespace

int RunBackup(const Config& config) {
  if (!config.database_url.empty()) {
    return ConfigError(
        "backup copies the embedded SQLite database; on PostgreSQL use pg_dump (see "
        "docs/operations.md#backups)");
  }
  std::string source = config.data_dir + kDatabaseFile;
  std::error_code ec;
  bool exists = std::filesystem::exists(source, ec);
  if (ec) {
    std::fprintf(stderr, "latchkeyd: backup failed: cannot check %s: %s\n", source.c_str(),
                 ec.message().c_str());
    return 1;
  }
  if (!exists) return ConfigError("no database at " + source);
  Status copied = SqliteCopy(source, config.command_file);
  if (!copied.ok()) {
    std::fprintf(stderr, "latchkeyd: backup failed: %s\n", copied.message().c_str());
    return 1;
  }
  std::printf("backed up %s to %s\n", source.c_str(), config.command_file.c_str());
  std::printf(
      "the master key is not in it: keep %s/master.key (or LATCHKEY_MASTER_KEYS) too, stored "
      "apart from the backup\n",
      config.data_dir.c_str());
  return 0;
}

int RunRestore(const Config& config) {
  if (!config.database_url.empty()) {
    return ConfigError(
        "restore writes the embedded SQLite database; on PostgreSQL use pg_restore (see "
        "docs/operations.md#backups)");
  }
  std::string target = config.data_dir + kDatabaseFile;
  std::error_code ec;
  if (std::filesystem::exists(target, ec) || ec) {
    if (ec) return ConfigError("cannot look into " + config.data_dir + ": " + ec.message());
    return ConfigError(target +
                       " exists: restore into a new --data-dir, or stop the server and move the "
                       "database aside first");
  }
  std::filesystem::create_directories(config.data_dir, ec);
  chmod(config.data_dir.c_str(), 0700);
  Status copied = SqliteCopy(config.command_file, target);
  if (!copied.ok()) {  // whatever is at `target` now is not ours to remove
    std::fprintf(stderr, "latchkeyd: restore failed, nothing restored: %s\n",
                 copied.message().c_str());
    return 1;
  }
  auto report = CheckRestored(config);
  if (!report.ok()) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((target + suffix).c_str());
    std::fprintf(stderr, "latchkeyd: restore failed, nothing restored: %s\n",
                 report.status().message().c_str());
    if (report.status().message().find("master key") != std::string::npos) {
      std::fprintf(stderr,
                   "latchkeyd: put the backup's master key in %s/master.key (or set "
                   "LATCHKEY_MASTER_KEYS), then run restore again\n",
                   config.data_dir.c_str());
    }
    return 1;
  }
  std::printf(
      "restored %s into %s: %lld accounts, %lld data keys open, %lld audit events verified\n",
      config.command_file.c_str(), target.c_str(), static_cast<long long>(report->accounts),
      static_cast<long long>(report->data_keys), static_cast<long long>(report->events));
  return 0;
}

}  // namespace latchkey
