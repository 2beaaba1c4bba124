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

Status ValidateHostPattern(std::string_view pattern) {
  std::string_view name = pattern;
  if (name.substr(0, 2) == "*.") name.remove_prefix(2);
  auto normal = NormalizeHost(name);
  if (!normal || *normal != name) {
    return InvalidArgument("'" + std::string(pattern.substr(0, 256)) +
                           "' is not a lower-case host name or a *.domain pattern");
  }
  if (name.size() != pattern.size() && name.find('.') == std::string_view::npos) {
    return InvalidArgument("'" + std::string(pattern) + "' is too broad: use *.example.com");
  }
  return Status::Ok();
}

bool HostMatches(std::string_view pattern, std::string_view host) {
  if (pattern.substr(0, 2) == "*.") {
    std::string_view suffix = pattern.substr(1);  // ".example.com"
    return host.size() > suffix.size() && host.substr(host.size() - suffix.size()) == suffix;
  }
  return pattern == host;
}

bool HostAllowed(const std::vector<std::string>& patterns, std::string_view host) {
  for (const auto& p : patterns) {
    if (HostMatches(p, host)) return true;
  }
  return false;
}

}  // namespace latchkey
