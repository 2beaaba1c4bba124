#include "common/names.h"

#include <string>

namespace latchkey {

Status ValidateName(std::string_view name, std::string_view field) {
  if (name.empty() || name.size() > 100) {
    return InvalidArgument(std::string(field) + " must be 1 to 100 characters");
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      return InvalidArgument(std::string(field) + " must not contain control characters");
    }
  }
  return Status::Ok();
}

bool IsCredentialName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace latchkey
