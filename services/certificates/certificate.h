// The values the certificates service hands out and takes in.
#pragma once

#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "services/certificates/asymmetric_key.h"

namespace latchkey {

enum class Custody { kExported, kManaged };
enum class CertificateStatus { kActive, kRevoked, kExpired };

std::string_view CustodyName(Custody custody);
std::string_view StatusName(CertificateStatus status);
std::ostream& operator<<(std::ostream& os, Custody custody);
std::ostream& operator<<(std::ostream& os, CertificateStatus status);

// One key pair of an account. Never carries private key material.
struct Certificate {
  std::string id;  // "cert_..."
  std::string account_id;
  std::string kid;  // RFC 7638 thumbprint
  std::string name;
  std::string public_key_pem;
  KeyAlgorithm algorithm = KeyAlgorithm::kRs256;
  int key_size = 2048;
  Custody custody = Custody::kExported;
  // The stored status; an active key past its expiry or retirement reads
  // as expired (see EffectiveStatus) even before the scheduler records it.
  CertificateStatus status = CertificateStatus::kActive;
  std::map<std::string, std::string> metadata;
  TimePoint created_at;
  TimePoint updated_at;
  std::optional<TimePoint> expires_at;
  std::optional<TimePoint> activates_at;  // rotated keys: signing starts here
  std::optional<TimePoint> retires_at;    // rotated-out keys: leaves the JWKS here
  std::optional<TimePoint> revoked_at;
  int64_t seq = 0;  // creation order within the account (internal)

  CertificateStatus EffectiveStatus(TimePoint now) const;
  // In the JWKS: active, not expired, not retired.
  bool Verifiable(TimePoint now) const {
    return EffectiveStatus(now) == CertificateStatus::kActive;
  }
  // Managed, verifiable and past its activation time.
  bool CanSign(TimePoint now) const;
};

// The managed key that signs at `now`: the most recently activated one,
// ties going to the most recently created. nullptr if none can sign.
const Certificate* CurrentSigner(const std::vector<Certificate>& certs, TimePoint now);

struct NewCertificate {
  std::string name;
  KeyAlgorithm algorithm = KeyAlgorithm::kRs256;
  int key_size = 2048;
  std::optional<TimePoint> expires_at;
  std::map<std::string, std::string> metadata;
  Custody custody = Custody::kExported;
};

// A created certificate; `private_key_pem` is set for exported custody and
// is the only copy there will ever be.
struct CreatedCertificate {
  Certificate certificate;
  std::optional<std::string> private_key_pem;
};

struct CertificateFilter {
  std::optional<CertificateStatus> status;
  std::map<std::string, std::string> metadata;  // every pair must match
};

struct RotationPolicy {
  std::string account_id;
  int64_t rotation_period = 0;  // seconds between signing-key switches
  int64_t overlap = 0;          // seconds an old key stays verifiable after the switch
  KeyAlgorithm algorithm = KeyAlgorithm::kRs256;
  int key_size = 2048;
  TimePoint next_rotation_at;  // when the next key is published
  TimePoint created_at;
  TimePoint updated_at;
};

// Limits on input, enforced by the service.
inline constexpr size_t kMaxMetadataEntries = 32;
inline constexpr size_t kMaxMetadataKey = 64;
inline constexpr size_t kMaxMetadataValue = 256;

}  // namespace latchkey
