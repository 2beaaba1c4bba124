#include "api/http_connection.h"

#include <pistache/http.h>
#include <pistache/http_defs.h>
#include <strings.h>

#include <cctype>

#include "common/json_text.h"
#include "common/metrics.h"
#include "common/url.h"

namespace latchkey {

namespace PH = Pistache::Http;

void AppendHead(std::string& out, int status, const std::string& content_type,
                const std::vector<std::pair<std::string, std::string>>& headers,
                const std::string& request_id, bool keep_alive, std::string_view framing) {
  out += "HTTP/1.1 ";
  out += std::to_string(status);
  out += ' ';
  out += PH::codeString(static_cast<PH::Code>(status));
  out += "\r\n";
  bool has_cache_control = false;
  auto header = [&out](std::string_view name, std::string_view value) {
    out += name;
    out += ": ";
    for (char c : value) {
      if (c != '\r' && c != '\n') out += c;
    }
    out += "\r\n";
  };
  for (const auto& [name, value] : headers) {
    if (strcasecmp(name.c_str(), "Cache-Control") == 0) has_cache_control = true;
    header(name, value);
  }
  if (!content_type.empty()) header("Content-Type", content_type);  // none without a body
  header("X-Request-Id", request_id);
  header("X-Content-Type-Options", "nosniff");
  header("Referrer-Policy", "no-referrer");
  header("X-Frame-Options", "DENY");
  header("Content-Security-Policy", kCsp);
  if (!has_cache_control) header("Cache-Control", "no-store");
  header("Connection", keep_alive ? "keep-alive" : "close");
  out += framing;
  out += "\r\n";
}

std::string Serialize(const HttpResponse& r, const std::string& request_id, bool keep_alive,
                      bool head_only) {
  bool bodyless = r.status == 204 || r.status == 304;
  std::string out;
  out.reserve(512 + r.body.size());
  std::string framing;
  if (!bodyless) framing = "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  AppendHead(out, r.status, r.content_type, r.headers, request_id, keep_alive, framing);
  if (!bodyless && !head_only) out += r.body;
  return out;
}

namespace {

// The method label: the methods routes answer, else "other".
std::string MethodLabel(const std::string& method) {
  for (const char* m : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
    if (method == m) return method;
  }
  return "other";
}

CounterFamily& RequestCounts() {
  static CounterFamily& requests = Metrics::Default().Counter(
      "latchkey_http_requests_total",
      "HTTP requests answered, by route template (unmatched: no route, or refused before "
      "routing), method and status class",
      {"route", "method", "code"});
  return requests;
}

void CountRequest(const RequestLine& r, int status, double seconds) {
  CounterFamily& requests = RequestCounts();
  static HistogramFamily& durations = Metrics::Default().Histogram(
      "latchkey_http_request_duration_seconds",
      "Time from the request's arrival to its last byte, by route template", {"route", "method"},
      Metrics::LatencyBuckets());
  std::string route = r.route.empty() ? "unmatched" : r.route;
  std::string method = MethodLabel(r.method);
  requests.Add({route, method, StatusClass(status)});
  durations.Observe({route, method}, seconds);
}

}  // namespace

void CountRejectedRequest(int status) {
  RequestCounts().Add({"unmatched", "other", StatusClass(status)});
}

void LogRequest(Logger& logger, const RequestLine& r, int status, size_t bytes_out,
                const char* streamed) {
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - r.started)
          .count();
  CountRequest(r, status, ms / 1000);
  if (!logger.Enabled(LogLevel::kInfo)) return;
  LogField fields[] = {{"request_id", r.request_id},
                       {"method", r.method},
                       {"path", r.path},
                       {"status", status},
                       {"duration_ms", ms},
                       {"bytes_in", static_cast<int64_t>(r.bytes_in)},
                       {"bytes_out", static_cast<int64_t>(bytes_out)},
                       {"client", r.client},
                       {"streamed", streamed ? streamed : ""}};
  // "streamed" (the last field) only for streamed responses.
  size_t count = std::size(fields) - (streamed ? 0 : 1);
  logger.Log(LogLevel::kInfo, "request", std::span<const LogField>(fields, count));
}

namespace {
int64_t SteadyNanos() { return std::chrono::steady_clock::now().time_since_epoch().count(); }
}  // namespace

void NoteWriteQueued(PeerState& st) {
  if (st.writes_queued.fetch_add(1) == 0) st.write_waiting_since = SteadyNanos();
}

void NoteWriteDone(const std::weak_ptr<PeerState>& weak) {
  if (auto st = weak.lock()) {
    // Progress: the clock restarts for what is still queued.
    st->write_waiting_since = st->writes_queued.fetch_sub(1) > 1 ? SteadyNanos() : 0;
  }
}

// An X-Request-Id a client may choose: 1-64 of [A-Za-z0-9._-].
bool ValidRequestId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// The query string's parameters, percent-decoded ('+' is a space); false
// when one is not valid percent-encoding.
bool ParseQuery(std::string_view query, std::vector<std::pair<std::string, std::string>>* out) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    auto key = PercentDecode(std::string(pair.substr(0, eq)), true);
    auto value = PercentDecode(
        eq == std::string_view::npos ? std::string() : std::string(pair.substr(eq + 1)), true);
    if (!key || !value || !IsValidUtf8(*key) || !IsValidUtf8(*value)) return false;
    out->emplace_back(std::move(*key), std::move(*value));
  }
  return true;
}

// Whether bytes [from, end) of `data` hold a line end or a byte no request
// head may contain: only then can a partial head have become complete or
// wrong. Checking the whole head on every read would be quadratic.
bool HeadMayHaveChanged(std::string_view data, size_t from) {
  for (size_t i = from; i < data.size(); ++i) {
    auto c = static_cast<unsigned char>(data[i]);
    if (c == '\n' || (c < 0x20 && c != '\r' && c != '\t') || c == 0x7f) return true;
  }
  return false;
}

namespace {

// A response header with a name chosen at run time (Pistache drops raw
// response headers, so each must be a Header object).
class NamedHeader final : public PH::Header::Header {
 public:
  NamedHeader(std::string name, std::string value) : name_(std::move(name)) {
    for (char c : value) {
      if (c != '\r' && c != '\n') value_ += c;
    }
  }
  const char* name() const override { return name_.c_str(); }
  void write(std::ostream& os) const override { os << value_; }
  uint64_t hash() const override { return std::hash<std::string>{}(name_); }

 private:
  std::string name_;
  std::string value_;
};

}  // namespace

void WriteWithPistache(PH::ResponseWriter& writer, const HttpResponse& r,
                       const std::string& request_id) {
  auto& headers = writer.headers();
  bool has_cache_control = false;
  for (const auto& [name, value] : r.headers) {
    if (strcasecmp(name.c_str(), "Cache-Control") == 0) has_cache_control = true;
    headers.add(std::make_shared<NamedHeader>(name, value));
  }
  if (!r.content_type.empty()) {
    headers.add(std::make_shared<NamedHeader>("Content-Type", r.content_type));
  }
  headers.add(std::make_shared<NamedHeader>("X-Request-Id", request_id));
  headers.add(std::make_shared<NamedHeader>("X-Content-Type-Options", "nosniff"));
  headers.add(std::make_shared<NamedHeader>("Referrer-Policy", "no-referrer"));
  headers.add(std::make_shared<NamedHeader>("X-Frame-Options", "DENY"));
  headers.add(std::make_shared<NamedHeader>("Content-Security-Policy", kCsp));
  if (!has_cache_control) headers.add(std::make_shared<NamedHeader>("Cache-Control", "no-store"));
  headers.add<PH::Header::Connection>(PH::ConnectionControl::Close);
  writer.send(static_cast<PH::Code>(r.status), r.body);
}

}  // namespace latchkey
