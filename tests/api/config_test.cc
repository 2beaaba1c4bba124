#include "api/config.h"

#include <boost/test/unit_test.hpp>
#include <vector>

namespace latchkey {
namespace {

Result<Config> Parse(std::vector<std::string> args, int* code) {
  args.insert(args.begin(), "latchkeyd");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return ParseConfig(static_cast<int>(argv.size()), argv.data(), code);
}

BOOST_AUTO_TEST_SUITE(ConfigTest)

BOOST_AUTO_TEST_CASE(ReadsFlags) {
  int code = -1;
  auto c = Parse({"--listen", "0.0.0.0:0", "--threads", "4", "--public-url", "https://lk.example/",
                  "--log-level", "debug", "--data-dir", "/tmp/x"},
                 &code);
  BOOST_REQUIRE(c.ok());
  BOOST_TEST(c->host == "0.0.0.0");
  BOOST_TEST(c->port == 0);
  BOOST_TEST(c->threads == 4);
  BOOST_TEST(c->public_url == "https://lk.example");
  BOOST_TEST((c->log_level == LogLevel::kDebug));
  BOOST_TEST((Parse({"rewrap"}, &code)->command == Config::Command::kRewrap));
  auto oauth =
      Parse({"--oauth-providers-file", "/etc/p.json", "--oauth-refresh-margin", "60"}, &code);
  BOOST_REQUIRE(oauth.ok());
  BOOST_TEST(oauth->oauth_providers_file == "/etc/p.json");
  BOOST_TEST(oauth->oauth_refresh_margin.count() == 60);
  BOOST_TEST(Parse({}, &code)->oauth_refresh_margin.count() == 300);
}

BOOST_AUTO_TEST_CASE(BadValuesFailWithOneLineAndExitCode2) {
  for (std::vector<std::string> bad : {std::vector<std::string>{"--listen", "nope"},
                                       {"--listen", "1.2.3.4:70000"},
                                       {"--threads", "0"},
                                       {"--threads", "abc"},
                                       {"--log-level", "loud"},
                                       {"--public-url", "ftp://x"},
                                       {"--max-body-bytes", "5"},
                                       {"--unknown-flag"},
                                       {"--oauth-refresh-margin", "-1"},
                                       {"--oauth-refresh-margin", "86401"}}) {
    int code = 0;
    auto c = Parse(bad, &code);
    BOOST_TEST(!c.ok(), bad[0]);
    BOOST_TEST(code == 2);
    BOOST_TEST(c.status().message().find('\n') == std::string::npos);
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
