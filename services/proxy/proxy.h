// ProxyService: forwards a caller's request to a target URL with a stored
// credential injected, so the caller (often an agent) can use the
// credential without ever holding it.
//
// Defences, in the order they apply:
//   - an API key restricted to some credentials may use only those (403);
//   - the credential must exist in the caller's account (404);
//   - https only, plain http only to hosts the operator named (400);
//   - the target host must match the credential's allowed hosts (403);
//   - every address the proxy connects to must be public unless the
//     operator allowed its range (403); the check runs on the address of
//     each connect itself, after DNS, so a name cannot be re-pointed
//     between the check and the connection;
//   - redirects are returned, never followed;
//   - the caller's Authorization, Cookie, Proxy-*, X-Target-*,
//     X-Credential-* and hop-by-hop headers are dropped (the full list,
//     both ways, is in request_policy.h);
//   - the injected secrets are replaced by [REDACTED] wherever the
//     upstream echoes them, in headers or body;
//   - body, connect and total-time limits (413, 504), upstream failures 502.
// Each call is audited (credential, host, method, path without query,
// status, latency, bytes) and counted on the credential, through the
// AuditWriter's group commit (the use counts are its commit hook). A
// call's record is queued before its answer ends, and the answer does not
// wait for the commit: the upstream has acted by then whatever the caller
// receives, so holding the last bytes back would add the commit's latency
// without making the record any safer. Readers of the audit log and use
// counts sync with the writer. While too many records wait for the
// database (AuditWriter::Backlogged), new calls are refused (503) rather
// than made unrecorded.
//
// No thread waits on an upstream: transfers run on an HttpClientLoop, and
// the answer is pushed into the sink as it arrives, with backpressure when
// the caller reads slowly.
//
// Thread-safety: safe for concurrent use. The destructor ends calls still
// running (the caller sees the stream cut) and commits their records.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/audit_log.h"
#include "common/audit_writer.h"
#include "common/clock.h"
#include "common/credential_source.h"
#include "common/database.h"
#include "common/http_client.h"
#include "common/http_client_loop.h"
#include "services/proxy/address_policy.h"
#include "services/proxy/request_policy.h"

namespace latchkey {

struct ProxyOptions {
  std::vector<std::string> allow_http_hosts;  // hosts reachable over plain http
  AddressPolicy addresses;                    // private ranges the operator allows
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds total_timeout{300000};
  size_t max_body_bytes = 1 << 20;
  int threads = 1;  // event-loop threads for upstream transfers
  // A caller that takes no bytes for this long is cut off.
  std::chrono::milliseconds stall_timeout{30000};
  // Called for each call that passed every other check, just before it is sent
  // (the daily usage limits); a refusal is the caller's answer, audited as
  // denied. Arguments: account, credential, API key id.
  std::function<Status(const std::string&, const std::string&, const std::string&)> admit;
  // Label the proxy's metrics with the account id (--metrics-per-account).
  bool metrics_per_account = false;
};

struct ProxyCall {
  std::string account_id;
  // The API key's credential restriction, if it has one.
  std::optional<std::vector<std::string>> allowed_credentials;
  // X-Credential-Name, or "oauth:" + a token id (X-Oauth-Token-Id); the
  // same from a path or an MCP tool's arguments.
  std::string credential;
  std::string target_url;  // X-Target-Url; or filled in from base_path
  // A call by path (/proxy/{credential}/{path}, /proxy/oauth/{tokenId}/
  // {path}, the MCP tool call_oauth_api): the path and query to append to
  // the credential's base URL ("v1/chat/completions?x=1"), already checked
  // not to climb out of it (CheckBasePath).
  std::optional<std::string> base_path;
  std::string method;  // X-Target-Method, or the request's own
  HeaderList headers;  // the caller's request headers
  std::string body;
  AuditContext audit;
  const std::atomic<bool>* cancel = nullptr;  // set on server shutdown
};

// Where the upstream's answer goes: the HTTP layer's streaming response,
// or a collector (the MCP tools). Called from the proxy's threads, one at
// a time.
class ProxySink {
 public:
  virtual ~ProxySink() = default;
  // Status and headers; false if the caller is gone.
  virtual bool Start(int status, const HeaderList& headers) = 0;
  // A piece of the body, `last` when nothing follows; false if the caller
  // is gone. Never blocks.
  virtual bool Write(std::string_view chunk, bool last) = 0;
  // Nothing was started: the caller gets this error instead.
  virtual void Fail(const Status& error) = 0;
  // The answer started but did not arrive whole (the upstream failed, or
  // a Write returned false); End follows. A stream simply ends cut short.
  virtual void Interrupted(const Status& why) { (void)why; }
  // Backpressure: while Congested, no more is written until fd() is
  // writable and Flush (false if the caller is gone) has drained it.
  virtual bool Congested() const = 0;
  virtual int fd() const = 0;
  virtual bool Flush() = 0;
  // The call is over and on record; nothing is written after.
  virtual void End() = 0;
};

class ProxyService {
 public:
  // Registers the use-count commit hook on `writer`, which must outlive
  // this service; the destructor syncs it while `credentials` still exists.
  ProxyService(CredentialSource& credentials, AuditWriter& writer, const Clock& clock,
               ProxyOptions options);

  // InvalidArgument unless `url` is an absolute http(s) URL without
  // credentials in it (ParseTargetUrl, request_policy.h).
  static Result<TargetUrl> ParseTarget(const std::string& url) { return ParseTargetUrl(url); }

  // OK when the account has a credential by the name a key's restriction
  // or X-Credential would use ("openai", a secret name, "oauth:otk_…").
  Status CredentialExists(const std::string& account_id, const std::string& name) {
    return credentials_.Exists(account_id, name);
  }

  // The checks that need no I/O: required headers, method, body size, the
  // key's restriction, the target URL's form. Run them first to answer a
  // plain JSON error; Forward runs them again itself.
  Result<TargetUrl> Precheck(const ProxyCall& call) const;

  // Starts forwarding the call and returns at once (after the credential
  // lookup). Everything the caller hears arrives at `sink`, from the
  // proxy's threads: Start and Writes, or Fail with a JSON-able error; then
  // End. Once the sink has started, a failure ends the stream early.
  void Forward(ProxyCall call, std::shared_ptr<ProxySink> sink);
  // The same, for a call whose Precheck passed and gave `target`.
  void Forward(ProxyCall call, TargetUrl target, std::shared_ptr<ProxySink> sink);

  ~ProxyService();

  class Exchange;  // one call in progress

  // What a transfer that has ended reports.
  struct Transfer {
    bool started = false;  // the upstream's head reached the sink
    bool alive = true;     // the caller is still there
    int status = 0;        // the upstream's
    size_t bytes = 0;      // body bytes passed to the caller
  };

 private:
  // The upstream request for a call that passed every check, with the
  // credential injected. Internal if the credential's query parameters
  // cannot be added to the URL (the call is refused, not sent without them).
  Result<HttpClientRequest> BuildRequest(const Exchange& ex, const Injection& injection) const;
  // Ends the call once its transfer is over, and queues its record.
  void Finish(const std::shared_ptr<Exchange>& ex, const Transfer& transfer, const Status& fetched);
  // Ends a call that never reached the upstream with `error`.
  void Refuse(const std::shared_ptr<Exchange>& ex, const Status& error);
  // Queues the call's record.
  void Audit(const Exchange& ex, int status, const char* outcome, size_t bytes_out,
             const std::string& error, bool used);
  // The commit hook: one use-count update per credential in the batch.
  Status RecordUses(SqlExecutor& tx, const std::vector<PendingEvent>& batch);

  CredentialSource& credentials_;
  AuditWriter& writer_;
  const Clock& clock_;
  const ProxyOptions options_;
  int hook_;  // RecordUses on writer_

  HttpClientLoop loop_;  // last: stopped first, while the rest still exists
};

}  // namespace latchkey
