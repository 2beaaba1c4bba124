#include "services/accounts/scopes.h"

#include <algorithm>

namespace latchkey::scopes {

const std::vector<std::string>& All() {
  static const std::vector<std::string> kAll = {
      kCertificatesRead, kCertificatesWrite, kTokensSign, kCredentialsRead, kCredentialsWrite,
      kOauthRead,        kOauthWrite,        kOauthToken, kProxy,           kAuditRead,
      kApiKeysWrite,     kWebhooksWrite};
  return kAll;
}

bool IsKnown(std::string_view scope) {
  const auto& all = All();
  return std::find(all.begin(), all.end(), scope) != all.end();
}

}  // namespace latchkey::scopes
