#include "common/ids.h"

#include "common/crypto.h"

namespace latchkey {
namespace {
constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
constexpr size_t kIdChars = 20;
}  // namespace

std::string NewId(std::string_view prefix) {
  Bytes random = RandomBytes(kIdChars);
  std::string id(prefix);
  id += '_';
  for (uint8_t b : random) id += kAlphabet[b & 31];
  return id;
}

bool IsValidId(std::string_view id, std::string_view prefix) {
  if (id.size() != prefix.size() + 1 + kIdChars || id.substr(0, prefix.size()) != prefix ||
      id[prefix.size()] != '_') {
    return false;
  }
  for (char c : id.substr(prefix.size() + 1)) {
    if (!((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'))) return false;
  }
  return true;
}

}  // namespace latchkey
