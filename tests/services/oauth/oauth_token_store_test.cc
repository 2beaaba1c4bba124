#include "services/oauth/oauth_token_store.h"

#include <boost/test/unit_test.hpp>

#include "services/oauth/oauth.h"
#include "tests/services/accounts/fixture.h"

namespace latchkey {
namespace {

constexpr char kOwner[] = "own_this";
constexpr char kOther[] = "own_other";

struct Fixture : testing::AccountsFixture {
  int64_t now = ToUnix(clock.Now());

  Fixture() { BOOST_REQUIRE(OAuthService::Migrate(*db).ok()); }

  // A refreshable token of account acc_1, due in a minute.
  TokenRow Row(const std::string& id, const std::string& account = "acc_1") {
    TokenRow row;
    row.id = id;
    row.account_id = account;
    row.provider = row.resource = "google";
    row.identifier_id = "user-1";
    row.scopes = {"openid", "email"};
    row.sealed = ToBytes("sealed-" + id);
    row.refreshable = true;
    row.expires_at = now + 3600;
    row.next_refresh_at = now + 60;
    row.metadata = R"({"team_id":"T1"})";
    row.created_at = now;
    return row;
  }
  TokenRow Insert(TokenRow row) {
    BOOST_REQUIRE(OAuthTokenStore::Insert(*db, row).ok());
    return row;
  }
  TokenRow Load(const std::string& id) {
    auto row = OAuthTokenStore::Get(*db, id);
    BOOST_REQUIRE_MESSAGE(row.ok(), row.status().ToString());
    BOOST_REQUIRE(row->has_value());
    return std::move(**row);
  }
  std::string StoredStatus(const std::string& id) {
    return (*db->Query("SELECT status FROM oauth_tokens WHERE id = ?", {id}))[0].Text(0);
  }
  bool Claim(const std::string& id, const std::string& owner, int64_t at) {
    auto claimed = OAuthTokenStore::Claim(*db, id, owner, at, at + 90);
    BOOST_REQUIRE_MESSAGE(claimed.ok(), claimed.status().ToString());
    return *claimed;
  }
};

BOOST_FIXTURE_TEST_SUITE(OAuthTokenStoreTest, Fixture)

BOOST_AUTO_TEST_CASE(InsertedRowReadsBackColumnForColumn) {
  TokenRow in = Row("otk_1");
  in.last_refreshed_at = now - 5;
  Insert(in);
  TokenRow out = Load("otk_1");
  BOOST_TEST(out.account_id == "acc_1");
  BOOST_TEST(out.provider == "google");
  BOOST_TEST(out.resource == "google");
  BOOST_TEST(out.identifier_id == "user-1");
  BOOST_TEST(out.scopes == in.scopes);
  BOOST_TEST((out.status == TokenStatus::kActive));
  BOOST_TEST(out.sealed == in.sealed);
  BOOST_TEST(out.refreshable);
  BOOST_TEST(*out.expires_at == now + 3600);
  BOOST_TEST(*out.next_refresh_at == now + 60);
  BOOST_TEST(!out.lease_owner.has_value());
  BOOST_TEST(!out.lease_until.has_value());
  BOOST_TEST(out.failures == 0);
  BOOST_TEST(out.metadata == in.metadata);
  BOOST_TEST(out.created_at == now);
  BOOST_TEST(*out.last_refreshed_at == now - 5);

  TokenRow forever = Row("otk_2");
  forever.refreshable = false;
  forever.expires_at.reset();
  forever.next_refresh_at.reset();
  Insert(forever);
  BOOST_TEST(!Load("otk_2").expires_at.has_value());
  BOOST_TEST(!Load("otk_2").next_refresh_at.has_value());
  BOOST_TEST(!Load("otk_2").last_refreshed_at.has_value());
  BOOST_TEST(!OAuthTokenStore::Get(*db, "otk_none")->has_value());
}

BOOST_AUTO_TEST_CASE(StatusIsStoredByItsNameAndUnknownNamesAreDataLoss) {
  Insert(Row("otk_1"));
  BOOST_TEST(StoredStatus("otk_1") == "active");
  BOOST_REQUIRE(Claim("otk_1", kOwner, now + 60));
  BOOST_REQUIRE(*OAuthTokenStore::MarkNeedsReauth(*db, "otk_1", kOwner));
  BOOST_TEST(StoredStatus("otk_1") == "needs_reauth");
  BOOST_TEST((Load("otk_1").status == TokenStatus::kNeedsReauth));

  for (TokenStatus s : {TokenStatus::kActive, TokenStatus::kRefreshFailing,
                        TokenStatus::kNeedsReauth, TokenStatus::kExpired}) {
    BOOST_TEST((ParseTokenStatus(TokenStatusName(s)) == s));
  }
  BOOST_TEST(!ParseTokenStatus("Active").has_value());

  BOOST_REQUIRE(
      db->Execute("UPDATE oauth_tokens SET status = 'paused' WHERE id = ?", {"otk_1"}).ok());
  BOOST_TEST(OAuthTokenStore::Get(*db, "otk_1").status().code() == StatusCode::kDataLoss);
}

// Access ends without the user at the refresh token's reported expiry,
// counted from the last grant, or else (no refresh token) at the access
// token's; a refresh token of unknown lifetime never ends.
BOOST_AUTO_TEST_CASE(UsableUntilFollowsTheRefreshTokensReportedLifetime) {
  const int64_t granted = 1'700'000'000;
  BOOST_TEST(*UsableUntil(true, granted + 3600, granted, R"({"refresh_token_expires_in":600})") ==
             granted + 600);
  BOOST_TEST(*UsableUntil(true, std::nullopt, granted, R"({"refresh_token_expires_in":"86400"})") ==
             granted + 86400);
  BOOST_TEST(!UsableUntil(true, granted + 3600, granted, "{}").has_value());
  BOOST_TEST(*UsableUntil(false, granted + 3600, granted, R"({"refresh_token_expires_in":600})") ==
             granted + 3600);
  BOOST_TEST(!UsableUntil(false, std::nullopt, granted, "{}").has_value());
  for (const char* odd :
       {R"({"refresh_token_expires_in":-5})", R"({"refresh_token_expires_in":0})",
        R"({"refresh_token_expires_in":"6h"})", R"({"refresh_token_expires_in":1.5})",
        R"({"refresh_token_expires_in":null})", "not json", "[]"}) {
    BOOST_TEST(!UsableUntil(true, granted + 3600, granted, odd).has_value(), odd);
  }
}

BOOST_AUTO_TEST_CASE(ClaimIsExclusiveUntilTheLeaseRunsOut) {
  Insert(Row("otk_1"));
  BOOST_TEST(!Claim("otk_1", kOwner, now));  // not due yet
  BOOST_TEST(Claim("otk_1", kOwner, now + 60));
  TokenRow held = Load("otk_1");
  BOOST_TEST(*held.lease_owner == kOwner);
  BOOST_TEST(*held.lease_until == now + 150);
  BOOST_TEST(*held.next_refresh_at == now + 150);  // due again if the holder dies
  BOOST_TEST(!Claim("otk_1", kOther, now + 149));
  BOOST_TEST(Claim("otk_1", kOther, now + 150));
  BOOST_TEST(*Load("otk_1").lease_owner == kOther);
  BOOST_TEST(!Claim("otk_none", kOwner, now + 60));
}

BOOST_AUTO_TEST_CASE(OutcomesApplyOnlyUnderTheLeaseAndReleaseIt) {
  Insert(Row("otk_1"));
  RefreshedToken r;
  r.sealed = ToBytes("sealed-new");
  r.expires_at = now + 7200;
  r.next_refresh_at = now + 6900;
  r.refreshed_at = now + 60;
  r.scopes = {"openid"};
  BOOST_TEST(!*OAuthTokenStore::CommitRefresh(*db, "otk_1", kOwner, r));  // not claimed

  BOOST_REQUIRE(Claim("otk_1", kOwner, now + 60));
  BOOST_TEST(!*OAuthTokenStore::ScheduleRetry(*db, "otk_1", kOther, 1, now + 70));
  BOOST_TEST(*OAuthTokenStore::ScheduleRetry(*db, "otk_1", kOwner, 1, now + 70));
  TokenRow retrying = Load("otk_1");
  BOOST_TEST(retrying.failures == 1);
  BOOST_TEST(*retrying.next_refresh_at == now + 70);
  BOOST_TEST(!retrying.lease_owner.has_value());
  BOOST_TEST(!retrying.lease_until.has_value());

  BOOST_REQUIRE(Claim("otk_1", kOwner, now + 70));
  BOOST_TEST(*OAuthTokenStore::CommitRefresh(*db, "otk_1", kOwner, r));
  TokenRow fresh = Load("otk_1");
  BOOST_TEST(fresh.sealed == r.sealed);
  BOOST_TEST(*fresh.expires_at == now + 7200);
  BOOST_TEST(*fresh.next_refresh_at == now + 6900);
  BOOST_TEST(*fresh.last_refreshed_at == now + 60);
  BOOST_TEST(fresh.scopes == r.scopes);
  BOOST_TEST(fresh.failures == 0);
  BOOST_TEST(!fresh.lease_owner.has_value());
  BOOST_TEST(!*OAuthTokenStore::MarkNeedsReauth(*db, "otk_1", kOwner));  // released
  BOOST_TEST((Load("otk_1").status == TokenStatus::kActive));
}

BOOST_AUTO_TEST_CASE(NeedsReauthIsNeverClaimedAgain) {
  Insert(Row("otk_1"));
  BOOST_REQUIRE(Claim("otk_1", kOwner, now + 60));
  BOOST_REQUIRE(*OAuthTokenStore::MarkNeedsReauth(*db, "otk_1", kOwner));
  BOOST_TEST(!Load("otk_1").next_refresh_at.has_value());
  // Even with a due time put back by hand.
  BOOST_REQUIRE(db->Execute("UPDATE oauth_tokens SET next_refresh_at = ? WHERE id = ?",
                            {now, std::string("otk_1")})
                    .ok());
  BOOST_TEST(!Claim("otk_1", kOwner, now + 3600));
}

BOOST_AUTO_TEST_CASE(DueIdsAndNextDueFollowNextRefreshAt) {
  TokenRow late = Row("otk_late");
  late.next_refresh_at = now + 120;
  Insert(late);
  Insert(Row("otk_early"));  // now + 60
  TokenRow never = Row("otk_never");
  never.next_refresh_at.reset();
  Insert(never);
  BOOST_TEST(OAuthTokenStore::NextDue(*db)->value() == now + 60);
  BOOST_TEST(OAuthTokenStore::DueIds(*db, now + 59, 10)->empty());
  BOOST_TEST((*OAuthTokenStore::DueIds(*db, now + 120, 10) ==
              std::vector<std::string>{"otk_early", "otk_late"}));
  BOOST_TEST(
      (*OAuthTokenStore::DueIds(*db, now + 120, 1) == std::vector<std::string>{"otk_early"}));
}

BOOST_AUTO_TEST_CASE(ListAndDeleteStayInsideTheAccount) {
  TokenRow first = Row("otk_a");
  Insert(first);
  TokenRow second = Row("otk_b");
  second.identifier_id = "user-2";
  second.created_at = now + 1;
  Insert(second);
  Insert(Row("otk_c", "acc_2"));

  auto all = OAuthTokenStore::List(*db, "acc_1", TokenFilter{});
  BOOST_REQUIRE(all.ok());
  BOOST_REQUIRE(all->size() == 2u);
  BOOST_TEST((*all)[0].id == "otk_b");  // newest first
  BOOST_TEST((*all)[1].id == "otk_a");
  TokenFilter after_b;
  after_b.before = TokenFilter::Position{now + 1, "otk_b"};
  auto rest = OAuthTokenStore::List(*db, "acc_1", after_b);
  BOOST_REQUIRE(rest->size() == 1u);
  BOOST_TEST(rest->front().id == "otk_a");
  TokenFilter user2;
  user2.identifier_id = "user-2";
  BOOST_TEST(OAuthTokenStore::List(*db, "acc_1", user2)->front().id == "otk_b");
  TokenFilter one;
  one.limit = 1;
  BOOST_TEST(OAuthTokenStore::List(*db, "acc_1", one)->size() == 1u);
  TokenFilter other_resource;
  other_resource.resource = "slack";
  BOOST_TEST(OAuthTokenStore::List(*db, "acc_1", other_resource)->empty());

  BOOST_TEST(!*OAuthTokenStore::Delete(*db, "acc_2", "otk_a"));
  BOOST_TEST(*OAuthTokenStore::Delete(*db, "acc_1", "otk_a"));
  BOOST_TEST(!OAuthTokenStore::Get(*db, "otk_a")->has_value());
  BOOST_TEST(OAuthTokenStore::Get(*db, "otk_c")->has_value());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
