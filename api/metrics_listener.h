// MetricsListener: the --metrics-listen socket. Answers GET /metrics with
// the Prometheus text of Metrics::Default() and anything else with 404,
// each connection on a thread of its own (at most 16 at once; a request
// must arrive within 2 s), without authentication (bind it where only the
// Prometheus server reaches).
//
// Thread-safety: Start and Stop from one thread; serving runs on its own.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"

namespace latchkey {

class MetricsListener {
 public:
  MetricsListener() = default;
  ~MetricsListener() { Stop(); }
  MetricsListener(const MetricsListener&) = delete;
  MetricsListener& operator=(const MetricsListener&) = delete;

  // Binds `host`:`port` (0 picks one) and starts serving; Unavailable if
  // the address cannot be bound.
  Status Start(const std::string& host, uint16_t port);
  void Stop();
  uint16_t port() const { return port_; }

 private:
  void Serve();

  int fd_ = -1;
  int wake_[2] = {-1, -1};  // a pipe: Stop writes to end the poll
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<int> serving_{0};  // connections being answered
  std::mutex mu_;                // with done_: Stop waits for serving_ to reach 0
  std::condition_variable done_;
};

}  // namespace latchkey
