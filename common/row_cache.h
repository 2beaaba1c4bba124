// RowCache: rows read from the database kept in memory by key, for the
// lookups on hot paths (API keys, credentials, wrapped data keys).
//
// An entry is used while younger than `ttl` on the caller's clock (a clock
// that went back makes it stale). Forget drops entries at once when their
// rows change here; a row read before a Forget is never cached after it (a
// generation counter), so a read that raced a change cannot put the old row
// back. At `capacity` entries the cache starts over.
//
// Thread-safety: safe for concurrent use; `load` runs without the lock.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "common/clock.h"
#include "common/status.h"

namespace latchkey {

template <typename V>
class RowCache {
 public:
  static constexpr std::chrono::milliseconds kForever = std::chrono::milliseconds::max();

  RowCache(std::chrono::milliseconds ttl, size_t capacity) : ttl_(ttl), capacity_(capacity) {}

  // The fresh entry for `key`, else what `load()` returns
  // (Result<std::shared_ptr<const V>>; a null row is returned, not cached).
  template <typename Load>
  Result<std::shared_ptr<const V>> Get(const std::string& key, TimePoint now, Load load) {
    uint64_t generation;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (auto fresh = FreshLocked(key, now)) return fresh;
      generation = generation_;
    }
    Result<std::shared_ptr<const V>> loaded = load();
    if (!loaded.ok() || !*loaded || ttl_.count() <= 0) return loaded;
    std::lock_guard<std::mutex> lock(mu_);
    if (generation == generation_) {
      if (entries_.size() >= capacity_) entries_.clear();
      entries_[key] = Entry{*loaded, now};
    }
    return loaded;
  }

  // The fresh entry for `key`, or null; never loads.
  std::shared_ptr<const V> Peek(const std::string& key, TimePoint now) const {
    std::lock_guard<std::mutex> lock(mu_);
    return FreshLocked(key, now);
  }

  // Drops every entry for which `matches(key, value)` holds.
  template <typename Matches>
  void Forget(Matches matches) {
    std::lock_guard<std::mutex> lock(mu_);
    ++generation_;
    std::erase_if(entries_, [&](const auto& e) { return matches(e.first, *e.second.value); });
  }

  void Clear() {
    Forget([](const std::string&, const V&) { return true; });
  }

 private:
  struct Entry {
    std::shared_ptr<const V> value;
    TimePoint fetched_at;
  };

  // The entry for `key` if younger than ttl_, else null. Requires mu_.
  std::shared_ptr<const V> FreshLocked(const std::string& key, TimePoint now) const {
    auto it = entries_.find(key);
    if (it == entries_.end() || now < it->second.fetched_at ||
        now - it->second.fetched_at >= ttl_) {
      return nullptr;
    }
    return it->second.value;
  }

  const std::chrono::milliseconds ttl_;
  const size_t capacity_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // guarded by mu_
  uint64_t generation_ = 0;                         // guarded by mu_
};

}  // namespace latchkey
