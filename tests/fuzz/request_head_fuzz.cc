// Fuzzes the server's request framing: CheckRequestHead on a head that may
// arrive in pieces, and ChunkedDecoder on a body fed whole, at input-chosen
// split points, and a byte at a time. The verdict must not depend on how
// the bytes arrived (a reader that disagrees with itself smuggles requests).
//
// Input: flags, two split bytes, then the request (flags bit 0 clear) or a
// chunked body alone (bit 0 set).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/chunked_decoder.h"
#include "api/request_head.h"
#include "tests/fuzz/fuzz_input.h"

namespace latchkey::fuzz {
namespace {

bool SameHead(const HeadCheck& a, const HeadCheck& b) {
  return a.kind == b.kind && a.status == b.status && a.code == b.code && a.message == b.message &&
         a.head_length == b.head_length && a.method == b.method && a.target == b.target &&
         a.headers == b.headers && a.http10 == b.http10 && a.chunked == b.chunked &&
         a.content_length == b.content_length && a.keep_alive == b.keep_alive &&
         a.expect_continue == b.expect_continue;
}

void CheckHead(std::string_view data, const HeadLimits& limits, size_t split) {
  HeadCheck full = CheckRequestHead(data, limits);
  if (full.kind == HeadCheck::Kind::kError) {
    Check(full.status >= 400 && full.status <= 599 && !full.code.empty(), "error without status");
    return;
  }
  if (full.kind != HeadCheck::Kind::kComplete) return;
  Check(full.head_length >= 4 && full.head_length <= data.size(), "head_length out of range");
  Check(full.head_length <= limits.max_head_bytes, "head longer than the limit");
  Check(data.substr(full.head_length - 4, 4) == "\r\n\r\n", "head does not end with a blank line");
  Check(!(full.chunked && full.content_length > 0), "chunked with Content-Length");
  Check(full.content_length <= limits.max_body_bytes, "Content-Length over the limit");
  Check(!full.target.empty() && full.target[0] == '/', "target not in origin form");
  // What follows the head does not change how it reads...
  HeadCheck exact = CheckRequestHead(data.substr(0, full.head_length), limits);
  Check(SameHead(full, exact), "head verdict depends on the bytes after it");
  // ...and until it has all arrived, it is only incomplete (a 400 for a
  // head cut by the network would depend on packet boundaries).
  HeadCheck part = CheckRequestHead(data.substr(0, split % full.head_length), limits);
  Check(part.kind == HeadCheck::Kind::kIncomplete, "a prefix of a valid head is not incomplete");
}

struct Decoded {
  ChunkedDecoder::State state;
  std::string body;
  size_t consumed;
  int error_status;
  std::string error;
  bool operator==(const Decoded& o) const {
    if (state != o.state) return false;
    if (state == ChunkedDecoder::State::kDone) return body == o.body && consumed == o.consumed;
    if (state == ChunkedDecoder::State::kError) {
      return error_status == o.error_status && error == o.error;
    }
    return body == o.body && consumed == o.consumed;
  }
};

Decoded Result(const ChunkedDecoder& d) {
  return {d.state(), d.body(), d.consumed(), d.error_status(), d.error()};
}

void CheckChunked(std::string_view encoded, size_t max_body, size_t s1, size_t s2) {
  ChunkedDecoder whole(max_body);
  whole.Feed(encoded);
  Decoded expected = Result(whole);
  if (expected.state == ChunkedDecoder::State::kDone) {
    Check(expected.consumed <= encoded.size(), "consumed more than it was given");
  }
  Check(expected.body.size() <= max_body, "body over the limit");

  ChunkedDecoder split(max_body);
  split.Feed(encoded.substr(0, s1));
  split.Feed(encoded.substr(0, s2));
  split.Feed(encoded);
  Check(Result(split) == expected, "chunked result depends on the split points");

  ChunkedDecoder bytewise(max_body);
  for (size_t i = 0; i <= encoded.size(); ++i) {
    if (bytewise.Feed(encoded.substr(0, i)) != ChunkedDecoder::State::kMore) break;
  }
  Check(Result(bytewise) == expected, "chunked result differs when fed a byte at a time");
}

}  // namespace
}  // namespace latchkey::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace latchkey;
  using namespace latchkey::fuzz;
  FuzzInput in(data, size);
  uint8_t flags = in.Byte();
  uint8_t a = in.Byte();
  uint8_t b = in.Byte();
  std::string_view rest = in.rest();

  HeadLimits limits;
  if (flags & 2) {  // small limits, to reach every refusal
    limits.max_head_bytes = 512;
    limits.max_body_bytes = 64;
    limits.max_target_bytes = 48;
    limits.max_headers = 4;
  }
  size_t s1 = rest.size() * a / 255;
  size_t s2 = s1 + (rest.size() - s1) * b / 255;

  std::string_view body = rest;
  if (!(flags & 1)) {
    CheckHead(rest, limits, s1 + 1);
    HeadCheck head = CheckRequestHead(rest, limits);
    if (head.kind != HeadCheck::Kind::kComplete || !head.chunked) return 0;
    body = rest.substr(head.head_length);
    s1 = body.size() * a / 255;
    s2 = s1 + (body.size() - s1) * b / 255;
  }
  CheckChunked(body, limits.max_body_bytes, s1, s2);
  return 0;
}
