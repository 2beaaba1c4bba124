// latchkeyd: parse configuration, then serve or run a maintenance command.
#include <cstdio>

#include "api/config.h"
#include "api/daemon.h"
#include "api/dev_mode.h"

int main(int argc, char** argv) {
  int exit_code = 0;
  auto config = latchkey::ParseConfig(argc, argv, &exit_code);
  if (!config.ok()) {
    if (!config.status().message().empty()) {
      std::fprintf(stderr, "latchkeyd: %s\n", config.status().message().c_str());
    }
    return exit_code;
  }
  if (config->command == latchkey::Config::Command::kRewrap) return latchkey::RunRewrap(*config);
  if (config->command == latchkey::Config::Command::kRotateAdminKey) {
    return latchkey::RunRotateAdminKey(*config);
  }
  if (config->command == latchkey::Config::Command::kBackup) return latchkey::RunBackup(*config);
  if (config->command == latchkey::Config::Command::kRestore) return latchkey::RunRestore(*config);
  if (config->command == latchkey::Config::Command::kDev) return latchkey::RunDev(*config);
  return latchkey::RunServer(*config);
}
