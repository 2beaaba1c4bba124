#include "common/audit_writer.h"

#include <algorithm>

namespace latchkey {
namespace {

constexpr size_t kMaxBatch = 512;  // events per group commit
constexpr std::chrono::milliseconds kRetryFirst{50};
constexpr std::chrono::milliseconds kRetryMax{2000};

}  // namespace

AuditWriter::AuditWriter(Database& db, AuditLog& audit, AuditWriterOptions options)
    : db_(db), audit_(audit), options_(options), committer_([this] { CommitLoop(); }) {}

int AuditWriter::AddCommitHook(CommitHook hook) {
  std::lock_guard<std::mutex> lock(commit_mu_);
  hooks_.emplace_back(next_hook_, std::move(hook));
  return next_hook_++;
}

void AuditWriter::RemoveCommitHook(int handle) {
  std::lock_guard<std::mutex> lock(commit_mu_);
  hooks_.erase(std::remove_if(hooks_.begin(), hooks_.end(),
                              [&](const auto& h) { return h.first == handle; }),
               hooks_.end());
}

void AuditWriter::Queue(AuditEvent event, int tag, TimePoint at) {
  bool wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;  // nobody would write it
    queue_.push_back(PendingEvent{std::move(event), tag, at});
    ++queued_count_;
    // The committer sleeps on an empty queue, or until its interval ends or
    // the batch is full; other events need not wake it.
    wake = queue_.size() == 1 || queue_.size() == kMaxBatch;
  }
  if (wake) queued_.notify_one();
}

uint64_t AuditWriter::Pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queued_count_ - done_count_;
}

bool AuditWriter::Backlogged() const {
  std::lock_guard<std::mutex> lock(mu_);
  // The batch being committed counts too: it waits for the database as well.
  return queued_count_ - done_count_ >= options_.max_pending;
}

Status AuditWriter::Sync(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  uint64_t target = queued_count_;
  if (done_count_ >= target) return Status::Ok();
  ++syncing_;
  queued_.notify_one();  // commit now rather than at the interval's end
  bool done = committed_.wait_for(lock, timeout, [&] { return done_count_ >= target; });
  --syncing_;
  if (!done) return Unavailable("audit records are still being written; retry");
  return Status::Ok();
}

Result<AuditPage> AuditWriter::List(const AuditFilter& filter) {
  RETURN_IF_ERROR(Sync());
  return audit_.List(db_, filter);
}

Result<AuditVerification> AuditWriter::Verify(const std::string& chain) {
  RETURN_IF_ERROR(Sync());
  return audit_.Verify(db_, chain);
}

Status AuditWriter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  queued_.notify_one();
  if (committer_.joinable()) committer_.join();
  std::lock_guard<std::mutex> lock(mu_);
  stopped_ = true;
  if (lost_count_ > 0) {
    return DataLoss(std::to_string(lost_count_) + " audit events could not be written");
  }
  return Status::Ok();
}

void AuditWriter::CommitLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  auto last_commit = std::chrono::steady_clock::now();
  while (true) {
    queued_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything is written
    queued_.wait_until(lock, last_commit + options_.commit_interval,
                       [this] { return stopping_ || syncing_ > 0 || queue_.size() >= kMaxBatch; });
    last_commit = std::chrono::steady_clock::now();
    std::vector<PendingEvent> batch;
    batch.reserve(std::min(queue_.size(), kMaxBatch));
    while (!queue_.empty() && batch.size() < kMaxBatch) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lock.unlock();
    Status s = Commit(batch);
    auto backoff = kRetryFirst;
    for (int attempt = 1; !s.ok(); ++attempt) {
      lock.lock();
      bool transient = s.code() == StatusCode::kUnavailable;
      if (attempt >= 3 && (!transient || stopping_)) break;
      queued_.wait_for(lock, backoff, [this] { return stopping_; });
      lock.unlock();
      backoff = std::min(backoff * 2, kRetryMax);
      s = Commit(batch);
    }
    if (!lock.owns_lock()) lock.lock();
    if (!s.ok()) lost_count_ += batch.size();
    done_count_ += batch.size();
    committed_.notify_all();
  }
}

Status AuditWriter::Commit(const std::vector<PendingEvent>& batch) {
  std::lock_guard<std::mutex> lock(commit_mu_);
  return db_.Transaction([&](SqlExecutor& tx) -> Status {
    // The hooks' rows before the audit chain: the order every other writer
    // (a change to a credential, then its audit event) takes them in, so
    // that on PostgreSQL the two cannot deadlock.
    for (const auto& [handle, hook] : hooks_) RETURN_IF_ERROR(hook(tx, batch));
    std::vector<AuditEvent> events;
    events.reserve(batch.size());
    for (const PendingEvent& p : batch) events.push_back(p.event);  // a copy: retried on failure
    return audit_.AppendAll(tx, events);
  });
}

}  // namespace latchkey
