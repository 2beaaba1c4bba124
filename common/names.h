// Validation of the display names and labels callers give their resources.
#pragma once

#include <string_view>

#include "common/status.h"

namespace latchkey {

// A display name: 1–100 characters, no control characters. InvalidArgument
// naming `field` otherwise.
Status ValidateName(std::string_view name, std::string_view field = "name");

// A credential name (a provider id or a secret name): 1–64 of letters,
// digits, '-', '_' and '.', so it is safe in a URL path and a header.
bool IsCredentialName(std::string_view name);

}  // namespace latchkey
