// The proxy's request policy: which target URLs it accepts, which headers
// cross it in each direction, and which hosts a credential may reach. Pure
// functions of their inputs (no I/O, no state), so each rule is tested on
// its own in tests/services/proxy/request_policy_test.cc; ProxyService
// applies them in the order its header describes.
//
// Header names are compared case-insensitively throughout (RFC 9110 §5.1).
//
// Thread-safety: stateless.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/http_client.h"
#include "common/status.h"
#include "common/url.h"
#include "services/proxy/redactor.h"

namespace latchkey {

// The parts of a target URL the proxy checks.
using TargetUrl = HttpUrl;

// InvalidArgument unless `url` is an absolute http(s) URL of at most 8 KiB,
// without spaces or control characters, without a user name or password,
// with a valid host and a port in 1-65535 (ParseHttpUrl, common/url.h: the
// URL is read by the parser that later decides where the request goes).
Result<TargetUrl> ParseTargetUrl(const std::string& url);

// `url` (already accepted by ParseTargetUrl) with `params` form-encoded and
// appended to its query, before any fragment. Internal if libcurl cannot
// rebuild the URL (the caller must refuse the call rather than send it
// without the credential's parameters).
Result<std::string> AppendTargetQuery(const std::string& url, const FormFields& params);

// InvalidArgument unless `path` (the rest of a /proxy/{credential}/ path,
// as sent, without the query) stays under the base URL: no "." or ".."
// segment, plain or percent-encoded, and no encoded slash or backslash that an
// upstream might decode into one.
Status CheckBasePath(std::string_view path);

// `base_url` + "/" + `path_and_query` (from CheckBasePath's path and the
// caller's query), with exactly one '/' between them.
std::string JoinBaseUrl(std::string_view base_url, std::string_view path_and_query);

// GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS (case-sensitive, as the
// method token is).
bool IsAllowedMethod(std::string_view method);

// Whether the credential's allowed-hosts patterns ("api.example.com" or
// "*.example.com") admit the target's host.
bool TargetHostAllowed(const std::vector<std::string>& patterns, const TargetUrl& target);
// https always; plain http only to a host the operator listed, exactly.
bool SchemeAllowed(const TargetUrl& target, const std::vector<std::string>& allow_http_hosts);

// The header names the caller's Connection headers list (hop-by-hop too).
std::vector<std::string> ConnectionTokens(const HeaderList& headers);
// Whether a caller's header stays behind: hop-by-hop ones (and those named
// in `connection_tokens`), Proxy-*, X-Target-*, X-Credential-*, X-Oauth-*
// (ours), Authorization and Cookie (the caller's own credentials), Host,
// Content-Length and Expect (the client redoes framing), Accept-Encoding
// (echoes must stay readable to be redacted), Range and If-Range (a chosen
// byte range could cut a secret so that no part is recognizable).
bool DropOutboundHeader(std::string_view name, const std::vector<std::string>& connection_tokens);
// What goes upstream: the caller's headers that survive DropOutboundHeader
// and are not named like an injected one, then the injected headers, then
// "Accept-Encoding: identity". `defaults` (an OAuth provider's API
// headers, not secrets) go in before the injected ones, each only where
// neither a surviving header of the caller's nor an injected one has its
// name.
// The result holds copies of the injected secrets; the caller wipes it.
HeaderList OutboundHeaders(const HeaderList& caller, const HeaderList& injected,
                           const HeaderList& defaults = {});

// Whether an upstream header stays behind: hop-by-hop, Proxy-*,
// Content-Length (framing is redone) and the ones our HTTP layer sets
// itself (X-Request-Id and the security headers).
bool DropInboundHeader(std::string_view name);
// What the caller gets: the upstream's headers that survive
// DropInboundHeader, minus any whose name holds a secret (a name cannot
// hold "[REDACTED]", brackets not being token characters), with secrets in
// values redacted.
HeaderList InboundHeaders(const HeaderList& upstream, const Redactor& redactor);

}  // namespace latchkey
