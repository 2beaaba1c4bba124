#include "api/request_head.h"

#include <strings.h>

#include <algorithm>

namespace latchkey {
namespace {

bool IsTokenChar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

HeadCheck Error(int status, std::string code, std::string message) {
  HeadCheck h;
  h.kind = HeadCheck::Kind::kError;
  h.status = status;
  h.code = std::move(code);
  h.message = std::move(message);
  return h;
}

HeadCheck Bad(std::string message) { return Error(400, "BAD_REQUEST", std::move(message)); }

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string_view TrimOws(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

// "http://host:port/p?q" -> "/p?q" ("/" when the path is empty); nullopt
// when `target` is not an http(s) URL with an authority.
std::optional<std::string_view> OriginFormOf(std::string_view target) {
  size_t colon = target.find("://");
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view scheme = target.substr(0, colon);
  if (!EqualsNoCase(scheme, "http") && !EqualsNoCase(scheme, "https")) return std::nullopt;
  std::string_view rest = target.substr(colon + 3);
  size_t end = rest.find_first_of("/?");
  if (end == 0) return std::nullopt;  // no authority
  if (end == std::string_view::npos) return std::string_view("/");
  return rest.substr(end);
}

// Checks the request line (without CRLF).
bool CheckRequestLine(std::string_view line, HeadCheck* out, std::string* why) {
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos ||
      line.find(' ', sp2 + 1) != std::string_view::npos) {
    *why = "malformed request line";
    return false;
  }
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  static const char* kMethods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"};
  if (std::none_of(std::begin(kMethods), std::end(kMethods),
                   [&](const char* m) { return method == m; })) {
    *why = "unsupported request method";
    return false;
  }
  for (unsigned char c : target) {
    if (c <= 0x20 || c >= 0x7f) {
      *why = "request target contains invalid characters";
      return false;
    }
  }
  if (!target.empty() && target[0] != '/') {
    auto origin = OriginFormOf(target);
    if (!origin) {
      *why = "request target must be a path or an absolute http(s) URL";
      return false;
    }
    target = *origin;
  }
  if (target.empty() || target[0] != '/') {
    *why = "request target must be an absolute path";
    return false;
  }
  out->target = std::string(target);
  if (version == "HTTP/1.1") {
    out->http10 = false;
  } else if (version == "HTTP/1.0") {
    out->http10 = true;
  } else {
    *why = "unsupported HTTP version";
    return false;
  }
  out->method = std::string(method);
  return true;
}

// What the header lines said so far; each step returns an error, if any.
struct HeadState {
  HeadCheck result;
  bool saw_host = false;
  std::optional<size_t> content_length;
  bool saw_te = false;
  std::optional<bool> connection_close, connection_keep_alive;

  std::optional<HeadCheck> RequestLine(std::string_view line, const HeadLimits& limits) {
    auto too_long = [&] {
      return Error(414, "URI_TOO_LONG",
                   "request target exceeds " + std::to_string(limits.max_target_bytes) + " bytes");
    };
    if (line.size() > limits.max_target_bytes + 32) return too_long();
    std::string why;
    if (!CheckRequestLine(line, &result, &why)) return Bad(why);
    if (result.target.size() > limits.max_target_bytes) return too_long();
    return std::nullopt;
  }

  std::optional<HeadCheck> HeaderLine(std::string_view line, const HeadLimits& limits) {
    if (line[0] == ' ' || line[0] == '\t') return Bad("obsolete header line folding");
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return Bad("malformed header line");
    std::string_view name = line.substr(0, colon);
    for (unsigned char c : name) {
      if (!IsTokenChar(c)) return Bad("malformed header name");
    }
    std::string_view value = TrimOws(line.substr(colon + 1));
    for (unsigned char c : value) {
      if ((c < 0x20 && c != '\t') || c == 0x7f) return Bad("control character in a header value");
    }
    if (result.headers.size() >= limits.max_headers) {
      return Error(431, "HEADERS_TOO_LARGE",
                   "request has more than " + std::to_string(limits.max_headers) + " headers");
    }
    result.headers.emplace_back(std::string(name), std::string(value));
    return Note(name, value);
  }

  // The headers that shape how the request is read.
  std::optional<HeadCheck> Note(std::string_view name, std::string_view value) {
    if (EqualsNoCase(name, "host")) {
      if (saw_host) return Bad("repeated Host header");
      saw_host = true;
    } else if (EqualsNoCase(name, "content-length")) {
      if (value.empty() || value.size() > 18 ||
          value.find_first_not_of("0123456789") != std::string_view::npos) {
        return Bad("invalid Content-Length");
      }
      size_t n = std::stoull(std::string(value));
      if (content_length && *content_length != n) return Bad("conflicting Content-Length headers");
      content_length = n;
    } else if (EqualsNoCase(name, "transfer-encoding")) {
      if (saw_te || !EqualsNoCase(value, "chunked")) {
        return Error(501, "NOT_IMPLEMENTED", "only Transfer-Encoding: chunked is supported");
      }
      saw_te = true;
    } else if (EqualsNoCase(name, "connection")) {
      NoteConnection(value);
    } else if (EqualsNoCase(name, "expect")) {
      if (!EqualsNoCase(value, "100-continue")) {
        return Error(417, "EXPECTATION_FAILED", "only Expect: 100-continue is supported");
      }
      result.expect_continue = true;
    }
    return std::nullopt;
  }

  void NoteConnection(std::string_view value) {
    while (!value.empty()) {
      size_t comma = value.find(',');
      std::string_view token = TrimOws(value.substr(0, comma));
      if (EqualsNoCase(token, "close")) connection_close = true;
      if (EqualsNoCase(token, "keep-alive")) connection_keep_alive = true;
      value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
    }
  }

  // The head ended (its blank line) at `head_length`.
  HeadCheck Finish(size_t head_length, const HeadLimits& limits) {
    if (!result.http10 && !saw_host) return Bad("missing Host header");
    if (saw_te && content_length) return Bad("both Content-Length and Transfer-Encoding");
    if (content_length && *content_length > limits.max_body_bytes) {
      return Error(413, "PAYLOAD_TOO_LARGE",
                   "request body exceeds " + std::to_string(limits.max_body_bytes) + " bytes");
    }
    if (saw_te && result.http10) return Bad("chunked encoding requires HTTP/1.1");
    result.kind = HeadCheck::Kind::kComplete;
    result.head_length = head_length;
    result.chunked = saw_te;
    result.content_length = content_length.value_or(0);
    result.keep_alive =
        result.http10 ? connection_keep_alive.value_or(false) : !connection_close.value_or(false);
    if (connection_close.value_or(false)) result.keep_alive = false;
    return result;
  }
};

// The last, unterminated line: an error already, or incomplete.
HeadCheck CheckPartialLine(std::string_view data, std::string_view partial,
                           const HeadLimits& limits) {
  for (unsigned char c : partial) {
    if ((c < 0x20 && c != '\r' && c != '\t') || c == 0x7f) {
      return Bad("request contains control characters");
    }
  }
  if (!partial.empty() && partial.back() != '\r' && partial.find('\r') != std::string_view::npos) {
    return Bad("bare CR in request head");
  }
  if (data.size() > limits.max_head_bytes) {
    return Error(431, "HEADERS_TOO_LARGE", "request head exceeds the size limit");
  }
  return HeadCheck{};  // incomplete
}

}  // namespace

HeadCheck CheckRequestHead(std::string_view data, const HeadLimits& limits) {
  HeadState state;
  size_t pos = 0;
  bool first = true;
  while (true) {
    size_t eol = data.find('\n', pos);
    if (eol == std::string_view::npos) return CheckPartialLine(data, data.substr(pos), limits);
    if (eol == pos || data[eol - 1] != '\r') return Bad("lines must end with CRLF");
    if (eol + 1 > limits.max_head_bytes) {
      return Error(431, "HEADERS_TOO_LARGE", "request head exceeds the size limit");
    }
    std::string_view line = data.substr(pos, eol - 1 - pos);
    pos = eol + 1;
    if (line.find('\r') != std::string_view::npos) return Bad("bare CR in request head");
    if (first) {
      first = false;
      if (auto error = state.RequestLine(line, limits)) return *error;
      continue;
    }
    if (line.empty()) return state.Finish(pos, limits);  // end of the header section
    if (auto error = state.HeaderLine(line, limits)) return *error;
  }
}

}  // namespace latchkey
