#include "services/proxy/request_policy.h"

#include <curl/curl.h>
#include <strings.h>

#include <cstdlib>
#include <memory>
#include <optional>

#include "common/crypto.h"
#include "common/hosts.h"
#include "common/strings.h"

namespace latchkey {
namespace {

constexpr char kBadTarget[] = "X-Target-Url must be an absolute http(s) URL";
constexpr size_t kMaxTargetUrl = 8192;

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

bool IStartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && strncasecmp(s.data(), prefix.data(), prefix.size()) == 0;
}

bool IsHopByHop(std::string_view name) {
  for (std::string_view h : {"connection", "keep-alive", "te", "trailer", "transfer-encoding",
                             "upgrade", "proxy-connection"}) {
    if (IEquals(name, h)) return true;
  }
  return false;
}

// A libcurl URL handle holding a parsed URL; every call's result is checked.
class CurlUrl {
 public:
  // nullopt if libcurl has no memory or rejects `url`.
  static std::optional<CurlUrl> Parse(const std::string& url) {
    CurlUrl u;
    if (!u.u_ || curl_url_set(u.u_.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
      return std::nullopt;
    }
    return u;
  }
  // nullopt when the part is absent (or libcurl fails).
  std::optional<std::string> Get(CURLUPart part, unsigned flags = 0) const {
    char* out = nullptr;
    if (curl_url_get(u_.get(), part, &out, flags) != CURLUE_OK || !out) return std::nullopt;
    std::string s(out);
    curl_free(out);
    return s;
  }
  // `query` must be encoded already: libcurl is told not to encode again.
  bool AppendQuery(const std::string& query) {
    return curl_url_set(u_.get(), CURLUPART_QUERY, query.c_str(), CURLU_APPENDQUERY) == CURLUE_OK;
  }

 private:
  struct Deleter {
    void operator()(CURLU* u) const { curl_url_cleanup(u); }
  };
  CurlUrl() : u_(curl_url()) {}
  std::unique_ptr<CURLU, Deleter> u_;
};

Result<std::string> TargetHost(const CurlUrl& u) {
  std::string host = u.Get(CURLUPART_HOST).value_or("");
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  auto normal = NormalizeHost(host);
  if (!normal) return InvalidArgument("X-Target-Url has an invalid host");
  return std::move(*normal);
}

Result<int> TargetPort(const CurlUrl& u) {
  std::string text = u.Get(CURLUPART_PORT, CURLU_DEFAULT_PORT).value_or("0");
  char* end = nullptr;
  long port = std::strtol(text.c_str(), &end, 10);
  if (!end || *end != '\0' || port < 1 || port > 65535) {
    return InvalidArgument("X-Target-Url has an invalid port");
  }
  return static_cast<int>(port);
}

}  // namespace

Result<TargetUrl> ParseTargetUrl(const std::string& url) {
  if (url.empty() || url.size() > kMaxTargetUrl) return InvalidArgument(kBadTarget);
  for (unsigned char c : url) {
    if (c <= 0x20 || c == 0x7f) return InvalidArgument(kBadTarget);
  }
  std::optional<CurlUrl> u = CurlUrl::Parse(url);
  if (!u) return InvalidArgument(kBadTarget);
  TargetUrl t;
  t.scheme = u->Get(CURLUPART_SCHEME).value_or("");
  if (t.scheme != "https" && t.scheme != "http") return InvalidArgument(kBadTarget);
  if (u->Get(CURLUPART_USER) || u->Get(CURLUPART_PASSWORD)) {
    return InvalidArgument("X-Target-Url must not carry a user name or password");
  }
  ASSIGN_OR_RETURN(t.host, TargetHost(*u));
  ASSIGN_OR_RETURN(t.port, TargetPort(*u));
  t.path = u->Get(CURLUPART_PATH).value_or("/");
  return t;
}

Result<std::string> AppendTargetQuery(const std::string& url, const FormFields& params) {
  if (params.empty()) return url;
  std::optional<CurlUrl> u = CurlUrl::Parse(url);
  if (!u) return Internal("the target URL could not be re-read");
  std::string query = FormEncode(params);
  bool appended = u->AppendQuery(query);
  SecureWipe(query.data(), query.size());
  if (!appended) return Internal("the credential's query parameters could not be added");
  std::optional<std::string> out = u->Get(CURLUPART_URL);
  if (!out) return Internal("the target URL could not be rebuilt");
  return std::move(*out);
}

bool IsAllowedMethod(std::string_view m) {
  for (std::string_view ok : {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}) {
    if (m == ok) return true;
  }
  return false;
}

bool TargetHostAllowed(const std::vector<std::string>& patterns, const TargetUrl& target) {
  return HostAllowed(patterns, target.host);
}

bool SchemeAllowed(const TargetUrl& target, const std::vector<std::string>& allow_http_hosts) {
  if (target.scheme == "https") return true;
  if (target.scheme != "http") return false;
  for (const auto& host : allow_http_hosts) {
    if (host == target.host) return true;
  }
  return false;
}

std::vector<std::string> ConnectionTokens(const HeaderList& headers) {
  std::vector<std::string> out;
  for (const auto& [name, value] : headers) {
    if (!IEquals(name, "connection")) continue;
    for (std::string_view token : SplitList(value)) out.emplace_back(token);
  }
  return out;
}

bool DropOutboundHeader(std::string_view name, const std::vector<std::string>& connection_tokens) {
  if (IsHopByHop(name) || IStartsWith(name, "proxy-") || IStartsWith(name, "x-target-") ||
      IStartsWith(name, "x-credential-") || IStartsWith(name, "x-oauth-")) {
    return true;
  }
  for (std::string_view h : {"authorization", "cookie", "host", "content-length", "expect",
                             "accept-encoding", "range", "if-range"}) {
    if (IEquals(name, h)) return true;
  }
  for (const auto& t : connection_tokens) {
    if (IEquals(name, t)) return true;
  }
  return false;
}

HeaderList OutboundHeaders(const HeaderList& caller, const HeaderList& injected) {
  HeaderList out;
  auto connection_tokens = ConnectionTokens(caller);
  for (const auto& [name, value] : caller) {
    if (DropOutboundHeader(name, connection_tokens)) continue;
    bool replaced = false;
    for (const auto& [iname, ivalue] : injected) replaced |= IEquals(name, iname);
    if (!replaced) out.emplace_back(name, value);
  }
  for (const auto& [name, value] : injected) out.emplace_back(name, value);
  out.emplace_back("Accept-Encoding", "identity");  // so echoes can be redacted
  return out;
}

bool DropInboundHeader(std::string_view name) {
  if (IsHopByHop(name) || IStartsWith(name, "proxy-")) return true;
  for (std::string_view h : {"content-length", "x-request-id", "x-content-type-options",
                             "referrer-policy", "x-frame-options", "content-security-policy"}) {
    if (IEquals(name, h)) return true;
  }
  return false;
}

HeaderList InboundHeaders(const HeaderList& upstream, const Redactor& redactor) {
  HeaderList out;
  for (const auto& [name, value] : upstream) {
    if (DropInboundHeader(name) || redactor.Contains(name)) continue;
    out.emplace_back(name, redactor.Redact(value));
  }
  return out;
}

}  // namespace latchkey
