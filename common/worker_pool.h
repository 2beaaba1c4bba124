// WorkerPool: a fixed set of threads for work that may block (database
// writes, provider calls, key generation, bounded waits), so that the
// threads serving connections never do.
//
// The queue is bounded: TrySubmit refuses (returns false) when it is full
// or the pool is stopping, and the caller answers 503 instead of queueing
// without limit. Stop() lets the queued and running jobs finish, then
// joins; jobs must therefore end on their own (every wait they make is
// bounded).
//
// Thread-safety: TrySubmit and the counters may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace latchkey {

class WorkerPool {
 public:
  WorkerPool(int threads, size_t max_queued);
  ~WorkerPool() { Stop(); }

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `job`; false (and `job` is not run) when the queue is full or
  // the pool is stopping. A job that throws is swallowed: catch inside.
  bool TrySubmit(std::function<void()> job);

  // Runs what is queued, waits for it, and joins the threads. Idempotent.
  void Stop();

  size_t queued() const;
  int busy() const;
  int threads() const { return thread_count_; }

 private:
  void Run();

  const size_t max_queued_;
  const int thread_count_;
  mutable std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  int busy_ = 0;                             // guarded by mu_: jobs running
  bool stopping_ = false;                    // guarded by mu_
  std::vector<std::thread> threads_;         // set in the constructor, joined by Stop
  std::mutex stop_mu_;                       // one Stop at a time
};

}  // namespace latchkey
