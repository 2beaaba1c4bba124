// KeyPool: RSA-2048 key pairs generated ahead of time, so creating a
// certificate does not pay for a key generation (~200 ms) on the request
// path. A background thread keeps `target` keys ready; Take() hands one out
// and wakes the thread to replace it. Other algorithms and sizes are cheap
// (ES256) or rare (3072/4096 bits) and are generated on demand.
//
// Each pooled key is handed out once and only lives in this process's
// memory until then.
//
// Thread-safety: safe for concurrent use.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>

#include "services/certificates/asymmetric_key.h"

namespace latchkey {

struct KeyPoolStats {
  size_t ready = 0;
  size_t target = 0;
  uint64_t hits = 0;    // Take() served from the pool
  uint64_t misses = 0;  // Take() had to generate (pool empty, or not pooled)
  int generating = 0;   // on-demand RSA generations for owners in progress
};

class KeyPool {
 public:
  static constexpr int kPooledBits = 2048;

  explicit KeyPool(size_t target) : target_(target) {}
  ~KeyPool() { Stop(); }
  KeyPool(const KeyPool&) = delete;
  KeyPool& operator=(const KeyPool&) = delete;

  // At most one RSA key is generated on demand for any one owner (an
  // account) at a time, and at most this many of the slow sizes (3072 and
  // 4096 bits) in all: tenants asking for big keys in parallel cannot
  // occupy every request thread.
  static constexpr int kMaxOnDemand = 1;

  // A key never handed out before: a pooled one for RS256/2048 when ready,
  // otherwise generated now. Errors as AsymmetricKey::Generate, and
  // ResourceExhausted when an RSA key would have to be generated on demand
  // for an `owner` that already has one in progress, or while kMaxOnDemand
  // are; an empty owner (background work) is never refused.
  Result<AsymmetricKey> Take(KeyAlgorithm alg, int rsa_bits, std::string_view owner = "");

  // Generates keys on the calling thread until `target` are ready.
  Status Fill();

  // Starts / stops the background refill thread. Stop waits for a key
  // generation in progress to finish.
  void Start();
  void Stop();

  KeyPoolStats stats() const;

 private:
  void Run();

  const size_t target_;
  mutable std::mutex mu_;  // guards the members below
  std::condition_variable cv_;
  std::deque<AsymmetricKey> ready_;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
  int generating_ = 0;                    // on-demand RSA generations in progress
  std::set<std::string> generating_for_;  // their owners
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace latchkey
