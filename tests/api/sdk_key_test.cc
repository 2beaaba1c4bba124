#include "api/sdk_key.h"

#include <boost/test/unit_test.hpp>

namespace latchkey {
namespace {

HttpRequest With(std::vector<std::pair<std::string, std::string>> headers,
                 std::vector<std::pair<std::string, std::string>> query = {}) {
  HttpRequest r;
  for (auto& [name, value] : headers) r.headers[name] = value;
  r.query = std::move(query);
  return r;
}

BOOST_AUTO_TEST_SUITE(SdkKeyTest)

BOOST_AUTO_TEST_CASE(FindsTheKeyWhereEachSdkPutsIt) {
  BOOST_TEST(*BearerToken(With({{"Authorization", "bearer  lk_1 "}})) == "lk_1");
  BOOST_TEST(!BearerToken(With({{"Authorization", "Basic x"}})).has_value());
  BOOST_TEST(*SdkKey(With({{"X-Api-Key", "lk_2"}})) == "lk_2");
  BOOST_TEST(*SdkKey(With({{"x-goog-api-key", "lk_3"}})) == "lk_3");
  BOOST_TEST(*SdkKey(With({{"api-key", "lk_4"}})) == "lk_4");
  BOOST_TEST(*SdkKey(With({}, {{"key", "lk_5"}})) == "lk_5");
  BOOST_TEST(!SdkKey(With({{"x-api-key", ""}}, {{"other", "x"}})).has_value());
}

BOOST_AUTO_TEST_CASE(OnlyTheCarrierOfThisKeyIsRemoved) {
  BOOST_TEST(CarriesKey("authorization", "Bearer lk_1", "lk_1"));
  BOOST_TEST(CarriesKey("Authorization", "BEARER lk_1", "lk_1"));
  BOOST_TEST(!CarriesKey("Authorization", "Bearer other", "lk_1"));
  BOOST_TEST(CarriesKey("X-Api-Key", "lk_1", "lk_1"));
  BOOST_TEST(CarriesKey("x-goog-api-key", "lk_1", "lk_1"));
  BOOST_TEST(CarriesKey("api-key", "lk_1", "lk_1"));
  BOOST_TEST(!CarriesKey("x-api-key", "sk-theirs", "lk_1"));
  BOOST_TEST(!CarriesKey("x-custom", "lk_1", "lk_1"));  // not a key header: left alone
  BOOST_TEST(!CarriesKey("x-api-key", "", ""));
  BOOST_TEST(CarriesKey("x-api-key", "lk_1, lk_1", "lk_1"));  // sent twice, joined
  BOOST_TEST(CarriesKey("authorization", "Bearer lk_1, Bearer lk_1", "lk_1"));
  BOOST_TEST(!CarriesKey("x-api-key", "lk_1x, xlk_1", "lk_1"));
  BOOST_TEST(QueryWithoutKey("key=lk_1&pageSize=5", "lk_1") == "pageSize=5");
  BOOST_TEST(QueryWithoutKey("a=1&key=lk%5F1&b=2", "lk_1") == "a=1&b=2");
  BOOST_TEST(QueryWithoutKey("key=lk_1", "lk_1") == "");
  BOOST_TEST(QueryWithoutKey("key=other&a=%20", "lk_1") == "key=other&a=%20");  // as sent
  BOOST_TEST(QueryWithoutKey("", "lk_1") == "");
  BOOST_TEST(QueryWithoutKey("%6Bey=lk_1&ke%79=lk_1&a=1", "lk_1") == "a=1");  // read decoded
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
