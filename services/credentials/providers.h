// The LLM/API providers whose keys PUT /credentials stores, in one place:
// the request field, how the proxy injects the key, and where it may go.
#pragma once

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
};

// Every provider, in documentation order.
const std::vector<ProviderInfo>& Providers();
const ProviderInfo* FindProvider(std::string_view id);
const ProviderInfo* FindProviderByField(std::string_view field);

}  // namespace latchkey
