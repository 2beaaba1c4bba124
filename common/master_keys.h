// MasterKeyring: the key-encryption keys (KEKs) that wrap each account's
// data key. Loaded once at startup from LATCHKEY_MASTER_KEYS
// ("id:base64key,id2:base64key", the first is active) or from a master.key
// file in the data dir, which is generated (mode 0600) on a first local run.
//
// Thread-safety: immutable after construction; safe to share.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "common/crypto.h"

namespace latchkey {

class MasterKeyring {
 public:
  // Parses "id:base64,id:base64". Ids are 1–32 of [A-Za-z0-9_-]; keys decode
  // (standard or url-safe base64) to exactly 32 bytes; ids are unique.
  // InvalidArgument naming the offending entry (never its key) otherwise.
  static Result<MasterKeyring> Parse(std::string_view spec);

  // Reads a master.key file (same format). FailedPrecondition if the file
  // can be read by group or others.
  static Result<MasterKeyring> LoadFile(const std::string& path);

  // Creates a new master.key with one random key, mode 0600, failing with
  // AlreadyExists if the file exists.
  static Result<MasterKeyring> CreateFile(const std::string& path);

  const std::string& active_id() const { return active_id_; }
  bool Has(std::string_view id) const { return keys_.count(std::string(id)) > 0; }

  // Seals `plaintext` under the active key.
  Result<Bytes> Wrap(std::string_view plaintext, std::string_view aad) const;
  // Opens a value wrapped by key `id`. NotFound-free: a missing id is
  // FailedPrecondition (configuration problem); tampering is DataLoss.
  Result<SecretBytes> Unwrap(std::string_view id, std::string_view wrapped,
                             std::string_view aad) const;

  MasterKeyring(MasterKeyring&&) = default;
  MasterKeyring& operator=(MasterKeyring&&) = default;

 private:
  MasterKeyring() = default;
  std::string active_id_;
  std::map<std::string, SecretBytes> keys_;
};

}  // namespace latchkey
