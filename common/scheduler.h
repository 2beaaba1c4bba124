// Scheduler: periodic background jobs (key rotation, token refresh, ...).
//
// Jobs are due by the injected Clock, so tests drive them with RunDue() and
// a FakeClock instead of sleeping. Start() runs RunDue() on a background
// thread every `tick`; Stop() wakes it, waits for a running job to finish
// and joins. A job that throws is reported through the error callback and
// rescheduled; it never takes the thread down.
//
// Thread-safety: Add/RunDue/Start/Stop may be called from any thread; one
// job never runs twice at once in one process.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"

namespace latchkey {

class Scheduler {
 public:
  using ErrorHandler = std::function<void(const std::string& job, const std::string& what)>;

  explicit Scheduler(const Clock& clock, ErrorHandler on_error = nullptr)
      : clock_(clock), on_error_(std::move(on_error)) {}
  ~Scheduler() { Stop(); }

  // Runs `job` every `period`, first at now + `first_delay`.
  void Every(std::string name, std::chrono::seconds period, std::function<void()> job,
             std::chrono::seconds first_delay = std::chrono::seconds(0));

  // Runs every job that is due now; returns how many ran.
  int RunDue();

  void Start(std::chrono::milliseconds tick = std::chrono::milliseconds(1000));
  void Stop();

 private:
  struct Job {
    std::string name;
    std::chrono::seconds period;
    std::function<void()> fn;
    TimePoint next;
  };

  const Clock& clock_;
  ErrorHandler on_error_;
  std::mutex run_mu_;  // held while jobs run: one RunDue at a time

  std::mutex mu_;  // guards the members below
  std::condition_variable cv_;
  std::vector<Job> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace latchkey
