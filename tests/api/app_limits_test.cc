// App: rate limits, the client address behind trusted proxies, and the
// limits on what a key may hand on.
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "api/app.h"
#include "tests/api/app_fixture.h"

namespace latchkey {
namespace {

using namespace std::chrono_literals;

struct Fixture : testing::AppFixture {
  RateLimiter::Time now = RateLimiter::Time() + 1000s;
  std::unique_ptr<App> Limited(RateLimits limits, std::vector<std::string> trusted = {}) {
    AppOptions options{1 << 20, "http://lk.test"};
    options.rate_limits = limits;
    for (const auto& t : trusted) options.trusted_proxies.push_back(*Cidr::Parse(t));
    options.steady_now = [this] { return now; };
    return std::make_unique<App>(Services(), options);
  }
  std::string RetryAfter(const HttpResponse& r) { return Header(r, "Retry-After").value_or(""); }
};

BOOST_FIXTURE_TEST_SUITE(AppLimitsTest, Fixture)

BOOST_AUTO_TEST_CASE(EachKeyHasItsOwnBucket) {
  auto limited = Limited({RateLimit{1, 3}, RateLimit{}, RateLimit{}});
  std::string a = NewAccount("a"), b = NewAccount("b");
  for (int i = 0; i < 3; ++i) BOOST_TEST(CallOn(*limited, "GET", "/api-keys", a).status == 200);
  auto refused = CallOn(*limited, "GET", "/api-keys", a);
  ExpectError(refused, 429, "RATE_LIMITED");
  BOOST_TEST(RetryAfter(refused) == "1");
  BOOST_TEST(CallOn(*limited, "GET", "/api-keys", b).status == 200);
  now += 1s;
  BOOST_TEST(CallOn(*limited, "GET", "/api-keys", a).status == 200);
}

BOOST_AUTO_TEST_CASE(PublicRoutesAreLimitedPerAddress) {
  auto limited = Limited({RateLimit{}, RateLimit{2, 2}, RateLimit{}});
  for (int i = 0; i < 2; ++i)
    BOOST_TEST(CallOn(*limited, "GET", "/healthz", "", "", {}, "10.0.0.1").status == 200);
  ExpectError(CallOn(*limited, "GET", "/healthz", "", "", {}, "10.0.0.1"), 429, "RATE_LIMITED");
  BOOST_TEST(CallOn(*limited, "GET", "/healthz", "", "", {}, "10.0.0.2").status == 200);
  now += 500ms;
  BOOST_TEST(CallOn(*limited, "GET", "/healthz", "", "", {}, "10.0.0.1").status == 200);
}

// Regression: anyone who knew a key id could append an auth.denied event
// per request, and guess keys (or the admin key) without limit.
BOOST_AUTO_TEST_CASE(FailedAuthenticationsAreLimitedHarderAndAggregated) {
  auto limited = Limited({RateLimit{}, RateLimit{}, RateLimit{1.0 / 60, 5}});
  std::string id;
  std::string key = NewAccount("acme", &id);
  std::string wrong = key.substr(0, key.size() - 4) + "AAAA";
  int64_t events = Count("SELECT COUNT(*) FROM audit_events WHERE action = 'auth.denied'");
  for (int i = 0; i < 5; ++i)
    ExpectError(CallOn(*limited, "GET", "/api-keys", wrong), 401, "UNAUTHORIZED");
  auto refused = CallOn(*limited, "GET", "/api-keys", wrong);
  ExpectError(refused, 429, "RATE_LIMITED");
  BOOST_TEST(std::stoi(RetryAfter(refused)) >= 50);
  // Another address is not affected, and a failure there is still a 401:
  // a key id is public, so failures against it never lock its owner out.
  ExpectError(CallOn(*limited, "GET", "/api-keys", wrong, "", {}, "10.9.9.9"), 401, "UNAUTHORIZED");
  // The admin key from the exhausted address is refused unchecked.
  ExpectError(CallOn(*limited, "GET", "/admin/accounts", "not-the-admin-key"), 429, "RATE_LIMITED");
  // One durable event for the burst, not one per attempt.
  BOOST_TEST(Count("SELECT COUNT(*) FROM audit_events WHERE action = 'auth.denied'") == events + 1);
  // The key's owner, elsewhere, is never locked out by someone else's
  // failures with its id.
  BOOST_TEST(CallOn(*limited, "GET", "/api-keys", key, "", {}, "10.1.1.1").status == 200);
  // An IPv6 client is counted by its /64.
  for (int i = 0; i < 5; ++i) {
    CallOn(*limited, "GET", "/api-keys", wrong, "", {}, "2001:db8:1:2::" + std::to_string(i + 1));
  }
  ExpectError(CallOn(*limited, "GET", "/api-keys", key, "", {}, "2001:db8:1:2:ffff::9"), 429,
              "RATE_LIMITED");
  BOOST_TEST(CallOn(*limited, "GET", "/api-keys", key, "", {}, "2001:db8:1:3::1").status == 200);
  BOOST_TEST(RateBucketAddress("2001:db8:1:2:aaaa:bbbb:cccc:dddd") == "2001:db8:1:2::/64");
  BOOST_TEST(RateBucketAddress("10.0.0.1") == "10.0.0.1");
}

BOOST_AUTO_TEST_CASE(ClientAddressComesFromXffOnlyThroughTrustedProxies) {
  std::vector<Cidr> trusted{*Cidr::Parse("10.0.0.0/8")};
  BOOST_TEST(ClientAddress("203.0.113.9", "1.2.3.4", trusted) == "203.0.113.9");
  BOOST_TEST(ClientAddress("10.0.0.5", "1.2.3.4", trusted) == "1.2.3.4");
  BOOST_TEST(ClientAddress("10.0.0.5", "6.6.6.6, 1.2.3.4", trusted) == "1.2.3.4");
  BOOST_TEST(ClientAddress("10.0.0.5", "6.6.6.6, 1.2.3.4, 10.0.0.9", trusted) == "1.2.3.4");
  BOOST_TEST(ClientAddress("10.0.0.5", "garbage", trusted) == "10.0.0.5");
  BOOST_TEST(ClientAddress("10.0.0.5", std::nullopt, trusted) == "10.0.0.5");
  BOOST_TEST(ClientAddress("10.0.0.5", "1.2.3.4", {}) == "10.0.0.5");
  // Used for the limits: spoofed headers from an untrusted peer share one bucket.
  auto limited = Limited({RateLimit{}, RateLimit{1, 1}, RateLimit{}}, {"10.0.0.0/8"});
  BOOST_TEST(
      CallOn(*limited, "GET", "/healthz", "", "", {{"X-Forwarded-For", "1.1.1.1"}}, "203.0.113.9")
          .status == 200);
  BOOST_TEST(
      CallOn(*limited, "GET", "/healthz", "", "", {{"X-Forwarded-For", "2.2.2.2"}}, "203.0.113.9")
          .status == 429);
  BOOST_TEST(
      CallOn(*limited, "GET", "/healthz", "", "", {{"X-Forwarded-For", "1.1.1.1"}}, "10.0.0.1")
          .status == 200);
  BOOST_TEST(
      CallOn(*limited, "GET", "/healthz", "", "", {{"X-Forwarded-For", "2.2.2.2"}}, "10.0.0.1")
          .status == 200);
}

// Regression: a key with only api-keys:write minted a key with every scope.
BOOST_AUTO_TEST_CASE(TheApiKeyRouteHandsOnOnlyWhatTheCallerHolds) {
  std::string key = NewAccount("acme");
  auto writer = Json(Call("POST", "/api-keys", key, R"({"name":"w","scopes":["api-keys:write"]})"));
  std::string w = writer["apiKey"];
  int64_t keys = Count("SELECT COUNT(*) FROM api_keys");
  auto r = Call("POST", "/api-keys", w,
                R"({"name":"x","scopes":["api-keys:write","certificates:write"]})");
  ExpectError(r, 403, "FORBIDDEN");
  BOOST_TEST(std::string(Json(r)["error"]).find("certificates:write") != std::string::npos);
  BOOST_TEST(Count("SELECT COUNT(*) FROM api_keys") == keys);
  BOOST_TEST(Call("POST", "/api-keys", w, R"({"name":"x","scopes":["api-keys:write"]})").status ==
             201);
  auto agent =
      Json(Call("POST", "/api-keys", key,
                R"({"name":"a","scopes":["proxy","api-keys:write"],"credentials":["openai"],)"
                R"("allowMissing":true})"));
  std::string a = agent["apiKey"];
  ExpectError(Call("POST", "/api-keys", a,
                   R"({"name":"y","scopes":["proxy"],"credentials":["anthropic"]})"),
              403, "FORBIDDEN");
  auto child = Json(Call("POST", "/api-keys", a, R"({"name":"y","scopes":["proxy"]})"));
  BOOST_TEST(child["credentials"] == nlohmann::json::array({"openai"}));  // inherited, unchecked
  // Naming it is checked: it still does not exist.
  auto named =
      Call("POST", "/api-keys", a, R"({"name":"z","scopes":["proxy"],"credentials":["openai"]})");
  ExpectError(named, 400, "BAD_REQUEST");
  BOOST_TEST(std::string(Json(named)["error"]).find("allowMissing") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(RepeatedFieldsAndEmptyNamesAreRefused) {
  std::string key = NewAccount("acme");
  auto r = Call("POST", "/api-keys", key, R"({"name":"a","name":"b","scopes":["proxy"]})");
  ExpectError(r, 400, "BAD_REQUEST");
  BOOST_TEST(Json(r)["error"] == "field 'name' appears more than once");
  ExpectError(Call("PUT", "/credentials", key, R"({"":"sk-abcdefghijklmnop"})"), 400,
              "BAD_REQUEST");
  ExpectError(Call("PUT", "/credentials", key,
                   R"({"openaiApiKey":"sk-a1234567890123","openaiApiKey":"sk-b1234567890123"})"),
              400, "BAD_REQUEST");
  BOOST_TEST(Json(Call("GET", "/credentials", key))["hasOpenaiApiKey"] == false);
}

BOOST_AUTO_TEST_CASE(ErrorsDoNotEchoLongInputBack) {
  std::string key = NewAccount("acme");
  auto r = Call("GET", "/certificates/" + std::string(100000, 'x'), key);
  BOOST_TEST(r.status >= 400);
  BOOST_TEST(r.status < 500);
  BOOST_TEST(r.body.size() < 1024u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
