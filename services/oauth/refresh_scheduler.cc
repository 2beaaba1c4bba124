#include "services/oauth/refresh_scheduler.h"

namespace latchkey {

RefreshScheduler::RefreshScheduler(OAuthTokens& tokens, const Clock& clock, ErrorHandler on_error,
                                   std::chrono::seconds max_sleep)
    : tokens_(tokens), clock_(clock), on_error_(std::move(on_error)), max_sleep_(max_sleep) {
  tokens_.SetOnStored([this] { Wake(); });
}

void RefreshScheduler::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Loop(); });
}

void RefreshScheduler::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  tokens_.SetOnStored(nullptr);
}

void RefreshScheduler::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

std::chrono::milliseconds RefreshScheduler::SleepFor(std::optional<TimePoint> next_due,
                                                     TimePoint now,
                                                     std::chrono::seconds max_sleep) {
  if (!next_due) return max_sleep;
  if (*next_due <= now) {
    // Due but not claimable by this pass (a failing database); do not spin.
    return std::chrono::milliseconds(500);
  }
  return std::min<std::chrono::milliseconds>(*next_due - now, max_sleep);
}

void RefreshScheduler::Loop() {
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      woken_ = false;
    }
    auto ran = tokens_.RunDue();
    if (!ran.ok() && on_error_) on_error_(ran.status());
    // A full batch means more may be due right now.
    if (ran.ok() && *ran >= tokens_.options().batch) continue;
    auto next = tokens_.NextDue();
    if (!next.ok() && on_error_) on_error_(next.status());
    // Without a due time to go by (the database failed), look again soon
    // rather than after max_sleep.
    auto wait =
        next.ok() ? SleepFor(*next, clock_.Now(), max_sleep_) : std::chrono::milliseconds(1000);
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, wait, [this] { return stopping_ || woken_; });
  }
}

}  // namespace latchkey
