#include "services/oauth/token_endpoint.h"

#include <boost/test/unit_test.hpp>

namespace latchkey {
namespace {

const OAuthProvider& Get(const char* id) {
  static const OAuthProviders providers = OAuthProviders::BuiltIn();
  return *providers.Find(id);
}

Result<TokenGrant> Parse(const char* provider, int status, const std::string& body) {
  return TokenEndpoint::ParseResponse(Get(provider), status, body);
}

BOOST_AUTO_TEST_SUITE(TokenEndpointTest)

BOOST_AUTO_TEST_CASE(StandardGrantWithStringExpiry) {
  auto g = Parse("microsoft", 200,
                 R"({"access_token":"at-1","refresh_token":"rt-1","token_type":"bearer",)"
                 R"("expires_in":"3599","scope":"offline_access User.Read"})");
  BOOST_REQUIRE_MESSAGE(g.ok(), g.status().ToString());
  BOOST_TEST(g->access_token == "at-1");
  BOOST_TEST(g->refresh_token == "rt-1");
  BOOST_TEST(g->token_type == "Bearer");
  BOOST_TEST(*g->expires_in == 3599);
  BOOST_TEST(g->scopes == (std::vector<std::string>{"offline_access", "User.Read"}));
}

BOOST_AUTO_TEST_CASE(GoogleRefreshWithoutRefreshToken) {
  auto g = Parse("google", 200, R"({"access_token":"at-2","expires_in":3600})");
  BOOST_REQUIRE(g.ok());
  BOOST_TEST(g->refresh_token.empty());  // the caller keeps the old one
}

BOOST_AUTO_TEST_CASE(DeadGrantsAreNeedsReauthInEveryDialect) {
  struct Case {
    const char* provider;
    int status;
    const char* body;
  } cases[] = {
      {"microsoft", 400,
       R"({"error":"invalid_grant","error_description":"AADSTS700082: expired"})"},
      {"google", 400, R"({"error":"invalid_grant"})"},
      {"slack", 200, R"({"ok":false,"error":"invalid_refresh_token"})"},
      {"github", 200, R"({"error":"bad_refresh_token","error_description":"x"})"},
      {"notion", 400, R"({"error":"invalid_grant"})"},
      {"microsoft", 400, R"({"error":"interaction_required"})"},
  };
  for (const auto& c : cases) {
    auto g = Parse(c.provider, c.status, c.body);
    BOOST_TEST_CONTEXT(c.provider << " " << c.body) {
      BOOST_TEST(g.status().code() == StatusCode::kNeedsReauth);
    }
  }
}

BOOST_AUTO_TEST_CASE(ErrorsInHttp200AreErrors) {
  auto slack = Parse("slack", 200, R"({"ok":false,"error":"invalid_client_id"})");
  BOOST_TEST(slack.status().code() == StatusCode::kFailedPrecondition);
  BOOST_TEST(slack.status().message().find("invalid_client_id") != std::string::npos);
  auto github = Parse("github", 200, R"({"error":"incorrect_client_credentials"})");
  BOOST_TEST(github.status().code() == StatusCode::kFailedPrecondition);
  auto limited = Parse("slack", 200, R"({"ok":false,"error":"ratelimited"})");
  BOOST_TEST(limited.status().code() == StatusCode::kUpstreamError);
}

BOOST_AUTO_TEST_CASE(ServerErrorsAndGarbageAreRetryable) {
  BOOST_TEST(Parse("google", 503, "<html>busy</html>").status().code() ==
             StatusCode::kUpstreamError);
  BOOST_TEST(Parse("google", 500, R"({"error":"server_error"})").status().code() ==
             StatusCode::kUpstreamError);
  BOOST_TEST(Parse("google", 200, "not json").status().code() == StatusCode::kUpstreamError);
  BOOST_TEST(Parse("google", 200, R"({"access_token":""})").status().code() ==
             StatusCode::kUpstreamError);
  BOOST_TEST(Parse("google", 200, R"({"access_token":"a","expires_in":-5})").status().code() ==
             StatusCode::kUpstreamError);
}

BOOST_AUTO_TEST_CASE(FormEncodedAnswersAreRead) {
  auto g = Parse("github", 200, "access_token=at-3&scope=repo%2Cgist&token_type=bearer");
  BOOST_REQUIRE(g.ok());
  BOOST_TEST(g->access_token == "at-3");
  BOOST_TEST(g->scopes == (std::vector<std::string>{"repo", "gist"}));
}

BOOST_AUTO_TEST_CASE(SlackBotAndUserTokensAreSeparate) {
  auto g = Parse("slack", 200,
                 R"({"ok":true,"access_token":"xoxb-1","token_type":"bot","scope":"chat:write",)"
                 R"("refresh_token":"xoxe-b","expires_in":43200,"bot_user_id":"U0",)"
                 R"("team":{"id":"T1","name":"Acme"},"authed_user":{"id":"U1",)"
                 R"("scope":"search:read","access_token":"xoxp-1","token_type":"user",)"
                 R"("refresh_token":"xoxe-u","expires_in":43200}})");
  BOOST_REQUIRE_MESSAGE(g.ok(), g.status().ToString());
  BOOST_TEST(g->access_token == "xoxb-1");
  BOOST_TEST(g->token_type == "Bearer");
  BOOST_REQUIRE(g->user);
  BOOST_TEST(g->user->access_token == "xoxp-1");
  BOOST_TEST(g->user->refresh_token == "xoxe-u");
  BOOST_TEST(g->user->scopes == std::vector<std::string>{"search:read"});
  BOOST_TEST(g->metadata_json.find("\"team_id\":\"T1\"") != std::string::npos);
  BOOST_TEST(g->metadata_json.find("xox") == std::string::npos);  // no token in metadata
  BOOST_TEST(g->user->metadata_json.find("\"token_kind\":\"user\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(SlackUserOnlyGrant) {
  auto g = Parse("slack", 200,
                 R"({"ok":true,"team":{"id":"T1"},"authed_user":{"id":"U1",)"
                 R"("access_token":"xoxp-2","token_type":"user","scope":"search:read"}})");
  BOOST_REQUIRE(g.ok());
  BOOST_TEST(g->access_token == "xoxp-2");
  BOOST_TEST(!g->user);
}

BOOST_AUTO_TEST_CASE(NotionKeepsWorkspaceMetadata) {
  auto g = Parse("notion", 200,
                 R"({"access_token":"secret_x","token_type":"bearer","bot_id":"b1",)"
                 R"("workspace_id":"w1","workspace_name":"WS","owner":{"type":"user"}})");
  BOOST_REQUIRE(g.ok());
  BOOST_TEST(!g->expires_in);
  BOOST_TEST(g->metadata_json.find("\"workspace_id\":\"w1\"") != std::string::npos);
  BOOST_TEST(g->metadata_json.find("\"bot_id\":\"b1\"") != std::string::npos);
  BOOST_TEST(g->metadata_json.find("secret_x") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(ErrorMessagesNeverCarryTheBody) {
  auto g = Parse("google", 400, R"({"error":"invalid_request","error_description":"rt-secret"})");
  BOOST_TEST(g.status().message().find("rt-secret") == std::string::npos);
  auto odd = Parse("google", 400, R"({"error":"a b\"c<script>"})");
  BOOST_TEST(odd.status().message().find('<') == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
