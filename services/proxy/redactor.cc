#include "services/proxy/redactor.h"

#include <algorithm>

#include "common/crypto.h"

namespace latchkey {

Redactor::Redactor(const std::vector<std::string>& secrets) {
  for (const auto& s : secrets) {
    if (s.size() >= kMinLength) secrets_.push_back(s);
  }
  // Longest first, so a secret containing another is replaced whole.
  std::sort(secrets_.begin(), secrets_.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

Redactor::~Redactor() {
  for (auto& s : secrets_) SecureWipe(s.data(), s.size());
  SecureWipe(pending_.data(), pending_.size());
}

std::string Redactor::Feed(std::string_view chunk) {
  if (secrets_.empty()) return std::string(chunk);
  pending_.append(chunk);
  return Process(false);
}

std::string Redactor::Finish() {
  if (secrets_.empty()) return "";
  return Process(true);
}

size_t Redactor::FindFirst(std::string_view text, size_t pos, size_t* length) const {
  size_t best = std::string_view::npos;
  for (const auto& s : secrets_) {
    size_t at = text.find(s, pos);
    if (at < best) {  // ties keep the longer secret (sorted first)
      best = at;
      *length = s.size();
    }
  }
  return best;
}

std::string Redactor::Redact(std::string_view text) const {
  std::string out;
  size_t pos = 0;
  size_t length = 0;
  for (size_t at; (at = FindFirst(text, pos, &length)) != std::string_view::npos;
       pos = at + length) {
    out.append(text, pos, at - pos);
    out += kMark;
  }
  out.append(text, pos);
  return out;
}

std::string Redactor::Process(bool final) {
  std::string out;
  size_t pos = 0;
  size_t length = 0;
  for (size_t at; (at = FindFirst(pending_, pos, &length)) != std::string::npos;
       pos = at + length) {
    out.append(pending_, pos, at - pos);
    out += kMark;
  }
  size_t keep = 0;
  if (!final) {
    // The longest tail that is a proper prefix of some secret.
    size_t size = pending_.size();
    for (const auto& s : secrets_) {
      size_t longest = std::min(size - pos, s.size() - 1);
      for (size_t p = size - longest; p < size && size - p > keep; ++p) {
        if (pending_[p] == s[0] && pending_.compare(p, size - p, s, 0, size - p) == 0) {
          keep = size - p;
          break;
        }
      }
    }
  }
  size_t end = pending_.size() - keep;
  out.append(pending_, pos, end - pos);
  std::string tail = pending_.substr(end);
  SecureWipe(pending_.data(), pending_.size());
  pending_ = std::move(tail);
  return out;
}

}  // namespace latchkey
