// ChunkedDecoder: the chunked transfer coding of a request body (RFC 9112
// §7.1), decoded strictly and incrementally.
//
// Pistache's decoder was unsafe (strtol on bytes that are not
// NUL-terminated, the CRLF after chunk data never checked) and quadratic
// when fed a growing request; libhttp-parser would bring a second set of
// framing rules next to CheckRequestHead's. This one sees each byte once,
// however the body arrives: Feed() is given the encoded body so far and
// resumes where it stopped. A declared chunk size reserves nothing; bytes
// are appended as they arrive, and the decoded body may not exceed
// `max_body_bytes` (413).
//
//   ChunkedDecoder d(1 << 20);
//   while (d.Feed(buffered) == ChunkedDecoder::State::kMore) buffered += Read();
//   if (d.state() == ChunkedDecoder::State::kDone) Use(d.body(), d.consumed());
//
// Thread-safety: one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace latchkey {

class ChunkedDecoder {
 public:
  enum class State { kMore, kDone, kError };

  // Longest chunk-size line (size and extensions) and trailer section.
  static constexpr size_t kMaxLineBytes = 4096;
  static constexpr size_t kMaxTrailerBytes = 8192;

  explicit ChunkedDecoder(size_t max_body_bytes) : max_body_bytes_(max_body_bytes) {}

  // Decodes what `encoded` holds past what earlier calls consumed;
  // `encoded` must start with the same bytes every time (it only grows).
  State Feed(std::string_view encoded);

  State state() const { return state_; }
  // kDone: the body, and how many bytes of `encoded` the coding took (what
  // follows belongs to the next request).
  const std::string& body() const { return body_; }
  size_t consumed() const { return pos_; }
  // kError: 400 or 413, and why.
  int error_status() const { return error_status_; }
  const std::string& error() const { return error_; }

 private:
  enum class Step { kSize, kExtension, kSizeLf, kData, kDataCr, kDataLf, kTrailer, kTrailerLf };
  State Fail(int status, std::string message);
  // One step each: consume the byte `c` (or, for Data, what is available)
  // and move on, or Fail.
  void SizeByte(char c);
  void ExtensionByte(char c);
  void SizeLf(char c);
  void Data(std::string_view encoded);
  void Expect(char c, char expected, Step next, const char* message);
  void TrailerByte(char c);
  void TrailerLf(char c);
  State TooLarge();

  const size_t max_body_bytes_;
  State state_ = State::kMore;
  Step step_ = Step::kSize;
  size_t pos_ = 0;         // bytes of `encoded` consumed
  size_t line_bytes_ = 0;  // of the current size line
  size_t trailer_bytes_ = 0;
  size_t trailer_line_ = 0;  // bytes of the current trailer line
  int size_digits_ = 0;
  uint64_t remaining_ = 0;  // of the current chunk's data
  std::string body_;
  int error_status_ = 400;
  std::string error_;
};

}  // namespace latchkey
