// Fuzzes the proxy's Redactor: a secret (and, for some inputs, a second
// one) and a text fed through Feed at input-chosen split points, then
// Finish. No form of a secret (Redactor::Forms) may appear in what comes
// out, whichever way the stream was cut; Redact (whole values) and
// Contains must agree with that.
//
// Input: flags byte, secret line, second secret line (used when flags bit
// 0), one byte per split point (up to 8; the number is flags >> 4), then
// the text.
//
// '[' and ']' are removed from secrets: with them a secret could be spelled
// by the text around a "[REDACTED]" mark plus the mark itself, which leaks
// nothing. Output is then checked between marks.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "services/proxy/redactor.h"
#include "tests/fuzz/fuzz_input.h"

namespace latchkey::fuzz {
namespace {

std::string Secret(std::string s) {
  s.erase(std::remove_if(s.begin(), s.end(), [](char c) { return c == '[' || c == ']'; }), s.end());
  return s;
}

// The output between "[REDACTED]" marks.
std::vector<std::string_view> Unmarked(std::string_view out) {
  std::vector<std::string_view> parts;
  std::string_view mark = Redactor::kMark;
  size_t pos = 0;
  for (size_t at; (at = out.find(mark, pos)) != std::string_view::npos; pos = at + mark.size()) {
    parts.push_back(out.substr(pos, at - pos));
  }
  parts.push_back(out.substr(pos));
  return parts;
}

bool Leaks(std::string_view out, const std::vector<std::string>& forms) {
  for (std::string_view part : Unmarked(out)) {
    for (const auto& f : forms) {
      if (part.find(f) != std::string_view::npos) return true;
    }
  }
  return false;
}

}  // namespace
}  // namespace latchkey::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace latchkey;
  using namespace latchkey::fuzz;
  FuzzInput in(data, size);
  uint8_t flags = in.Byte();
  std::vector<std::string> secrets = {Secret(in.Field('\n', 256))};
  std::string second = Secret(in.Field('\n', 256));
  if (flags & 1) secrets.push_back(second);
  std::vector<size_t> cuts;
  for (int i = 0, n = (flags >> 4) % 9; i < n; ++i) cuts.push_back(in.Byte());
  std::string text = in.Rest();

  std::vector<std::string> forms;
  for (const auto& s : secrets) {
    if (s.size() < Redactor::kMinLength) continue;
    for (auto& f : Redactor::Forms(s)) forms.push_back(std::move(f));
  }
  if (forms.empty()) return 0;

  // Split points spread over the text, in order.
  std::vector<size_t> points;
  for (size_t c : cuts) points.push_back(text.size() * c / 255);
  std::sort(points.begin(), points.end());
  Redactor streamed(secrets);
  std::string out;
  size_t pos = 0;
  for (size_t p : points) {
    out += streamed.Feed(std::string_view(text).substr(pos, p - pos));
    pos = p;
  }
  out += streamed.Feed(std::string_view(text).substr(pos));
  out += streamed.Finish();
  Check(!Leaks(out, forms), "a secret passed through Feed/Finish");

  Redactor whole(secrets);
  std::string redacted = whole.Redact(text);
  Check(!Leaks(redacted, forms), "a secret passed through Redact");
  bool contains = false;
  for (const auto& f : forms) contains |= text.find(f) != std::string::npos;
  Check(whole.Contains(text) == contains, "Contains disagrees with the forms");
  return 0;
}
