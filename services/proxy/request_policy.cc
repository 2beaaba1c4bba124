#include "services/proxy/request_policy.h"

#include <strings.h>

#include "common/hosts.h"
#include "common/strings.h"

namespace latchkey {
namespace {

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

}  // namespace

Result<TargetUrl> ParseTargetUrl(const std::string& url) {
  return ParseHttpUrl(url, "X-Target-Url", kMaxTargetUrl);
}

Result<std::string> AppendTargetQuery(const std::string& url, const FormFields& params) {
  return AppendQueryToHttpUrl(url, params);
}

Status CheckBasePath(std::string_view path) {
  constexpr char kClimbs[] =
      "the path must stay under the credential's base URL: no '.' or '..'"
      " segments and no encoded '/' or '\\'";
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view segment = path.substr(start, slash - start);
    auto decoded = PercentDecode(segment, /*plus_is_space=*/false);
    if (!decoded) return InvalidArgument("malformed percent-encoding in the path");
    if (*decoded == "." || *decoded == ".." || decoded->find_first_of("/\\") != std::string::npos) {
      return InvalidArgument(kClimbs);
    }
    start = slash + 1;
  }
  return Status::Ok();
}

std::string JoinBaseUrl(std::string_view base_url, std::string_view path_and_query) {
  std::string out(base_url);
  while (!out.empty() && out.back() == '/') out.pop_back();
  out += '/';
  out += path_and_query;
  return out;
}

bool IsAllowedMethod(std::string_view m) {
  for (std::string_view ok : {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}) {
    if (m == ok) return true;
  }
  return false;
}

bool TargetHostAllowed(const std::vector<std::string>& patterns, const TargetUrl& target) {
  return HostAllowed(patterns, target.host, target.port);
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

HeaderList OutboundHeaders(const HeaderList& caller, const HeaderList& injected,
                           const HeaderList& defaults) {
  HeaderList out;
  auto connection_tokens = ConnectionTokens(caller);
  for (const auto& [name, value] : caller) {
    if (DropOutboundHeader(name, connection_tokens)) continue;
    bool replaced = false;
    for (const auto& [iname, ivalue] : injected) replaced |= IEquals(name, iname);
    if (!replaced) out.emplace_back(name, value);
  }
  for (const auto& [name, value] : defaults) {
    if (DropOutboundHeader(name, {})) continue;  // framing and credentials are not the file's
    bool sent = false;
    for (const auto& [oname, ovalue] : out) sent |= IEquals(name, oname);
    for (const auto& [iname, ivalue] : injected) sent |= IEquals(name, iname);
    if (!sent) out.emplace_back(name, value);
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
