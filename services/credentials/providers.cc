#include "services/credentials/providers.h"

#include <utility>

#include "common/url.h"

namespace latchkey {

namespace {

// A provider whose key goes in "Authorization: Bearer", the common case;
// its PUT /credentials field is id + "ApiKey".
ProviderInfo BearerKey(const std::string& id, std::vector<std::string> hosts,
                       std::string base_url) {
  return {id, id + "ApiKey", "Authorization", true, std::move(hosts), std::move(base_url)};
}

// One whose key goes bare in a header of its own.
ProviderInfo HeaderKey(const std::string& id, std::string header, std::vector<std::string> hosts,
                       std::string base_url) {
  return {id, id + "ApiKey", std::move(header), false, std::move(hosts), std::move(base_url)};
}

}  // namespace

const std::vector<ProviderInfo>& Providers() {
  static const std::vector<ProviderInfo> kProviders = {
      BearerKey("openai", {"api.openai.com"}, "https://api.openai.com"),
      HeaderKey("anthropic", "x-api-key", {"api.anthropic.com"}, "https://api.anthropic.com"),
      HeaderKey("google", "x-goog-api-key", {"generativelanguage.googleapis.com"},
                "https://generativelanguage.googleapis.com"),
      BearerKey("mistral", {"api.mistral.ai"}, "https://api.mistral.ai"),
      BearerKey("cohere", {"api.cohere.com", "api.cohere.ai"}, "https://api.cohere.com"),
      BearerKey("groq", {"api.groq.com"}, "https://api.groq.com"),
      BearerKey("together", {"api.together.xyz"}, "https://api.together.xyz"),
      BearerKey("deepseek", {"api.deepseek.com"}, "https://api.deepseek.com"),
      BearerKey("xai", {"api.x.ai"}, "https://api.x.ai"),
      BearerKey("openrouter", {"openrouter.ai"}, "https://openrouter.ai"),
      BearerKey("perplexity", {"api.perplexity.ai"}, "https://api.perplexity.ai"),
  };
  return kProviders;
}

ProviderReach EffectiveReach(const ProviderInfo& provider,
                             const std::optional<std::vector<std::string>>& hosts,
                             const std::optional<std::string>& base_url) {
  ProviderReach reach{provider.hosts, base_url.value_or(provider.base_url)};
  if (hosts) {
    reach.allowed_hosts = *hosts;
  } else if (base_url) {
    // Checked when it was stored (CheckBaseUrl): it parses.
    auto url = ParseHttpUrl(*base_url, "baseUrl", kMaxBaseUrl);
    reach.allowed_hosts =
        url.ok() ? std::vector<std::string>{url->host} : std::vector<std::string>{};
  }
  return reach;
}

const ProviderInfo* FindProvider(std::string_view id) {
  for (const auto& p : Providers()) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

const ProviderInfo* FindProviderByField(std::string_view field) {
  for (const auto& p : Providers()) {
    if (p.field == field) return &p;
  }
  return nullptr;
}

}  // namespace latchkey
