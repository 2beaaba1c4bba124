#include "common/master_keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace latchkey {
namespace {

bool ValidKeyId(std::string_view id) {
  if (id.empty() || id.size() > 32) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\n' || s.front() == '\r' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

Result<MasterKeyring> MasterKeyring::Parse(std::string_view spec) {
  MasterKeyring ring;
  size_t index = 0;
  spec = Trim(spec);
  if (spec.empty()) return InvalidArgument("master keys: no key given");
  while (!spec.empty()) {
    size_t comma = spec.find(',');
    std::string_view entry = Trim(spec.substr(0, comma));
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    ++index;
    std::string where = "master keys: entry " + std::to_string(index);
    size_t colon = entry.find(':');
    if (colon == std::string_view::npos) return InvalidArgument(where + " is not id:base64key");
    std::string_view id = entry.substr(0, colon);
    std::string_view b64 = entry.substr(colon + 1);
    if (!ValidKeyId(id)) return InvalidArgument(where + " has an invalid id");
    if (ring.Has(id)) return InvalidArgument(where + " repeats id '" + std::string(id) + "'");
    auto key = b64.find_first_of("-_") != std::string_view::npos ? Base64UrlDecode(b64)
                                                                 : Base64Decode(b64);
    if (!key.ok()) key = Base64UrlDecode(b64);
    if (!key.ok()) return InvalidArgument(where + " ('" + std::string(id) + "') is not base64");
    if (key->size() != kAesKeySize) {
      SecureWipe(key->data(), key->size());
      return InvalidArgument(where + " ('" + std::string(id) + "') must decode to 32 bytes");
    }
    if (ring.active_id_.empty()) ring.active_id_ = std::string(id);
    ring.keys_.emplace(std::string(id), SecretBytes(std::move(*key)));
  }
  return ring;
}

Result<MasterKeyring> MasterKeyring::LoadFile(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return NotFound("master key file " + path + " not found");
  if ((st.st_mode & 077) != 0) {
    return FailedPrecondition("master key file " + path +
                              " is readable by group or others; run chmod 600 on it");
  }
  std::ifstream in(path);
  if (!in) return Unavailable("cannot read master key file " + path);
  std::stringstream buf;
  buf << in.rdbuf();
  std::string text = buf.str();
  auto ring = Parse(text);
  SecureWipe(text.data(), text.size());
  if (!ring.ok()) return InvalidArgument(path + ": " + ring.status().message());
  return ring;
}

Result<MasterKeyring> MasterKeyring::CreateFile(const std::string& path) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return AlreadyExists("master key file " + path + " already exists");
    return Unavailable("cannot create master key file " + path + ": " + std::strerror(errno));
  }
  Bytes key = RandomBytes(kAesKeySize);
  std::string line = "mk1:" + Base64Encode(AsView(key)) + "\n";
  SecureWipe(key.data(), key.size());
  ssize_t written = write(fd, line.data(), line.size());
  bool synced = fsync(fd) == 0;
  close(fd);
  auto ring = Parse(line);
  SecureWipe(line.data(), line.size());
  if (written != static_cast<ssize_t>(line.size()) || !synced) {
    unlink(path.c_str());
    return Unavailable("cannot write master key file " + path);
  }
  return ring;
}

Result<Bytes> MasterKeyring::Wrap(std::string_view plaintext, std::string_view aad) const {
  return AesGcmSeal(keys_.at(active_id_), plaintext, aad);
}

Result<SecretBytes> MasterKeyring::Unwrap(std::string_view id, std::string_view wrapped,
                                          std::string_view aad) const {
  auto it = keys_.find(std::string(id));
  if (it == keys_.end()) {
    return FailedPrecondition("master key '" + std::string(id) + "' is not configured");
  }
  return AesGcmOpen(it->second, wrapped, aad);
}

}  // namespace latchkey
