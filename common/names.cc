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

}  // namespace latchkey
