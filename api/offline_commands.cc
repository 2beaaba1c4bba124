// The offline commands: `latchkeyd rewrap` and `latchkeyd admin-key
// rotate`. Each opens the storage, does its one job and exits.
#include <cstdio>

#include "api/daemon.h"
#include "api/storage.h"
#include "common/audit_log.h"
#include "common/crypto.h"
#include "common/envelope.h"
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

}  // namespace latchkey
