// AuditWriter: audit events written off the request path, group-committed.
//
// One committer thread writes every event queued while a transaction runs
// into the next one (instead of one contended transaction per event).
// Whoever queues an event does not wait for its commit. Readers that must
// see every event queued before them (the audit log, use counts) call
// Sync(), or read through List()/Verify(), which sync first: a sync that
// does not finish within its timeout is an error (Unavailable, a 503), never
// a silent stale read.
//
// What else a commit writes for its events (the proxy's use counts) comes
// from commit hooks, run inside each commit's transaction before the events
// are appended, in registration order.
//
// While the database is unavailable a batch is kept and retried; any other
// failure is given up on after three tries rather than holding every later
// event behind it. Backlogged() tells producers that must not act
// unrecorded (the proxy) that `max_pending` events wait.
//
// Thread-safety: safe for concurrent use. Stop() (or the destructor) commits what is queued, then
// joins.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "common/audit_log.h"
#include "common/database.h"

namespace latchkey {

struct AuditWriterOptions {
  // Events waiting for the database beyond which Backlogged() is true.
  size_t max_pending = 100000;
  // Events gather this long after a commit before the next (unless a
  // reader waits in Sync): fewer, larger transactions. A crash loses at most
  // this much (plus one commit).
  std::chrono::milliseconds commit_interval{5};
  // How long Sync waits before it gives up.
  std::chrono::milliseconds sync_timeout{5000};
};

// A queued event and the tag a commit hook recognises it by.
struct PendingEvent {
  AuditEvent event;
  int tag = 0;   // 0, or the handle of the commit hook that has more to write for it
  TimePoint at;  // when it happened
};

class AuditWriter {
 public:
  using CommitHook = std::function<Status(SqlExecutor& tx, const std::vector<PendingEvent>&)>;

  AuditWriter(Database& db, AuditLog& audit, AuditWriterOptions options = {});
  ~AuditWriter() { Stop().IgnoreError(); }

  AuditWriter(const AuditWriter&) = delete;
  AuditWriter& operator=(const AuditWriter&) = delete;

  // Returns a handle for RemoveCommitHook. Once that returns, no commit
  // runs the hook any more (sync first to have the hook see your events).
  int AddCommitHook(CommitHook hook);
  void RemoveCommitHook(int handle);

  // Queues `event` for the next commit. Never blocks on the database.
  void Queue(AuditEvent event, int tag = 0, TimePoint at = {});

  bool Backlogged() const;
  // Events queued and not yet committed (the metrics' audit queue depth).
  uint64_t Pending() const;

  // Returns once every event queued before the call is committed (or given
  // up on); Unavailable if that takes longer than the sync timeout.
  Status Sync() { return Sync(options_.sync_timeout); }
  Status Sync(std::chrono::milliseconds timeout);

  // The audit log, as of every event queued before the call.
  Result<AuditPage> List(const AuditFilter& filter);
  Result<AuditVerification> Verify(const std::string& chain);

  // Commits what is queued and stops the committer; later events are
  // dropped. DataLoss if any event was given up on (its batch failed past
  // the retries) since the writer started. Idempotent.
  Status Stop();

 private:
  void CommitLoop();
  Status Commit(const std::vector<PendingEvent>& batch);

  Database& db_;
  AuditLog& audit_;
  const AuditWriterOptions options_;

  mutable std::mutex mu_;
  std::condition_variable queued_;     // signalled on new events and on stop
  std::condition_variable committed_;  // signalled after each commit
  // Held for each whole commit, so a hook removed is never running.
  std::mutex commit_mu_;
  std::vector<std::pair<int, CommitHook>> hooks_;  // guarded by commit_mu_
  int next_hook_ = 1;                              // guarded by commit_mu_
  std::deque<PendingEvent> queue_;                 // guarded by mu_: waiting for a commit
  uint64_t queued_count_ = 0;                      // guarded by mu_: events ever queued
  uint64_t done_count_ = 0;  // guarded by mu_: of those, committed or given up on
  uint64_t lost_count_ = 0;  // guarded by mu_: of those, given up on
  int syncing_ = 0;          // guarded by mu_: readers waiting in Sync
  bool stopping_ = false;    // guarded by mu_
  bool stopped_ = false;     // guarded by mu_: the committer has exited
  std::thread committer_;    // last: started once the rest exists
};

}  // namespace latchkey
