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

ChunkedDecoder::State ChunkedDecoder::TooLarge() {
  return Fail(413, "request body exceeds " + std::to_string(max_body_bytes_) + " bytes");
}

ChunkedDecoder::State ChunkedDecoder::Feed(std::string_view encoded) {
  while (state_ == State::kMore && pos_ < encoded.size()) {
    char c = encoded[pos_];
    switch (step_) {
      case Step::kSize:
        SizeByte(c);
        break;
      case Step::kExtension:
        ExtensionByte(c);
        break;
      case Step::kSizeLf:
        SizeLf(c);
        break;
      case Step::kData:
        Data(encoded);
        break;
      case Step::kDataCr:
        Expect(c, '\r', Step::kDataLf, "chunk data must be followed by CRLF");
        break;
      case Step::kDataLf:
        Expect(c, '\n', Step::kSize, "chunk data must be followed by CRLF");
        break;
      case Step::kTrailer:
        TrailerByte(c);
        break;
      case Step::kTrailerLf:
        TrailerLf(c);
        break;
    }
  }
  return state_;
}

void ChunkedDecoder::SizeByte(char c) {
  if (++line_bytes_ > kMaxLineBytes) {
    Fail(400, "chunk size line too long");
    return;
  }
  int v = HexValue(c);
  if (v >= 0) {
    ++size_digits_;
    // Checked per digit, so the size never overflows (leading zeros are
    // allowed and cost nothing).
    remaining_ = remaining_ * 16 + static_cast<uint64_t>(v);
    if (remaining_ > max_body_bytes_) {
      TooLarge();
      return;
    }
    ++pos_;
    return;
  }
  if (size_digits_ == 0 || (c != ';' && c != '\r')) {
    Fail(400, "malformed chunk size");
    return;
  }
  step_ = c == ';' ? Step::kExtension : Step::kSizeLf;
  ++pos_;
}

void ChunkedDecoder::ExtensionByte(char c) {
  if (++line_bytes_ > kMaxLineBytes) {
    Fail(400, "chunk size line too long");
    return;
  }
  if (c == '\r') {
    step_ = Step::kSizeLf;
  } else if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) {
    Fail(400, "control character in a chunk extension");
    return;
  }
  ++pos_;
}

void ChunkedDecoder::SizeLf(char c) {
  if (c != '\n') {
    Fail(400, "chunk size line must end with CRLF");
    return;
  }
  ++pos_;
  // A declared size reserves nothing: the bytes are appended as they come.
  if (remaining_ > max_body_bytes_ - body_.size()) {
    TooLarge();
    return;
  }
  line_bytes_ = 0;
  size_digits_ = 0;
  step_ = remaining_ == 0 ? Step::kTrailer : Step::kData;
}

void ChunkedDecoder::Data(std::string_view encoded) {
  size_t take = static_cast<size_t>(
      std::min<uint64_t>(remaining_, static_cast<uint64_t>(encoded.size() - pos_)));
  body_.append(encoded.data() + pos_, take);
  pos_ += take;
  remaining_ -= take;
  if (remaining_ == 0) step_ = Step::kDataCr;
}

void ChunkedDecoder::Expect(char c, char expected, Step next, const char* message) {
  if (c != expected) {
    Fail(400, message);
    return;
  }
  ++pos_;
  step_ = next;
}

void ChunkedDecoder::TrailerByte(char c) {
  // Trailer fields are read past and ignored; an empty line ends them.
  if (++trailer_bytes_ > kMaxTrailerBytes) {
    Fail(400, "chunked trailer too long");
    return;
  }
  if (c == '\n') {
    Fail(400, "trailer lines must end with CRLF");
    return;
  }
  if (c == '\r') {
    step_ = Step::kTrailerLf;
  } else {
    ++trailer_line_;
  }
  ++pos_;
}

void ChunkedDecoder::TrailerLf(char c) {
  if (c != '\n') {
    Fail(400, "trailer lines must end with CRLF");
    return;
  }
  ++pos_;
  if (trailer_line_ == 0) {
    state_ = State::kDone;
  } else {
    trailer_line_ = 0;
    step_ = Step::kTrailer;
  }
}

}  // namespace latchkey
