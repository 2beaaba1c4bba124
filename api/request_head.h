// CheckRequestHead: a strict reading of an HTTP/1.x request line and header
// section, run on the raw bytes before Pistache's parser sees them.
//
// Pistache waits (until the header timeout) on many malformed inputs, and
// answers others with text or internal exception messages. This check lets
// the server answer every malformed request at once with a JSON 400 and
// refuses ambiguous framing (Content-Length with Transfer-Encoding, bad or
// repeated lengths) that enables request smuggling.
//
// Thread-safety: pure function.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace latchkey {

struct HeadLimits {
  size_t max_head_bytes = 16 * 1024;
  size_t max_body_bytes = 1 << 20;
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
  bool http10 = false;
  bool chunked = false;
  size_t content_length = 0;
  bool keep_alive = true;  // what the request asks for, per its version
  bool expect_continue = false;
};

HeadCheck CheckRequestHead(std::string_view data, const HeadLimits& limits);

}  // namespace latchkey
