#include "common/envelope.h"

#include <boost/test/unit_test.hpp>

#include "tests/common/test_util.h"

namespace latchkey {
namespace {

const char kKey1[] = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const char kKey2[] = "k2:HxwdHhscGxoZGBcWFRQTEhEQDw4NDAsKCQgHBgUEAwI=";

struct Fixture {
  testing::TempDir dir;
  std::unique_ptr<Database> db = testing::OpenDb(dir);
  FakeClock clock;
  Fixture() { BOOST_REQUIRE(ApplyMigrations(*db, "envelope", Envelope::Migrations()).ok()); }
  void CreateAccount(Envelope& env, const std::string& id) {
    BOOST_REQUIRE(db->Transaction([&](SqlExecutor& tx) { return env.CreateDataKey(tx, id); }).ok());
  }
};

BOOST_FIXTURE_TEST_SUITE(EnvelopeTest, Fixture)

BOOST_AUTO_TEST_CASE(SealsAndOpensPerAccount) {
  auto ring = testing::TestKeyring(kKey1);
  Envelope env(*db, ring, clock);
  CreateAccount(env, "acct_a");
  Bytes sealed = *env.Seal(*db, "acct_a", "credential", "openai", "sk-secret-value");
  BOOST_TEST(sealed[0] == 1);
  BOOST_TEST(AsView(sealed).find("sk-secret-value") == std::string::npos);
  BOOST_TEST(env.Open(*db, "acct_a", "credential", "openai", AsView(sealed))->view() ==
             "sk-secret-value");
}

BOOST_AUTO_TEST_CASE(CiphertextMovedToAnotherAccountRowOrKindFailsToOpen) {
  auto ring = testing::TestKeyring(kKey1);
  Envelope env(*db, ring, clock);
  CreateAccount(env, "acct_a");
  CreateAccount(env, "acct_b");
  Bytes sealed = *env.Seal(*db, "acct_a", "credential", "openai", "sk-secret-value");
  BOOST_TEST((env.Open(*db, "acct_b", "credential", "openai", AsView(sealed)).status().code() ==
              StatusCode::kDataLoss));
  BOOST_TEST(!env.Open(*db, "acct_a", "credential", "anthropic", AsView(sealed)).ok());
  BOOST_TEST(!env.Open(*db, "acct_a", "refresh_token", "openai", AsView(sealed)).ok());
  Bytes tampered = sealed;
  tampered.back() ^= 1;
  BOOST_TEST(!env.Open(*db, "acct_a", "credential", "openai", AsView(tampered)).ok());
  BOOST_TEST((env.Seal(*db, "acct_missing", "credential", "x", "v").status().code() ==
              StatusCode::kNotFound));
}

BOOST_AUTO_TEST_CASE(MasterKeyRotationRewrapsDataKeysOnly) {
  auto old_ring = testing::TestKeyring(kKey1);
  Envelope old_env(*db, old_ring, clock);
  CreateAccount(old_env, "acct_a");
  Bytes sealed = *old_env.Seal(*db, "acct_a", "credential", "openai", "sk-secret-value");
  Bytes wrapped_before = (*db->Query("SELECT wrapped_key FROM data_keys", {}))[0].Blob(0);

  // New active key first, old key still present: rewrap moves every DEK.
  auto both = testing::TestKeyring(std::string(kKey2) + "," + kKey1);
  Envelope both_env(*db, both, clock);
  BOOST_TEST(*both_env.RewrapAll() == 1);
  auto rows = *db->Query("SELECT master_key_id, wrapped_key FROM data_keys", {});
  BOOST_TEST(rows[0].Text(0) == "k2");
  BOOST_TEST((rows[0].Blob(1) != wrapped_before));

  // The sealed value was not touched and opens with only the new key.
  auto only_new = testing::TestKeyring(kKey2);
  Envelope new_env(*db, only_new, clock);
  BOOST_TEST(new_env.MissingMasterKeys()->empty());
  BOOST_TEST(new_env.Open(*db, "acct_a", "credential", "openai", AsView(sealed))->view() ==
             "sk-secret-value");
}

BOOST_AUTO_TEST_CASE(RewrapWithoutTheOldKeyFailsAndChangesNothing) {
  auto old_ring = testing::TestKeyring(kKey1);
  Envelope old_env(*db, old_ring, clock);
  CreateAccount(old_env, "acct_a");
  auto only_new = testing::TestKeyring(kKey2);
  Envelope new_env(*db, only_new, clock);
  BOOST_TEST((*new_env.MissingMasterKeys() == std::vector<std::string>{"k1"}));
  BOOST_TEST(!new_env.RewrapAll().ok());
  BOOST_TEST((*db->Query("SELECT master_key_id FROM data_keys", {}))[0].Text(0) == "k1");
}

BOOST_AUTO_TEST_CASE(OpenFollowsDeletionAndRewrapOfCachedDataKeys) {
  auto ring = testing::TestKeyring(std::string(kKey2) + "," + kKey1);
  Envelope env(*db, ring, clock);
  CreateAccount(env, "acct_a");
  Bytes sealed = *env.Seal(*db, "acct_a", "credential", "openai", "sk-secret-value");
  BOOST_TEST(env.Open(*db, "acct_a", "credential", "openai", AsView(sealed))->view() ==
             "sk-secret-value");  // the wrapped key is cached now
  // A rewrap changes the stored wrapping; values still open.
  BOOST_TEST(*env.RewrapAll() == 1);
  BOOST_TEST(env.Open(*db, "acct_a", "credential", "openai", AsView(sealed))->view() ==
             "sk-secret-value");
  BOOST_REQUIRE(
      db->Transaction([&](SqlExecutor& tx) { return env.DeleteDataKey(tx, "acct_a"); }).ok());
  BOOST_TEST((env.Open(*db, "acct_a", "credential", "openai", AsView(sealed)).status().code() ==
              StatusCode::kNotFound));
  // Seal never uses the cache: no value is sealed for an account without a key.
  BOOST_TEST((env.Seal(*db, "acct_a", "credential", "openai", "v").status().code() ==
              StatusCode::kNotFound));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
