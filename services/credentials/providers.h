// The LLM/API providers whose keys PUT /credentials stores, in one place:
// the request field, how the proxy injects the key, and where it may go.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace latchkey {

struct ProviderInfo {
  std::string id;                  // "openai": the X-Credential-Name the proxy takes
  std::string field;               // "openaiApiKey": the PUT /credentials field
  std::string header;              // header the key is injected into
  bool bearer;                     // injected as "Bearer <key>" rather than the bare key
  std::vector<std::string> hosts;  // default allowed hosts
  std::string base_url;            // default base URL of calls by path (its API's origin)
};

// The allowed hosts and base URL a provider key has in effect: its own
// hosts if it was given some; else, with a base URL of its own, that URL's
// host alone; else the provider's defaults.
struct ProviderReach {
  std::vector<std::string> allowed_hosts;
  std::string base_url;
};
ProviderReach EffectiveReach(const ProviderInfo& provider,
                             const std::optional<std::vector<std::string>>& hosts,
                             const std::optional<std::string>& base_url);

// The longest base URL stored.
inline constexpr size_t kMaxBaseUrl = 2048;

// Every provider, in documentation order.
const std::vector<ProviderInfo>& Providers();
const ProviderInfo* FindProvider(std::string_view id);
const ProviderInfo* FindProviderByField(std::string_view field);

}  // namespace latchkey
