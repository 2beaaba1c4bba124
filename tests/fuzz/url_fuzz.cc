// Fuzzes URL and address text: percent-encoding and form bodies
// (common/url.h), host names and allowed-host patterns (common/hosts.h), IP
// addresses and CIDRs (services/proxy/address_policy.h), and the proxy's
// reading of X-Target-Url (ProxyService::ParseTarget) and its request
// checks (Precheck). Round trips must give back what went in.
//
// Input: a flags byte, then text; for Precheck the text is read as lines:
// target URL, credential, method, allowed credentials (comma-separated;
// absent when the line is "*"), body.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/hosts.h"
#include "common/strings.h"
#include "common/url.h"
#include "services/proxy/address_policy.h"
#include "services/proxy/proxy.h"
#include "tests/common/test_util.h"
#include "tests/fuzz/fuzz_input.h"

namespace latchkey::fuzz {
namespace {

class NoCredentials final : public CredentialSource {
 public:
  Result<Injection> Resolve(const std::string&, const std::string&) override {
    return NotFound("no credentials here");
  }
  Status Exists(const std::string&, const std::string&) override {
    return NotFound("no credentials here");
  }
  Status RecordUses(SqlExecutor&, const std::string&, const std::string&, int64_t,
                    TimePoint) override {
    return Status::Ok();
  }
};

struct ProxyWorld {
  testing::TempDir dir;
  std::unique_ptr<Database> db = testing::OpenDb(dir);
  FakeClock clock;
  AuditLog audit{clock};
  NoCredentials credentials;
  AuditWriter audit_writer{*db, audit};
  ProxyService proxy{credentials, audit_writer, clock, ProxyOptions{}};
};

void CheckPercent(const std::string& text) {
  bool nul = text.find('\0') != std::string::npos;
  std::string encoded = PercentEncode(text);
  for (bool plus : {false, true}) {
    auto back = PercentDecode(encoded, plus);
    Check(nul ? !back.has_value() : back == text, "percent-encoding round trip");
  }
  (void)PercentDecode(text, false);
  // (A raw NUL passes FormDecode though %00 does not; HTTP request targets
  // never hold one: CheckRequestHead refuses control characters.)
  auto form = FormDecode(text);
  if (form && !nul) {
    auto again = FormDecode(FormEncode(*form));
    Check(again && *again == *form, "form round trip of decoded fields");
  }
  FormFields fields;
  for (std::string_view line : SplitList(text, '\n')) {
    size_t tab = line.find('\t');
    std::string name(line.substr(0, tab));
    std::string value(tab == std::string_view::npos ? "" : line.substr(tab + 1));
    if (name.find('\0') != std::string::npos || value.find('\0') != std::string::npos) continue;
    fields.emplace_back(std::move(name), std::move(value));
  }
  auto back = FormDecode(FormEncode(fields));
  Check(back && *back == fields, "form round trip");
  std::string url = AppendQuery("https://h/p", fields);
  Check(fields.empty() || url.find('?') != std::string::npos, "AppendQuery lost the query");
}

void CheckHosts(std::string_view text) {
  auto host = NormalizeHost(text);
  if (host) {
    Check(host->find('\0') == std::string::npos, "NormalizeHost accepted a NUL byte");
    Check(NormalizeHost(*host) == host, "NormalizeHost is not idempotent");
    Check(!host->empty() && host->back() != '.', "normalized host empty or with a trailing dot");
  }
  if (ValidateHostPattern(text).ok()) {
    if (host && text.substr(0, 1) != "*")
      Check(HostMatches(text, *host, 443), "pattern misses itself");
    if (text.substr(0, 2) == "*.") {
      Check(!HostMatches(text, text.substr(2), 443), "wildcard matches its bare domain");
    }
  }
  size_t comma = text.find(',');
  if (comma != std::string_view::npos) {
    (void)HostMatches(text.substr(0, comma), text.substr(comma + 1), 443);
    (void)HostAllowed({std::string(text.substr(0, comma))}, text.substr(comma + 1), 80);
  }
}

void CheckAddresses(std::string_view text) {
  if (auto ip = IpAddress::Parse(text)) {
    auto again = IpAddress::Parse(ip->ToString());
    Check(again && *again == *ip, "IP address text round trip");
    (void)NonPublicReason(*ip);
  }
  if (auto cidr = Cidr::Parse(text)) {
    Check(cidr->prefix >= 0 && cidr->prefix <= (cidr->base.v6 ? 128 : 32), "CIDR prefix range");
    Check(cidr->Contains(cidr->base), "a CIDR does not contain its own base");
  }
  auto policy = AddressPolicy::Parse(text);
  if (policy.ok()) {
    for (const char* a : {"127.0.0.1", "10.1.2.3", "::1", "8.8.8.8", "::ffff:192.168.0.1"}) {
      (void)policy->Check(*IpAddress::Parse(a));
    }
  }
}

void CheckTarget(const std::string& text) {
  auto t = ProxyService::ParseTarget(text);
  if (!t.ok()) return;
  Check(t->scheme == "https" || t->scheme == "http", "target scheme");
  Check(t->port >= 1 && t->port <= 65535, "target port");
  Check(NormalizeHost(t->host) == t->host, "target host not normalized");
  Check(!t->path.empty() && t->path[0] == '/', "target path");
}

void CheckPrecheck(FuzzInput& in) {
  static ProxyWorld* world = new ProxyWorld();  // lives until exit
  ProxyCall call;
  call.account_id = "acct_fuzz";
  call.target_url = in.Field();
  call.credential = in.Field();
  call.method = in.Field();
  std::string allowed = in.Field();
  if (allowed != "*") {
    call.allowed_credentials.emplace();
    for (std::string_view c : SplitList(allowed)) call.allowed_credentials->emplace_back(c);
  }
  call.body = in.Rest();
  auto t = world->proxy.Precheck(call);
  if (!t.ok()) return;
  Check(ProxyService::ParseTarget(call.target_url).ok(), "Precheck passed a bad target");
  Check(!call.credential.empty(), "Precheck passed no credential");
  if (call.allowed_credentials) {
    bool listed = false;
    for (const auto& c : *call.allowed_credentials) listed |= c == call.credential;
    Check(listed, "Precheck passed a credential the key may not use");
  }
}

}  // namespace
}  // namespace latchkey::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace latchkey::fuzz;
  FuzzInput in(data, size);
  uint8_t flags = in.Byte();
  if (flags & 1) {
    CheckPrecheck(in);
    return 0;
  }
  std::string text = in.Rest();
  CheckPercent(text);
  CheckHosts(text);
  CheckAddresses(text);
  CheckTarget(text);
  return 0;
}
