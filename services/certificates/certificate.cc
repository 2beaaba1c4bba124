#include "services/certificates/certificate.h"

#include <ostream>
#include <utility>

namespace latchkey {

std::string_view CustodyName(Custody custody) {
  return custody == Custody::kManaged ? "managed" : "exported";
}

std::string_view StatusName(CertificateStatus status) {
  switch (status) {
    case CertificateStatus::kActive:
      return "active";
    case CertificateStatus::kRevoked:
      return "revoked";
    case CertificateStatus::kExpired:
      return "expired";
  }
  return "active";
}

std::ostream& operator<<(std::ostream& os, Custody custody) { return os << CustodyName(custody); }
std::ostream& operator<<(std::ostream& os, CertificateStatus status) {
  return os << StatusName(status);
}

CertificateStatus Certificate::EffectiveStatus(TimePoint now) const {
  if (status != CertificateStatus::kActive) return status;
  if (expires_at && *expires_at <= now) return CertificateStatus::kExpired;
  if (retires_at && *retires_at <= now) return CertificateStatus::kExpired;
  return CertificateStatus::kActive;
}

bool Certificate::CanSign(TimePoint now) const {
  return custody == Custody::kManaged && Verifiable(now) && (!activates_at || *activates_at <= now);
}

const Certificate* CurrentSigner(const std::vector<Certificate>& certs, TimePoint now) {
  const Certificate* best = nullptr;
  for (const Certificate& c : certs) {
    if (!c.CanSign(now)) continue;
    auto started = [](const Certificate* x) {
      return std::pair(x->activates_at.value_or(x->created_at), x->seq);
    };
    if (!best || started(&c) > started(best)) best = &c;
  }
  return best;
}

}  // namespace latchkey
