#include "services/proxy/address_policy.h"

#include <boost/test/unit_test.hpp>

namespace latchkey {
namespace {

std::optional<std::string> Reason(const char* text) {
  auto ip = IpAddress::Parse(text);
  BOOST_REQUIRE_MESSAGE(ip.has_value(), text);
  return NonPublicReason(*ip);
}

BOOST_AUTO_TEST_SUITE(AddressPolicyTest)

BOOST_AUTO_TEST_CASE(RefusesEveryNonPublicClass) {
  for (const char* ip : {"0.0.0.0",
                         "127.0.0.1",
                         "127.1.2.3",
                         "10.1.2.3",
                         "172.16.0.1",
                         "172.31.255.255",
                         "192.168.1.1",
                         "100.64.0.1",
                         "100.127.255.255",
                         "169.254.169.254",
                         "169.254.1.1",
                         "224.0.0.1",
                         "239.255.255.250",
                         "255.255.255.255",
                         "240.0.0.1",
                         "192.0.2.1",
                         "198.18.0.1",
                         "::",
                         "::1",
                         "fc00::1",
                         "fd12:3456::1",
                         "fe80::1",
                         "ff02::1",
                         "::ffff:127.0.0.1",
                         "::ffff:169.254.169.254",
                         "::ffff:10.0.0.1",
                         "::127.0.0.1",
                         "64:ff9b::a9fe:a9fe",
                         "2002:7f00:1::1",
                         "2001:db8::1",
                         "2001:0::1"}) {
    BOOST_TEST(Reason(ip).has_value(), ip);
  }
  BOOST_TEST(*Reason("169.254.169.254") == "cloud metadata");
  BOOST_TEST(*Reason("::ffff:127.0.0.1") == "loopback (embedded in IPv6)");
}

BOOST_AUTO_TEST_CASE(AllowsPublicAddresses) {
  for (const char* ip : {"1.1.1.1", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111",
                         "::ffff:8.8.8.8", "64:ff9b::808:808"}) {
    BOOST_TEST(!Reason(ip).has_value(), ip);
  }
}

BOOST_AUTO_TEST_CASE(OperatorAllowListOpensRangesIncludingMappedForms) {
  auto policy = AddressPolicy::Parse("127.0.0.1/32, 10.0.0.0/8,::1");
  BOOST_REQUIRE(policy.ok());
  BOOST_TEST(!policy->Check(*IpAddress::Parse("127.0.0.1")).has_value());
  BOOST_TEST(!policy->Check(*IpAddress::Parse("::ffff:127.0.0.1")).has_value());
  BOOST_TEST(!policy->Check(*IpAddress::Parse("10.9.8.7")).has_value());
  BOOST_TEST(!policy->Check(*IpAddress::Parse("::1")).has_value());
  BOOST_TEST(policy->Check(*IpAddress::Parse("127.0.0.2")).has_value());
  BOOST_TEST(policy->Check(*IpAddress::Parse("169.254.169.254")).has_value());
  BOOST_TEST(AddressPolicy().Check(*IpAddress::Parse("127.0.0.1")).has_value());
  for (const char* bad : {"10.0.0.0/33", "banana", "1.2.3.4/", "::1/129"}) {
    BOOST_TEST(!AddressPolicy::Parse(bad).ok(), bad);
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
