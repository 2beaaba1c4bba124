#include "common/audit_log.h"

#include <map>

#include "common/audit_store.h"
#include "common/crypto.h"
#include "common/ids.h"
#include "common/json_text.h"

namespace latchkey {
namespace {

void AppendField(std::string* out, std::string_view value) {
  *out += std::to_string(value.size());
  *out += ':';
  *out += value;
  *out += '\n';
}

}  // namespace

const std::vector<Migration>& AuditLog::Migrations() { return AuditStore::Migrations(); }

std::string AuditLog::ComputeHash(const AuditEvent& e, std::string_view details_json) {
  std::string canonical = "latchkey-audit-v1\n";
  AppendField(&canonical, e.prev_hash);
  AppendField(&canonical, e.id);
  AppendField(&canonical, e.account_id);
  AppendField(&canonical, std::to_string(e.seq));
  AppendField(&canonical, std::to_string(ToUnix(e.time)));
  AppendField(&canonical, e.actor);
  AppendField(&canonical, e.action);
  AppendField(&canonical, e.resource);
  AppendField(&canonical, e.outcome);
  AppendField(&canonical, e.request_id);
  AppendField(&canonical, e.client_address);
  AppendField(&canonical, details_json);
  return Sha256Hex(canonical);
}

Result<AuditEvent> AuditLog::Append(SqlExecutor& tx, AuditEvent event) const {
  std::vector<AuditEvent> one;
  one.push_back(std::move(event));
  RETURN_IF_ERROR(AppendAll(tx, one));
  return std::move(one[0]);
}

Status AuditLog::AppendAll(SqlExecutor& tx, std::vector<AuditEvent>& events) const {
  struct Head {
    int64_t seq;
    std::string hash;
  };
  std::map<std::string, Head> heads;  // chain -> its last event, as appended so far
  for (AuditEvent& event : events) {
    if (event.account_id.empty() || event.action.empty()) {
      return Internal("audit event without chain or action");
    }
    auto head = heads.find(event.account_id);
    if (head == heads.end()) {
      ASSIGN_OR_RETURN(std::optional<AuditStore::ChainHead> last,
                       AuditStore::LockHead(tx, event.account_id));
      Head h = last ? Head{last->seq, last->hash} : Head{0, std::string(64, '0')};
      head = heads.emplace(event.account_id, std::move(h)).first;
    }
    event.seq = head->second.seq + 1;
    event.prev_hash = head->second.hash;
    event.id = NewSortableId("evt", std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
    event.time = clock_.Now();
    std::string details = JsonFlatObject(event.details);
    event.hash = ComputeHash(event, details);
    Status s = AuditStore::Insert(tx, event, details);
    if (!s.ok()) return Status(s.code(), "cannot write audit event: " + s.message());
    head->second = Head{event.seq, event.hash};
  }
  for (const AuditObserver* observer : observers_) RETURN_IF_ERROR(observer->OnAppend(tx, events));
  return Status::Ok();
}

Result<AuditPage> AuditLog::List(SqlExecutor& exec, const AuditFilter& f) const {
  int limit = f.limit < 1 ? 1 : f.limit > 1000 ? 1000 : f.limit;
  ASSIGN_OR_RETURN(auto rows, AuditStore::List(exec, f, limit + 1));
  AuditPage page;
  for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(limit); ++i) {
    page.events.push_back(std::move(rows[i].event));
  }
  if (rows.size() > static_cast<size_t>(limit)) page.next_cursor = page.events.back().seq;
  return page;
}

Result<AuditVerification> AuditLog::Verify(SqlExecutor& exec, const std::string& account_id) const {
  ASSIGN_OR_RETURN(auto rows, AuditStore::Chain(exec, account_id));
  AuditVerification v;
  std::string prev(64, '0');
  int64_t expected_seq = 1;
  for (AuditStore::StoredEvent& row : rows) {
    AuditEvent& e = row.event;
    std::string reason;
    if (e.seq != expected_seq)
      reason = "sequence gap before this event";
    else if (e.prev_hash != prev)
      reason = "previous-hash link does not match";
    else if (ComputeHash(e, row.details_json) != e.hash)
      reason = "event hash does not match its contents";
    if (!reason.empty()) {
      v.ok = false;
      v.reason = reason;
      v.first_broken = std::move(e);
      return v;
    }
    prev = e.hash;
    ++expected_seq;
    ++v.count;
  }
  return v;
}

Status AuditLog::DeleteChain(SqlExecutor& tx, const std::string& account_id) const {
  return AuditStore::DeleteChain(tx, account_id);
}

}  // namespace latchkey
