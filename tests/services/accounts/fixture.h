// A migrated database with the account services wired as latchkeyd wires them.
#pragma once

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>

#include "services/accounts/accounts.h"
#include "services/accounts/admin_key.h"
#include "services/accounts/api_keys.h"
#include "tests/common/test_util.h"

namespace latchkey::testing {

struct AccountsFixture {
  TempDir dir;
  std::unique_ptr<Database> db = OpenDb(dir);
  FakeClock clock{1'700'000'000};
  MasterKeyring keys = TestKeyring();
  Envelope envelope{*db, keys, clock};
  AuditLog audit{clock};
  ApiKeyService api_keys{*db, audit, clock};
  AccountService accounts{*db, envelope, audit, api_keys, clock};
  AuditContext ctx{"admin", "req_test", "127.0.0.1"};

  AccountsFixture() {
    BOOST_REQUIRE(ApplyMigrations(*db, "envelope", Envelope::Migrations()).ok());
    BOOST_REQUIRE(ApplyMigrations(*db, "audit", AuditLog::Migrations()).ok());
    BOOST_REQUIRE(ApplyMigrations(*db, "accounts", AccountService::Migrations()).ok());
    BOOST_REQUIRE(ApplyMigrations(*db, "api_keys", ApiKeyService::Migrations()).ok());
    BOOST_REQUIRE(ApplyMigrations(*db, "admin", AdminKey::Migrations()).ok());
  }

  int64_t Count(const std::string& sql, const SqlParams& params = {}) {
    return (*db->Query(sql, params))[0].Int(0);
  }

  // Everything stored (the SQLite file, or a dump of the PostgreSQL schema),
  // to search for plaintext.
  std::string DatabaseBytes() { return StoredBytes(*db, dir); }
};

}  // namespace latchkey::testing
