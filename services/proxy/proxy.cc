#include "services/proxy/proxy.h"

#include <curl/curl.h>
#include <strings.h>
#include <sys/socket.h>

#include <algorithm>
#include <map>

#include "common/hosts.h"
#include "common/strings.h"
#include "services/proxy/redactor.h"

namespace latchkey {
namespace {

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

bool IStartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && strncasecmp(s.data(), prefix.data(), prefix.size()) == 0;
}

bool IsHopByHop(std::string_view name) {
  for (std::string_view h : {"connection", "keep-alive", "te", "trailer", "transfer-encoding",
                             "upgrade", "proxy-connection"}) {
    if (IEquals(name, h)) return true;
  }
  return false;
}

// Names listed in the caller's Connection header are hop-by-hop too.
std::vector<std::string> ConnectionTokens(const HeaderList& headers) {
  std::vector<std::string> out;
  for (const auto& [name, value] : headers) {
    if (!IEquals(name, "connection")) continue;
    for (std::string_view token : SplitList(value)) out.emplace_back(token);
  }
  return out;
}

bool DropOutbound(std::string_view name, const std::vector<std::string>& connection_tokens) {
  if (IsHopByHop(name) || IStartsWith(name, "proxy-") || IStartsWith(name, "x-target-") ||
      IStartsWith(name, "x-credential-") || IStartsWith(name, "x-oauth-")) {
    return true;
  }
  // Range and If-Range go too: a caller who picks the byte range of an echo
  // could cut a secret so that no part of it is recognizable.
  for (std::string_view h : {"authorization", "cookie", "host", "content-length", "expect",
                             "accept-encoding", "range", "if-range"}) {
    if (IEquals(name, h)) return true;
  }
  for (const auto& t : connection_tokens) {
    if (IEquals(name, t)) return true;
  }
  return false;
}

// Upstream headers the caller does not get: framing we redo, and the ones
// our HTTP layer sets itself.
bool DropInbound(std::string_view name) {
  if (IsHopByHop(name) || IStartsWith(name, "proxy-")) return true;
  for (std::string_view h : {"content-length", "x-request-id", "x-content-type-options",
                             "referrer-policy", "x-frame-options", "content-security-policy"}) {
    if (IEquals(name, h)) return true;
  }
  return false;
}

bool IsAllowedMethod(std::string_view m) {
  for (std::string_view ok : {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}) {
    if (m == ok) return true;
  }
  return false;
}

struct CurlUrl {
  CURLU* u = curl_url();
  ~CurlUrl() { curl_url_cleanup(u); }
  std::optional<std::string> Get(CURLUPart part, unsigned flags = 0) const {
    char* out = nullptr;
    if (curl_url_get(u, part, &out, flags) != CURLUE_OK || !out) return std::nullopt;
    std::string s(out);
    curl_free(out);
    return s;
  }
};

}  // namespace

Result<TargetUrl> ProxyService::ParseTarget(const std::string& url) {
  constexpr char kBad[] = "X-Target-Url must be an absolute http(s) URL";
  if (url.empty() || url.size() > 8192) return InvalidArgument(kBad);
  for (unsigned char c : url) {
    if (c <= 0x20 || c == 0x7f) return InvalidArgument(kBad);
  }
  CurlUrl u;
  if (!u.u || curl_url_set(u.u, CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    return InvalidArgument(kBad);
  }
  TargetUrl t;
  t.scheme = u.Get(CURLUPART_SCHEME).value_or("");
  if (t.scheme != "https" && t.scheme != "http") return InvalidArgument(kBad);
  if (u.Get(CURLUPART_USER) || u.Get(CURLUPART_PASSWORD)) {
    return InvalidArgument("X-Target-Url must not carry a user name or password");
  }
  std::string host = u.Get(CURLUPART_HOST).value_or("");
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  auto normal = NormalizeHost(host);
  if (!normal) return InvalidArgument("X-Target-Url has an invalid host");
  t.host = *normal;
  t.port = std::atoi(u.Get(CURLUPART_PORT, CURLU_DEFAULT_PORT).value_or("0").c_str());
  if (t.port < 1 || t.port > 65535) return InvalidArgument("X-Target-Url has an invalid port");
  t.path = u.Get(CURLUPART_PATH).value_or("/");
  return t;
}

Result<TargetUrl> ProxyService::Precheck(const ProxyCall& call) const {
  if (call.target_url.empty()) return InvalidArgument("X-Target-Url header is required");
  if (call.credential.empty()) {
    return InvalidArgument("X-Credential-Name (or X-Oauth-Token-Id) header is required");
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
  return ParseTarget(call.target_url);
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
    HeaderList out;
    for (const auto& [name, value] : headers) {
      if (IEquals(name, "content-length")) {
        char* end = nullptr;
        long long n = std::strtoll(value.c_str(), &end, 10);
        if (end && *end == '\0' && n >= 0) expected_ = n;
      }
      if (DropInbound(name)) continue;
      // A name cannot hold "[REDACTED]" (brackets are not token
      // characters): a header whose name echoes a secret goes entirely.
      if (redactor_.Contains(name)) continue;
      out.emplace_back(name, redactor_.Redact(value));
    }
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

  bool started() const { return started_; }
  bool alive() const { return alive_; }
  int status() const { return status_; }
  size_t bytes() const { return bytes_; }

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
  const TargetUrl& t = ex->target;
  if (t.scheme == "http" &&
      std::find(options_.allow_http_hosts.begin(), options_.allow_http_hosts.end(), t.host) ==
          options_.allow_http_hosts.end()) {
    return Refuse(ex, InvalidArgument("plain http is not allowed to " + t.host + "; use https"));
  }
  if (!HostAllowed(injection->allowed_hosts, t.host)) {
    return Refuse(ex, PermissionDenied(t.host + " is not an allowed host for credential '" +
                                       c.credential + "'"));
  }

  HttpClientRequest out;
  out.method = c.method;
  out.url = c.target_url;
  if (!injection->query.empty()) {
    CurlUrl u;
    curl_url_set(u.u, CURLUPART_URL, c.target_url.c_str(), 0);
    for (const auto& [name, value] : injection->query) {
      std::string pair = name + "=" + value;
      curl_url_set(u.u, CURLUPART_QUERY, pair.c_str(), CURLU_APPENDQUERY | CURLU_URLENCODE);
      SecureWipe(pair.data(), pair.size());
    }
    out.url = u.Get(CURLUPART_URL).value_or(c.target_url);
  }
  out.allow_http = t.scheme == "http";
  out.check_address = [policy = &options_.addresses,
                       host = t.host](const sockaddr* address) -> std::optional<std::string> {
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
  auto connection_tokens = ConnectionTokens(c.headers);
  for (const auto& [name, value] : c.headers) {
    if (DropOutbound(name, connection_tokens)) continue;
    bool injected = false;
    for (const auto& [iname, ivalue] : injection->headers) injected |= IEquals(name, iname);
    if (!injected) out.headers.emplace_back(name, value);
  }
  for (const auto& [name, value] : injection->headers) out.headers.emplace_back(name, value);
  out.headers.emplace_back("Accept-Encoding",
                           "identity");  // so echoes can be redacted

  std::vector<std::string> secrets = injection->secrets;
  for (const auto& [name, value] : injection->headers) secrets.push_back(value);
  auto forwarder = std::make_shared<Forwarder>(
      ex->sink, secrets, [this, ex](const Forwarder& f, const Status& fetched) {
        if (!f.started()) {
          Status error = fetched.ok() ? UpstreamError("upstream sent no response") : fetched;
          if (error.code() == StatusCode::kUnavailable) {
            error = UpstreamError("upstream request failed");
          }
          if (error.code() == StatusCode::kPermissionDenied) return Refuse(ex, error);
          Audit(*ex, 0, "failure", 0, error.message(), true);
          ex->sink->Fail(error);
          ex->sink->End();
          return;
        }
        bool complete = fetched.ok() && f.alive();
        std::string error;
        if (!fetched.ok()) error = f.alive() ? fetched.message() : "caller went away";
        Audit(*ex, f.status(), complete ? "success" : "failure", f.bytes(), error, true);
        ex->sink->End();
      });
  for (auto& s : secrets) SecureWipe(s.data(), s.size());
  loop_.Submit(std::move(out), std::move(forwarder));
}

void ProxyService::Refuse(const std::shared_ptr<Exchange>& ex, const Status& error) {
  bool upstream = error.code() == StatusCode::kUpstreamError;
  Audit(*ex, 0, upstream ? "failure" : "denied", 0, error.message(), false);
  ex->sink->Fail(error);
  ex->sink->End();
}

void ProxyService::Audit(const Exchange& ex, int status, const char* outcome, size_t bytes_out,
                         const std::string& error, bool used) {
  const ProxyCall& call = ex.call;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  ex.started)
                .count();
  AuditEvent event =
      AuditEvent::For(call.audit, call.account_id, "proxy.request", call.credential, outcome);
  event.details = {{"credential", call.credential},
                   {"host", ex.target.host},
                   {"method", call.method},
                   {"path", ex.target.path},
                   {"status", std::to_string(status)},
                   {"latency_ms", std::to_string(ms)},
                   {"bytes_in", std::to_string(call.body.size())},
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
