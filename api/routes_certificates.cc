// Certificates of the calling account: create, list, read, revoke, delete,
// the rotation policy and rotation.
#include "api/app.h"
#include "api/json_body.h"
#include "api/json_views.h"
#include "api/responses.h"
#include "services/accounts/scopes.h"

namespace latchkey {
namespace {

constexpr char kCertificateRef[] = R"({"$ref":"#/components/schemas/Certificate"})";
constexpr char kPolicyRef[] = R"({"$ref":"#/components/schemas/RotationPolicy"})";

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
  ASSIGN_OR_RETURN(auto size, body.OptionalInt("keySize", 0, 1 << 16));
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
  ASSIGN_OR_RETURN(input.rotation_period, body.RequiredInt("rotationPeriod", 1, INT32_MAX));
  ASSIGN_OR_RETURN(input.overlap, body.RequiredInt("overlap", 1, INT32_MAX));
  ASSIGN_OR_RETURN(input.algorithm, AlgorithmField(body));
  ASSIGN_OR_RETURN(input.key_size, KeySizeField(body, input.algorithm));
  return input;
}

nlohmann::json CertificateList(const std::vector<Certificate>& certs) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& c : certs) list.push_back(ToJson(c));
  return {{"certificates", list}};
}

}  // namespace

void AddCertificateRoutes(Router& router, AppServices& s) {
  router.Add({"POST",
              "/certificates",
              AuthKind::kApiKey,
              scopes::kCertificatesWrite,
              [&s](RequestContext& ctx) -> Result<HttpResponse> {
                ASSIGN_OR_RETURN(NewCertificate request, ParseNewCertificate(ctx.request.body));
                ASSIGN_OR_RETURN(CreatedCertificate created,
                                 s.certificates.Create(ctx.account_id(), request, ctx.audit));
                nlohmann::json out = ToJson(created.certificate);
                if (created.private_key_pem) out["privateKey"] = *created.private_key_pem;
                return JsonResponse(201, out);
              },
              {"Create a key pair (an exported private key is shown once)", "certificates",
               R"({"type":"object","required":["name"],"properties":{"name":{"type":"string"},
                 "algorithm":{"enum":["RS256","ES256"]},"keySize":{"enum":[2048,3072,4096]},
                 "expiresAt":{"type":"string","format":"date-time"},
                 "metadata":{"type":"object","additionalProperties":{"type":"string"}},
                 "custody":{"enum":["exported","managed"]}}})",
               R"({"$ref":"#/components/schemas/CreatedCertificate"})", 201}});

  router.Add(
      {"GET",
       "/certificates",
       AuthKind::kApiKey,
       scopes::kCertificatesRead,
       [&s](RequestContext& ctx) -> Result<HttpResponse> {
         ASSIGN_OR_RETURN(CertificateFilter filter, ParseFilter(ctx.request));
         ASSIGN_OR_RETURN(auto certs, s.certificates.List(ctx.account_id(), filter));
         return JsonResponse(200, CertificateList(certs));
       },
       {"List the account's certificates, newest first (no private keys)",
        "certificates",
        "",
        R"({"type":"object","properties":{"certificates":{"type":"array","items":{"$ref":"#/components/schemas/Certificate"}}}})",
        200,
        {"status", "metadata.KEY"}}});

  router.Add(
      {"GET",
       "/certificates/active",
       AuthKind::kApiKey,
       scopes::kCertificatesRead,
       [&s](RequestContext& ctx) -> Result<HttpResponse> {
         ASSIGN_OR_RETURN(Certificate cert, s.certificates.Active(ctx.account_id()));
         return JsonResponse(200, ToJson(cert));
       },
       {"The most recently created certificate in effect", "certificates", "", kCertificateRef}});

  router.Add({"GET",
              "/certificates/{id}",
              AuthKind::kApiKey,
              scopes::kCertificatesRead,
              [&s](RequestContext& ctx) -> Result<HttpResponse> {
                ASSIGN_OR_RETURN(Certificate cert,
                                 s.certificates.Get(ctx.account_id(), ctx.param("id")));
                return JsonResponse(200, ToJson(cert));
              },
              {"Read a certificate", "certificates", "", kCertificateRef}});

  router.Add({"POST",
              "/certificates/{id}/revoke",
              AuthKind::kApiKey,
              scopes::kCertificatesWrite,
              [&s](RequestContext& ctx) -> Result<HttpResponse> {
                ASSIGN_OR_RETURN(
                    Certificate cert,
                    s.certificates.Revoke(ctx.account_id(), ctx.param("id"), ctx.audit));
                return JsonResponse(200, ToJson(cert));
              },
              {"Revoke a certificate: it leaves the JWKS and stops signing at once", "certificates",
               "", kCertificateRef}});

  router.Add(
      {"DELETE",
       "/certificates/{id}",
       AuthKind::kApiKey,
       scopes::kCertificatesWrite,
       [&s](RequestContext& ctx) -> Result<HttpResponse> {
         const std::string& id = ctx.param("id");
         RETURN_IF_ERROR(s.certificates.Delete(ctx.account_id(), id, ctx.audit));
         return JsonResponse(200, {{"id", id}, {"deleted", true}});
       },
       {"Delete a revoked or expired certificate", "certificates", "",
        R"({"type":"object","properties":{"id":{"type":"string"},"deleted":{"type":"boolean"}}})"}});

  router.Add({"PUT",
              "/certificates/rotation-policy",
              AuthKind::kApiKey,
              scopes::kCertificatesWrite,
              [&s](RequestContext& ctx) -> Result<HttpResponse> {
                ASSIGN_OR_RETURN(RotationPolicyInput input, ParsePolicy(ctx.request.body));
                ASSIGN_OR_RETURN(RotationPolicy policy,
                                 s.certificates.PutPolicy(ctx.account_id(), input, ctx.audit));
                return JsonResponse(200, ToJson(policy));
              },
              {"Set the managed-key rotation policy (creates the first managed key if needed)",
               "certificates",
               R"({"type":"object","required":["rotationPeriod","overlap"],"properties":{
                 "rotationPeriod":{"type":"integer","description":"seconds"},
                 "overlap":{"type":"integer","description":"seconds; at least the longest token lifetime"},
                 "algorithm":{"enum":["RS256","ES256"]},"keySize":{"enum":[2048,3072,4096]}}})",
               kPolicyRef}});

  router.Add({"GET",
              "/certificates/rotation-policy",
              AuthKind::kApiKey,
              scopes::kCertificatesRead,
              [&s](RequestContext& ctx) -> Result<HttpResponse> {
                ASSIGN_OR_RETURN(RotationPolicy policy, s.certificates.GetPolicy(ctx.account_id()));
                return JsonResponse(200, ToJson(policy));
              },
              {"Read the rotation policy", "certificates", "", kPolicyRef}});

  router.Add({"POST",
              "/certificates/rotate",
              AuthKind::kApiKey,
              scopes::kCertificatesWrite,
              [&s](RequestContext& ctx) -> Result<HttpResponse> {
                if (!ctx.request.body.empty() && ctx.request.body != "{}") {
                  return InvalidArgument("rotate takes no request body");
                }
                ASSIGN_OR_RETURN(Certificate next,
                                 s.certificates.Rotate(ctx.account_id(), ctx.audit));
                return JsonResponse(201, ToJson(next));
              },
              {"Publish a new managed key now; it signs after the JWKS max-age", "certificates", "",
               kCertificateRef, 201}});
}

}  // namespace latchkey
