#include "api/sdk_key.h"

#include <strings.h>

#include <cctype>

#include "common/strings.h"
#include "common/url.h"

namespace latchkey {
namespace {

constexpr std::string_view kKeyHeaders[] = {"x-api-key", "x-goog-api-key", "api-key"};

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::optional<std::string> BearerToken(const HttpRequest& request) {
  auto header = request.Header("Authorization");
  if (!header || header->size() < 8) return std::nullopt;
  std::string scheme = header->substr(0, 7);
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "bearer ") return std::nullopt;
  std::string token = header->substr(7);
  while (!token.empty() && token.front() == ' ') token.erase(token.begin());
  while (!token.empty() && token.back() == ' ') token.pop_back();
  if (token.empty()) return std::nullopt;
  return token;
}

std::optional<std::string> SdkKey(const HttpRequest& request) {
  for (std::string_view name : kKeyHeaders) {
    auto value = request.Header(std::string(name));
    if (value && !value->empty()) return value;
  }
  auto query = request.Query("key");
  if (query && !query->empty()) return query;
  return std::nullopt;
}

bool CarriesKey(std::string_view header_name, std::string_view value, std::string_view key) {
  if (key.empty()) return false;
  bool bearer = IEquals(header_name, "authorization");
  bool key_header = false;
  for (std::string_view name : kKeyHeaders) key_header |= IEquals(header_name, name);
  if (!bearer && !key_header) return false;
  // A header sent more than once arrives as one list ("K, K").
  for (std::string_view item : SplitList(value)) {
    if (bearer && item.size() > 7 && IEquals(item.substr(0, 7), "bearer ")) item.remove_prefix(7);
    if (item == key) return true;
  }
  return false;
}

std::string QueryWithoutKey(std::string_view raw_query, std::string_view key) {
  std::string out;
  size_t start = 0;
  while (start <= raw_query.size()) {
    size_t amp = raw_query.find('&', start);
    if (amp == std::string_view::npos) amp = raw_query.size();
    std::string_view pair = raw_query.substr(start, amp - start);
    size_t eq = pair.find('=');
    bool drop = false;
    if (eq != std::string_view::npos) {
      // Compared decoded, as the request's query was read ("%6Bey" is "key").
      auto name = PercentDecode(pair.substr(0, eq), /*plus_is_space=*/true);
      auto value = PercentDecode(pair.substr(eq + 1), /*plus_is_space=*/true);
      drop = name && *name == "key" && value && *value == key;
    }
    if (!drop && !pair.empty()) {
      if (!out.empty()) out += '&';
      out += pair;
    }
    start = amp + 1;
  }
  return out;
}

}  // namespace latchkey
