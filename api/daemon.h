// The latchkeyd process: wiring services and serving until SIGTERM/SIGINT
// (daemon.cc), and the offline commands (offline_commands.cc). Each returns
// the process exit code (0 ok, 2 bad configuration, 1 runtime failure).
#pragma once

#include "api/config.h"

namespace latchkey {

int RunServer(const Config& config);
int RunRewrap(const Config& config);
int RunRotateAdminKey(const Config& config);
// Copies the SQLite database, consistent while a server runs, to
// config.command_file.
int RunBackup(const Config& config);
// Copies a backup into a data dir that has no database yet, migrates it,
// and checks that every data key opens and every audit chain verifies;
// removes the copy again if anything fails.
int RunRestore(const Config& config);

}  // namespace latchkey
