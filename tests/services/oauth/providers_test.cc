#include "services/oauth/providers.h"

#include <boost/test/unit_test.hpp>

namespace latchkey {
namespace {

BOOST_AUTO_TEST_SUITE(OAuthProvidersTest)

BOOST_AUTO_TEST_CASE(BuiltInEntriesHonourEachProvidersQuirks) {
  OAuthProviders all = OAuthProviders::BuiltIn();
  BOOST_TEST(all.all().size() == 5u);

  const OAuthProvider* google = all.Find("google");
  BOOST_REQUIRE(google);
  BOOST_TEST(google->authorization_url == "https://accounts.google.com/o/oauth2/v2/auth");
  BOOST_TEST(google->token_url == "https://oauth2.googleapis.com/token");
  bool offline = false, consent = false;
  for (const auto& [k, v] : google->authorization_params) {
    offline |= k == "access_type" && v == "offline";
    consent |= k == "prompt" && v == "consent";
  }
  BOOST_TEST(offline);
  BOOST_TEST(consent);
  BOOST_TEST(google->pkce);

  const OAuthProvider* microsoft = all.Find("microsoft");
  BOOST_REQUIRE(microsoft);
  BOOST_TEST(microsoft->AuthorizationUrl("contoso", "") ==
             "https://login.microsoftonline.com/contoso/oauth2/v2.0/authorize");
  BOOST_TEST(microsoft->TokenUrl("common", "") ==
             "https://login.microsoftonline.com/common/oauth2/v2.0/token");
  BOOST_TEST(microsoft->scopes.front() == "offline_access");

  const OAuthProvider* slack = all.Find("slack");
  BOOST_REQUIRE(slack);
  BOOST_TEST(slack->scope_separator == ",");
  BOOST_TEST(slack->token_url == "https://slack.com/api/oauth.v2.access");
  BOOST_TEST((slack->dialect == TokenDialect::kSlack));

  const OAuthProvider* github = all.Find("github");
  BOOST_REQUIRE(github);
  BOOST_TEST(github->token_url == "https://github.com/login/oauth/access_token");
  BOOST_TEST((github->dialect == TokenDialect::kGithub));

  const OAuthProvider* notion = all.Find("notion");
  BOOST_REQUIRE(notion);
  BOOST_TEST((notion->client_auth == ClientAuth::kBasic));
  BOOST_TEST((notion->body_format == BodyFormat::kJson));
  BOOST_TEST(notion->authorization_params.front().first == "owner");
  BOOST_TEST(notion->authorization_params.front().second == "user");

  BOOST_TEST(!all.Find("acme"));
}

BOOST_AUTO_TEST_CASE(EachBuiltInProviderHasAnApiBaseUrlAmongItsApiHosts) {
  OAuthProviders all = OAuthProviders::BuiltIn();
  const std::pair<const char*, const char*> expected[] = {
      {"google", "https://www.googleapis.com"},
      {"microsoft", "https://graph.microsoft.com"},
      {"slack", "https://slack.com/api"},
      {"github", "https://api.github.com"},
      {"notion", "https://api.notion.com"}};
  for (const auto& [id, base] : expected) {
    const OAuthProvider* p = all.Find(id);
    BOOST_REQUIRE(p);
    BOOST_TEST(p->api_base_url == base);
  }
  auto header = [&](const char* id, std::string_view name) {
    for (const auto& [n, v] : all.Find(id)->api_headers) {
      if (n == name) return v;
    }
    return std::string();
  };
  BOOST_TEST(header("notion", "Notion-Version") == "2022-06-28");
  BOOST_TEST(header("github", "Accept") == "application/vnd.github+json");
  BOOST_TEST(!header("github", "User-Agent").empty());
  BOOST_TEST(all.Find("google")->api_headers.empty());
}

BOOST_AUTO_TEST_CASE(ApiBaseUrlAndHeadersCanBeOverriddenOrRemoved) {
  auto p = OAuthProviders::WithOverrides(R"({
      "notion": {"apiBaseUrl": "http://127.0.0.1:9000/notion", "apiHeaders": {"X-A": "1"}},
      "github": {"apiBaseUrl": null, "apiHeaders": null}})");
  BOOST_REQUIRE_MESSAGE(p.ok(), p.status().ToString());
  BOOST_TEST(p->Find("notion")->api_base_url == "http://127.0.0.1:9000/notion");
  BOOST_REQUIRE(p->Find("notion")->api_headers.size() == 1u);
  BOOST_TEST(p->Find("notion")->api_headers[0].first == "X-A");
  BOOST_TEST(p->Find("github")->api_base_url.empty());
  BOOST_TEST(p->Find("github")->api_headers.empty());
  BOOST_TEST(p->Find("google")->api_base_url == "https://www.googleapis.com");
}

BOOST_AUTO_TEST_CASE(OverridesKeepWhatTheyLeaveOut) {
  auto p = OAuthProviders::WithOverrides(
      R"({"google": {"tokenUrl": "http://127.0.0.1:9000/token", "revocationUrl": null}})");
  BOOST_REQUIRE_MESSAGE(p.ok(), p.status().ToString());
  const OAuthProvider* google = p->Find("google");
  BOOST_TEST(google->token_url == "http://127.0.0.1:9000/token");
  BOOST_TEST(google->authorization_url == "https://accounts.google.com/o/oauth2/v2/auth");
  BOOST_TEST(!google->revocation_url.has_value());
  BOOST_TEST(google->authorization_params.size() == 2u);
}

BOOST_AUTO_TEST_CASE(GenericEntriesAreAdded) {
  auto p = OAuthProviders::WithOverrides(R"({"acme": {
      "type": "oauth2", "authorizationUrl": "http://127.0.0.1:9000/auth",
      "tokenUrl": "http://127.0.0.1:9000/token", "scopes": ["openid", "offline_access"],
      "pkce": true, "clientAuth": "basic", "apiHosts": ["api.acme.test", "*.acme.test"],
      "issuer": "http://127.0.0.1:9000"}})");
  BOOST_REQUIRE_MESSAGE(p.ok(), p.status().ToString());
  const OAuthProvider* acme = p->Find("acme");
  BOOST_REQUIRE(acme);
  BOOST_TEST(acme->type == "oauth2");
  BOOST_TEST((acme->client_auth == ClientAuth::kBasic));
  BOOST_TEST(acme->scopes.size() == 2u);
  BOOST_TEST(acme->api_hosts.size() == 2u);
  BOOST_TEST(*acme->Issuer("") == "http://127.0.0.1:9000");
  BOOST_TEST(p->all().size() == 6u);
}

// GitHub revokes by deleting the grant under the app's own client id; the
// other built-ins keep their dialects; a providers file may choose one.
BOOST_AUTO_TEST_CASE(RevocationDialectsAndClientIdPlaceholders) {
  OAuthProviders all = OAuthProviders::BuiltIn();
  const OAuthProvider* github = all.Find("github");
  BOOST_REQUIRE(github);
  BOOST_TEST((github->revocation_dialect == RevocationDialect::kGithub));
  BOOST_TEST(*github->RevocationUrl("common", "Iv1.abc") ==
             "https://api.github.com/applications/Iv1.abc/grant");
  // An odd client id stays one path segment.
  BOOST_TEST(*github->RevocationUrl("common", "a/../b?c") ==
             "https://api.github.com/applications/a%2F..%2Fb%3Fc/grant");
  BOOST_TEST((all.Find("notion")->revocation_dialect == RevocationDialect::kNotion));
  BOOST_TEST((all.Find("slack")->revocation_dialect == RevocationDialect::kSlack));
  BOOST_TEST((all.Find("google")->revocation_dialect == RevocationDialect::kRfc7009));
  BOOST_TEST(!all.Find("microsoft")->RevocationUrl("common", "x").has_value());

  auto p = OAuthProviders::WithOverrides(R"({"acme": {
      "type": "oauth2", "authorizationUrl": "https://id.acme.test/{tenant}/auth",
      "tokenUrl": "https://id.acme.test/{tenant}/apps/{clientId}/token",
      "revocationUrl": "https://api.acme.test/apps/{clientId}/grant",
      "revocationDialect": "github"}})");
  BOOST_REQUIRE_MESSAGE(p.ok(), p.status().ToString());
  const OAuthProvider* acme = p->Find("acme");
  BOOST_TEST((acme->revocation_dialect == RevocationDialect::kGithub));
  BOOST_TEST(acme->TokenUrl("t1", "c1") == "https://id.acme.test/t1/apps/c1/token");
  BOOST_TEST(*acme->RevocationUrl("t1", "c1") == "https://api.acme.test/apps/c1/grant");
  // A token dialect brings its revocation dialect unless one is named.
  auto slackish = OAuthProviders::WithOverrides(R"({"chat": {"type": "oauth2",
      "authorizationUrl": "https://chat.test/a", "tokenUrl": "https://chat.test/t",
      "revocationUrl": "https://chat.test/r", "tokenDialect": "slack"}})");
  BOOST_REQUIRE(slackish.ok());
  BOOST_TEST((slackish->Find("chat")->revocation_dialect == RevocationDialect::kSlack));
  auto bad = OAuthProviders::WithOverrides(R"({"google": {"revocationDialect": "rfc9999"}})");
  BOOST_REQUIRE(!bad.ok());
  BOOST_TEST(bad.status().message().find("google.revocationDialect") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(BadFilesAreRefusedNamingTheField) {
  struct Case {
    const char* json;
    const char* names;
  } cases[] = {
      {"[]", "not a JSON object"},
      {"{", "not a JSON object"},
      {R"({"acme": {"authorizationUrl": "https://a.test/a", "tokenUrl": "https://a.test/t"}})",
       "acme.type"},
      {R"({"acme": {"type": "oauth2", "tokenUrl": "https://a.test/t"}})", "authorizationUrl"},
      {R"({"google": {"tokenUrl": "ftp://x/token"}})", "google.tokenUrl"},
      {R"({"google": {"tokenUrl": "https://user@x/token"}})", "google.tokenUrl"},
      {R"({"google": {"type": "oauth2"}})", "google.type"},
      {R"({"google": {"clientAuth": "header"}})", "google.clientAuth"},
      {R"({"google": {"pkce": "yes"}})", "google.pkce"},
      {R"({"google": {"scopes": "openid"}})", "google.scopes"},
      {R"({"google": {"apiHosts": ["bad host"]}})", "google.apiHosts"},
      {R"({"google": {"tokenURL": "https://x/t"}})", "google.tokenURL"},
      {R"({"google": {"apiBaseUrl": "https://x/api?v=1"}})", "google.apiBaseUrl"},
      {R"({"google": {"apiBaseUrl": "file:///etc"}})", "google.apiBaseUrl"},
      {R"({"google": {"apiHeaders": ["Accept"]}})", "google.apiHeaders"},
      {R"({"google": {"apiHeaders": {"Bad Name": "x"}}})", "google.apiHeaders"},
      {"{\"google\": {\"apiHeaders\": {\"X-A\": \"a\\r\\nX-B: b\"}}}", "google.apiHeaders"},
      {R"({"Bad Id": {}})", "Bad Id"},
  };
  for (const auto& c : cases) {
    auto p = OAuthProviders::WithOverrides(c.json);
    BOOST_TEST_CONTEXT(c.json) {
      BOOST_REQUIRE(!p.ok());
      BOOST_TEST((p.status().code() == StatusCode::kInvalidArgument));
      BOOST_TEST(p.status().message().find(c.names) != std::string::npos, p.status().message());
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
