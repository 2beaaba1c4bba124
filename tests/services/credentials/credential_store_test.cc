#include "services/credentials/credential_store.h"

#include <boost/test/unit_test.hpp>

#include "tests/common/test_util.h"

namespace latchkey {
namespace {

using testing::OpenDb;
using testing::TempDir;

// The store alone on a real database: sealed values are opaque bytes here.
struct StoreFixture {
  TempDir dir;
  std::unique_ptr<Database> db = OpenDb(dir);
  TimePoint t0 = FromUnix(1'700'000'000);

  StoreFixture() {
    BOOST_REQUIRE(ApplyMigrations(*db, "credentials", CredentialStore::Migrations()).ok());
  }

  Status PutKey(const std::string& account, const std::string& provider, const std::string& sealed,
                std::optional<std::string> last4 = "abcd") {
    return db->Transaction([&](SqlExecutor& tx) {
      return CredentialStore::PutProviderKey(tx, account, provider, ToBytes(sealed), last4, t0);
    });
  }

  std::optional<StoredProviderKey> Key(const std::string& account, const std::string& provider) {
    auto keys = CredentialStore::ListProviderKeys(*db, account);
    BOOST_REQUIRE_MESSAGE(keys.ok(), keys.status().ToString());
    for (auto& k : *keys) {
      if (k.provider == provider) return k;
    }
    return std::nullopt;
  }

  static SecretInfo Secret(const std::string& id, const std::string& account,
                           const std::string& name, TimePoint now) {
    SecretInfo s;
    s.id = id;
    s.account_id = account;
    s.name = name;
    s.type = SecretType::kQueryParam;
    s.allowed_hosts = {"api.example.com", "*.example.org"};
    s.parts = {MaskedPart{"value", "wxyz"}};
    s.param = "key";
    s.created_at = s.updated_at = now;
    return s;
  }

  Result<SecretInfo> Insert(const SecretInfo& info, const std::string& sealed = "sealed") {
    return TransactionValue<SecretInfo>(*db, [&](SqlExecutor& tx) {
      return CredentialStore::InsertSecret(tx, info, ToBytes(sealed));
    });
  }

  void Corrupt(const std::string& sql) { BOOST_REQUIRE(db->Execute(sql, {}).ok()); }
};

BOOST_FIXTURE_TEST_SUITE(CredentialStoreTest, StoreFixture)

BOOST_AUTO_TEST_CASE(ProviderKeyRoundTrip) {
  BOOST_REQUIRE(PutKey("acct_a", "openai", "sealed-1").ok());
  auto key = Key("acct_a", "openai");
  BOOST_REQUIRE(key.has_value());
  BOOST_TEST(*key->last4 == "abcd");
  BOOST_TEST(!key->allowed_hosts.has_value());  // the provider's defaults
  BOOST_TEST(ToUnix(key->updated_at) == ToUnix(t0));
  BOOST_TEST(!key->last_used_at.has_value());
  BOOST_TEST(key->use_count == 0);
  auto sealed = CredentialStore::GetSealedProviderKey(*db, "acct_a", "openai");
  BOOST_REQUIRE(sealed.ok());
  BOOST_REQUIRE(sealed->has_value());
  BOOST_TEST(AsView((*sealed)->sealed) == "sealed-1");
  // Scoped to the account and the provider.
  BOOST_TEST(!CredentialStore::GetSealedProviderKey(*db, "acct_b", "openai")->has_value());
  BOOST_TEST(!CredentialStore::GetSealedProviderKey(*db, "acct_a", "groq")->has_value());
}

BOOST_AUTO_TEST_CASE(ReplacingAProviderKeyKeepsItsHostsAndUsage) {
  BOOST_REQUIRE(PutKey("acct_a", "openai", "sealed-1").ok());
  BOOST_REQUIRE(db->Transaction([&](SqlExecutor& tx) -> Status {
                    std::vector<std::string> hosts{"gw.example.com"};
                    ASSIGN_OR_RETURN(bool set, CredentialStore::SetProviderHosts(
                                                   tx, "acct_a", "openai", hosts, t0));
                    if (!set) return Internal("hosts not set");
                    return CredentialStore::RecordProviderKeyUses(tx, "acct_a", "openai", 3, t0);
                  }).ok());
  BOOST_REQUIRE(PutKey("acct_a", "openai", "sealed-2", std::nullopt).ok());
  auto key = Key("acct_a", "openai");
  BOOST_TEST(!key->last4.has_value());  // a key too short to show any of
  BOOST_TEST((*key->allowed_hosts == std::vector<std::string>{"gw.example.com"}));
  BOOST_TEST(key->use_count == 3);
  BOOST_TEST(AsView((*CredentialStore::GetSealedProviderKey(*db, "acct_a", "openai"))->sealed) ==
             "sealed-2");
}

BOOST_AUTO_TEST_CASE(ProviderHostsNeedAKeyAndCanGoBackToTheDefaults) {
  auto set_hosts = [&](std::optional<std::vector<std::string>> hosts) {
    return TransactionValue<bool>(*db, [&](SqlExecutor& tx) {
      return CredentialStore::SetProviderHosts(tx, "acct_a", "openai", hosts, t0);
    });
  };
  BOOST_TEST(*set_hosts(std::vector<std::string>{"gw.example.com"}) == false);
  BOOST_TEST(!Key("acct_a", "openai").has_value());  // nothing was created
  BOOST_REQUIRE(PutKey("acct_a", "openai", "sealed-1").ok());
  BOOST_TEST(*set_hosts(std::vector<std::string>{"gw.example.com"}) == true);
  BOOST_TEST(Key("acct_a", "openai")->allowed_hosts.has_value());
  BOOST_TEST(*set_hosts(std::nullopt) == true);
  BOOST_TEST(!Key("acct_a", "openai")->allowed_hosts.has_value());
}

BOOST_AUTO_TEST_CASE(DeletingAProviderKeySaysWhetherThereWasOne) {
  BOOST_REQUIRE(PutKey("acct_a", "openai", "sealed-1").ok());
  auto remove = [&] {
    return TransactionValue<bool>(*db, [&](SqlExecutor& tx) {
      return CredentialStore::DeleteProviderKey(tx, "acct_a", "openai");
    });
  };
  BOOST_TEST(*remove() == true);
  BOOST_TEST(*remove() == false);
  BOOST_TEST(CredentialStore::ListProviderKeys(*db, "acct_a")->empty());
}

BOOST_AUTO_TEST_CASE(SecretInsertGetListRoundTrip) {
  auto inserted = Insert(Secret("sec_b", "acct_a", "beta", t0));
  BOOST_REQUIRE_MESSAGE(inserted.ok(), inserted.status().ToString());
  BOOST_TEST(inserted->version == 1);
  BOOST_TEST(inserted->use_count == 0);
  BOOST_REQUIRE(Insert(Secret("sec_a", "acct_a", "alpha", t0)).ok());
  BOOST_REQUIRE(Insert(Secret("sec_c", "acct_b", "alpha", t0)).ok());

  auto got = CredentialStore::GetSecret(*db, "acct_a", "beta");
  BOOST_REQUIRE(got.ok());
  BOOST_REQUIRE(got->has_value());
  const SecretInfo& s = **got;
  BOOST_TEST(s.id == "sec_b");
  BOOST_TEST((s.type == SecretType::kQueryParam));
  BOOST_TEST((s.allowed_hosts == std::vector<std::string>{"api.example.com", "*.example.org"}));
  BOOST_REQUIRE(s.parts.size() == 1u);
  BOOST_TEST(s.parts[0].part == "value");
  BOOST_TEST(*s.parts[0].last4 == "wxyz");
  BOOST_TEST(*s.param == "key");
  BOOST_TEST(ToUnix(s.created_at) == ToUnix(t0));

  auto list = CredentialStore::ListSecrets(*db, "acct_a");
  BOOST_REQUIRE(list.ok());
  BOOST_REQUIRE(list->size() == 2u);
  BOOST_TEST((*list)[0].name == "alpha");  // by name
  BOOST_TEST((*list)[1].name == "beta");
  BOOST_TEST(*CredentialStore::CountSecrets(*db, "acct_a") == 2);
  BOOST_TEST(*CredentialStore::SecretExists(*db, "acct_b", "alpha"));
  BOOST_TEST(!*CredentialStore::SecretExists(*db, "acct_b", "beta"));
  BOOST_TEST(!CredentialStore::GetSecret(*db, "acct_b", "beta")->has_value());
}

BOOST_AUTO_TEST_CASE(ASecretNameIsTakenOncePerAccount) {
  BOOST_REQUIRE(Insert(Secret("sec_a", "acct_a", "alpha", t0)).ok());
  auto again = Insert(Secret("sec_b", "acct_a", "alpha", t0));
  BOOST_TEST((again.status().code() == StatusCode::kAlreadyExists));
}

BOOST_AUTO_TEST_CASE(UpdatingASecretStoresTheNextVersion) {
  BOOST_REQUIRE(Insert(Secret("sec_a", "acct_a", "alpha", t0)).ok());
  SecretInfo next = Secret("sec_a", "acct_a", "alpha", t0);
  next.type = SecretType::kCookie;
  next.parts = {MaskedPart{"cookies", std::nullopt}};
  next.param.reset();
  next.allowed_hosts = {"app.example.com"};
  next.updated_at = t0 + std::chrono::seconds(60);
  auto updated = TransactionValue<SecretInfo>(*db, [&](SqlExecutor& tx) {
    return CredentialStore::UpdateSecret(tx, next, ToBytes("sealed-2"));
  });
  BOOST_REQUIRE_MESSAGE(updated.ok(), updated.status().ToString());
  BOOST_TEST(updated->version == 2);
  BOOST_TEST((updated->type == SecretType::kCookie));
  BOOST_TEST(!updated->param.has_value());
  BOOST_TEST(!updated->parts.at(0).last4.has_value());
  BOOST_TEST(ToUnix(updated->updated_at) == ToUnix(t0) + 60);
  BOOST_TEST(ToUnix(updated->created_at) == ToUnix(t0));
  auto sealed = CredentialStore::GetSealedSecret(*db, "acct_a", "alpha");
  BOOST_TEST(AsView((*sealed)->sealed) == "sealed-2");
  BOOST_TEST(((*sealed)->allowed_hosts == std::vector<std::string>{"app.example.com"}));

  next.id = "sec_gone";
  auto missing = TransactionValue<SecretInfo>(*db, [&](SqlExecutor& tx) {
    return CredentialStore::UpdateSecret(tx, next, ToBytes("sealed-3"));
  });
  BOOST_TEST((missing.status().code() == StatusCode::kNotFound));
}

BOOST_AUTO_TEST_CASE(DeletingASecretReturnsItsId) {
  BOOST_REQUIRE(Insert(Secret("sec_a", "acct_a", "alpha", t0)).ok());
  auto remove = [&](const std::string& account) {
    return TransactionValue<std::optional<std::string>>(
        *db, [&](SqlExecutor& tx) { return CredentialStore::DeleteSecret(tx, account, "alpha"); });
  };
  BOOST_TEST(!remove("acct_b")->has_value());  // another account's name
  BOOST_TEST(**remove("acct_a") == "sec_a");
  BOOST_TEST(!remove("acct_a")->has_value());
  BOOST_TEST(!CredentialStore::GetSealedSecret(*db, "acct_a", "alpha")->has_value());
}

BOOST_AUTO_TEST_CASE(UsesAddUp) {
  BOOST_REQUIRE(Insert(Secret("sec_a", "acct_a", "alpha", t0)).ok());
  for (int i = 1; i <= 2; ++i) {
    BOOST_REQUIRE(db->Transaction([&](SqlExecutor& tx) {
                      return CredentialStore::RecordSecretUses(tx, "acct_a", "alpha", 2,
                                                               t0 + std::chrono::seconds(i));
                    }).ok());
  }
  auto s = *CredentialStore::GetSecret(*db, "acct_a", "alpha");
  BOOST_TEST(s->use_count == 4);
  BOOST_TEST(ToUnix(*s->last_used_at) == ToUnix(t0) + 2);
}

BOOST_AUTO_TEST_CASE(WritesComposeInTheCallersTransaction) {
  Status s = db->Transaction([&](SqlExecutor& tx) -> Status {
    RETURN_IF_ERROR(
        CredentialStore::InsertSecret(tx, Secret("sec_a", "acct_a", "alpha", t0), ToBytes("sealed"))
            .status());
    RETURN_IF_ERROR(CredentialStore::PutProviderKey(tx, "acct_a", "openai", ToBytes("sealed"),
                                                    std::nullopt, t0));
    return Internal("the caller gives up");
  });
  BOOST_TEST(!s.ok());
  BOOST_TEST(*CredentialStore::CountSecrets(*db, "acct_a") == 0);  // all rolled back
  BOOST_TEST(CredentialStore::ListProviderKeys(*db, "acct_a")->empty());
}

BOOST_AUTO_TEST_CASE(DamagedColumnsAreDataLossNotExceptions) {
  BOOST_REQUIRE(Insert(Secret("sec_a", "acct_a", "alpha", t0)).ok());
  BOOST_REQUIRE(PutKey("acct_a", "openai", "sealed-1").ok());
  auto get_code = [&] {
    return CredentialStore::GetSecret(*db, "acct_a", "alpha").status().code();
  };

  for (const char* masked : {"not json", "{\"parts\":[1]}", "{\"parts\":[{\"part\":7}]}",
                             "{\"parts\":[],\"param\":5}", "[]"}) {
    Corrupt(std::string("UPDATE secrets SET masked = '") + masked + "'");
    BOOST_TEST((get_code() == StatusCode::kDataLoss), masked);
  }
  Corrupt("UPDATE secrets SET masked = '{\"parts\":[]}', allowed_hosts = '[\"a.example.com\", 3]'");
  BOOST_TEST((get_code() == StatusCode::kDataLoss));
  BOOST_TEST((CredentialStore::GetSealedSecret(*db, "acct_a", "alpha").status().code() ==
              StatusCode::kDataLoss));
  Corrupt("UPDATE secrets SET allowed_hosts = '[]', type = 'NO_SUCH_TYPE'");
  BOOST_TEST(
      (CredentialStore::ListSecrets(*db, "acct_a").status().code() == StatusCode::kDataLoss));

  Corrupt("UPDATE provider_credentials SET allowed_hosts = '{\"a\":1}'");
  BOOST_TEST(
      (CredentialStore::ListProviderKeys(*db, "acct_a").status().code() == StatusCode::kDataLoss));
  BOOST_TEST((CredentialStore::GetSealedProviderKey(*db, "acct_a", "openai").status().code() ==
              StatusCode::kDataLoss));
}

BOOST_AUTO_TEST_CASE(OwnedTablesAreTheMigratedOnes) {
  for (const auto& table : CredentialStore::OwnedTables()) {
    BOOST_TEST(db->Query("SELECT COUNT(*) FROM " + table, {}).ok(), table);
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
