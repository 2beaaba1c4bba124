#include "common/strings.h"

#include <algorithm>

namespace latchkey {

std::vector<std::string_view> SplitList(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(sep, start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view item = text.substr(start, end - start);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (!item.empty()) out.push_back(item);
    start = end + 1;
  }
  return out;
}

bool IsHeaderName(std::string_view name) {
  if (name.empty() || name.size() > 256) return false;
  for (unsigned char c : name) {
    bool tchar =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
        std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
    if (!tchar) return false;
  }
  return true;
}

bool IsHeaderValue(std::string_view value) {
  if (value.size() > 8192) return false;
  for (unsigned char c : value) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

namespace {

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Edit distance counting a swap of neighbours as one edit ("nmae" ->
// "name"), ignoring ASCII case; both are short names.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = Lower(a[i - 1]) == Lower(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && Lower(a[i - 1]) == Lower(b[j - 2]) &&
          Lower(a[i - 2]) == Lower(b[j - 1])) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

bool IsPrefixIgnoringCase(std::string_view prefix, std::string_view of) {
  if (prefix.size() > of.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (Lower(prefix[i]) != Lower(of[i])) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> ClosestMatch(std::string_view given,
                                        const std::vector<std::string>& known) {
  if (given.empty() || given.size() > 64) return std::nullopt;
  size_t limit = std::min<size_t>(3, std::max<size_t>(1, given.size() / 3));
  std::optional<std::string> best;
  size_t best_distance = limit + 1;
  for (const std::string& name : known) {
    if (given.size() >= 2 && IsPrefixIgnoringCase(given, name)) return name;
    size_t d = EditDistance(given, name);
    if (d < best_distance) {
      best = name;
      best_distance = d;
    }
  }
  return best;
}

std::string UnknownName(std::string_view what, std::string_view given,
                        const std::vector<std::string>& known) {
  std::string out = "unknown " + std::string(what) + " '" + std::string(given.substr(0, 64)) +
                    (given.size() > 64 ? "…" : "") + "'";
  if (auto guess = ClosestMatch(given, known)) out += "; did you mean '" + *guess + "'?";
  std::string list;
  for (const std::string& name : known) list += (list.empty() ? "" : ", ") + name;
  if (!list.empty()) out += " (known: " + list + ")";
  return out;
}

}  // namespace latchkey
