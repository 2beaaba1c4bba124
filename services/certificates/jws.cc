#include "services/certificates/jws.h"

#include "common/json_text.h"

namespace latchkey {
namespace {

// Canonical unpadded base64url only: a second spelling of the same bytes
// would let one signature stand for two different token strings.
Result<Bytes> DecodeSegment(std::string_view segment) {
  if (segment.empty() || segment.find('=') != std::string_view::npos) {
    return InvalidArgument("malformed token");
  }
  auto bytes = Base64UrlDecode(segment);
  if (!bytes.ok() || Base64UrlEncode(AsView(*bytes)) != segment) {
    return InvalidArgument("malformed token");
  }
  return std::move(*bytes);
}

Result<nlohmann::json> DecodeObject(std::string_view segment) {
  ASSIGN_OR_RETURN(Bytes raw, DecodeSegment(segment));
  std::string_view text(reinterpret_cast<const char*>(raw.data()), raw.size());
  if (!JsonNestingWithin(text) || HasNulByte(text)) return InvalidArgument("malformed token");
  auto json = nlohmann::json::parse(raw.begin(), raw.end(), nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return InvalidArgument("malformed token");
  return json;
}

}  // namespace

Result<std::string> EncodeJws(const AsymmetricKey& key, std::string_view kid,
                              const nlohmann::json& payload) {
  std::string header = R"({"alg":")" + std::string(AlgorithmName(key.algorithm())) + R"(","kid":)" +
                       nlohmann::json(std::string(kid)).dump() + R"(,"typ":"JWT"})";
  std::string input =
      Base64UrlEncode(header) + "." +
      Base64UrlEncode(payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  ASSIGN_OR_RETURN(Bytes signature, key.Sign(input));
  return input + "." + Base64UrlEncode(AsView(signature));
}

Result<DecodedJws> DecodeJws(std::string_view token) {
  if (token.empty() || token.size() > kMaxTokenBytes) return InvalidArgument("malformed token");
  size_t first = token.find('.');
  size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return InvalidArgument("malformed token");
  }
  DecodedJws out;
  ASSIGN_OR_RETURN(out.header, DecodeObject(token.substr(0, first)));
  ASSIGN_OR_RETURN(out.payload, DecodeObject(token.substr(first + 1, second - first - 1)));
  ASSIGN_OR_RETURN(out.signature, DecodeSegment(token.substr(second + 1)));
  out.signing_input = std::string(token.substr(0, second));
  return out;
}

}  // namespace latchkey
