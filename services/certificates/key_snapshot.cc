#include "services/certificates/key_snapshot.h"

#include <algorithm>
#include <set>

#include "services/certificates/certificate_store.h"

namespace latchkey {
namespace {

TimePoint Earlier(TimePoint a, const std::optional<TimePoint>& b) { return b && *b < a ? *b : a; }

// One JWK; every value is base64url or a fixed name, so none needs escaping.
std::string JwkJson(const PublishedKey& k, const JwkPublic& jwk) {
  std::string alg(AlgorithmName(k.cert.algorithm));
  std::string head = R"({"kty":")" + jwk.kty + R"(","use":"sig","alg":")" + alg + R"(","kid":")" +
                     k.cert.kid + "\",";
  if (jwk.kty == "RSA") return head + R"("n":")" + jwk.n + R"(","e":")" + jwk.e + "\"}";
  return head + R"("crv":")" + jwk.crv + R"(","x":")" + jwk.x + R"(","y":")" + jwk.y + "\"}";
}

Status NoSigner() {
  return FailedPrecondition(
      "the account has no active managed certificate: create one with custody 'managed' or "
      "rotate");
}

std::string Etag(const std::string& body) {
  return "\"" + Base64UrlEncode(AsView(Sha256(body))).substr(0, 27) + "\"";
}

Result<PublishedKey> OpenSigner(SqlExecutor& exec, const Envelope& envelope,
                                const Certificate& cert) {
  ASSIGN_OR_RETURN(auto sealed, CertificateStore::SealedPrivateKey(exec, cert.account_id, cert.id));
  if (!sealed) return FailedPrecondition("the signing key has no private key");
  ASSIGN_OR_RETURN(SecretBytes pem,
                   envelope.Open(exec, cert.account_id, kPrivateKeyKind, cert.id, AsView(*sealed)));
  auto key = AsymmetricKey::FromPrivatePem(cert.algorithm, pem.view());
  if (!key.ok()) return DataLoss("stored private key does not parse");
  return PublishedKey{cert, std::move(*key)};
}

}  // namespace

const PublishedKey* KeySnapshot::Find(std::string_view kid) const {
  for (const auto& k : keys) {
    if (k.cert.kid == kid) return &k;
  }
  return nullptr;
}

std::vector<std::string> KeySnapshot::Algorithms() const {
  std::set<std::string> algs;
  for (const auto& k : keys) algs.insert(std::string(AlgorithmName(k.cert.algorithm)));
  return {algs.begin(), algs.end()};
}

Result<std::shared_ptr<const KeySnapshot>> KeySnapshotCache::Build(SqlExecutor& exec,
                                                                   const Envelope& envelope,
                                                                   const std::string& account_id,
                                                                   int64_t version, TimePoint now) {
  auto snap = std::make_shared<KeySnapshot>();
  snap->account_id = account_id;
  snap->version = version;
  snap->built_at = now;
  ASSIGN_OR_RETURN(auto certs, CertificateStore::List(exec, account_id));
  ASSIGN_OR_RETURN(auto policy, CertificateStore::GetPolicy(exec, account_id));
  if (policy)
    snap->jwks_changes_at = std::max(policy->next_rotation_at, now + std::chrono::seconds(1));

  std::string jwks = R"({"keys":[)";
  TimePoint next_activation = TimePoint::max();
  for (const Certificate& c : certs) {
    if (!c.Verifiable(now)) continue;
    snap->jwks_changes_at = Earlier(Earlier(snap->jwks_changes_at, c.expires_at), c.retires_at);
    if (c.custody == Custody::kManaged && c.activates_at && *c.activates_at > now) {
      next_activation = std::min(next_activation, *c.activates_at);
    }
    auto key = AsymmetricKey::FromPublicPem(c.algorithm, c.public_key_pem);
    if (!key.ok()) return DataLoss("stored public key does not parse");
    PublishedKey published{c, std::move(*key)};
    ASSIGN_OR_RETURN(JwkPublic jwk, published.key.Jwk());
    if (!snap->keys.empty()) jwks += ',';
    jwks += JwkJson(published, jwk);
    snap->keys.push_back(std::move(published));
  }
  jwks += "]}";
  snap->jwks_json = std::move(jwks);
  snap->etag = Etag(snap->jwks_json);
  snap->rebuild_at = std::min(snap->jwks_changes_at, next_activation);

  if (const Certificate* signer = CurrentSigner(certs, now)) {
    auto opened = OpenSigner(exec, envelope, *signer);
    if (opened.ok())
      snap->signer = std::move(*opened);
    else
      snap->signer_status = opened.status();
  } else {
    snap->signer_status = NoSigner();
  }
  return std::shared_ptr<const KeySnapshot>(std::move(snap));
}

Result<std::shared_ptr<const KeySnapshot>> KeySnapshotCache::Get(const std::string& account_id) {
  TimePoint now = clock_.Now();
  std::shared_ptr<const KeySnapshot> current;
  uint64_t generation;
  {
    std::lock_guard lock(mu_);
    generation = generation_;
    auto it = entries_.find(account_id);
    if (it != entries_.end()) {
      current = it->second.snapshot;
      bool recent = now - it->second.checked_at < check_interval_;
      if (now < current->rebuild_at && recent) return current;
    }
  }
  ASSIGN_OR_RETURN(int64_t version, CertificateStore::Version(db_, account_id));
  if (current && current->version == version && now < current->rebuild_at) {
    std::lock_guard lock(mu_);
    auto it = entries_.find(account_id);
    if (it != entries_.end() && it->second.snapshot == current) it->second.checked_at = now;
    return current;
  }
  if (version == 0) {
    // Unknown accounts are not cached, so random ids cannot grow the map.
    {
      std::lock_guard lock(mu_);
      entries_.erase(account_id);
    }
    auto empty = std::make_shared<KeySnapshot>();
    empty->account_id = account_id;
    empty->jwks_json = R"({"keys":[]})";
    empty->etag = Etag(empty->jwks_json);
    empty->signer_status = NoSigner();
    return std::shared_ptr<const KeySnapshot>(std::move(empty));
  }
  ASSIGN_OR_RETURN(auto built, Build(db_, envelope_, account_id, version, now));
  std::lock_guard lock(mu_);
  if (generation != generation_) return built;
  Entry& entry = entries_[account_id];
  if (!entry.snapshot || entry.snapshot->version <= version) entry = Entry{built, now};
  return built;
}

void KeySnapshotCache::Invalidate(const std::string& account_id) {
  std::lock_guard lock(mu_);
  ++generation_;
  entries_.erase(account_id);
}

}  // namespace latchkey
