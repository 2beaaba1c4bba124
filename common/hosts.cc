#include "common/hosts.h"

#include <arpa/inet.h>

namespace latchkey {
namespace {

bool IsLabelChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool IsIpLiteral(const std::string& h) {
  // inet_pton reads a C string: a NUL would hide what follows it.
  if (h.find('\0') != std::string::npos) return false;
  unsigned char buf[16];
  return inet_pton(AF_INET, h.c_str(), buf) == 1 || inet_pton(AF_INET6, h.c_str(), buf) == 1;
}

}  // namespace

std::optional<std::string> NormalizeHost(std::string_view host) {
  std::string h;
  for (char c : host) h += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (!h.empty() && h.back() == '.') h.pop_back();
  if (h.empty() || h.size() > 253) return std::nullopt;
  if (IsIpLiteral(h)) return h;
  size_t start = 0;
  while (start <= h.size()) {
    size_t end = h.find('.', start);
    if (end == std::string::npos) end = h.size();
    std::string_view label(h.data() + start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return std::nullopt;
    }
    for (char c : label) {
      if (!IsLabelChar(c)) return std::nullopt;
    }
    start = end + 1;
  }
  return h;
}

namespace {

// A pattern split into its host part (IPv6 without brackets) and port (0
// for none; -1 when the port is not 1-65535).
struct PatternParts {
  std::string_view host;
  int port = 0;
};

PatternParts SplitPattern(std::string_view pattern) {
  PatternParts parts{pattern, 0};
  std::string_view port;
  if (!pattern.empty() && pattern.front() == '[') {
    size_t close = pattern.find(']');
    if (close == std::string_view::npos) return parts;
    parts.host = pattern.substr(1, close - 1);
    // Brackets hold an IPv6 literal, nothing else.
    if (parts.host.find(':') == std::string_view::npos) return {pattern, -1};
    if (close + 1 == pattern.size()) return parts;
    if (pattern[close + 1] != ':') return {pattern, -1};
    port = pattern.substr(close + 2);
  } else if (size_t colon = pattern.find(':');
             colon != std::string_view::npos &&
             pattern.find(':', colon + 1) == std::string_view::npos) {
    parts.host = pattern.substr(0, colon);
    port = pattern.substr(colon + 1);
  } else {
    return parts;  // a name, or an IPv6 literal without a port
  }
  int value = 0;
  for (char c : port) {
    if (c < '0' || c > '9' || value > 65535) return {parts.host, -1};
    value = value * 10 + (c - '0');
  }
  parts.port = port.empty() || value < 1 || value > 65535 ? -1 : value;
  return parts;
}

}  // namespace

Status ValidateHostPattern(std::string_view pattern) {
  PatternParts parts = SplitPattern(pattern);
  std::string shown(pattern.substr(0, 256));
  if (parts.port < 0) {
    return InvalidArgument("'" + shown + "' has a bad port: use host:1-65535");
  }
  std::string_view name = parts.host;
  if (name.substr(0, 2) == "*.") name.remove_prefix(2);
  auto normal = NormalizeHost(name);
  if (!normal || *normal != name) {
    return InvalidArgument("'" + shown +
                           "' is not a lower-case host name or a *.domain pattern (with an "
                           "optional :port)");
  }
  if (name.size() != parts.host.size() && name.find('.') == std::string_view::npos) {
    return InvalidArgument("'" + shown + "' is too broad: use *.example.com");
  }
  return Status::Ok();
}

bool HostMatches(std::string_view pattern, std::string_view host, int port) {
  PatternParts parts = SplitPattern(pattern);
  if (parts.port < 0 || (parts.port > 0 && parts.port != port)) return false;
  std::string_view name = parts.host;
  if (name.substr(0, 2) == "*.") {
    std::string_view suffix = name.substr(1);  // ".example.com"
    return host.size() > suffix.size() && host.substr(host.size() - suffix.size()) == suffix;
  }
  return name == host;
}

bool HostAllowed(const std::vector<std::string>& patterns, std::string_view host, int port) {
  for (const auto& p : patterns) {
    if (HostMatches(p, host, port)) return true;
  }
  return false;
}

}  // namespace latchkey
