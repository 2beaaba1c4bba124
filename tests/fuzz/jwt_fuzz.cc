// Fuzzes JWT reading: DecodeJws on raw tokens, and TokenService::Verify
// (the /tokens/verify path) on raw tokens and on tokens that carry a valid
// signature by the account's key over fuzzed header and claims, so the
// claim checks after the signature are reached. A token TokenService::Sign
// issues for fuzzed claims must verify.
//
// Input: a mode byte, then
//   mode 0: the token;
//   mode 1: header JSON line, payload JSON line, audience line (empty:
//           none), signed with the real key; "@kid" and "@iss" in the lines
//           become the key's kid and the issuer; flags bit 4 corrupts the
//           signature;
//   mode 2: claims JSON line, audience JSON line (empty: none), subject line,
//           then a byte for expiresIn (0: default), for TokenService::Sign.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/crypto.h"
#include "common/json_text.h"
#include "services/certificates/jws.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/fuzz_world.h"

namespace latchkey::fuzz {
namespace {

using json = nlohmann::json;

struct JwtWorld : CertificatesWorld {
  std::string issuer = "https://lk.test/accounts/" + account_id;
  std::string kid;
  JwtWorld() {
    NewCertificate n;
    n.name = "fuzz";
    n.algorithm = KeyAlgorithm::kEs256;
    n.key_size = 256;
    n.custody = Custody::kManaged;
    auto created = certs.Create(account_id, n, ctx);
    Require(created.ok(), "certificate");
    kid = created->certificate.kid;
  }
};

JwtWorld& World() {
  static JwtWorld* world = new JwtWorld();  // lives until exit
  return *world;
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

void CheckBase64(std::string_view text) {
  Check(*Base64UrlDecode(Base64UrlEncode(text)) == ToBytes(text), "base64url round trip");
  Check(*Base64Decode(Base64Encode(text)) == ToBytes(text), "base64 round trip");
  auto url = Base64UrlDecode(text);
  if (url.ok()) (void)Base64UrlEncode(AsView(*url));
  auto std = Base64Decode(text);
  if (std.ok()) (void)Base64Encode(AsView(*std));
}

void RawToken(JwtWorld& w, std::string_view token) {
  CheckBase64(token);
  auto decoded = DecodeJws(token);
  if (decoded.ok()) {
    Check(decoded->header.is_object() && decoded->payload.is_object(), "decoded non-objects");
    Check(token.substr(0, decoded->signing_input.size()) == decoded->signing_input,
          "signing input is not the token's prefix");
  }
  auto v = w.tokens.Verify(w.account_id, w.issuer, token, std::nullopt);
  Check(v.ok(), "Verify failed on storage for a raw token");
  if (v->valid) Check(decoded.ok(), "Verify accepted a token DecodeJws refuses");
}

void SignedByKey(JwtWorld& w, FuzzInput& in, bool corrupt) {
  std::string header = Replace(in.Field(), "@kid", w.kid);
  std::string payload = Replace(Replace(in.Field(), "@iss", w.issuer), "@kid", w.kid);
  std::string audience = in.Field();
  auto snap = w.certs.Snapshot(w.account_id);
  Check(snap.ok() && (*snap)->signer.has_value(), "no signer");
  std::string input = Base64UrlEncode(header) + "." + Base64UrlEncode(payload);
  auto sig = (*snap)->signer->key.Sign(input);
  Check(sig.ok(), "sign failed");
  if (corrupt && !sig->empty()) (*sig)[sig->size() / 2] ^= 1;
  std::string token = input + "." + Base64UrlEncode(AsView(*sig));
  auto v = w.tokens.Verify(w.account_id, w.issuer, token,
                           audience.empty() ? std::nullopt : std::optional(audience));
  Check(v.ok(), "Verify failed on storage");
  if (!v->valid) return;
  Check(!corrupt, "Verify accepted a corrupted signature");
  Check(v->kid == w.kid && v->algorithm == "ES256", "valid with another kid or algorithm");
  Check(v->claims == json::parse(payload), "claims differ from the signed payload");
  Check(v->claims.contains("iss") && v->claims["iss"] == w.issuer, "valid with another issuer");
}

std::optional<json> ParseJson(const std::string& text) {
  if (text.empty() || !JsonNestingWithin(text)) return std::nullopt;
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

void SignThenVerify(JwtWorld& w, FuzzInput& in) {
  TokenRequest r;
  auto claims = ParseJson(in.Field());
  if (!claims) return;
  r.claims = *claims;
  r.audience = ParseJson(in.Field());
  std::string subject = in.Field();
  if (!subject.empty()) r.subject = subject;
  if (uint8_t e = in.Byte()) r.expires_in = e * 30 - 600;
  auto signed_token = w.tokens.Sign(w.account_id, w.issuer, r);
  if (!signed_token.ok()) return;
  // The audience the token was made for, if any.
  std::optional<std::string> audience;
  const json* aud = r.audience                 ? &*r.audience
                    : r.claims.contains("aud") ? &r.claims["aud"]
                                               : nullptr;
  if (aud && aud->is_string()) audience = aud->get<std::string>();
  if (aud && aud->is_array() && !aud->empty() && (*aud)[0].is_string()) {
    audience = (*aud)[0].get<std::string>();
  }
  auto v = w.tokens.Verify(w.account_id, w.issuer, signed_token->token, audience);
  Check(v.ok(), "Verify failed on storage");
  if (!v->valid) {
    std::fprintf(stderr, "reason: %s\ntoken: %s\n", v->reason.c_str(), signed_token->token.c_str());
    Fail("a token TokenService::Sign issued does not verify");
  }
}

}  // namespace
}  // namespace latchkey::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace latchkey::fuzz;
  JwtWorld& w = World();
  FuzzInput in(data, size);
  uint8_t mode = in.Byte();
  switch (mode % 3) {
    case 0:
      RawToken(w, in.rest());
      break;
    case 1:
      SignedByKey(w, in, mode & 16);
      break;
    case 2:
      SignThenVerify(w, in);
      break;
  }
  return 0;
}
