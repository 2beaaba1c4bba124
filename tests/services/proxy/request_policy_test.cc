// The proxy's request policy, rule by rule: each test walks a table of
// {input, expected} rows.
#include "services/proxy/request_policy.h"

#include <boost/algorithm/string/case_conv.hpp>
#include <boost/test/unit_test.hpp>

#include "common/hosts.h"

namespace latchkey {
namespace {

struct TargetRow {
  std::string url;
  bool ok;
  std::string host;  // when ok
  int port = 0;
  std::string path;
  std::string error = "";  // when not ok: part of the message, if it matters
};

const std::vector<TargetRow> kTargets = {
    {"https://api.example.com/v1/x?q=1", true, "api.example.com", 443, "/v1/x"},
    {"http://api.example.com/", true, "api.example.com", 80, "/"},
    {"https://api.example.com", true, "api.example.com", 443, "/"},
    {"https://API.Example.COM/p", true, "api.example.com", 443, "/p"},
    {"HTTPS://api.example.com/p", true, "api.example.com", 443, "/p"},
    {"https://api.example.com./p", true, "api.example.com", 443, "/p"},
    {"https://api.example.com:8443/p", true, "api.example.com", 8443, "/p"},
    {"http://api.example.com:8080/p", true, "api.example.com", 8080, "/p"},
    {"https://api.example.com/a#frag", true, "api.example.com", 443, "/a"},
    {"https://127.0.0.1:9000/", true, "127.0.0.1", 9000, "/"},
    {"https://[2001:db8::1]/p", true, "2001:db8::1", 443, "/p"},
    {"https://[2001:db8::1]:8443/", true, "2001:db8::1", 8443, "/"},
    {"http://[::1]:8080/x", true, "::1", 8080, "/x"},
    {"https://user:pass@api.example.com/", false, "", 0, "", "user name or password"},
    {"https://user@api.example.com/", false, "", 0, "", "user name or password"},
    {"https://:pass@api.example.com/", false, "", 0, "", "user name or password"},
    {"ftp://api.example.com/", false, "", 0, "", "absolute http(s) URL"},
    {"file:///etc/passwd", false, "", 0, "", "absolute http(s) URL"},
    {"gopher://api.example.com/", false, "", 0, "", "absolute http(s) URL"},
    {"javascript:alert(1)", false},
    {"/relative/path", false},
    {"api.example.com/x", false},
    {"", false, "", 0, "", "absolute http(s) URL"},
    {"https://api.example.com/a b", false, "", 0, "", "absolute http(s) URL"},
    {"https://api.example.com/\x01", false, "", 0, "", "absolute http(s) URL"},
    {"https://api.example.com/\x7f", false, "", 0, "", "absolute http(s) URL"},
    {"https://api.example.com:65536/", false},
    {"https://api.example.com:99999/", false},
    // libcurl reads an empty authority as the first path segment, and connects there too.
    {"https:///path", true, "path", 443, "/"},
    {"https://" + std::string(8200, 'a') + ".com/", false, "", 0, "", "absolute http(s) URL"},
};

BOOST_AUTO_TEST_SUITE(RequestPolicyTest)

BOOST_AUTO_TEST_CASE(ParseTargetUrlAcceptsOnlyPlainHttpUrls) {
  for (const TargetRow& row : kTargets) {
    BOOST_TEST_CONTEXT("url: " << row.url.substr(0, 80)) {
      auto t = ParseTargetUrl(row.url);
      BOOST_REQUIRE(t.ok() == row.ok);
      if (!row.ok) {
        BOOST_TEST(t.status().code() == StatusCode::kInvalidArgument);
        BOOST_TEST(t.status().message().find(row.error) != std::string::npos);
        continue;
      }
      BOOST_TEST(t->host == row.host);
      BOOST_TEST(t->port == row.port);
      BOOST_TEST(t->path == row.path);
      BOOST_TEST((t->scheme == "https" || t->scheme == "http"));
    }
  }
}

struct HeaderRow {
  std::string name;
  bool dropped;
};

const std::vector<HeaderRow> kOutbound = {
    {"Authorization", true},
    {"authorization", true},
    {"AUTHORIZATION", true},
    {"Cookie", true},
    {"cOoKiE", true},
    {"Proxy-Authorization", true},
    {"proxy-connection", true},
    {"Proxy-Anything", true},
    {"X-Target-Url", true},
    {"x-target-method", true},
    {"X-Credential-Name", true},
    {"X-OAUTH-TOKEN-ID", true},
    {"Connection", true},
    {"Keep-Alive", true},
    {"TE", true},
    {"Trailer", true},
    {"Transfer-Encoding", true},
    {"Upgrade", true},
    {"Host", true},
    {"Content-Length", true},
    {"Expect", true},
    {"Accept-Encoding", true},
    {"Range", true},
    {"if-range", true},
    {"X-Hop-Listed", true},
    {"x-hop-listed", true},
    {"Content-Type", false},
    {"Accept", false},
    {"User-Agent", false},
    {"X-Request-Id", false},
    {"If-None-Match", false},
    {"X-Targeted", false},
    {"Authorization-Hint", false},
    {"Cookie2", false},
    {"X-Custom", false},
};

BOOST_AUTO_TEST_CASE(OutboundDropsTheCallersCredentialsOursAndFraming) {
  // As if the caller sent "Connection: close, X-Hop-Listed".
  std::vector<std::string> tokens = ConnectionTokens({{"connection", "close, X-Hop-Listed"}});
  for (const HeaderRow& row : kOutbound) {
    BOOST_TEST_CONTEXT("header: " << row.name) {
      BOOST_TEST(DropOutboundHeader(row.name, tokens) == row.dropped);
    }
  }
}

const std::vector<HeaderRow> kInbound = {
    {"Content-Length", true},
    {"Transfer-Encoding", true},
    {"connection", true},
    {"Keep-Alive", true},
    {"Proxy-Authenticate", true},
    {"X-Request-Id", true},
    {"X-Content-Type-Options", true},
    {"referrer-policy", true},
    {"X-FRAME-OPTIONS", true},
    {"Content-Security-Policy", true},
    {"Content-Type", false},
    {"Set-Cookie", false},
    {"Location", false},
    {"ETag", false},
    {"WWW-Authenticate", false},
};

BOOST_AUTO_TEST_CASE(InboundDropsFramingAndWhatOurLayerSets) {
  for (const HeaderRow& row : kInbound) {
    BOOST_TEST_CONTEXT("header: " << row.name) {
      BOOST_TEST(DropInboundHeader(row.name) == row.dropped);
    }
  }
}

BOOST_AUTO_TEST_CASE(InboundHeadersDropSecretNamesAndRedactValues) {
  Redactor redactor({"sk-live-123456789"});
  HeaderList out = InboundHeaders({{"Content-Type", "application/json"},
                                   {"X-Echo", "key=sk-live-123456789"},
                                   {"X-sk-live-123456789", "x"},
                                   {"content-length", "12"}},
                                  redactor);
  HeaderList expected = {{"Content-Type", "application/json"}, {"X-Echo", "key=[REDACTED]"}};
  BOOST_TEST((out == expected));
}

BOOST_AUTO_TEST_CASE(OutboundHeadersPutTheInjectedOnesInPlaceOfTheCallers) {
  HeaderList out = OutboundHeaders({{"Accept", "*/*"},
                                    {"x-api-key", "callers-own"},
                                    {"Authorization", "Bearer callers"},
                                    {"Accept-Encoding", "gzip"}},
                                   {{"X-Api-Key", "injected"}});
  HeaderList expected = {
      {"Accept", "*/*"}, {"X-Api-Key", "injected"}, {"Accept-Encoding", "identity"}};
  BOOST_TEST((out == expected));
}

BOOST_AUTO_TEST_CASE(OutboundHeadersAddDefaultsOnlyWhereTheCallerSentNone) {
  HeaderList out = OutboundHeaders({{"notion-version", "2021-05-13"}, {"Accept", "*/*"}},
                                   {{"Authorization", "Bearer injected"}},
                                   {{"Notion-Version", "2022-06-28"},
                                    {"User-Agent", "latchkey"},
                                    {"Authorization", "Bearer default"},
                                    {"Content-Length", "9"},
                                    {"Host", "elsewhere.example"}});
  HeaderList expected = {{"notion-version", "2021-05-13"},
                         {"Accept", "*/*"},
                         {"User-Agent", "latchkey"},
                         {"Authorization", "Bearer injected"},
                         {"Accept-Encoding", "identity"}};
  BOOST_TEST((out == expected));
}

struct HostRow {
  std::vector<std::string> patterns;
  std::string host;
  bool allowed;
};

const std::vector<HostRow> kHosts = {
    {{"api.example.com"}, "api.example.com", true},
    {{"api.example.com"}, "www.example.com", false},
    {{"api.example.com"}, "api.example.com.evil.net", false},
    {{"*.example.com"}, "api.example.com", true},
    {{"*.example.com"}, "a.b.example.com", true},
    {{"*.example.com"}, "example.com", false},
    {{"*.example.com"}, "evilexample.com", false},
    {{"*.example.com"}, "example.com.evil.net", false},
    {{"other.net", "*.example.com"}, "x.example.com", true},
    {{}, "api.example.com", false},
    {{"2001:db8::1"}, "2001:db8::1", true},
    {{"2001:db8::1"}, "2001:db8::2", false},
};

BOOST_AUTO_TEST_CASE(TargetHostMustMatchTheCredentialsPatterns) {
  for (const HostRow& row : kHosts) {
    BOOST_TEST_CONTEXT("host: " << row.host) {
      TargetUrl t{"https", row.host, 443, "/"};
      BOOST_TEST(TargetHostAllowed(row.patterns, t) == row.allowed);
    }
  }
}

// A pattern with a port matches that port only (the URL's explicit one or
// its scheme's); one without matches any.
BOOST_AUTO_TEST_CASE(APatternWithAPortMatchesThatPortOnly) {
  struct Row {
    std::string pattern, scheme, host;
    int port;
    bool allowed;
  } rows[] = {
      {"127.0.0.1:9000", "http", "127.0.0.1", 9000, true},
      {"127.0.0.1:9000", "http", "127.0.0.1", 9001, false},
      {"127.0.0.1", "http", "127.0.0.1", 9001, true},
      {"api.example.com:443", "https", "api.example.com", 443, true},
      {"api.example.com:8443", "https", "api.example.com", 443, false},
      {"*.example.com:8443", "https", "a.example.com", 8443, true},
      {"*.example.com:8443", "https", "example.com", 8443, false},
      {"[::1]:9000", "http", "::1", 9000, true},
      {"[::1]:9000", "http", "::1", 80, false},
      {"[::1]", "http", "::1", 80, true},
  };
  for (const Row& row : rows) {
    BOOST_TEST_CONTEXT(row.pattern << " vs " << row.host << ":" << row.port) {
      BOOST_TEST(ValidateHostPattern(row.pattern).ok());
      TargetUrl t{row.scheme, row.host, row.port, "/"};
      BOOST_TEST(TargetHostAllowed({row.pattern}, t) == row.allowed);
    }
  }
  for (const char* bad : {"127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "host:80x", "[::1]x",
                          "[::1]:", "Api.example.com:80", "*.com:443", "[api.example.com]:443",
                          "[*.example.com]", "[1.2.3.4]"}) {
    BOOST_TEST(!ValidateHostPattern(bad).ok(), bad);
  }
}

struct SchemeRow {
  std::string scheme;
  std::string host;
  bool allowed;
};

const std::vector<SchemeRow> kSchemes = {
    {"https", "api.example.com", true},
    {"https", "localhost", true},
    {"http", "localhost", true},
    {"http", "api.example.com", false},
    {"http", "localhost.example.com", false},
    {"ftp", "localhost", false},
};

BOOST_AUTO_TEST_CASE(PlainHttpOnlyToListedHosts) {
  for (const SchemeRow& row : kSchemes) {
    BOOST_TEST_CONTEXT(row.scheme << "://" << row.host) {
      TargetUrl t{row.scheme, row.host, 80, "/"};
      BOOST_TEST(SchemeAllowed(t, {"localhost"}) == row.allowed);
    }
  }
}

struct QueryRow {
  std::string url;
  FormFields params;
  std::string expected;
};

const std::vector<QueryRow> kQueries = {
    {"https://a.example.com/p", {}, "https://a.example.com/p"},
    {"https://a.example.com/p", {{"key", "v1"}}, "https://a.example.com/p?key=v1"},
    {"https://a.example.com/p?x=1", {{"key", "v1"}}, "https://a.example.com/p?x=1&key=v1"},
    {"https://a.example.com/p#frag", {{"key", "v1"}}, "https://a.example.com/p?key=v1#frag"},
    {"https://a.example.com/p", {{"key", "a b&c=d"}}, "https://a.example.com/p?key=a%20b%26c%3Dd"},
    {"https://a.example.com/p", {{"a", "1"}, {"b", "2"}}, "https://a.example.com/p?a=1&b=2"},
};

BOOST_AUTO_TEST_CASE(InjectedQueryGoesIntoTheQueryEncoded) {
  for (const QueryRow& row : kQueries) {
    BOOST_TEST_CONTEXT("url: " << row.url) {
      auto out = AppendTargetQuery(row.url, row.params);
      BOOST_REQUIRE(out.ok());
      // libcurl may lower-case the hex digits of the escapes it is given.
      BOOST_TEST(boost::algorithm::to_lower_copy(*out) ==
                 boost::algorithm::to_lower_copy(row.expected));
    }
  }
}

const std::vector<std::pair<std::string, bool>> kMethods = {
    {"GET", true},    {"POST", true},     {"PUT", true},     {"PATCH", true},
    {"DELETE", true}, {"HEAD", true},     {"OPTIONS", true}, {"get", false},
    {"TRACE", false}, {"CONNECT", false}, {"", false},
};

BOOST_AUTO_TEST_CASE(APathByCredentialStaysUnderItsBaseUrl) {
  struct Row {
    std::string path;
    bool ok;
  };
  for (const Row& row : std::vector<Row>{
           {"v1/chat/completions", true},
           {"", true},
           {"v1/", true},
           {"a.b/..c/c..", true},
           {"v1/%41", true},
           {"..", false},
           {".", false},
           {"v1/../admin", false},
           {"v1/./x", false},
           {"%2e%2e/x", false},
           {"%2E%2E/x", false},
           {".%2e/x", false},
           {"%2e", false},
           {"a%2Fb", false},
           {"a%2fb", false},
           {"a%5Cb", false},
           {"a%zz", false},
       }) {
    BOOST_TEST(CheckBasePath(row.path).ok() == row.ok, row.path);
  }
  BOOST_TEST(JoinBaseUrl("https://api.openai.com", "v1/x?a=1") ==
             "https://api.openai.com/v1/x?a=1");
  BOOST_TEST(JoinBaseUrl("https://gw.example/openai/", "v1") == "https://gw.example/openai/v1");
  BOOST_TEST(JoinBaseUrl("https://gw.example", "") == "https://gw.example/");
}

BOOST_AUTO_TEST_CASE(OnlyOrdinaryMethods) {
  for (const auto& [method, allowed] : kMethods) {
    BOOST_TEST_CONTEXT("method: " << method) { BOOST_TEST(IsAllowedMethod(method) == allowed); }
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
