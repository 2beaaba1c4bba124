#include "common/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace latchkey {

void RateLimiter::Refill(Bucket& b, const RateLimit& limit, Time now) {
  if (now <= b.updated) return;
  double seconds = std::chrono::duration<double>(now - b.updated).count();
  b.tokens = std::min(limit.burst, b.tokens + seconds * limit.per_second);
  b.updated = now;
}

void RateLimiter::MakeRoom(Shard& shard, Time now) {
  auto oldest = shard.buckets.end();
  for (auto it = shard.buckets.begin(); it != shard.buckets.end();) {
    Bucket& b = it->second;
    Refill(b, b.limit, now);
    if (b.tokens >= b.limit.burst) {
      it = shard.buckets.erase(it);
      continue;
    }
    if (oldest == shard.buckets.end() || b.used < oldest->second.used) oldest = it;
    ++it;
  }
  if (shard.buckets.size() >= shard_capacity_ && oldest != shard.buckets.end()) {
    shard.buckets.erase(oldest);
  }
}

int64_t RateLimiter::Use(std::string_view name, const RateLimit& limit, Time now, bool take) {
  if (!limit.enabled()) return 0;
  Shard& shard = shards_[std::hash<std::string_view>{}(name) % kShards];
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.buckets.find(std::string(name));
  if (it == shard.buckets.end()) {
    if (!take) return 0;  // an unknown bucket is full
    if (shard.buckets.size() >= shard_capacity_) MakeRoom(shard, now);
    it = shard.buckets.emplace(std::string(name), Bucket{limit.burst, now, now, limit}).first;
  }
  Bucket& b = it->second;
  b.limit = limit;
  b.used = now;
  Refill(b, limit, now);
  if (b.tokens >= 1) {
    if (take) b.tokens -= 1;
    return 0;
  }
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil((1 - b.tokens) / limit.per_second)));
}

int64_t RateLimiter::Take(std::string_view name, const RateLimit& limit, Time now) {
  return Use(name, limit, now, true);
}

int64_t RateLimiter::Peek(std::string_view name, const RateLimit& limit, Time now) {
  return Use(name, limit, now, false);
}

}  // namespace latchkey
