#include "common/migrations.h"

#include <boost/test/unit_test.hpp>

#include "tests/common/test_util.h"

namespace latchkey {
namespace {

BOOST_AUTO_TEST_SUITE(MigrationsTest)

BOOST_AUTO_TEST_CASE(AppliesEachVersionOnce) {
  testing::TempDir dir;
  auto db = testing::OpenDb(dir);
  std::vector<Migration> v1 = {{1, "CREATE TABLE a (x ${BIGINT}); CREATE TABLE b (y ${BLOB})"}};
  BOOST_REQUIRE(ApplyMigrations(*db, "comp", v1).ok());
  BOOST_REQUIRE(ApplyMigrations(*db, "comp", v1).ok());  // no "table exists" error
  auto v2 = v1;
  v2.push_back({2, "ALTER TABLE a ADD COLUMN z TEXT"});
  BOOST_REQUIRE(ApplyMigrations(*db, "comp", v2).ok());
  BOOST_TEST(db->Execute("INSERT INTO a (x, z) VALUES (1, 'q')", {}).ok());
  auto rows = *db->Query("SELECT COUNT(*) FROM schema_migrations WHERE component = 'comp'", {});
  BOOST_TEST(rows[0].Int(0) == 2);
}

BOOST_AUTO_TEST_CASE(FailedStepIsRolledBackAndReported) {
  testing::TempDir dir;
  auto db = testing::OpenDb(dir);
  std::vector<Migration> bad = {{1, "CREATE TABLE c (x INTEGER); CREATE TABLE c (x INTEGER)"}};
  Status s = ApplyMigrations(*db, "comp", bad);
  BOOST_TEST(!s.ok());
  BOOST_TEST(s.message().find("comp/1") != std::string::npos);
  BOOST_TEST(db->Query("SELECT * FROM c", {}).status().code() == StatusCode::kInternal);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
