#include "common/http_client.h"

#include <boost/test/unit_test.hpp>
#include <string>

#include "tests/common/loopback_server.h"

namespace latchkey {
namespace {

using testing::Get;
using testing::LoopbackServer;
using testing::SilentListener;

const char kOk[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Test: yes\r\nContent-Length: 5\r\n"
    "Connection: close\r\n\r\nhello";

BOOST_AUTO_TEST_SUITE(HttpClientTest)

BOOST_AUTO_TEST_CASE(FetchesAndSendsHeadersAndBody) {
  LoopbackServer server(kOk);
  HttpClientRequest r = Get("http://127.0.0.1:" + std::to_string(server.port()) + "/p?q=1");
  r.method = "POST";
  r.body = "payload";
  r.headers = {{"X-Custom", "v1"}};
  auto resp = HttpClient::Fetch(r, 1 << 20);
  BOOST_REQUIRE_MESSAGE(resp.ok(), resp.status().ToString());
  BOOST_TEST(resp->status == 200);
  BOOST_TEST(resp->body == "hello");
  bool saw = false;
  for (const auto& [n, v] : resp->headers) saw |= n == "X-Test" && v == "yes";
  BOOST_TEST(saw);
  BOOST_TEST(server.last_request().find("POST /p?q=1 HTTP/1.1") == 0u);
  BOOST_TEST(server.last_request().find("X-Custom: v1") != std::string::npos);
  BOOST_TEST(server.last_request().find("Expect:") == std::string::npos);
}

// The check sees the address curl is about to connect to, after DNS: a
// refused one is never connected to.
BOOST_AUTO_TEST_CASE(CheckAddressDecidesEachConnect) {
  LoopbackServer server(kOk);
  HttpClientRequest r = Get("http://localhost:" + std::to_string(server.port()) + "/");
  std::vector<std::string> seen;
  r.check_address = [&seen](const sockaddr* a) -> std::optional<std::string> {
    seen.push_back(a->sa_family == AF_INET ? "v4" : "v6");
    return "refused for the test";
  };
  auto refused = HttpClient::Fetch(r, 1 << 20);
  BOOST_TEST((refused.status().code() == StatusCode::kPermissionDenied));
  BOOST_TEST(refused.status().message() == "refused for the test");
  BOOST_TEST(!seen.empty());
  BOOST_TEST(server.accepted() == 0);

  r.check_address = [](const sockaddr* a) -> std::optional<std::string> {
    if (a->sa_family == AF_INET &&
        reinterpret_cast<const sockaddr_in*>(a)->sin_addr.s_addr == htonl(INADDR_LOOPBACK)) {
      return std::nullopt;
    }
    return "only 127.0.0.1";
  };
  auto allowed = HttpClient::Fetch(r, 1 << 20);
  BOOST_REQUIRE_MESSAGE(allowed.ok(), allowed.status().ToString());
  BOOST_TEST(server.accepted() == 1);
}

BOOST_AUTO_TEST_CASE(RedirectsAreReturnedNotFollowed) {
  LoopbackServer server(
      "HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/\r\nContent-Length: 0\r\n"
      "Connection: close\r\n\r\n");
  auto resp =
      HttpClient::Fetch(Get("http://127.0.0.1:" + std::to_string(server.port()) + "/"), 1 << 20);
  BOOST_REQUIRE(resp.ok());
  BOOST_TEST(resp->status == 302);
  BOOST_TEST(server.accepted() == 1);
}

BOOST_AUTO_TEST_CASE(HttpsOnlyUnlessAllowed) {
  LoopbackServer server(kOk);
  HttpClientRequest r = Get("http://127.0.0.1:" + std::to_string(server.port()) + "/");
  r.allow_http = false;
  auto resp = HttpClient::Fetch(r, 1 << 20);
  BOOST_TEST((resp.status().code() == StatusCode::kInvalidArgument));
  BOOST_TEST(server.accepted() == 0);
}

BOOST_AUTO_TEST_CASE(FailuresMapToUpstreamCodes) {
  int port;
  {
    LoopbackServer closed(kOk);
    port = closed.port();
  }
  auto refused = HttpClient::Fetch(Get("http://127.0.0.1:" + std::to_string(port) + "/"), 1 << 20);
  BOOST_TEST((refused.status().code() == StatusCode::kUpstreamError));

  // A listener that never answers: the total timeout applies.
  SilentListener silent;
  HttpClientRequest r = Get(silent.url());
  r.total_timeout = std::chrono::milliseconds(300);
  auto timed_out = HttpClient::Fetch(r, 1 << 20);
  BOOST_TEST((timed_out.status().code() == StatusCode::kUpstreamTimeout));

  LoopbackServer big(kOk);
  auto too_big = HttpClient::Fetch(Get("http://127.0.0.1:" + std::to_string(big.port()) + "/"), 3);
  BOOST_TEST((too_big.status().code() == StatusCode::kUpstreamError));
}

BOOST_AUTO_TEST_CASE(CancelStopsATransfer) {
  SilentListener silent;
  std::atomic<bool> cancel{true};
  HttpClientRequest r = Get(silent.url());
  r.total_timeout = std::chrono::milliseconds(30000);
  r.cancel = &cancel;
  auto started = std::chrono::steady_clock::now();
  auto resp = HttpClient::Fetch(r, 1 << 20);
  BOOST_TEST((resp.status().code() == StatusCode::kUnavailable));
  BOOST_TEST((std::chrono::steady_clock::now() - started < std::chrono::seconds(10)));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
