// ProxyService: forwards a caller's request to a target URL with a stored
// credential injected, so the caller (often an agent) can use the
// credential without ever holding it.
//
// Defences, in the order they apply:
//   - an API key restricted to some credentials may use only those (403);
//   - the credential must exist in the caller's account (404);
//   - https only, plain http only to hosts the operator named (400);
//   - the target host must match the credential's allowed hosts (403);
//   - every address the host resolves to must be public unless the
//     operator allowed its range (403), and the connection is pinned to
//     the checked address, so DNS cannot swap in another;
//   - redirects are returned, never followed;
//   - the caller's Authorization, Cookie, Proxy-*, X-Target-*,
//     X-Credential-* and hop-by-hop headers are dropped;
//   - the injected secrets are replaced by [REDACTED] wherever the
//     upstream echoes them, in headers or body;
//   - body, connect and total-time limits (413, 504), upstream failures 502.
// Each call is audited (credential, host, method, path without query,
// status, latency, bytes) and counted on the credential. Those writes are
// group-committed: the first caller to find no commit running writes every
// record queued so far in one transaction while later callers queue behind
// it (instead of two contended transactions per call). Forward returns only
// once its own record is committed, so a call is on record before its
// response ends.
//
// Thread-safety: safe for concurrent use; Forward blocks its thread for
// the whole exchange.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/audit_log.h"
#include "common/clock.h"
#include "common/credential_source.h"
#include "common/database.h"
#include "common/http_client.h"
#include "services/proxy/address_policy.h"

namespace latchkey {

struct ProxyOptions {
  std::vector<std::string> allow_http_hosts;  // hosts reachable over plain http
  AddressPolicy addresses;                    // private ranges the operator allows
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds total_timeout{300000};
  size_t max_body_bytes = 1 << 20;
};

struct ProxyCall {
  std::string account_id;
  // The API key's credential restriction, if it has one.
  std::optional<std::vector<std::string>> allowed_credentials;
  std::string credential;  // X-Credential-Name
  std::string target_url;  // X-Target-Url
  std::string method;      // X-Target-Method, or the request's own
  HeaderList headers;      // the caller's request headers
  std::string body;
  AuditContext audit;
  const std::atomic<bool>* cancel = nullptr;  // set on server shutdown
};

// Where the upstream's answer goes (the HTTP layer's streaming response).
class ProxySink {
 public:
  virtual ~ProxySink() = default;
  // Status and headers; false if the caller is gone.
  virtual bool Start(int status, const HeaderList& headers) = 0;
  // A piece of the body, `last` when nothing follows; false if the caller
  // is gone.
  virtual bool Write(std::string_view chunk, bool last) = 0;
};

// The parts of a target URL the proxy checks.
struct TargetUrl {
  std::string scheme;  // "https" or "http"
  std::string host;    // normalized; IPv6 without brackets
  int port = 0;
  std::string path;    // without the query string
};

class ProxyService {
 public:
  ProxyService(CredentialSource& credentials, Database& db, AuditLog& audit, const Clock& clock,
               ProxyOptions options)
      : credentials_(credentials), db_(db), audit_(audit), clock_(clock),
        options_(std::move(options)) {}

  // InvalidArgument unless `url` is an absolute http(s) URL without
  // credentials in it.
  static Result<TargetUrl> ParseTarget(const std::string& url);

  // The checks that need no I/O: required headers, method, body size, the
  // key's restriction, the target URL's form. Run them before handing the
  // call to a thread; Forward runs them again itself.
  Result<TargetUrl> Precheck(const ProxyCall& call) const;

  // Forwards the call. An error means nothing reached the sink and the
  // caller should get a JSON error; once the sink has started, a failure
  // ends the stream early and Forward returns OK.
  Status Forward(const ProxyCall& call, ProxySink& sink);

 private:
  // A caller waiting for its record to be committed.
  struct Waiter {
    bool done = false;
    std::condition_variable cv;
  };
  struct Record {
    AuditEvent event;
    bool used = false;  // the credential (event.resource) was injected
    TimePoint at;
    Waiter* waiter = nullptr;
  };

  // Records the call and waits until the record is committed.
  void Audit(const ProxyCall& call, const TargetUrl& target, int status, const char* outcome,
             std::chrono::steady_clock::time_point started, size_t bytes_out,
             const std::string& error, bool used);
  Status Commit(std::vector<Record>& batch);

  CredentialSource& credentials_;
  Database& db_;
  AuditLog& audit_;
  const Clock& clock_;
  const ProxyOptions options_;

  std::mutex mu_;
  std::deque<Record> queue_;  // records waiting for the next commit
  bool committing_ = false;   // a caller is writing a batch
};

}  // namespace latchkey
