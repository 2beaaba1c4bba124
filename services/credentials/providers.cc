#include "services/credentials/providers.h"

namespace latchkey {

const std::vector<ProviderInfo>& Providers() {
  static const std::vector<ProviderInfo> kProviders = {
      {"openai", "openaiApiKey", "Authorization", true, {"api.openai.com"}},
      {"anthropic", "anthropicApiKey", "x-api-key", false, {"api.anthropic.com"}},
      {"google", "googleApiKey", "x-goog-api-key", false, {"generativelanguage.googleapis.com"}},
      {"mistral", "mistralApiKey", "Authorization", true, {"api.mistral.ai"}},
      {"cohere", "cohereApiKey", "Authorization", true, {"api.cohere.com", "api.cohere.ai"}},
      {"groq", "groqApiKey", "Authorization", true, {"api.groq.com"}},
      {"together", "togetherApiKey", "Authorization", true, {"api.together.xyz"}},
      {"deepseek", "deepseekApiKey", "Authorization", true, {"api.deepseek.com"}},
      {"xai", "xaiApiKey", "Authorization", true, {"api.x.ai"}},
      {"openrouter", "openrouterApiKey", "Authorization", true, {"openrouter.ai"}},
      {"perplexity", "perplexityApiKey", "Authorization", true, {"api.perplexity.ai"}},
  };
  return kProviders;
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
