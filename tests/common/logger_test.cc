#include "common/logger.h"

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <string>

namespace latchkey {
namespace {

std::string Contents(std::FILE* f) {
  std::rewind(f);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  return out;
}

BOOST_AUTO_TEST_SUITE(LoggerTest)

BOOST_AUTO_TEST_CASE(WritesOneJsonObjectPerLine) {
  std::FILE* f = std::tmpfile();
  Logger logger(f, LogLevel::kInfo);
  logger.Info("request", {{"path", "/a\"b"}, {"status", 200}, {"ms", 1.5}});
  std::string text = Contents(f);
  BOOST_TEST(text.back() == '\n');
  BOOST_TEST(text.find("\"level\":\"info\",\"event\":\"request\",\"path\":\"/"
                       "a\\\"b\",\"status\":200,\"ms\":1.500}") != std::string::npos);
  std::fclose(f);
}

BOOST_AUTO_TEST_CASE(DropsLinesBelowTheLevel) {
  std::FILE* f = std::tmpfile();
  Logger logger(f, LogLevel::kWarn);
  logger.Info("quiet");
  logger.Error("loud");
  std::string text = Contents(f);
  BOOST_TEST(text.find("quiet") == std::string::npos);
  BOOST_TEST(text.find("loud") != std::string::npos);
  LogLevel level;
  BOOST_TEST(ParseLogLevel("debug", &level));
  BOOST_TEST(!ParseLogLevel("verbose", &level));
  std::fclose(f);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
