#include "api/router.h"

#include <boost/test/unit_test.hpp>

#include "api/app.h"

namespace latchkey {
namespace {

Route Make(std::string method, std::string pattern) {
  Route r;
  r.method = std::move(method);
  r.pattern = std::move(pattern);
  r.handler = [](RequestContext&) -> Result<HttpResponse> { return HttpResponse{}; };
  return r;
}

BOOST_AUTO_TEST_SUITE(RouterTest)

BOOST_AUTO_TEST_CASE(MatchesLiteralsBeforeParameters) {
  Router router;
  router.Add(Make("GET", "/audit-events/{id}"));
  router.Add(Make("GET", "/audit-events/verify"));
  auto m = router.Find("GET", "/audit-events/verify");
  BOOST_REQUIRE((m.kind == Router::MatchKind::kFound));
  BOOST_TEST(m.route->pattern == "/audit-events/verify");
  auto p = router.Find("GET", "/audit-events/evt%5F1");
  BOOST_TEST(p.params["id"] == "evt_1");
}

BOOST_AUTO_TEST_CASE(ARestParameterTakesTheRestOfThePathAsSent) {
  Router router;
  router.Add(Make("POST", "/proxy/{credential}/{path...}"));
  router.Add(Make("POST", "/proxy/oauth/{token}/{path...}"));
  auto m = router.Find("POST", "/proxy/openai/v1/chat/completions");
  BOOST_REQUIRE((m.kind == Router::MatchKind::kFound));
  BOOST_TEST(m.params["credential"] == "openai");
  BOOST_TEST(m.params["path"] == "v1/chat/completions");
  auto raw = router.Find("POST", "/proxy/openai/a%2Fb/%2e%2e/c%20d");
  BOOST_TEST(raw.params["path"] == "a%2Fb/%2e%2e/c%20d");  // not decoded: checked by its user
  BOOST_TEST(router.Find("POST", "/proxy/openai/").params["path"] == "");
  BOOST_TEST((router.Find("POST", "/proxy/openai").kind == Router::MatchKind::kNotFound));
  auto oauth = router.Find("POST", "/proxy/oauth/otk_1/me");
  BOOST_TEST(oauth.route->pattern == "/proxy/oauth/{token}/{path...}");  // the literal wins
  BOOST_TEST(oauth.params["path"] == "me");
  BOOST_TEST((router.Find("GET", "/proxy/openai/x").kind == Router::MatchKind::kMethodNotAllowed));
}

BOOST_AUTO_TEST_CASE(DistinguishesNotFoundMethodNotAllowedAndBadPaths) {
  Router router;
  router.Add(Make("GET", "/a/{id}"));
  router.Add(Make("DELETE", "/a/{id}"));
  BOOST_TEST((router.Find("GET", "/b").kind == Router::MatchKind::kNotFound));
  BOOST_TEST((router.Find("GET", "/a/").kind == Router::MatchKind::kNotFound));
  BOOST_TEST((router.Find("GET", "/a/x/y").kind == Router::MatchKind::kNotFound));
  auto m = router.Find("PUT", "/a/x");
  BOOST_TEST((m.kind == Router::MatchKind::kMethodNotAllowed));
  BOOST_TEST((m.allowed_methods == std::vector<std::string>{"GET", "DELETE", "HEAD"}));
  BOOST_TEST((router.Find("GET", "/a/%zz").kind == Router::MatchKind::kBadPath));
  BOOST_TEST((router.Find("GET", "/a/%00").kind == Router::MatchKind::kBadPath));
}

// Regression: HEAD on GET routes was 405 (RFC 9110 §9.3.2).
BOOST_AUTO_TEST_CASE(HeadFindsTheGetRoute) {
  Router router;
  router.Add(Make("GET", "/a/{id}"));
  router.Add(Make("POST", "/b"));
  auto m = router.Find("HEAD", "/a/x");
  BOOST_REQUIRE((m.kind == Router::MatchKind::kFound));
  BOOST_TEST(m.route->method == "GET");
  BOOST_TEST(m.params["id"] == "x");
  auto post_only = router.Find("HEAD", "/b");
  BOOST_TEST((post_only.kind == Router::MatchKind::kMethodNotAllowed));
  BOOST_TEST((post_only.allowed_methods == std::vector<std::string>{"POST"}));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
