#include "common/scheduler.h"

#include <exception>

namespace latchkey {

void Scheduler::Every(std::string name, std::chrono::seconds period, std::function<void()> job,
                      std::chrono::seconds first_delay) {
  std::lock_guard<std::mutex> lock(mu_);
  jobs_.push_back(Job{std::move(name), period, std::move(job), clock_.Now() + first_delay});
}

int Scheduler::RunDue() {
  std::lock_guard<std::mutex> run_lock(run_mu_);
  std::vector<std::function<void()>> fns;
  std::vector<std::string> names;
  {
    std::lock_guard<std::mutex> lock(mu_);
    TimePoint now = clock_.Now();
    for (size_t i = 0; i < jobs_.size(); ++i) {
      if (jobs_[i].next <= now) {
        fns.push_back(jobs_[i].fn);
        names.push_back(jobs_[i].name);
        jobs_[i].next = now + jobs_[i].period;
      }
    }
  }
  for (size_t k = 0; k < fns.size(); ++k) {
    try {
      fns[k]();
    } catch (const std::exception& e) {
      if (on_error_) on_error_(names[k], e.what());
    } catch (...) {
      if (on_error_) on_error_(names[k], "unknown exception");
    }
  }
  return static_cast<int>(fns.size());
}

void Scheduler::Start(std::chrono::milliseconds tick) {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this, tick] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
      lock.unlock();
      RunDue();
      lock.lock();
      cv_.wait_for(lock, tick, [&] { return stopping_; });
    }
  });
}

void Scheduler::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

}  // namespace latchkey
