// Certificates of the calling account: create, list, read, revoke, delete,
// the rotation policy and rotation.
#include "api/app.h"
#include "api/json_body.h"
#include "api/json_views.h"
#include "api/pagination.h"
#include "api/responses.h"
#include "api/schemas/certificates.h"
#include "services/accounts/scopes.h"

namespace latchkey {
namespace {

Result<KeyAlgorithm> AlgorithmField(const JsonBody& body) {
  ASSIGN_OR_RETURN(auto name, body.OptionalString("algorithm"));
  if (!name) return KeyAlgorithm::kRs256;
  return ParseAlgorithm(*name);
}

// keySize applies to RSA only; ES256 keys are always P-256.
Result<int> KeySizeField(const JsonBody& body, KeyAlgorithm alg) {
  if (alg == KeyAlgorithm::kEs256) {
    if (body.Has("keySize") && !body.json()["keySize"].is_null()) {
      return InvalidArgument("keySize applies to RS256 only (ES256 keys are P-256)");
    }
    return 256;
  }
  ASSIGN_OR_RETURN(auto size, body.OptionalInt("keySize", 0, 1 << 16, "bits"));
  int bits = static_cast<int>(size.value_or(2048));
  if (bits != 2048 && bits != 3072 && bits != 4096) {
    return InvalidArgument("keySize must be 2048, 3072 or 4096");
  }
  return bits;
}

Result<NewCertificate> ParseNewCertificate(const std::string& text) {
  ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(text, {"name", "algorithm", "keySize",
                                                         "expiresAt", "metadata", "custody"}));
  NewCertificate request;
  ASSIGN_OR_RETURN(request.name, body.RequiredString("name"));
  ASSIGN_OR_RETURN(request.algorithm, AlgorithmField(body));
  ASSIGN_OR_RETURN(request.key_size, KeySizeField(body, request.algorithm));
  ASSIGN_OR_RETURN(request.expires_at, body.OptionalTime("expiresAt"));
  ASSIGN_OR_RETURN(request.metadata, body.OptionalStringMap("metadata"));
  ASSIGN_OR_RETURN(auto custody, body.OptionalString("custody"));
  if (custody && *custody != "exported" && *custody != "managed") {
    return InvalidArgument("custody must be 'exported' or 'managed'");
  }
  request.custody = custody && *custody == "managed" ? Custody::kManaged : Custody::kExported;
  return request;
}

// ?status=active&metadata.team=payments; any other parameter is refused.
Result<CertificateFilter> ParseFilter(const HttpRequest& request) {
  CertificateFilter filter;
  for (const auto& [name, value] : request.query) {
    if (name == "status") {
      if (value == "active")
        filter.status = CertificateStatus::kActive;
      else if (value == "revoked")
        filter.status = CertificateStatus::kRevoked;
      else if (value == "expired")
        filter.status = CertificateStatus::kExpired;
      else
        return InvalidArgument("status must be active, revoked or expired");
    } else if (name.rfind("metadata.", 0) == 0 && name.size() > 9) {
      filter.metadata[name.substr(9)] = value;
    } else if (name == "limit" || name == "cursor") {
      continue;  // paging: ParsePageRequest
    } else {
      return InvalidArgument("unknown query parameter '" + name + "'");
    }
  }
  return filter;
}

Result<RotationPolicyInput> ParsePolicy(const std::string& text) {
  ASSIGN_OR_RETURN(JsonBody body,
                   JsonBody::Parse(text, {"rotationPeriod", "overlap", "algorithm", "keySize"}));
  RotationPolicyInput input;
  ASSIGN_OR_RETURN(input.rotation_period,
                   body.RequiredInt("rotationPeriod", 1, INT32_MAX, "seconds"));
  ASSIGN_OR_RETURN(input.overlap, body.RequiredInt("overlap", 1, INT32_MAX, "seconds"));
  ASSIGN_OR_RETURN(input.algorithm, AlgorithmField(body));
  ASSIGN_OR_RETURN(input.key_size, KeySizeField(body, input.algorithm));
  return input;
}

// A certificate with its health: expiring_soon within 7 days of expiry,
// unhealthy once revoked or expired, healthy otherwise.
nlohmann::json WithHealth(const Certificate& c, TimePoint now) {
  Health h;
  h.status = HealthStatus::kHealthy;
  if (c.status != CertificateStatus::kActive) {
    h.status = HealthStatus::kUnhealthy;
    h.last_error = c.status == CertificateStatus::kRevoked ? "revoked" : "expired";
  } else if (c.expires_at && *c.expires_at - now <= std::chrono::hours(24 * 7)) {
    h.status = HealthStatus::kExpiringSoon;
  }
  nlohmann::json out = ToJson(c);
  out["health"] = ToJson(h);
  return out;
}

Result<HttpResponse> CreateCertificate(const CertificateRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(NewCertificate request, ParseNewCertificate(ctx.request.body));
  ASSIGN_OR_RETURN(CreatedCertificate created,
                   d.certificates.Create(ctx.account_id(), request, ctx.audit));
  nlohmann::json out = WithHealth(created.certificate, d.clock.Now());
  if (created.private_key_pem) out["privateKey"] = *created.private_key_pem;
  return JsonResponse(201, out);
}

Result<HttpResponse> ListCertificates(const CertificateRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(CertificateFilter filter, ParseFilter(ctx.request));
  ASSIGN_OR_RETURN(PageRequest page, ParsePageRequest(ctx.request));
  ASSIGN_OR_RETURN(auto certs, d.certificates.List(ctx.account_id(), filter));
  // Newest first by creation order within the account.
  auto key = [](const Certificate& c) { return PageKey{c.seq, c.id}; };
  std::optional<PageKey> next;
  TimePoint now = d.clock.Now();
  nlohmann::json list = nlohmann::json::array();
  for (const auto& c : Paginate(std::move(certs), page, key, NewerFirst, &next)) {
    list.push_back(WithHealth(c, now));
  }
  return JsonResponse(200, ListBody(page, std::move(list), next));
}

Result<HttpResponse> ActiveCertificate(const CertificateRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(Certificate cert, d.certificates.Active(ctx.account_id()));
  return JsonResponse(200, WithHealth(cert, d.clock.Now()));
}

Result<HttpResponse> GetCertificate(const CertificateRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(Certificate cert, d.certificates.Get(ctx.account_id(), ctx.param("id")));
  return JsonResponse(200, WithHealth(cert, d.clock.Now()));
}

Result<HttpResponse> RevokeCertificate(const CertificateRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(Certificate cert,
                   d.certificates.Revoke(ctx.account_id(), ctx.param("id"), ctx.audit));
  return JsonResponse(200, WithHealth(cert, d.clock.Now()));
}

Result<HttpResponse> DeleteCertificate(const CertificateRouteDeps& d, RequestContext& ctx) {
  const std::string& id = ctx.param("id");
  RETURN_IF_ERROR(d.certificates.Delete(ctx.account_id(), id, ctx.audit));
  return JsonResponse(200, {{"id", id}, {"deleted", true}});
}

Result<HttpResponse> PutRotationPolicy(const CertificateRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(RotationPolicyInput input, ParsePolicy(ctx.request.body));
  ASSIGN_OR_RETURN(RotationPolicy policy,
                   d.certificates.PutPolicy(ctx.account_id(), input, ctx.audit));
  return JsonResponse(200, ToJson(policy));
}

Result<HttpResponse> GetRotationPolicy(const CertificateRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(RotationPolicy policy, d.certificates.GetPolicy(ctx.account_id()));
  return JsonResponse(200, ToJson(policy));
}

Result<HttpResponse> RotateNow(const CertificateRouteDeps& d, RequestContext& ctx) {
  if (!ctx.request.body.empty() && ctx.request.body != "{}") {
    return InvalidArgument("rotate takes no request body");
  }
  ASSIGN_OR_RETURN(Certificate next, d.certificates.Rotate(ctx.account_id(), ctx.audit));
  return JsonResponse(201, WithHealth(next, d.clock.Now()));
}

constexpr const char* kRead = scopes::kCertificatesRead;
constexpr const char* kWrite = scopes::kCertificatesWrite;

const RouteRow<CertificateRouteDeps> kCertificateRoutes[] = {
    {{"POST", "/certificates", AuthKind::kApiKey, kWrite, kBlocking, CreateCertificate},
     {"Create a key pair (an exported private key is shown once)", "certificates",
      schemas::kCreateCertificateRequest, schemas::kCreatedCertificate, 201}},
    {{"GET", "/certificates", AuthKind::kApiKey, kRead, kBlocking, ListCertificates},
     {"List the account's certificates, newest first (no private keys)",
      "certificates",
      "",
      schemas::kCertificateList,
      200,
      {"status", "metadata.KEY"}}},
    {{"GET", "/certificates/active", AuthKind::kApiKey, kRead, kBlocking, ActiveCertificate},
     {"The most recently created certificate in effect", "certificates", "",
      schemas::kCertificate}},
    {{"GET", "/certificates/{id}", AuthKind::kApiKey, kRead, kBlocking, GetCertificate},
     {"Read a certificate", "certificates", "", schemas::kCertificate}},
    {{"POST", "/certificates/{id}/revoke", AuthKind::kApiKey, kWrite, kBlocking, RevokeCertificate},
     {"Revoke a certificate: it leaves the JWKS and stops signing at once", "certificates", "",
      schemas::kCertificate}},
    {{"DELETE", "/certificates/{id}", AuthKind::kApiKey, kWrite, kBlocking, DeleteCertificate},
     {"Delete a revoked or expired certificate", "certificates", "", schemas::kDeletedCertificate}},
    {{"PUT", "/certificates/rotation-policy", AuthKind::kApiKey, kWrite, kBlocking,
      PutRotationPolicy},
     {"Set the managed-key rotation policy (creates the first managed key if needed)",
      "certificates",
      schemas::kPutRotationPolicyRequest,
      schemas::kRotationPolicy,
      200,
      {},
      kConditional}},
    {{"GET", "/certificates/rotation-policy", AuthKind::kApiKey, kRead, kBlocking,
      GetRotationPolicy},
     {"Read the rotation policy",
      "certificates",
      "",
      schemas::kRotationPolicy,
      200,
      {},
      kConditional}},
    {{"POST", "/certificates/rotate", AuthKind::kApiKey, kWrite, kBlocking, RotateNow},
     {"Publish a new managed key now; it signs after the JWKS max-age", "certificates", "",
      schemas::kCreatedCertificate, 201}},
};

}  // namespace

void AddCertificateRoutes(Router& router, const CertificateRouteDeps& deps) {
  AddRoutes(router, deps, kCertificateRoutes);
}

}  // namespace latchkey
