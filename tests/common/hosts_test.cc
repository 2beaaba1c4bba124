#include "common/hosts.h"

#include <boost/test/unit_test.hpp>

namespace latchkey {
namespace {

BOOST_AUTO_TEST_SUITE(HostsTest)

BOOST_AUTO_TEST_CASE(NormalizesNamesAndLiterals) {
  BOOST_TEST(*NormalizeHost("API.Example.COM.") == "api.example.com");
  BOOST_TEST(*NormalizeHost("127.0.0.1") == "127.0.0.1");
  BOOST_TEST(*NormalizeHost("::1") == "::1");
  for (const char* bad :
       {"", "a..b", "-a.com", "a-.com", "a b.com", "a%2e.com", "ex@mple.com", "a/b"}) {
    BOOST_TEST(!NormalizeHost(bad).has_value(), bad);
  }
}

// Found by the url fuzzer: inet_pton stopped at a NUL, so "::1\0..." was an
// IP literal.
BOOST_AUTO_TEST_CASE(ANulByteIsNeverPartOfAHost) {
  BOOST_TEST(!NormalizeHost(std::string_view("::1\0.evil.com", 14)).has_value());
  BOOST_TEST(!NormalizeHost(std::string_view("10.0.0.1\0", 9)).has_value());
  BOOST_TEST(!ValidateHostPattern(std::string_view("::1\0x", 6)).ok());
}

BOOST_AUTO_TEST_CASE(PatternsAreExactOrLeadingWildcard) {
  BOOST_TEST(ValidateHostPattern("api.example.com").ok());
  BOOST_TEST(ValidateHostPattern("*.example.com").ok());
  for (const char* bad : {"*", "*.com", "api.*.com", "API.example.com", "*example.com",
                          "https://api.example.com", "api.example.com/v1", ""}) {
    BOOST_TEST(!ValidateHostPattern(bad).ok(), bad);
  }
}

BOOST_AUTO_TEST_CASE(WildcardMatchesSubdomainsOnly) {
  BOOST_TEST(HostMatches("*.example.com", "api.example.com", 443));
  BOOST_TEST(HostMatches("*.example.com", "a.b.example.com", 443));
  BOOST_TEST(!HostMatches("*.example.com", "example.com", 443));
  BOOST_TEST(!HostMatches("*.example.com", "example.com.evil.test", 443));
  BOOST_TEST(!HostMatches("*.example.com", "evilexample.com", 443));
  BOOST_TEST(HostMatches("api.example.com", "api.example.com", 443));
  BOOST_TEST(!HostMatches("api.example.com", "api.example.com.evil.test", 443));
  BOOST_TEST(HostAllowed({"x.test", "*.example.com"}, "v1.example.com", 443));
  BOOST_TEST(!HostAllowed({"x.test", "*.example.com"}, "y.test", 443));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
