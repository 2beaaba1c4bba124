#include "services/proxy/address_policy.h"

#include <arpa/inet.h>

#include <cstring>

#include "common/strings.h"

namespace latchkey {
namespace {

struct V4Range {
  uint32_t base;
  int prefix;
  const char* reason;
};

constexpr uint32_t V4(int a, int b, int c, int d) {
  return (static_cast<uint32_t>(a) << 24) | (static_cast<uint32_t>(b) << 16) |
         (static_cast<uint32_t>(c) << 8) | static_cast<uint32_t>(d);
}

// IANA special-purpose IPv4 registry entries that are not globally reachable.
constexpr V4Range kV4Ranges[] = {
    {V4(0, 0, 0, 0), 8, "unspecified"},
    {V4(10, 0, 0, 0), 8, "private"},
    {V4(100, 64, 0, 0), 10, "carrier-grade NAT"},
    {V4(127, 0, 0, 0), 8, "loopback"},
    {V4(169, 254, 169, 254), 32, "cloud metadata"},
    {V4(169, 254, 0, 0), 16, "link-local"},
    {V4(172, 16, 0, 0), 12, "private"},
    {V4(192, 0, 0, 0), 24, "reserved"},
    {V4(192, 0, 2, 0), 24, "documentation"},
    {V4(192, 88, 99, 0), 24, "reserved"},
    {V4(192, 168, 0, 0), 16, "private"},
    {V4(198, 18, 0, 0), 15, "benchmarking"},
    {V4(198, 51, 100, 0), 24, "documentation"},
    {V4(203, 0, 113, 0), 24, "documentation"},
    {V4(224, 0, 0, 0), 4, "multicast"},
    {V4(240, 0, 0, 0), 4, "reserved"},  // includes 255.255.255.255
};

uint32_t V4Of(const uint8_t* b) {
  return (static_cast<uint32_t>(b[0]) << 24) | (static_cast<uint32_t>(b[1]) << 16) |
         (static_cast<uint32_t>(b[2]) << 8) | static_cast<uint32_t>(b[3]);
}

std::optional<std::string> V4Reason(uint32_t addr) {
  for (const V4Range& r : kV4Ranges) {
    uint32_t mask = r.prefix == 0 ? 0 : ~uint32_t{0} << (32 - r.prefix);
    if ((addr & mask) == (r.base & mask)) return std::string(r.reason);
  }
  return std::nullopt;
}

bool AllZero(const uint8_t* b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (b[i] != 0) return false;
  }
  return true;
}

// The IPv4 address a v6 address stands for (mapped, compatible, NAT64),
// if any.
std::optional<uint32_t> EmbeddedV4(const IpAddress& ip) {
  const uint8_t* b = ip.bytes;
  if (AllZero(b, 10) && b[10] == 0xff && b[11] == 0xff) return V4Of(b + 12);  // ::ffff:a.b.c.d
  if (AllZero(b, 12)) return V4Of(b + 12);                                    // ::a.b.c.d
  static const uint8_t kNat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(b, kNat64, 12) == 0) return V4Of(b + 12);  // 64:ff9b::/96
  if (b[0] == 0x20 && b[1] == 0x02) return V4Of(b + 2);      // 2002::/16 (6to4)
  return std::nullopt;
}

bool InV6Prefix(const IpAddress& ip, const uint8_t* prefix, int bits) {
  for (int i = 0; i < bits / 8; ++i) {
    if (ip.bytes[i] != prefix[i]) return false;
  }
  int rest = bits % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (ip.bytes[bits / 8] & mask) == (prefix[bits / 8] & mask);
}

}  // namespace

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  if (text.find('\0') != std::string_view::npos) return std::nullopt;  // inet_pton stops at it
  std::string s(text);
  IpAddress ip;
  if (inet_pton(AF_INET, s.c_str(), ip.bytes) == 1) return ip;
  if (inet_pton(AF_INET6, s.c_str(), ip.bytes) == 1) {
    ip.v6 = true;
    return ip;
  }
  return std::nullopt;
}

IpAddress IpAddress::FromSockaddr(const sockaddr* sa) {
  IpAddress ip;
  if (sa->sa_family == AF_INET) {
    std::memcpy(ip.bytes, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, 4);
  } else {
    ip.v6 = true;
    std::memcpy(ip.bytes, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, 16);
  }
  return ip;
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes, buf, sizeof(buf));
  return buf;
}

bool IpAddress::operator==(const IpAddress& o) const {
  return v6 == o.v6 && std::memcmp(bytes, o.bytes, v6 ? 16 : 4) == 0;
}

std::optional<Cidr> Cidr::Parse(std::string_view text) {
  size_t slash = text.find('/');
  auto ip = IpAddress::Parse(text.substr(0, slash));
  if (!ip) return std::nullopt;
  int max = ip->v6 ? 128 : 32;
  int prefix = max;
  if (slash != std::string_view::npos) {
    std::string_view digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3) return std::nullopt;
    prefix = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      prefix = prefix * 10 + (c - '0');
    }
    if (prefix > max) return std::nullopt;
  }
  return Cidr{*ip, prefix};
}

bool Cidr::Contains(const IpAddress& ip) const {
  if (ip.v6 != base.v6) {
    // An allowed v4 range also covers the v4-mapped form of its addresses.
    if (!ip.v6 || base.v6) return false;
    auto v4 = EmbeddedV4(ip);
    const uint8_t* b = ip.bytes;
    if (!v4 || !(AllZero(b, 10) && b[10] == 0xff && b[11] == 0xff)) return false;
    uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
    return (*v4 & mask) == (V4Of(base.bytes) & mask);
  }
  return InV6Prefix(ip, base.bytes, prefix);  // also right for v4: first 4 bytes
}

std::optional<std::string> NonPublicReason(const IpAddress& ip) {
  if (!ip.v6) return V4Reason(V4Of(ip.bytes));
  const uint8_t* b = ip.bytes;
  if (AllZero(b, 16)) return std::string("unspecified");
  if (AllZero(b, 15) && b[15] == 1) return std::string("loopback");
  if (auto v4 = EmbeddedV4(ip)) {
    if (auto reason = V4Reason(*v4)) return *reason + " (embedded in IPv6)";
    // A v4-compatible or 6to4 address of a public v4 host is still an odd
    // route to take; only the mapped and NAT64 forms are plain aliases.
    if (AllZero(b, 10) && b[10] == 0xff && b[11] == 0xff) return std::nullopt;
    if (b[0] == 0 && b[1] == 0x64) return std::nullopt;
    return std::string("IPv6 transition address");
  }
  static const uint8_t kUla[] = {0xfc}, kLinkLocal[] = {0xfe, 0x80}, kSiteLocal[] = {0xfe, 0xc0},
                       kMulticast[] = {0xff}, kDoc[] = {0x20, 0x01, 0x0d, 0xb8},
                       kTeredo[] = {0x20, 0x01, 0x00, 0x00},
                       kDiscard[] = {0x01, 0x00, 0, 0, 0, 0, 0, 0},
                       kLocalNat64[] = {0x00, 0x64, 0xff, 0x9b, 0x00, 0x01};
  if (InV6Prefix(ip, kUla, 7)) return std::string("unique local (IPv6 private)");
  if (InV6Prefix(ip, kLinkLocal, 10)) return std::string("link-local");
  if (InV6Prefix(ip, kSiteLocal, 10)) return std::string("site-local");
  if (InV6Prefix(ip, kMulticast, 8)) return std::string("multicast");
  if (InV6Prefix(ip, kDoc, 32)) return std::string("documentation");
  if (InV6Prefix(ip, kTeredo, 32)) return std::string("IPv6 transition address");
  if (InV6Prefix(ip, kDiscard, 64)) return std::string("reserved");
  if (InV6Prefix(ip, kLocalNat64, 48)) return std::string("reserved");
  return std::nullopt;
}

Result<AddressPolicy> AddressPolicy::Parse(std::string_view allow_private) {
  AddressPolicy policy;
  for (std::string_view item : SplitList(allow_private)) {
    auto cidr = Cidr::Parse(item);
    if (!cidr) return InvalidArgument("'" + std::string(item) + "' is not an IP address or CIDR");
    policy.allowed_.push_back(*cidr);
  }
  return policy;
}

std::optional<std::string> AddressPolicy::Check(const IpAddress& ip) const {
  auto reason = NonPublicReason(ip);
  if (!reason) return std::nullopt;
  for (const Cidr& c : allowed_) {
    if (c.Contains(ip)) return std::nullopt;
  }
  return reason;
}

}  // namespace latchkey
