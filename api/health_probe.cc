#include "api/health_probe.h"

#include <condition_variable>
#include <mutex>

#include "common/ids.h"
#include "services/events/event_types.h"

namespace latchkey {
namespace {

constexpr size_t kMaxProbeBody = 4096;

// Keeps the status and the first few KiB, and says when the call is over.
class ProbeSink final : public ProxySink {
 public:
  bool Start(int status, const HeaderList&) override {
    std::lock_guard<std::mutex> lock(mu_);
    result_.status = status;
    return true;
  }
  bool Write(std::string_view chunk, bool) override {
    std::lock_guard<std::mutex> lock(mu_);
    result_.body.append(
        chunk.substr(0, kMaxProbeBody - std::min(kMaxProbeBody, result_.body.size())));
    return true;
  }
  void Fail(const Status& error) override {
    std::lock_guard<std::mutex> lock(mu_);
    result_.error = error.message();
  }
  bool Congested() const override { return false; }
  int fd() const override { return -1; }
  bool Flush() override { return true; }
  void End() override {
    std::lock_guard<std::mutex> lock(mu_);
    ended_ = true;
    done_.notify_all();
  }
  // The result once the call ended; after `deadline` the call is cancelled
  // and waited for.
  ProbeResult Wait(std::chrono::milliseconds deadline) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!done_.wait_for(lock, deadline, [this] { return ended_; })) {
      cancel.store(true);
      done_.wait(lock, [this] { return ended_; });
      if (result_.error.empty()) result_.error = "the health check took too long";
    }
    return result_;
  }

  std::atomic<bool> cancel{false};

 private:
  std::mutex mu_;
  std::condition_variable done_;
  bool ended_ = false;
  ProbeResult result_;
};

}  // namespace

Prober ProxyProber(ProxyService& proxy, std::chrono::milliseconds deadline) {
  return [&proxy, deadline](const HealthProbe& probe) {
    auto sink = std::make_shared<ProbeSink>();
    ProxyCall call;
    call.account_id = probe.account_id;
    call.credential = probe.credential;
    call.method = "GET";
    if (probe.url.empty()) {
      call.base_path = probe.path;
    } else {
      call.target_url = probe.url;
    }
    // A test someone asked for is theirs (counted in their usage and
    // limits); the schedule's are the health checker's.
    call.audit = AuditContext{probe.actor.empty() ? kHealthActor : probe.actor, NewId("req"), ""};
    call.cancel = &sink->cancel;
    auto started = std::chrono::steady_clock::now();
    proxy.Forward(std::move(call), sink);
    ProbeResult result = sink->Wait(deadline);
    result.latency_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - started)
                            .count();
    return result;
  };
}

}  // namespace latchkey
