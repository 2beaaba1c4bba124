#include "services/certificates/key_pool.h"

namespace latchkey {

Result<AsymmetricKey> KeyPool::Take(KeyAlgorithm alg, int rsa_bits, std::string_view owner) {
  if (alg == KeyAlgorithm::kRs256 && rsa_bits == kPooledBits) {
    std::unique_lock lock(mu_);
    if (!ready_.empty()) {
      AsymmetricKey key = std::move(ready_.front());
      ready_.pop_front();
      ++hits_;
      lock.unlock();
      cv_.notify_all();
      return key;
    }
    ++misses_;
    lock.unlock();
    cv_.notify_all();
  } else {
    std::lock_guard lock(mu_);
    ++misses_;
  }
  if (alg != KeyAlgorithm::kRs256 || owner.empty()) return AsymmetricKey::Generate(alg, rsa_bits);
  {
    std::lock_guard lock(mu_);
    if (generating_for_.count(std::string(owner)) > 0) {
      return ResourceExhausted(
          "a key is already being generated for this account; retry when it is done");
    }
    if (rsa_bits != kPooledBits && generating_ >= kMaxOnDemand) {
      return ResourceExhausted("the server is busy generating keys; retry shortly");
    }
    ++generating_;
    generating_for_.emplace(owner);
  }
  auto key = AsymmetricKey::Generate(alg, rsa_bits);
  std::lock_guard lock(mu_);
  --generating_;
  generating_for_.erase(std::string(owner));
  return key;
}

Status KeyPool::Fill() {
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (ready_.size() >= target_) return Status::Ok();
    }
    ASSIGN_OR_RETURN(AsymmetricKey key, AsymmetricKey::Generate(KeyAlgorithm::kRs256, kPooledBits));
    std::lock_guard lock(mu_);
    ready_.push_back(std::move(key));
  }
}

void KeyPool::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || target_ == 0) return;
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
}

void KeyPool::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void KeyPool::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stopping_ || ready_.size() < target_; });
    if (stopping_) return;
    lock.unlock();
    auto key = AsymmetricKey::Generate(KeyAlgorithm::kRs256, kPooledBits);
    lock.lock();
    // A failed generation (should not happen) is retried on the next wake.
    if (key.ok())
      ready_.push_back(std::move(*key));
    else
      cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
  }
}

KeyPoolStats KeyPool::stats() const {
  std::lock_guard lock(mu_);
  return KeyPoolStats{ready_.size(), target_, hits_, misses_, generating_};
}

}  // namespace latchkey
