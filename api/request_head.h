// CheckRequestHead: a strict reading of an HTTP/1.x request line and header
// section. It is the server's only request parser (Pistache's is never fed):
// the one place that decides framing, so no second parser can disagree with
// it about where a request ends (request smuggling lives in such
// disagreements).
//
// Every malformed head gets an answer at once (a JSON 400, 414 or 431) and
// ambiguous framing (Content-Length with Transfer-Encoding, bad or repeated
// lengths) is refused. Request targets in origin form ("/path?q") and
// absolute form ("http://host/path?q", RFC 9112 §3.2.2) are accepted; the
// latter is reduced to its path and query.
//
// Thread-safety: pure function.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace latchkey {

struct HeadLimits {
  size_t max_head_bytes = 16 * 1024;
  size_t max_body_bytes = 1 << 20;
  size_t max_target_bytes = 8 * 1024;  // 414 past it
  size_t max_headers = 100;            // 431 past it
};

struct HeadCheck {
  enum class Kind { kIncomplete, kComplete, kError };
  Kind kind = Kind::kIncomplete;

  // kError
  int status = 400;
  std::string code;
  std::string message;

  // kComplete
  size_t head_length = 0;  // bytes up to and including the blank line
  std::string method;
  std::string target;  // origin form: the path, then "?query" if any
  std::vector<std::pair<std::string, std::string>> headers;  // in order, values trimmed
  bool http10 = false;
  bool chunked = false;
  size_t content_length = 0;
  bool keep_alive = true;  // what the request asks for, per its version
  bool expect_continue = false;
};

// Reads the head at the start of `data` (which may hold more: the body, the
// next request). kIncomplete until the blank line that ends the head has
// arrived, unless what has arrived is already wrong or too long.
HeadCheck CheckRequestHead(std::string_view data, const HeadLimits& limits);

}  // namespace latchkey
