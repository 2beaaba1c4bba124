// Helpers shared by the files that make up the credentials service
// (credentials.cc, provider_keys.cc, secrets.cc, secret_value.cc and
// credential_store.cc). Not part of its interface: include it only from
// services/credentials/. The namespace keeps these short names from meeting
// another library's at link time.
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/credential_source.h"
#include "common/crypto.h"
#include "common/status.h"
#include "common/url.h"
#include "services/credentials/credentials.h"
#include "services/credentials/providers.h"

namespace latchkey::credentials_internal {

// The envelope's kinds (part of the AAD). Every stored value is bound to
// one, so renaming them would make every stored value unreadable.
inline constexpr char kProviderKind[] = "provider_credential";
inline constexpr char kSecretKind[] = "secret";

// A string that held plaintext, wiped when it goes out of scope.
struct Wiped {
  std::string text;
  ~Wiped() { SecureWipe(text.data(), text.size()); }
};

// InvalidArgument naming `field` unless `value` is UTF-8 text of
// `min_length` to kMaxValueLength bytes without control characters. UTF-8
// because values end up in JSON (sealed, masked, answered), and nlohmann's
// dump() throws on anything else.
Status CheckValue(std::string_view value, const std::string& field, size_t min_length);

// InvalidArgument naming `field` unless `hosts` holds 1 to kMaxHosts valid
// host patterns.
Status CheckHosts(const std::vector<std::string>& hosts, const std::string& field);

// The parsed URL, or InvalidArgument naming `field` unless `url` is an
// absolute http(s) URL (ParseHttpUrl) of at most kMaxBaseUrl bytes without
// a query or fragment: a base URL that paths are appended to.
Result<HttpUrl> CheckBaseUrl(const std::string& url, const std::string& field);

// `j` as compact JSON text; InvalidArgument where nlohmann would throw (a
// string that is not UTF-8), so no exception leaves the service.
Result<std::string> DumpJson(const nlohmann::json& j);

// What the proxy injects for a provider key (allowed_hosts left to the
// caller). The key is copied into the injection, which wipes it.
Injection InjectProviderKey(const ProviderInfo& provider, std::string_view key);

// What the proxy injects for a secret of `type` whose opened value is
// `plaintext` (allowed_hosts left to the caller). DataLoss if the
// plaintext does not parse.
Result<Injection> InjectSecret(SecretType type, std::string_view plaintext);

}  // namespace latchkey::credentials_internal
