#include "api/json_body.h"

#include <boost/test/unit_test.hpp>

namespace latchkey {
namespace {

BOOST_AUTO_TEST_SUITE(JsonBodyTest)

BOOST_AUTO_TEST_CASE(ReadsTypedFields) {
  auto body =
      JsonBody::Parse(R"({"name":"n","scopes":["a","b"],"expiresAt":"2030-01-01T00:00:00Z"})",
                      {"name", "scopes", "expiresAt"});
  BOOST_REQUIRE(body.ok());
  BOOST_TEST(*body->RequiredString("name") == "n");
  BOOST_TEST(body->RequiredStringArray("scopes")->size() == 2u);
  BOOST_TEST(ToUnix(**body->OptionalTime("expiresAt")) == 1893456000);
}

BOOST_AUTO_TEST_CASE(ErrorsNameTheField) {
  auto parse = [](const char* text) { return JsonBody::Parse(text, {"name", "scopes", "at"}); };
  BOOST_TEST(parse("").status().message() == "request body must be a JSON object");
  BOOST_TEST(parse("{bad").status().message() == "request body is not valid JSON");
  BOOST_TEST(parse("[1]").status().message() == "request body must be a JSON object");
  BOOST_TEST(parse(R"({"nmae":"x"})").status().message() ==
             "unknown field 'nmae'; did you mean 'name'? (known: name, scopes, at)");
  BOOST_TEST(parse(R"({"zzz":"x"})").status().message() ==
             "unknown field 'zzz' (known: name, scopes, at)");
  BOOST_TEST(parse(R"({"name":5})")->RequiredString("name").status().message() ==
             "name must be a string");
  BOOST_TEST(parse("{}")->RequiredString("name").status().message() == "name is required");
  BOOST_TEST(parse(R"({"scopes":["a",1]})")->RequiredStringArray("scopes").status().message() ==
             "scopes must be an array of strings");
  BOOST_TEST(!parse(R"({"at":"tomorrow"})")->OptionalTime("at").ok());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
