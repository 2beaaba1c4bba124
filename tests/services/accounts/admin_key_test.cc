#include "services/accounts/admin_key.h"

#include "tests/services/accounts/fixture.h"

namespace latchkey {
namespace {

BOOST_FIXTURE_TEST_SUITE(AdminKeyTest, testing::AccountsFixture)

BOOST_AUTO_TEST_CASE(GeneratesOnceAndStoresOnlyTheHash) {
  std::optional<std::string> generated;
  auto first = AdminKey::Initialize(*db, std::nullopt, &generated);
  BOOST_REQUIRE(first.ok());
  BOOST_REQUIRE(generated.has_value());
  BOOST_TEST(first->Verify(*generated));
  BOOST_TEST(!first->Verify(*generated + "x"));
  BOOST_TEST(Count("SELECT COUNT(*) FROM server_settings WHERE value = ?", {*generated}) == 0);

  std::optional<std::string> again;
  auto second = AdminKey::Initialize(*db, std::nullopt, &again);
  BOOST_TEST(!again.has_value());
  BOOST_TEST(second->Verify(*generated));
}

BOOST_AUTO_TEST_CASE(ConfiguredKeyWinsAndMustBeLongEnough) {
  std::optional<std::string> generated;
  auto admin = AdminKey::Initialize(*db, std::string("configured-admin-key-123"), &generated);
  BOOST_TEST(!generated.has_value());
  BOOST_TEST(admin->Verify("configured-admin-key-123"));
  BOOST_TEST(Count("SELECT COUNT(*) FROM server_settings") == 0);
  BOOST_TEST(!AdminKey::Initialize(*db, std::string("short"), &generated).ok());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
