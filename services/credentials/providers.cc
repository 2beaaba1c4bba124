#include "services/credentials/providers.h"

#include "common/url.h"

namespace latchkey {

const std::vector<ProviderInfo>& Providers() {
  static const std::vector<ProviderInfo> kProviders = {
      {"openai",
       "openaiApiKey",
       "Authorization",
       true,
       {"api.openai.com"},
       "https://api.openai.com"},
      {"anthropic",
       "anthropicApiKey",
       "x-api-key",
       false,
       {"api.anthropic.com"},
       "https://api.anthropic.com"},
      {"google",
       "googleApiKey",
       "x-goog-api-key",
       false,
       {"generativelanguage.googleapis.com"},
       "https://generativelanguage.googleapis.com"},
      {"mistral",
       "mistralApiKey",
       "Authorization",
       true,
       {"api.mistral.ai"},
       "https://api.mistral.ai"},
      {"cohere",
       "cohereApiKey",
       "Authorization",
       true,
       {"api.cohere.com", "api.cohere.ai"},
       "https://api.cohere.com"},
      {"groq", "groqApiKey", "Authorization", true, {"api.groq.com"}, "https://api.groq.com"},
      {"together",
       "togetherApiKey",
       "Authorization",
       true,
       {"api.together.xyz"},
       "https://api.together.xyz"},
      {"deepseek",
       "deepseekApiKey",
       "Authorization",
       true,
       {"api.deepseek.com"},
       "https://api.deepseek.com"},
      {"xai", "xaiApiKey", "Authorization", true, {"api.x.ai"}, "https://api.x.ai"},
      {"openrouter",
       "openrouterApiKey",
       "Authorization",
       true,
       {"openrouter.ai"},
       "https://openrouter.ai"},
      {"perplexity",
       "perplexityApiKey",
       "Authorization",
       true,
       {"api.perplexity.ai"},
       "https://api.perplexity.ai"},
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
