// Which addresses the proxy may connect to: every address class that is not
// public unicast (loopback, private, link-local, metadata, ...) is refused
// unless the operator allows it. Host-name patterns live in common/hosts.h.
//
// Thread-safety: immutable after construction.
#pragma once

#include <netinet/in.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/hosts.h"
#include "common/status.h"

namespace latchkey {

// An IP address, v4 or v6 (v4 kept as v4; v4-mapped v6 kept as v6 and
// classified through its embedded v4 address).
struct IpAddress {
  bool v6 = false;
  uint8_t bytes[16] = {};  // first 4 used for v4

  static std::optional<IpAddress> Parse(std::string_view text);
  static IpAddress FromSockaddr(const sockaddr* sa);
  std::string ToString() const;
  bool operator==(const IpAddress& o) const;
};

struct Cidr {
  IpAddress base;
  int prefix = 0;
  static std::optional<Cidr> Parse(std::string_view text);  // "10.0.0.0/8", "::1/128", "1.2.3.4"
  bool Contains(const IpAddress& ip) const;
};

// Why an address is not public, or nullopt for a public unicast address.
// Covers unspecified, loopback, RFC 1918, CGNAT (100.64/10), link-local
// (169.254/16 with the 169.254.169.254 metadata address), multicast,
// broadcast, reserved, benchmarking, documentation, IPv6 ULA (fc00::/7),
// link-local (fe80::/10), multicast (ff00::/8), and the v4-mapped,
// v4-compatible, NAT64 and 6to4 forms of any of those.
std::optional<std::string> NonPublicReason(const IpAddress& ip);

class AddressPolicy {
 public:
  AddressPolicy() = default;
  // Comma-separated CIDRs (e.g. "127.0.0.1/32,10.0.0.0/8") allowed even
  // though they are not public.
  static Result<AddressPolicy> Parse(std::string_view allow_private);

  // Nullopt if the proxy may connect to `ip`, else the reason it may not.
  std::optional<std::string> Check(const IpAddress& ip) const;

 private:
  std::vector<Cidr> allowed_;
};

}  // namespace latchkey
