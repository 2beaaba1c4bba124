#include "api/chunked_decoder.h"

#include <algorithm>

namespace latchkey {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

ChunkedDecoder::State ChunkedDecoder::Fail(int status, std::string message) {
  state_ = State::kError;
  error_status_ = status;
  error_ = std::move(message);
  return state_;
}

ChunkedDecoder::State ChunkedDecoder::Feed(std::string_view encoded) {
  while (state_ == State::kMore && pos_ < encoded.size()) {
    char c = encoded[pos_];
    switch (step_) {
      case Step::kSize: {
        if (++line_bytes_ > kMaxLineBytes) return Fail(400, "chunk size line too long");
        int v = HexValue(c);
        if (v >= 0) {
          ++size_digits_;
          // Checked per digit, so the size never overflows (leading zeros
          // are allowed and cost nothing).
          remaining_ = remaining_ * 16 + static_cast<uint64_t>(v);
          if (remaining_ > max_body_bytes_) {
            return Fail(413, "request body exceeds " + std::to_string(max_body_bytes_) + " bytes");
          }
          ++pos_;
          break;
        }
        if (size_digits_ == 0) return Fail(400, "malformed chunk size");
        if (c == ';') {
          step_ = Step::kExtension;
        } else if (c == '\r') {
          step_ = Step::kSizeLf;
        } else {
          return Fail(400, "malformed chunk size");
        }
        ++pos_;
        break;
      }
      case Step::kExtension:
        if (++line_bytes_ > kMaxLineBytes) return Fail(400, "chunk size line too long");
        if (c == '\r') {
          step_ = Step::kSizeLf;
        } else if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) {
          return Fail(400, "control character in a chunk extension");
        }
        ++pos_;
        break;
      case Step::kSizeLf:
        if (c != '\n') return Fail(400, "chunk size line must end with CRLF");
        ++pos_;
        if (remaining_ > max_body_bytes_ - body_.size()) {
          return Fail(413, "request body exceeds " + std::to_string(max_body_bytes_) + " bytes");
        }
        line_bytes_ = 0;
        size_digits_ = 0;
        step_ = remaining_ == 0 ? Step::kTrailer : Step::kData;
        break;
      case Step::kData: {
        size_t take = static_cast<size_t>(
            std::min<uint64_t>(remaining_, static_cast<uint64_t>(encoded.size() - pos_)));
        body_.append(encoded.data() + pos_, take);
        pos_ += take;
        remaining_ -= take;
        if (remaining_ == 0) step_ = Step::kDataCr;
        break;
      }
      case Step::kDataCr:
        if (c != '\r') return Fail(400, "chunk data must be followed by CRLF");
        ++pos_;
        step_ = Step::kDataLf;
        break;
      case Step::kDataLf:
        if (c != '\n') return Fail(400, "chunk data must be followed by CRLF");
        ++pos_;
        step_ = Step::kSize;
        break;
      case Step::kTrailer:
        // Trailer fields are read past and ignored; an empty line ends them.
        if (++trailer_bytes_ > kMaxTrailerBytes) return Fail(400, "chunked trailer too long");
        if (c == '\r') {
          step_ = Step::kTrailerLf;
        } else if (c == '\n') {
          return Fail(400, "trailer lines must end with CRLF");
        } else {
          ++trailer_line_;
        }
        ++pos_;
        break;
      case Step::kTrailerLf:
        if (c != '\n') return Fail(400, "trailer lines must end with CRLF");
        ++pos_;
        if (trailer_line_ == 0) {
          state_ = State::kDone;
        } else {
          trailer_line_ = 0;
          step_ = Step::kTrailer;
        }
        break;
    }
  }
  return state_;
}

}  // namespace latchkey
