#include "common/url.h"

#include <curl/curl.h>

#include <cstdlib>
#include <memory>

#include "common/crypto.h"
#include "common/hosts.h"

namespace latchkey {
namespace {

// A libcurl URL handle holding a parsed URL; every call's result is checked.
class CurlUrl {
 public:
  // nullopt if libcurl has no memory or rejects `url`.
  static std::optional<CurlUrl> Parse(const std::string& url) {
    CurlUrl u;
    if (!u.u_ || curl_url_set(u.u_.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
      return std::nullopt;
    }
    return u;
  }
  // nullopt when the part is absent (or libcurl fails).
  std::optional<std::string> Get(CURLUPart part, unsigned flags = 0) const {
    char* out = nullptr;
    if (curl_url_get(u_.get(), part, &out, flags) != CURLUE_OK || !out) return std::nullopt;
    std::string s(out);
    curl_free(out);
    return s;
  }
  // `query` must be encoded already: libcurl is told not to encode again.
  bool AppendQuery(const std::string& query) {
    return curl_url_set(u_.get(), CURLUPART_QUERY, query.c_str(), CURLU_APPENDQUERY) == CURLUE_OK;
  }

 private:
  struct Deleter {
    void operator()(CURLU* u) const { curl_url_cleanup(u); }
  };
  CurlUrl() : u_(curl_url()) {}
  std::unique_ptr<CURLU, Deleter> u_;
};

std::optional<std::string> HostOf(const CurlUrl& u) {
  std::string host = u.Get(CURLUPART_HOST).value_or("");
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return NormalizeHost(host);
}

std::optional<int> PortOf(const CurlUrl& u) {
  std::string text = u.Get(CURLUPART_PORT, CURLU_DEFAULT_PORT).value_or("0");
  char* end = nullptr;
  long port = std::strtol(text.c_str(), &end, 10);
  if (!end || *end != '\0' || port < 1 || port > 65535) return std::nullopt;
  return static_cast<int>(port);
}

}  // namespace

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int hi = hex(text[i + 1]), lo = hex(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      char decoded = static_cast<char>(hi * 16 + lo);
      if (decoded == '\0') return std::nullopt;
      out += decoded;
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormEncode(const FormFields& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += PercentEncode(name);
    out += '=';
    out += PercentEncode(value);
  }
  return out;
}

std::optional<FormFields> FormDecode(std::string_view text) {
  FormFields out;
  while (!text.empty()) {
    size_t amp = text.find('&');
    std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    auto name = PercentDecode(pair.substr(0, eq), true);
    auto value = PercentDecode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
    if (!name || !value) return std::nullopt;
    out.emplace_back(std::move(*name), std::move(*value));
  }
  return out;
}

std::string AppendQuery(std::string url, const FormFields& fields) {
  if (fields.empty()) return url;
  url += url.find('?') == std::string::npos ? '?' : '&';
  url += FormEncode(fields);
  return url;
}

Result<HttpUrl> ParseHttpUrl(std::string_view url, std::string_view name, size_t max_length) {
  std::string prefix(name);
  auto bad = [&] { return InvalidArgument(prefix + " must be an absolute http(s) URL"); };
  if (url.empty() || url.size() > max_length) return bad();
  for (unsigned char c : url) {
    if (c <= 0x20 || c == 0x7f) return bad();
  }
  std::optional<CurlUrl> u = CurlUrl::Parse(std::string(url));
  if (!u) return bad();
  HttpUrl out;
  out.scheme = u->Get(CURLUPART_SCHEME).value_or("");
  if (out.scheme != "https" && out.scheme != "http") return bad();
  if (u->Get(CURLUPART_USER) || u->Get(CURLUPART_PASSWORD)) {
    return InvalidArgument(prefix + " must not carry a user name or password");
  }
  std::optional<std::string> host = HostOf(*u);
  if (!host) return InvalidArgument(prefix + " has an invalid host");
  out.host = std::move(*host);
  std::optional<int> port = PortOf(*u);
  if (!port) return InvalidArgument(prefix + " has an invalid port");
  out.port = *port;
  out.path = u->Get(CURLUPART_PATH).value_or("/");
  return out;
}

Result<std::string> AppendQueryToHttpUrl(const std::string& url, const FormFields& fields) {
  if (fields.empty()) return url;
  std::optional<CurlUrl> u = CurlUrl::Parse(url);
  if (!u) return Internal("the URL could not be re-read");
  std::string query = FormEncode(fields);
  bool appended = u->AppendQuery(query);
  SecureWipe(query.data(), query.size());
  if (!appended) return Internal("the query parameters could not be added");
  std::optional<std::string> out = u->Get(CURLUPART_URL);
  if (!out) return Internal("the URL could not be rebuilt");
  return std::move(*out);
}

}  // namespace latchkey
