// FuzzInput: takes typed pieces off the front of a fuzz input (a small
// FuzzedDataProvider that also builds with gcc for the replay targets).
// Every read succeeds: past the end, numbers are 0 and strings empty.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace latchkey::fuzz {

class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size) : rest_(reinterpret_cast<const char*>(data), size) {}

  uint8_t Byte() {
    if (rest_.empty()) return 0;
    uint8_t b = static_cast<uint8_t>(rest_[0]);
    rest_.remove_prefix(1);
    return b;
  }
  uint16_t U16() { return static_cast<uint16_t>(Byte() << 8 | Byte()); }
  bool Bool() { return Byte() & 1; }

  // Up to `max` bytes, ended early by a `sep` byte (consumed, not
  // returned); so seeds can be written as text fields on separate lines.
  std::string Field(char sep = '\n', size_t max = SIZE_MAX) {
    size_t end = rest_.find(sep);
    size_t n = end == std::string_view::npos ? rest_.size() : end;
    if (n > max) n = max;
    std::string out(rest_.substr(0, n));
    rest_.remove_prefix(n < rest_.size() && rest_[n] == sep ? n + 1 : n);
    return out;
  }
  std::string Rest() {
    std::string out(rest_);
    rest_ = {};
    return out;
  }
  std::string_view rest() const { return rest_; }
  size_t remaining() const { return rest_.size(); }

 private:
  std::string_view rest_;
};

// A broken invariant: abort in a way libFuzzer records as a crash, saying
// which one first.
[[noreturn]] inline void Fail(const char* what) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  __builtin_trap();
}

inline void Check(bool ok, const char* what) {
  if (!ok) Fail(what);
}

}  // namespace latchkey::fuzz
