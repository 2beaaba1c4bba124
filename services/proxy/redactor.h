// Redactor: replaces every occurrence of a set of secret strings in a
// stream with "[REDACTED]", also when an occurrence is split across
// chunks. It holds back only a tail that could still become a secret, so
// a streamed event that cannot contain one passes through at once.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace latchkey {

class Redactor {
 public:
  static constexpr char kMark[] = "[REDACTED]";
  // Secrets shorter than this are not redacted (they would mangle ordinary
  // text, and are too short to be worth hiding).
  static constexpr size_t kMinLength = 6;

  explicit Redactor(const std::vector<std::string>& secrets);
  ~Redactor();

  // The redacted text that can be released after `chunk`.
  std::string Feed(std::string_view chunk);
  // Whatever is still held back, redacted.
  std::string Finish();
  // A whole value at once (e.g. a header).
  std::string Redact(std::string_view text) const;

 private:
  std::string Process(bool final);
  // The first occurrence of any secret in `text` at or after `pos` (the
  // longest one where several start there); npos if none.
  size_t FindFirst(std::string_view text, size_t pos, size_t* length) const;

  std::vector<std::string> secrets_;
  std::string pending_;
};

}  // namespace latchkey
