#include "common/ids.h"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>

#include "common/crypto.h"

namespace latchkey {
namespace {

constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
constexpr size_t kIdChars = 20;
constexpr size_t kBufferBytes = 1024;

// Bumped in every forked child, so no child reuses its parent's buffer.
std::atomic<uint64_t> fork_generation{0};

struct RandomBuffer {
  uint8_t bytes[kBufferBytes];
  size_t used = kBufferBytes;
  uint64_t generation = 0;
};

}  // namespace

void PublicRandomBytes(uint8_t* out, size_t n) {
  static std::once_flag registered;
  std::call_once(registered,
                 [] { pthread_atfork(nullptr, nullptr, [] { fork_generation.fetch_add(1); }); });
  thread_local RandomBuffer buffer;
  while (n > 0) {
    uint64_t generation = fork_generation.load(std::memory_order_relaxed);
    if (buffer.used == kBufferBytes || buffer.generation != generation) {
      Bytes fresh = RandomBytes(kBufferBytes);
      std::memcpy(buffer.bytes, fresh.data(), kBufferBytes);
      SecureWipe(fresh.data(), fresh.size());
      buffer.used = 0;
      buffer.generation = generation;
    }
    size_t take = std::min(n, kBufferBytes - buffer.used);
    std::memcpy(out, buffer.bytes + buffer.used, take);
    std::memset(buffer.bytes + buffer.used, 0, take);  // each byte is handed out once
    buffer.used += take;
    out += take;
    n -= take;
  }
}

std::string NewId(std::string_view prefix) {
  uint8_t random[kIdChars];
  PublicRandomBytes(random, kIdChars);
  std::string id(prefix);
  id += '_';
  for (uint8_t b : random) id += kAlphabet[b & 31];
  return id;
}

std::string NewSortableId(std::string_view prefix, uint64_t unix_ms) {
  // The time part uses the alphabet in byte order, so ids sort by time.
  constexpr char kOrdered[] = "234567abcdefghijklmnopqrstuvwxyz";
  constexpr size_t kTimeChars = 9;  // 45 bits of milliseconds: past the year 3000
  uint8_t random[kIdChars - kTimeChars];
  PublicRandomBytes(random, sizeof(random));
  std::string id(prefix);
  id += '_';
  for (size_t i = kTimeChars; i-- > 0;) id += kOrdered[(unix_ms >> (5 * i)) & 31];
  for (uint8_t b : random) id += kAlphabet[b & 31];
  return id;
}

bool IsValidId(std::string_view id, std::string_view prefix) {
  if (id.size() != prefix.size() + 1 + kIdChars || id.substr(0, prefix.size()) != prefix ||
      id[prefix.size()] != '_') {
    return false;
  }
  for (char c : id.substr(prefix.size() + 1)) {
    if (!((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'))) return false;
  }
  return true;
}

std::string NewTimeOrderedId(std::string_view prefix) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return NewSortableId(prefix, static_cast<uint64_t>(ms.count()));
}

}  // namespace latchkey
