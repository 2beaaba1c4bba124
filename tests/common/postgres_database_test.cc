// PostgresDatabase against a real server: tests/pg/with_postgres.sh starts a
// throwaway cluster and passes its URL in LATCHKEY_TEST_DATABASE_URL.
#define BOOST_TEST_MODULE postgres_tests
#include "common/postgres_database.h"

#include <boost/test/unit_test.hpp>
#include <cstdlib>

#include "common/audit_log.h"
#include "common/envelope.h"
#include "common/migrations.h"
#include "services/accounts/accounts.h"
#include "services/accounts/admin_key.h"
#include "services/accounts/api_keys.h"
#include "services/certificates/certificates.h"
#include "services/credentials/credentials.h"
#include "services/oauth/oauth.h"

namespace latchkey {
namespace {

std::unique_ptr<PostgresDatabase> Connect() {
  const char* url = std::getenv("LATCHKEY_TEST_DATABASE_URL");
  BOOST_REQUIRE_MESSAGE(url, "run through tests/pg/with_postgres.sh");
  auto db = PostgresDatabase::Open(PostgresOptions{url, 4});
  BOOST_REQUIRE_MESSAGE(db.ok(), db.status().ToString());
  return std::move(*db);
}

struct Fixture {
  std::unique_ptr<PostgresDatabase> db = Connect();
  Fixture() {
    BOOST_REQUIRE(db->Execute("DROP TABLE IF EXISTS t", {}).ok());
    BOOST_REQUIRE(
        db->Execute("CREATE TABLE t (id TEXT PRIMARY KEY, n BIGINT, b BYTEA, s TEXT)", {}).ok());
  }
};

BOOST_AUTO_TEST_SUITE(PostgresDatabaseTest)

BOOST_AUTO_TEST_CASE(PlaceholdersAreNumberedOutsideQuotes) {
  BOOST_TEST(PostgresDatabase::NumberPlaceholders("a = ? AND b = '?' AND c IN (?, ?)") ==
             "a = $1 AND b = '?' AND c IN ($2, $3)");
}

BOOST_FIXTURE_TEST_CASE(ValuesRoundTripWithTheirTypes, Fixture) {
  Bytes blob = {0, 1, 0xfe, 0xff, '\'', '\\'};
  BOOST_REQUIRE(db->Execute("INSERT INTO t (id, n, b, s) VALUES (?, ?, ?, ?)",
                            {std::string("a"), int64_t{-42}, blob, std::string("it's ?")})
                    .ok());
  BOOST_REQUIRE(db->Execute("INSERT INTO t (id, n, b, s) VALUES (?, ?, ?, ?)",
                            {std::string("b"), nullptr, nullptr, nullptr})
                    .ok());
  auto rows = db->Query("SELECT id, n, b, s, n IS NULL FROM t ORDER BY id", {});
  BOOST_REQUIRE(rows.ok());
  BOOST_REQUIRE(rows->size() == 2u);
  const Row& a = (*rows)[0];
  BOOST_TEST(a.Text(0) == "a");
  BOOST_TEST(a.Int(1) == -42);
  BOOST_TEST(a.Blob(2) == blob);
  BOOST_TEST(a.Text(3) == "it's ?");
  BOOST_TEST(a.Int(4) == 0);  // boolean
  BOOST_TEST((*rows)[1].IsNull(1));
  BOOST_TEST((*rows)[1].IsNull(2));
  auto n = db->Execute("UPDATE t SET n = ? WHERE n IS NULL OR n < ?", {int64_t{7}, int64_t{0}});
  BOOST_REQUIRE(n.ok());
  BOOST_TEST(*n == 2);
  auto returning = db->Query("UPDATE t SET n = n + 1 WHERE id = ? RETURNING n", {std::string("a")});
  BOOST_TEST((*returning)[0].Int(0) == 8);
}

BOOST_FIXTURE_TEST_CASE(UniqueViolationIsAlreadyExistsAndOtherErrorsSayNoData, Fixture) {
  BOOST_REQUIRE(db->Execute("INSERT INTO t (id) VALUES (?)", {std::string("x")}).ok());
  auto dup = db->Execute("INSERT INTO t (id) VALUES (?)", {std::string("x")});
  BOOST_TEST(dup.status().code() == StatusCode::kAlreadyExists);
  auto bad = db->Query("SELECT nope FROM t WHERE id = ?", {std::string("secret-value")});
  BOOST_TEST(bad.status().code() == StatusCode::kInternal);
  BOOST_TEST(bad.status().message().find("secret-value") == std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(TransactionsCommitOrRollBackWhole, Fixture) {
  Status failed = db->Transaction([](SqlExecutor& tx) -> Status {
    RETURN_IF_ERROR(tx.Execute("INSERT INTO t (id) VALUES (?)", {std::string("r")}).status());
    return InvalidArgument("changed my mind");
  });
  BOOST_TEST(failed.code() == StatusCode::kInvalidArgument);
  BOOST_TEST((*db->Query("SELECT COUNT(*) FROM t", {}))[0].Int(0) == 0);
  BOOST_REQUIRE(db->Transaction([](SqlExecutor& tx) {
                    return tx.Execute("INSERT INTO t (id) VALUES (?)", {std::string("c")}).status();
                  }).ok());
  BOOST_TEST((*db->Query("SELECT COUNT(*) FROM t", {}))[0].Int(0) == 1);
}

BOOST_AUTO_TEST_CASE(EveryServicesMigrationsApply) {
  auto db = Connect();
  BOOST_REQUIRE(db->Execute("DROP SCHEMA public CASCADE", {}).ok());
  BOOST_REQUIRE(db->Execute("CREATE SCHEMA public", {}).ok());
  for (auto [name, migrations] : {std::pair{"envelope", &Envelope::Migrations()},
                                  {"audit", &AuditLog::Migrations()},
                                  {"accounts", &AccountService::Migrations()},
                                  {"api_keys", &ApiKeyService::Migrations()},
                                  {"admin", &AdminKey::Migrations()},
                                  {"certificates", &CertificateService::Migrations()},
                                  {"credentials", &CredentialService::Migrations()}}) {
    Status s = ApplyMigrations(*db, name, *migrations);
    BOOST_TEST(s.ok(), name << ": " << s.ToString());
  }
  Status oauth = OAuthService::Migrate(*db);
  BOOST_TEST(oauth.ok(), oauth.ToString());
  // Applying again changes nothing.
  BOOST_TEST(ApplyMigrations(*db, "audit", AuditLog::Migrations()).ok());

  // The audit chain on PostgreSQL: appended, verified, and append-only.
  FakeClock clock;
  AuditLog audit(clock);
  for (int i = 0; i < 3; ++i) {
    Status s = db->Transaction([&](SqlExecutor& tx) {
      return audit
          .Append(tx, AuditEvent::For(AuditContext{"admin", "r", "127.0.0.1"}, "acct_pg",
                                      "test.event", "res"))
          .status();
    });
    BOOST_REQUIRE_MESSAGE(s.ok(), s.ToString());
  }
  auto verified = audit.Verify(*db, "acct_pg");
  BOOST_REQUIRE(verified.ok());
  BOOST_TEST(verified->ok);
  BOOST_TEST(verified->count == 3);
  BOOST_TEST(db->Execute("UPDATE audit_events SET actor = 'mallory'", {}).status().code() ==
             StatusCode::kInternal);
}

BOOST_FIXTURE_TEST_CASE(RecoversAfterTheServerRestarts, Fixture) {
  const char* restart = std::getenv("LATCHKEY_TEST_PG_RESTART");
  BOOST_REQUIRE(restart);
  BOOST_REQUIRE(db->Ping().ok());  // a pooled connection now exists
  BOOST_REQUIRE(std::system(restart) == 0);
  // The pooled connection died with the server; it is noticed and replaced.
  BOOST_TEST(db->Ping().ok());
  BOOST_TEST(db->Execute("INSERT INTO t (id) VALUES (?)", {std::string("after")}).ok());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
