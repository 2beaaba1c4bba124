// RefreshScheduler: the background thread that keeps OAuth tokens fresh.
//
// It runs OAuthTokens::RunDue() (an index range scan: a pass with nothing
// due costs the same with 100 tokens or 100,000), then sleeps until the
// earliest next_refresh_at, or until Wake() says a new token may be due
// sooner, or at most `max_sleep` (which bounds how late it notices tokens
// stored by another replica). There is no fixed polling interval: a token
// that lives seconds is refreshed in time.
//
// Thread-safety: Start/Stop/Wake from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "common/clock.h"
#include "common/status.h"
#include "services/oauth/oauth_tokens.h"

namespace latchkey {

class RefreshScheduler {
 public:
  using ErrorHandler = std::function<void(const Status&)>;

  RefreshScheduler(OAuthTokens& tokens, const Clock& clock, ErrorHandler on_error,
                   std::chrono::seconds max_sleep = std::chrono::seconds(60));
  ~RefreshScheduler() { Stop(); }

  void Start();
  void Stop();
  void Wake();

  // How long the loop would sleep after a pass, given the earliest due time.
  static std::chrono::milliseconds SleepFor(std::optional<TimePoint> next_due, TimePoint now,
                                            std::chrono::seconds max_sleep);

 private:
  void Loop();

  OAuthTokens& tokens_;
  const Clock& clock_;
  ErrorHandler on_error_;
  std::chrono::seconds max_sleep_;

  std::mutex mu_;
  std::condition_variable cv_;  // notified when woken_ or stopping_ turns true
  bool woken_ = false;          // Guarded by mu_.
  bool stopping_ = false;       // Guarded by mu_.
  // Started under mu_ (so a Start racing Stop cannot start it after
  // stopping_); joined by Stop outside mu_, since the loop takes mu_.
  std::thread thread_;
};

}  // namespace latchkey
