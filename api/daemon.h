// The latchkeyd process: opening storage and keys, wiring services, serving
// until SIGTERM/SIGINT, and the offline `rewrap` command. Each returns the
// process exit code (0 ok, 2 bad configuration, 1 runtime failure).
#pragma once

#include "api/config.h"

namespace latchkey {

int RunServer(const Config& config);
int RunRewrap(const Config& config);

}  // namespace latchkey
