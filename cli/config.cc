#include "cli/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

namespace latchkey::cli {
namespace {

using json = nlohmann::json;

std::string ConfigDir() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg && *xdg) return std::string(xdg) + "/latchkey";
  const char* home = std::getenv("HOME");
  if (!home || !*home) throw CliError(kExitUsage, "neither XDG_CONFIG_HOME nor HOME is set");
  return std::string(home) + "/.config/latchkey";
}

// The config directory must be the user's own and closed to others: a
// directory someone else can write to could swap the file under us.
void CheckDirectory(const std::string& dir) {
  struct stat st;
  if (lstat(dir.c_str(), &st) != 0) return;  // created later, 0700
  if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022) != 0) {
    throw CliError(kExitUsage, dir +
                                   " must be a directory of yours that only you can write to;"
                                   " fix it with: chmod 700 " +
                                   dir);
  }
}

// The file's document; an empty one when there is no file. Opened without
// following a link, and checked on the descriptor it was read from.
json ReadConfig() {
  CheckDirectory(ConfigDir());
  std::string path = ConfigPath();
  int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return json::object();
    if (errno == ELOOP) {
      throw CliError(kExitUsage, path +
                                     " is not a file of yours (a link); remove it and log in"
                                     " again");
    }
    throw CliError(kExitUsage, "cannot read " + path + ": " + std::strerror(errno));
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
    close(fd);
    throw CliError(kExitUsage, path + " is not a file of yours; remove it and log in again");
  }
  if ((st.st_mode & 077) != 0) {
    close(fd);
    throw CliError(kExitUsage, path +
                                   " may be read by others (it holds an API key); fix it with:"
                                   " chmod 600 " +
                                   path);
  }
  std::string text;
  char buffer[4096];
  for (ssize_t n; (n = read(fd, buffer, sizeof buffer)) > 0;) text.append(buffer, n);
  close(fd);
  json doc = json::parse(text, nullptr, false);
  std::fill(text.begin(), text.end(), '\0');
  if (doc.is_discarded() || !doc.is_object()) {
    throw CliError(kExitUsage, path + " is not valid JSON; remove it and log in again");
  }
  return doc;
}

// Replaces the file in one rename, from a fresh owner-only temporary file.
void WriteConfig(const json& doc) {
  std::string dir = ConfigDir();
  std::string parent = dir.substr(0, dir.rfind('/'));
  mkdir(parent.c_str(), 0700);
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    throw CliError(kExitApi, "cannot create " + dir + ": " + std::strerror(errno));
  }
  CheckDirectory(dir);
  std::string path = ConfigPath();
  std::string tmp = dir + "/.config.json.XXXXXX";
  int fd = mkstemp(tmp.data());  // O_EXCL, mode 0600
  if (fd < 0) throw CliError(kExitApi, "cannot write in " + dir + ": " + std::strerror(errno));
  std::string text = doc.dump(2) + "\n";
  bool ok =
      write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && fsync(fd) == 0;
  ok = (close(fd) == 0) && ok;
  std::fill(text.begin(), text.end(), '\0');
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    unlink(tmp.c_str());
    throw CliError(kExitApi, "cannot write " + path + ": " + std::strerror(errno));
  }
}

}  // namespace

std::string ConfigPath() { return ConfigDir() + "/config.json"; }

std::optional<Login> LoadLogin(const std::string& profile) {
  const char* url = std::getenv("LATCHKEY_URL");
  const char* key = std::getenv("LATCHKEY_API_KEY");
  bool has_url = url && *url, has_key = key && *key;
  // A URL and a key always come from the same place: a stored key is
  // never sent to a URL from the environment.
  if (has_url != has_key) {
    throw CliError(kExitAuth, "set both LATCHKEY_URL and LATCHKEY_API_KEY, or neither");
  }
  if (has_url) return Login{url, key};
  json doc = ReadConfig();
  if (!doc.contains("profiles") || !doc["profiles"].is_object() ||
      !doc["profiles"].contains(profile) || !doc["profiles"][profile].is_object()) {
    return std::nullopt;
  }
  const json& entry = doc["profiles"][profile];
  Login login{entry.value("url", ""), entry.value("apiKey", "")};
  if (login.url.empty() || login.key.empty()) return std::nullopt;
  return login;
}

void SaveLogin(const std::string& profile, const Login& login) {
  json doc = ReadConfig();
  if (!doc.contains("profiles") || !doc["profiles"].is_object()) doc["profiles"] = json::object();
  doc["profiles"][profile] = {{"url", login.url}, {"apiKey", login.key}};
  WriteConfig(doc);
}

bool RemoveLogin(const std::string& profile) {
  json doc = ReadConfig();
  if (!doc.contains("profiles") || !doc["profiles"].is_object() ||
      !doc["profiles"].contains(profile)) {
    return false;
  }
  doc["profiles"].erase(profile);
  WriteConfig(doc);
  return true;
}

}  // namespace latchkey::cli
