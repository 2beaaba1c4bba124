#include "api/router.h"

#include <algorithm>
#include <optional>

#include "common/json_text.h"

namespace latchkey {
namespace {

const std::string kGet = "GET";

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 1;  // skip the leading '/'
  if (path.empty() || path[0] != '/') return out;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

void Router::Add(Route route) {
  patterns_.push_back(Split(route.pattern));
  routes_.push_back(std::move(route));
}

bool Router::Fits(const std::vector<std::string>& pattern, const std::vector<std::string>& segments,
                  std::map<std::string, std::string>* params, int* literal_score, bool* bad) {
  // A last part "{name...}" takes the rest of the path, as sent.
  std::vector<std::string> parts = pattern;
  std::optional<std::string> rest_name;
  if (!parts.empty() && parts.back().size() > 5 && parts.back().ends_with("...}")) {
    rest_name = parts.back().substr(1, parts.back().size() - 5);
    parts.pop_back();
    if (segments.size() < parts.size() + 1) return false;
  } else if (parts.size() != segments.size()) {
    return false;
  }
  // Literal segments first: most routes fail on one, before any decoding.
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& p = parts[i];
    bool param = p.size() > 2 && p.front() == '{' && p.back() == '}';
    if (!param && p != segments[i]) return false;
  }
  std::map<std::string, std::string> found;
  int score = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& p = parts[i];
    if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
      if (segments[i].empty()) return false;
      auto decoded = PercentDecode(segments[i], false);
      // Identifiers are text: bytes that are not UTF-8 are a malformed
      // path (PostgreSQL would refuse them as a text parameter).
      if (!decoded || !IsValidUtf8(*decoded)) {
        *bad = true;
        return false;
      }
      found[p.substr(1, p.size() - 2)] = *decoded;
    } else if (p == segments[i]) {
      ++score;
    } else {
      return false;
    }
  }
  if (rest_name) {
    std::string rest;
    for (size_t i = parts.size(); i < segments.size(); ++i) {
      if (i > parts.size()) rest += '/';
      rest += segments[i];
    }
    found[*rest_name] = std::move(rest);
  }
  *params = std::move(found);
  *literal_score = score;
  return true;
}

Router::Match Router::Find(const std::string& method, const std::string& path) const {
  // HEAD is GET without the body (RFC 9110 §9.3.2); the transport drops it.
  const std::string& wanted = method == "HEAD" ? kGet : method;
  Match best;
  std::vector<std::string> segments = Split(path);
  if (segments.empty()) return best;
  int best_score = -1;
  bool bad = false;
  for (size_t i = 0; i < routes_.size(); ++i) {
    const Route& route = routes_[i];
    std::map<std::string, std::string> params;
    int score = 0;
    if (!Fits(patterns_[i], segments, &params, &score, &bad)) continue;
    if (route.method != wanted) {
      if (std::find(best.allowed_methods.begin(), best.allowed_methods.end(), route.method) ==
          best.allowed_methods.end()) {
        best.allowed_methods.push_back(route.method);
      }
      continue;
    }
    if (score > best_score) {
      best_score = score;
      best.kind = MatchKind::kFound;
      best.route = &route;
      best.params = std::move(params);
    }
  }
  if (best.kind == MatchKind::kFound) return best;
  auto& allowed = best.allowed_methods;
  if (std::find(allowed.begin(), allowed.end(), kGet) != allowed.end()) allowed.push_back("HEAD");
  if (!allowed.empty())
    best.kind = MatchKind::kMethodNotAllowed;
  else if (bad)
    best.kind = MatchKind::kBadPath;
  return best;
}

}  // namespace latchkey
