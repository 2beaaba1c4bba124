// Where the CLI finds its server and key: LATCHKEY_URL with LATCHKEY_API_KEY
// (both or neither), else the profile's entry in $XDG_CONFIG_HOME/latchkey/config.json
// (~/.config/latchkey/config.json), a file only its owner may read:
//   {"profiles": {"default": {"url": "http://127.0.0.1:8080", "apiKey": "lk_key_…"}}}
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

namespace latchkey::cli {

// A failure with the exit code it means (see docs/cli.md).
struct CliError : std::runtime_error {
  CliError(int code, const std::string& message) : std::runtime_error(message), exit_code(code) {}
  int exit_code;
};

inline constexpr int kExitApi = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitAuth = 3;

struct Login {
  std::string url;
  std::string key;
};

// The config file's path; throws CliError when neither XDG_CONFIG_HOME nor
// HOME is set.
std::string ConfigPath();

// The login for `profile`, environment first; nullopt when there is none.
// Throws CliError for a config file others may read or that is not the
// user's own regular file, a config directory others may write to, or a
// file that is not valid JSON.
std::optional<Login> LoadLogin(const std::string& profile);

// Stores `login` as `profile`, keeping the other profiles; the file and
// its directory are created owner-only.
void SaveLogin(const std::string& profile, const Login& login);

// Removes `profile`; false if it was not there.
bool RemoveLogin(const std::string& profile);

}  // namespace latchkey::cli
