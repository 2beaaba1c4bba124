// Redactor: replaces every occurrence of a set of secret strings in a
// stream with "[REDACTED]", also when an occurrence is split across
// chunks. It holds back only a tail that could still become a secret, so
// a streamed event that cannot contain one passes through at once.
//
// Each secret is looked for in every form we send it in and the common
// reflections of it: as given, percent-encoded (upper- and lower-case hex,
// '+' or %20 for spaces), JSON-escaped (with and without "\/"), and as
// standard and URL-safe base64. A stream that ends inside a secret (an
// echo cut short by a Range the caller chose) has its last partial match
// redacted too, once it is at least kMinPartial characters long.
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
  // A stream or value that ends with this many characters of a secret
  // (or more) has them redacted.
  static constexpr size_t kMinPartial = 4;

  explicit Redactor(const std::vector<std::string>& secrets);
  ~Redactor();

  // The redacted text that can be released after `chunk`.
  std::string Feed(std::string_view chunk);
  // Whatever is still held back, redacted.
  std::string Finish();
  // A whole value at once (e.g. a header).
  std::string Redact(std::string_view text) const;
  // Whether `text` holds any secret, in any of its forms.
  bool Contains(std::string_view text) const;

  // The forms of `secret` looked for (exposed for tests).
  static std::vector<std::string> Forms(const std::string& secret);

 private:
  std::string Process(bool final);
  // The first occurrence of any secret in `text` at or after `pos` (the
  // longest one where several start there); npos if none.
  size_t FindFirst(std::string_view text, size_t pos, size_t* length) const;
  // The length of the longest tail of `text` (from `from` on) that is a
  // proper prefix of some secret.
  size_t PartialTail(std::string_view text, size_t from) const;

  std::vector<std::string> secrets_;
  std::string pending_;
};

}  // namespace latchkey
