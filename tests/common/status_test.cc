#include "common/status.h"

#include <boost/test/unit_test.hpp>

namespace latchkey {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgument("odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int h, Half(x));
  ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckEven(int x) {
  RETURN_IF_ERROR(Half(x).status());
  return Status::Ok();
}

BOOST_AUTO_TEST_SUITE(StatusTest)

BOOST_AUTO_TEST_CASE(DefaultIsOk) {
  Status s;
  BOOST_TEST(s.ok());
  BOOST_TEST(s.ToString() == "OK");
}

BOOST_AUTO_TEST_CASE(CodesHaveStableNames) {
  BOOST_TEST(StatusCodeName(StatusCode::kNotFound) == "NOT_FOUND");
  BOOST_TEST(StatusCodeName(StatusCode::kInvalidArgument) == "BAD_REQUEST");
  BOOST_TEST(StatusCodeName(StatusCode::kAlreadyExists) == "CONFLICT");
  BOOST_TEST(NotFound("x").ToString() == "NOT_FOUND: x");
}

BOOST_AUTO_TEST_CASE(AssignOrReturnPropagatesTheFirstError) {
  BOOST_TEST(*Quarter(8) == 2);
  Result<int> r = Quarter(6);
  BOOST_TEST(!r.ok());
  BOOST_TEST(r.status().message() == "odd");
}

BOOST_AUTO_TEST_CASE(ReturnIfErrorPropagates) {
  BOOST_TEST(CheckEven(4).ok());
  BOOST_TEST(CheckEven(3).code() == StatusCode::kInvalidArgument);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
