#include "services/oauth/oauth_flows.h"

#include <boost/test/unit_test.hpp>

#include "common/logger.h"
#include "common/url.h"
#include "services/oauth/oauth.h"
#include "tests/services/accounts/fixture.h"
#include "tests/services/oauth/token_server.h"

namespace latchkey {
namespace {

constexpr char kApp[] = "https://app.example/done";
constexpr char kPublic[] = "https://lk.example";

struct Fixture : testing::AccountsFixture {
  testing::TokenServer server{[](const testing::TokenRequest&) {
    return std::make_pair(200, std::string(R"({"access_token":"at-1","refresh_token":"rt-1",)"
                                           R"("expires_in":3600})"));
  }};
  OAuthService oauth{*db, envelope, audit, clock, Providers()};
  std::string account;

  Fixture() {
    BOOST_REQUIRE(OAuthService::Migrate(*db).ok());
    account = accounts.Create("acme", ctx)->account.id;
    OAuthClientWrite w;
    w.client_id = "client-1";
    w.client_secret = "client-secret-123";
    BOOST_REQUIRE(oauth.clients.Put(account, "google", w, ctx).ok());
    BOOST_REQUIRE(oauth.clients.SetRedirectUris(account, {kApp}, ctx).ok());
  }
  OAuthProviders Providers() {
    return *OAuthProviders::WithOverrides(R"({"google": {"tokenUrl": ")" + server.url("/token") +
                                          R"(", "issuer": "https://issuer.example"}})");
  }
  CreatedSession Session() {
    SessionRequest r;
    r.provider = "google";
    r.identifier_id = "user-1";
    r.redirect_uri = kApp;
    auto s = oauth.flows.CreateSession(account, r, kPublic, ctx);
    BOOST_REQUIRE_MESSAGE(s.ok(), s.status().ToString());
    return *s;
  }
  FormFields Authorize(const CreatedSession& s) {
    auto url = oauth.flows.Authorize("google", s.id, kPublic);
    BOOST_REQUIRE_MESSAGE(url.ok(), url.status().ToString());
    return *FormDecode(url->substr(url->find('?') + 1));
  }
  static std::string Get(const FormFields& f, const std::string& name) {
    for (const auto& [k, v] : f) {
      if (k == name) return v;
    }
    return "";
  }
  int64_t Tokens() { return Count("SELECT COUNT(*) FROM oauth_tokens"); }
};

// A callback whose code exchange fails against `token_url`: the browser is
// told only token_exchange_failed; returns the audited failure's details.
std::string FailedExchangeDetails(Fixture& f, const std::string& token_url,
                                  Logger* logger = nullptr) {
  TokenEndpointOptions fast;
  fast.connect_timeout = std::chrono::milliseconds(500);
  fast.total_timeout = std::chrono::milliseconds(500);
  OAuthService other{
      *f.db,
      f.envelope,
      f.audit,
      f.clock,
      *OAuthProviders::WithOverrides(R"({"google": {"tokenUrl": ")" + token_url + R"("}})"),
      {},
      fast};
  other.flows.set_logger(logger);
  SessionRequest r;
  r.provider = "google";
  r.identifier_id = "user-1";
  r.redirect_uri = kApp;
  auto session = other.flows.CreateSession(f.account, r, kPublic, f.ctx);
  BOOST_REQUIRE(session.ok());
  auto url = other.flows.Authorize("google", session->id, kPublic);
  BOOST_REQUIRE(url.ok());
  FormFields q = *FormDecode(url->substr(url->find('?') + 1));
  auto location = other.flows.Callback(
      {{"code", "the-authorization-code"}, {"state", Fixture::Get(q, "state")}}, kPublic, f.ctx);
  BOOST_REQUIRE(location.ok());
  BOOST_TEST(*location == std::string(kApp) + "?status=error&error=token_exchange_failed");
  auto rows = *f.db->Query(
      "SELECT details FROM audit_events WHERE action = 'oauth.flow' AND outcome = 'failure'"
      " AND resource = ?",
      {session->id});
  BOOST_REQUIRE(rows.size() == 1u);
  std::string details = rows[0].Text(0);
  for (const char* secret : {"the-authorization-code", "client-secret-123"}) {
    BOOST_TEST(details.find(secret) == std::string::npos);
  }
  return details;
}

BOOST_FIXTURE_TEST_SUITE(OAuthFlowsTest, Fixture)

BOOST_AUTO_TEST_CASE(AuthorizationRequestCarriesStatePkceAndExactRedirect) {
  CreatedSession s = Session();
  BOOST_TEST(s.url == std::string(kPublic) + "/auth/google?session=" + s.id);
  BOOST_TEST(ToUnix(s.expires_at) == ToUnix(clock.Now()) + 600);
  FormFields q = Authorize(s);
  BOOST_TEST(Get(q, "redirect_uri") == std::string(kPublic) + "/auth/callback");
  BOOST_TEST(Get(q, "client_id") == "client-1");
  BOOST_TEST(Get(q, "code_challenge_method") == "S256");
  BOOST_TEST(Get(q, "code_challenge").size() == 43u);
  BOOST_TEST(Get(q, "state").size() == 43u);
  // Neither the state nor the verifier is stored in the clear.
  std::string bytes = DatabaseBytes();
  BOOST_TEST(bytes.find(Get(q, "state")) == std::string::npos);
  BOOST_TEST(Count("SELECT COUNT(*) FROM oauth_sessions WHERE state_hash = ?",
                   {Sha256Hex(Get(q, "state"))}) == 1);
}

BOOST_AUTO_TEST_CASE(CallbackSucceedsOnceAndSendsTheVerifier) {
  FormFields q = Authorize(Session());
  FormFields callback = {
      {"code", "c-1"}, {"state", Get(q, "state")}, {"iss", "https://issuer.example"}};
  auto location = oauth.flows.Callback(callback, kPublic, ctx);
  BOOST_REQUIRE_MESSAGE(location.ok(), location.status().ToString());
  BOOST_TEST(location->rfind(std::string(kApp) + "?status=success&tokenId=otk_", 0) == 0u);
  auto seen = server.seen();
  BOOST_REQUIRE(seen.size() == 1u);
  auto form = *FormDecode(seen[0].body);
  BOOST_TEST(Get(form, "code_verifier").size() == 43u);
  BOOST_TEST(Base64UrlEncode(AsView(Sha256(Get(form, "code_verifier")))) ==
             Get(q, "code_challenge"));
  BOOST_TEST(Get(form, "redirect_uri") == std::string(kPublic) + "/auth/callback");
  // Replayed: nothing happens.
  BOOST_TEST(oauth.flows.Callback(callback, kPublic, ctx).status().code() ==
             StatusCode::kInvalidArgument);
  BOOST_TEST(server.requests() == 1);
  BOOST_TEST(Tokens() == 1);
}

BOOST_AUTO_TEST_CASE(ExpiredSessionsAreRefused) {
  CreatedSession unused = Session();
  clock.Advance(std::chrono::seconds(601));
  BOOST_TEST(oauth.flows.Authorize("google", unused.id, kPublic).status().code() ==
             StatusCode::kInvalidArgument);
  clock.Advance(std::chrono::seconds(-601));
  FormFields q = Authorize(Session());
  clock.Advance(std::chrono::seconds(601));
  auto location = oauth.flows.Callback({{"code", "c"}, {"state", Get(q, "state")}}, kPublic, ctx);
  BOOST_REQUIRE(location.ok());
  BOOST_TEST(*location == std::string(kApp) + "?status=error&error=session_expired");
  BOOST_TEST(server.requests() == 0);
  BOOST_TEST(Tokens() == 0);
}

BOOST_AUTO_TEST_CASE(DeniedMismatchedIssuerAndMissingCodeStoreNothing) {
  struct Case {
    FormFields extra;
    const char* error;
  } cases[] = {
      {{{"error", "access_denied"}}, "access_denied"},
      {{{"code", "c"}, {"iss", "https://issuer.example/"}}, "issuer_mismatch"},
      {{}, "invalid_request"},
  };
  for (const auto& c : cases) {
    FormFields q = Authorize(Session());
    FormFields callback = c.extra;
    callback.emplace_back("state", Get(q, "state"));
    auto location = oauth.flows.Callback(callback, kPublic, ctx);
    BOOST_REQUIRE(location.ok());
    BOOST_TEST(*location == std::string(kApp) + "?status=error&error=" + c.error);
  }
  BOOST_TEST(server.requests() == 0);
  BOOST_TEST(Tokens() == 0);
  BOOST_TEST(Count("SELECT COUNT(*) FROM audit_events WHERE action = 'oauth.flow'"
                   " AND outcome = 'failure'") == 3);
}

BOOST_AUTO_TEST_CASE(SessionsNeedAListedRedirectUriAndAConfiguredProvider) {
  SessionRequest r;
  r.provider = "google";
  r.identifier_id = "user-1";
  r.redirect_uri = std::string(kApp) + "/";
  BOOST_TEST(oauth.flows.CreateSession(account, r, kPublic, ctx).status().code() ==
             StatusCode::kInvalidArgument);
  r.redirect_uri = kApp;
  r.provider = "github";
  BOOST_TEST(oauth.flows.CreateSession(account, r, kPublic, ctx).status().code() ==
             StatusCode::kFailedPrecondition);
  BOOST_TEST(Count("SELECT COUNT(*) FROM oauth_sessions") == 0);
}

BOOST_AUTO_TEST_CASE(ExpiredSessionsArePurgedAfterADay) {
  Session();
  clock.Advance(std::chrono::hours(24));
  BOOST_TEST(*oauth.flows.PurgeExpiredSessions() == 0);
  clock.Advance(std::chrono::minutes(11));
  BOOST_TEST(*oauth.flows.PurgeExpiredSessions() == 1);
}

BOOST_AUTO_TEST_CASE(FailedExchangeRecordsTheProvidersErrorCode) {
  struct Case {
    int status;
    std::string body;
    std::string reason;
  } cases[] = {
      {401, R"({"error":"invalid_client","error_description":"bad secret"})", "invalid_client"},
      {400, R"({"error":"invalid_grant"})", "invalid_grant"},
      {503, R"({"error":"temporarily_unavailable"})", "temporarily_unavailable"},
      {502, "<html>bad gateway</html>", "bad_response"},
      {200, R"({"token_type":"Bearer"})", "bad_response"},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT("reason: " << c.reason) {
      testing::TokenServer provider{
          [&](const testing::TokenRequest&) { return std::make_pair(c.status, c.body); }};
      std::string details = FailedExchangeDetails(*this, provider.url("/token"));
      BOOST_CHECK_MESSAGE(details.find("\"reason\":\"" + c.reason + "\"") != std::string::npos,
                          details);
      BOOST_TEST(details.find("\"error\":\"token_exchange_failed\"") != std::string::npos);
    }
  }
  BOOST_TEST(Tokens() == 0);
}

BOOST_AUTO_TEST_CASE(FailedExchangeRecordsConnectionRefusedAsConnect) {
  int port = 0;
  int fd = testing::ListenOnLoopback(&port);
  ::close(fd);  // nothing listens there now
  std::FILE* log_file = std::tmpfile();
  BOOST_REQUIRE(log_file);
  Logger logger(log_file);
  std::string details =
      FailedExchangeDetails(*this, "http://127.0.0.1:" + std::to_string(port) + "/token", &logger);
  BOOST_CHECK_MESSAGE(details.find("\"reason\":\"connect\"") != std::string::npos, details);
  // The log says why too, without the code.
  std::rewind(log_file);
  std::string logged;
  char buf[1024];
  while (size_t n = std::fread(buf, 1, sizeof(buf), log_file)) logged.append(buf, n);
  std::fclose(log_file);
  BOOST_CHECK_MESSAGE(logged.find("oauth.flow.failure") != std::string::npos, logged);
  BOOST_CHECK_MESSAGE(logged.find("\"reason\":\"connect\"") != std::string::npos, logged);
  BOOST_TEST(logged.find("the-authorization-code") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(FailedExchangeRecordsASilentProviderAsTimeout) {
  int port = 0;
  int fd = testing::ListenOnLoopback(&port);  // accepts into the backlog, never answers
  std::string details =
      FailedExchangeDetails(*this, "http://127.0.0.1:" + std::to_string(port) + "/token");
  ::close(fd);
  BOOST_CHECK_MESSAGE(details.find("\"reason\":\"timeout\"") != std::string::npos, details);
}

BOOST_AUTO_TEST_CASE(RedirectErrorsRecordTheProvidersCodeAsTheReason) {
  FormFields q = Authorize(Session());
  auto location =
      oauth.flows.Callback({{"error", "access_denied"}, {"state", Get(q, "state")}}, kPublic, ctx);
  BOOST_REQUIRE(location.ok());
  auto rows = *db->Query(
      "SELECT details FROM audit_events WHERE action = 'oauth.flow' AND outcome = 'failure'");
  BOOST_REQUIRE(rows.size() == 1u);
  BOOST_TEST(rows[0].Text(0).find("\"reason\":\"access_denied\"") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
