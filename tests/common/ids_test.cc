#include "common/ids.h"

#include <boost/test/unit_test.hpp>
#include <set>

namespace latchkey {
namespace {

BOOST_AUTO_TEST_SUITE(IdsTest)

BOOST_AUTO_TEST_CASE(IdsArePrefixedRandomAndValid) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewId("acct");
    BOOST_TEST(IsValidId(id, "acct"));
    seen.insert(id);
  }
  BOOST_TEST(seen.size() == 1000u);
}

BOOST_AUTO_TEST_CASE(RejectsOtherShapes) {
  BOOST_TEST(!IsValidId(NewId("key"), "acct"));
  BOOST_TEST(!IsValidId("acct_short", "acct"));
  BOOST_TEST(!IsValidId("acct_AAAAAAAAAAAAAAAAAAAA", "acct"));
  BOOST_TEST(!IsValidId("acct-aaaaaaaaaaaaaaaaaaaa", "acct"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
