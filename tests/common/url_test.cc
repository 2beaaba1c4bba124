#include "common/url.h"

#include <boost/test/unit_test.hpp>

namespace latchkey {
namespace {

BOOST_AUTO_TEST_SUITE(UrlTest)

BOOST_AUTO_TEST_CASE(PercentAndFormEncodingRoundTrip) {
  BOOST_TEST(PercentEncode("a b/ü~") == "a%20b%2F%C3%BC~");
  BOOST_TEST(*PercentDecode("a+b%2F", true) == "a b/");
  BOOST_TEST(*PercentDecode("a+b", false) == "a+b");
  BOOST_TEST(!PercentDecode("%zz", false).has_value());
  BOOST_TEST(!PercentDecode("a%00", false).has_value());
  FormFields fields = {{"a", "1"}, {"b c", "x&y=z"}};
  BOOST_TEST(FormEncode(fields) == "a=1&b%20c=x%26y%3Dz");
  BOOST_TEST((*FormDecode(FormEncode(fields)) == fields));
  BOOST_TEST(AppendQuery("https://x/a", {{"k", "v"}}) == "https://x/a?k=v");
  BOOST_TEST(AppendQuery("https://x/a?q=1", {{"k", "v"}}) == "https://x/a?q=1&k=v");
}

BOOST_AUTO_TEST_CASE(ParseHttpUrlReadsWhatLibcurlConnectsTo) {
  auto u = ParseHttpUrl("HTTPS://API.Example.com:8443/v1?q=1#top", "target", 100);
  BOOST_REQUIRE(u.ok());
  BOOST_TEST(u->scheme == "https");
  BOOST_TEST(u->host == "api.example.com");
  BOOST_TEST(u->port == 8443);
  BOOST_TEST(u->path == "/v1");
  auto plain = ParseHttpUrl("http://[::1]", "target", 100);
  BOOST_REQUIRE(plain.ok());
  BOOST_TEST((plain->host == "::1" && plain->port == 80 && plain->path == "/"));
}

BOOST_AUTO_TEST_CASE(ParseHttpUrlErrorsNameTheField) {
  struct Row {
    std::string url;
    std::string message;
  };
  for (const Row& row : std::vector<Row>{
           {"ftp://x/", "redirect must be an absolute http(s) URL"},
           {"https://x/" + std::string(100, 'a'), "redirect must be an absolute http(s) URL"},
           {"https://x/a b", "redirect must be an absolute http(s) URL"},
           {"https://u:p@x/", "redirect must not carry a user name or password"},
           {"https://x:0/", "redirect has an invalid port"},
           {"https://a..b/", "redirect has an invalid host"},
       }) {
    auto u = ParseHttpUrl(row.url, "redirect", 100);
    BOOST_TEST_CONTEXT(row.url) {
      BOOST_REQUIRE(!u.ok());
      BOOST_TEST(u.status().code() == StatusCode::kInvalidArgument);
      BOOST_TEST(u.status().message() == row.message);
    }
  }
}

BOOST_AUTO_TEST_CASE(AppendQueryToHttpUrlKeepsTheFragmentLast) {
  BOOST_TEST(*AppendQueryToHttpUrl("https://x/a?q=1#f", {{"k", "a b"}}) ==
             "https://x/a?q=1&k=a%20b#f");
  BOOST_TEST(*AppendQueryToHttpUrl("https://x/a", {}) == "https://x/a");
  BOOST_TEST(AppendQueryToHttpUrl("not a url", {{"k", "v"}}).status().code() ==
             StatusCode::kInternal);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
