#include "services/proxy/proxy.h"

#include <strings.h>
#include <sys/socket.h>

#include <algorithm>
#include <map>

#include "common/metrics.h"
#include "common/names.h"
#include "services/proxy/redactor.h"

namespace latchkey {
namespace {

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

Result<TargetUrl> ProxyService::Precheck(const ProxyCall& call) const {
  if (call.target_url.empty() && !call.base_path) {
    return InvalidArgument("X-Target-Url header is required");
  }
  if (call.credential.empty()) {
    return InvalidArgument("X-Credential-Name (or X-Oauth-Token-Id) header is required");
  }
  std::string_view name = call.credential;
  if (name.rfind("oauth:", 0) == 0) name.remove_prefix(6);
  if (!IsCredentialName(name)) {
    return InvalidArgument(
        "X-Credential-Name must be a provider id or a secret's name: 1-64 letters, digits, '-', "
        "'_' or '.'");
  }
  if (!IsAllowedMethod(call.method)) {
    return InvalidArgument(
        "X-Target-Method must be one of GET, POST, PUT, PATCH, DELETE, HEAD,"
        " OPTIONS");
  }
  if (call.body.size() > options_.max_body_bytes) {
    return PayloadTooLarge("request body exceeds the proxy's limit of " +
                           std::to_string(options_.max_body_bytes) + " bytes");
  }
  if (call.allowed_credentials &&
      std::find(call.allowed_credentials->begin(), call.allowed_credentials->end(),
                call.credential) == call.allowed_credentials->end()) {
    return PermissionDenied("this API key may not use credential '" + call.credential + "'");
  }
  if (call.base_path) return TargetUrl{};  // known once the credential is resolved
  return ParseTargetUrl(call.target_url);
}

// One call in progress: what the audit record needs, and the sink.
class ProxyService::Exchange {
 public:
  Exchange(ProxyCall call, TargetUrl target, std::shared_ptr<ProxySink> sink)
      : call(std::move(call)), target(std::move(target)), sink(std::move(sink)) {}
  ProxyCall call;
  TargetUrl target;
  std::shared_ptr<ProxySink> sink;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

namespace {

// Carries the upstream's answer to the sink, redacting echoed secrets, and
// records the call when the transfer is over.
class Forwarder final : public HttpClientHandler {
 public:
  using Done = std::function<void(const Forwarder&, const Status&)>;
  Forwarder(std::shared_ptr<ProxySink> sink, const std::vector<std::string>& secrets, Done done)
      : sink_(std::move(sink)), redactor_(secrets), done_(std::move(done)) {}

  bool OnHead(int status, const HeaderList& headers) override {
    for (const auto& [name, value] : headers) {
      if (IEquals(name, "content-length")) {
        char* end = nullptr;
        long long n = std::strtoll(value.c_str(), &end, 10);
        if (end && *end == '\0' && n >= 0) expected_ = n;
      }
    }
    HeaderList out = InboundHeaders(headers, redactor_);
    status_ = status;
    started_ = true;
    alive_ = sink_->Start(status, out);
    return alive_;
  }

  bool OnBody(std::string_view chunk) override {
    received_ += static_cast<long long>(chunk.size());
    std::string clean = redactor_.Feed(chunk);
    // With a Content-Length we know when the last bytes are here, and the
    // end of the response can go out with them.
    bool last = expected_ >= 0 && received_ >= expected_;
    if (last) {
      clean += redactor_.Finish();
      finished_ = true;
    }
    bytes_ += clean.size();
    if (!clean.empty() || last) alive_ = sink_->Write(clean, last);
    return alive_;
  }

  bool Congested() const override { return sink_->Congested(); }
  int wait_fd() const override { return sink_->fd(); }
  bool OnWritable() override { return alive_ = sink_->Flush(); }

  void OnDone(const Status& status) override {
    if (started_ && !finished_) {
      std::string rest = redactor_.Finish();
      bytes_ += rest.size();
      if (alive_ && !rest.empty()) alive_ = sink_->Write(rest, false);
    }
    done_(*this, status);
  }

  ProxyService::Transfer transfer() const {
    return ProxyService::Transfer{started_, alive_, status_, bytes_};
  }

 private:
  std::shared_ptr<ProxySink> sink_;
  Redactor redactor_;
  Done done_;
  bool started_ = false;
  bool alive_ = true;
  bool finished_ = false;  // the last bytes went out with the end marker
  int status_ = 0;
  size_t bytes_ = 0;
  long long expected_ = -1;  // the upstream's Content-Length, if it sent one
  long long received_ = 0;
};

// Why `target` is refused for `credential`: its allowed hosts, and where
// they change (the proxy does not know which provider keys exist, so a
// name that is not an OAuth token's is pointed at both places).
std::string HostRefusal(const std::string& credential, const TargetUrl& target,
                        const std::vector<std::string>& allowed) {
  std::string list;
  for (size_t i = 0; i < allowed.size() && i < 10; ++i) list += (i ? ", " : "") + allowed[i];
  if (allowed.size() > 10) list += ", …";
  std::string where = credential.rfind("oauth:", 0) == 0
                          ? "the provider's apiHosts in --oauth-providers-file"
                          : "allowedHosts in PUT /secrets/" + credential +
                                " (a provider key: allowedHosts." + credential +
                                " in PUT /credentials)";
  return target.host + ":" + std::to_string(target.port) + " is not an allowed host for " +
         "credential '" + credential + "' (allowed: " + (list.empty() ? "none" : list) +
         "; change them with " + where + ")";
}

}  // namespace

ProxyService::ProxyService(CredentialSource& credentials, AuditWriter& writer, const Clock& clock,
                           ProxyOptions options)
    : credentials_(credentials),
      writer_(writer),
      clock_(clock),
      options_(std::move(options)),
      hook_(writer_.AddCommitHook([this](SqlExecutor& tx, const std::vector<PendingEvent>& batch) {
        return RecordUses(tx, batch);
      })),
      loop_(HttpClientLoopOptions{.threads = options_.threads,
                                  .stall_timeout = options_.stall_timeout}) {}

ProxyService::~ProxyService() {
  loop_.Stop();  // ends running calls; their records are queued
  // Their use counts are written while the credentials still exist.
  writer_.Sync().IgnoreError();
  writer_.RemoveCommitHook(hook_);
}

void ProxyService::Forward(ProxyCall call, std::shared_ptr<ProxySink> sink) {
  auto target = Precheck(call);
  if (!target.ok()) {
    sink->Fail(target.status());
    sink->End();
    return;
  }
  Forward(std::move(call), std::move(*target), std::move(sink));
}

void ProxyService::Forward(ProxyCall call, TargetUrl target, std::shared_ptr<ProxySink> sink) {
  if (writer_.Backlogged()) {
    // Refused rather than made without a record.
    sink->Fail(Unavailable("the audit log is not being written; retry later"));
    sink->End();
    return;
  }
  auto ex = std::make_shared<Exchange>(std::move(call), std::move(target), std::move(sink));
  const ProxyCall& c = ex->call;
  auto injection = credentials_.Resolve(c.account_id, c.credential);
  if (!injection.ok()) {
    if (injection.status().code() == StatusCode::kNotFound) {
      return Refuse(ex, NotFound("no credential named '" + c.credential + "'"));
    }
    ex->sink->Fail(injection.status());
    ex->sink->End();
    return;
  }
  if (ex->call.base_path) {
    if (injection->base_url.empty()) {
      return Refuse(ex, NotFound("credential '" + c.credential +
                                 "' has no base URL, so it is not reachable by path; give it"
                                 " a baseUrl, or use /v1/proxy with X-Target-Url"));
    }
    ex->call.target_url = JoinBaseUrl(injection->base_url, *ex->call.base_path);
    auto target = ParseTargetUrl(ex->call.target_url);
    if (!target.ok()) return Refuse(ex, target.status());
    ex->target = std::move(*target);
  }
  const TargetUrl& t = ex->target;
  if (!SchemeAllowed(t, options_.allow_http_hosts)) {
    return Refuse(
        ex, InvalidArgument("plain http is not allowed to " + t.host +
                            "; use https, or start latchkeyd with --proxy-allow-http " + t.host));
  }
  if (!TargetHostAllowed(injection->allowed_hosts, t)) {
    return Refuse(ex, PermissionDenied(HostRefusal(c.credential, t, injection->allowed_hosts)));
  }
  // Last, so that only calls about to be sent use up a limit.
  if (options_.admit) {
    Status admitted = options_.admit(c.account_id, c.credential, c.audit.actor);
    if (!admitted.ok()) return Refuse(ex, admitted);
  }
  auto out = BuildRequest(*ex, *injection);
  if (!out.ok()) {
    // Our failure, not a refusal: the call is on record as failed, unsent.
    Audit(*ex, 0, "failure", 0, out.status().message(), false);
    ex->sink->Fail(out.status());
    ex->sink->End();
    return;
  }

  std::vector<std::string> secrets = injection->secrets;
  for (const auto& [name, value] : injection->headers) secrets.push_back(value);
  auto forwarder = std::make_shared<Forwarder>(
      ex->sink, secrets,
      [this, ex](const Forwarder& f, const Status& fetched) { Finish(ex, f.transfer(), fetched); });
  for (auto& s : secrets) SecureWipe(s.data(), s.size());
  loop_.Submit(std::move(*out), std::move(forwarder));
}

Result<HttpClientRequest> ProxyService::BuildRequest(const Exchange& ex,
                                                     const Injection& injection) const {
  const ProxyCall& c = ex.call;
  HttpClientRequest out;
  out.method = c.method;
  ASSIGN_OR_RETURN(out.url, AppendTargetQuery(c.target_url, injection.query));
  out.allow_http = ex.target.scheme == "http";
  out.check_address = [policy = &options_.addresses, host = ex.target.host](
                          const sockaddr* address) -> std::optional<std::string> {
    IpAddress ip = IpAddress::FromSockaddr(address);
    auto reason = policy->Check(ip);
    if (!reason) return std::nullopt;
    return host + " resolves to " + ip.ToString() + ", a " + *reason +
           " address the proxy does not connect to";
  };
  out.connect_timeout = options_.connect_timeout;
  out.total_timeout = options_.total_timeout;
  out.cancel = c.cancel;
  out.body = c.body;
  out.headers = OutboundHeaders(c.headers, injection.headers, injection.default_headers);
  return out;
}

void ProxyService::Finish(const std::shared_ptr<Exchange>& ex, const Transfer& transfer,
                          const Status& fetched) {
  if (!transfer.started) {
    Status error = fetched.ok() ? UpstreamError("upstream sent no response") : fetched;
    if (error.code() == StatusCode::kUnavailable) error = UpstreamError("upstream request failed");
    if (error.code() == StatusCode::kPermissionDenied) return Refuse(ex, error);
    Audit(*ex, 0, "failure", 0, error.message(), true);
    ex->sink->Fail(error);
    ex->sink->End();
    return;
  }
  bool complete = fetched.ok() && transfer.alive;
  std::string error;
  if (!fetched.ok()) error = transfer.alive ? fetched.message() : "caller went away";
  if (!complete) ex->sink->Interrupted(fetched.ok() ? UpstreamError("caller went away") : fetched);
  Audit(*ex, transfer.status, complete ? "success" : "failure", transfer.bytes, error, true);
  ex->sink->End();
}

void ProxyService::Refuse(const std::shared_ptr<Exchange>& ex, const Status& error) {
  bool upstream = error.code() == StatusCode::kUpstreamError;
  Audit(*ex, 0, upstream ? "failure" : "denied", 0, error.message(), false);
  ex->sink->Fail(error);
  ex->sink->End();
}

namespace {

// The credential_type label: "oauth" for a stored OAuth token, "key" for
// a provider key or secret (whose name could name a customer).
std::string CredentialType(const std::string& credential) {
  return credential.rfind("oauth:", 0) == 0 ? "oauth" : "key";
}

// `sent`: the request went upstream (so its body counts as bytes out).
// `account` is "" (so no label) unless ProxyOptions::metrics_per_account.
void CountCall(const std::string& account, const std::string& credential, const char* outcome,
               int status, bool sent, size_t bytes_in, size_t bytes_out, double seconds) {
  static CounterFamily& calls = Metrics::Default().Counter(
      "latchkey_proxy_requests_total",
      "Proxy calls by credential type, outcome (success, failure, denied) and upstream status "
      "class",
      {"credential_type", "outcome", "code", "account"});
  static CounterFamily& bytes = Metrics::Default().Counter(
      "latchkey_proxy_bytes_total", "Bytes sent upstream (out) and returned (in) by the proxy",
      {"credential_type", "direction", "account"});
  static HistogramFamily& latency =
      Metrics::Default().Histogram("latchkey_proxy_upstream_duration_seconds",
                                   "Time from the proxy call's start to the upstream's last byte",
                                   {"credential_type", "account"}, Metrics::LatencyBuckets());
  std::string type = CredentialType(credential);
  calls.Add({type, outcome, status == 0 ? "none" : StatusClass(status), account});
  if (sent) bytes.Add({type, "out", account}, bytes_in);
  bytes.Add({type, "in", account}, bytes_out);
  if (status != 0) latency.Observe({type, account}, seconds);
}

}  // namespace

void ProxyService::Audit(const Exchange& ex, int status, const char* outcome, size_t bytes_out,
                         const std::string& error, bool used) {
  const ProxyCall& call = ex.call;
  auto elapsed = std::chrono::steady_clock::now() - ex.started;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
  CountCall(options_.metrics_per_account ? call.account_id : "", call.credential, outcome, status,
            used, call.body.size(), bytes_out, std::chrono::duration<double>(elapsed).count());
  AuditEvent event =
      AuditEvent::For(call.audit, call.account_id, "proxy.request", call.credential, outcome);
  event.details = {{"credential", call.credential},
                   {"host", ex.target.host},
                   {"method", call.method},
                   {"path", ex.target.path},
                   {"status", std::to_string(status)},
                   {"latency_ms", std::to_string(ms)},
                   {"bytes_in", std::to_string(used ? call.body.size() : 0)},
                   {"bytes_out", std::to_string(bytes_out)}};
  if (!error.empty()) event.details.emplace_back("error", error);
  // Tagged with our hook's handle when the call injected its credential:
  // RecordUses counts those.
  writer_.Queue(std::move(event), used ? hook_ : 0, clock_.Now());
}

Status ProxyService::RecordUses(SqlExecutor& tx, const std::vector<PendingEvent>& batch) {
  // One use-count update per credential, however many calls it served.
  std::map<std::pair<std::string, std::string>, std::pair<int64_t, TimePoint>> uses;
  for (const PendingEvent& p : batch) {
    if (p.tag != hook_) continue;
    auto& u = uses[{p.event.account_id, p.event.resource}];
    u.first += 1;
    u.second = std::max(u.second, p.at);
  }
  for (const auto& [key, use] : uses) {
    RETURN_IF_ERROR(credentials_.RecordUses(tx, key.first, key.second, use.first, use.second));
  }
  return Status::Ok();
}

}  // namespace latchkey
