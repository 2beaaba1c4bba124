#include "services/proxy/redactor.h"

#include <algorithm>
#include <cctype>

#include "common/crypto.h"
#include "common/json_text.h"

namespace latchkey {

namespace {

bool Unreserved(unsigned char c) {
  return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

std::string PercentEncode(std::string_view s, const char* hex, bool plus_for_space,
                          std::string_view keep = "") {
  std::string out;
  for (unsigned char c : s) {
    if (Unreserved(c) || keep.find(static_cast<char>(c)) != std::string_view::npos) {
      out += static_cast<char>(c);
    } else if (c == ' ' && plus_for_space) {
      out += '+';
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// The JSON string escape of `s` without the quotes; `slash` also escapes
// '/' as "\/" (PHP's and some Java encoders' default).
std::string JsonEscape(std::string_view s, bool slash) {
  std::string quoted = JsonQuote(s);
  std::string out = quoted.substr(1, quoted.size() - 2);
  if (!slash) return out;
  std::string with;
  for (char c : out) {
    if (c == '/') with += '\\';
    with += c;
  }
  return with;
}

void WipeAll(std::vector<std::string>& values) {
  for (auto& v : values) SecureWipe(v.data(), v.size());
}

}  // namespace

std::vector<std::string> Redactor::Forms(const std::string& secret) {
  static const char kUpper[] = "0123456789ABCDEF";
  static const char kLower[] = "0123456789abcdef";
  std::vector<std::string> forms = {
      secret,
      PercentEncode(secret, kUpper, false),
      PercentEncode(secret, kLower, false),
      PercentEncode(secret, kUpper, true),
      PercentEncode(secret, kLower, true),
      PercentEncode(secret, kUpper, false, "/:@!$&'()*+,;="),  // a path-style encoder
      JsonEscape(secret, false),
      JsonEscape(secret, true),
      Base64Encode(secret),
      Base64UrlEncode(secret),
  };
  std::sort(forms.begin(), forms.end());
  forms.erase(std::unique(forms.begin(), forms.end()), forms.end());
  return forms;
}

Redactor::Redactor(const std::vector<std::string>& secrets) {
  for (const auto& s : secrets) {
    if (s.size() < kMinLength) continue;
    std::vector<std::string> forms = Forms(s);
    for (const auto& f : forms) secrets_.push_back(f);
    WipeAll(forms);
  }
  // Longest first, so a secret containing another is replaced whole.
  std::sort(secrets_.begin(), secrets_.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  secrets_.erase(std::unique(secrets_.begin(), secrets_.end()), secrets_.end());
}

Redactor::~Redactor() {
  WipeAll(secrets_);
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

size_t Redactor::PartialTail(std::string_view text, size_t from) const {
  size_t keep = 0;
  size_t size = text.size();
  for (const auto& s : secrets_) {
    size_t longest = std::min(size - from, s.size() - 1);
    for (size_t p = size - longest; p < size && size - p > keep; ++p) {
      if (text[p] == s[0] && text.compare(p, size - p, s, 0, size - p) == 0) {
        keep = size - p;
        break;
      }
    }
  }
  return keep;
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
  size_t partial = PartialTail(text, pos);
  if (partial < kMinPartial) partial = 0;
  out.append(text, pos, text.size() - pos - partial);
  if (partial > 0) out += kMark;
  return out;
}

bool Redactor::Contains(std::string_view text) const {
  size_t length = 0;
  return FindFirst(text, 0, &length) != std::string_view::npos;
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
  // The longest tail that is a proper prefix of some secret: held back
  // while more may come, redacted at the end (Regression: an echo cut by
  // a Range ended inside the secret and 35 of its 39 characters leaked.)
  size_t keep = PartialTail(pending_, pos);
  size_t end = pending_.size() - keep;
  out.append(pending_, pos, end - pos);
  if (final) {
    if (keep >= kMinPartial)
      out += kMark;
    else
      out.append(pending_, end);
    end = pending_.size();
  }
  std::string tail = pending_.substr(end);
  SecureWipe(pending_.data(), pending_.size());
  pending_ = std::move(tail);
  return out;
}

}  // namespace latchkey
