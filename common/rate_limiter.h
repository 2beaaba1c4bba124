// RateLimiter: token buckets by name ("key:<id>", "ip:<address>"), each
// refilled continuously at `per_second` up to `burst`. A request takes one
// token; an empty bucket says how long until the next one, for Retry-After.
//
// Buckets live in this process: with N replicas behind a load balancer a
// client may get up to N times a limit (documented in docs/operations).
// Memory is bounded: past `capacity` buckets, full ones (which hold no
// information) are dropped first, then the one untouched longest; each is
// judged by its own limit, so flooding new names cannot refill anyone's.
//
// Time is passed in (a steady clock in production, any value in tests).
//
// Thread-safety: safe for concurrent use.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace latchkey {

struct RateLimit {
  double per_second = 0;  // 0 disables the limit
  double burst = 0;
  bool enabled() const { return per_second > 0; }
};

class RateLimiter {
 public:
  using Time = std::chrono::steady_clock::time_point;

  explicit RateLimiter(size_t capacity = 200000) : shard_capacity_(capacity / kShards + 1) {}

  // Takes a token from `name`'s bucket. Returns 0 if it had one, else the
  // whole seconds (at least 1) until it will. Always 0 for a disabled limit.
  int64_t Take(std::string_view name, const RateLimit& limit, Time now);
  // Like Take, but only looks: 0 if a token is there now.
  int64_t Peek(std::string_view name, const RateLimit& limit, Time now);

 private:
  static constexpr size_t kShards = 16;
  struct Bucket {
    double tokens = 0;
    Time updated;     // refilled up to
    Time used;        // last asked about (for eviction)
    RateLimit limit;  // the limit it was last used with
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, Bucket> buckets;  // guarded by mu
  };

  int64_t Use(std::string_view name, const RateLimit& limit, Time now, bool take);
  // Refills `b` to `now`.
  static void Refill(Bucket& b, const RateLimit& limit, Time now);
  void MakeRoom(Shard& shard, Time now);

  const size_t shard_capacity_;
  std::array<Shard, kShards> shards_;
};

}  // namespace latchkey
