#include "api/http_connection.h"

#include <pistache/http_defs.h>
#include <strings.h>

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
  header("Content-Type", content_type);
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

void LogRequest(Logger& logger, const RequestLine& r, int status, size_t bytes_out,
                const char* streamed) {
  if (!logger.Enabled(LogLevel::kInfo)) return;
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - r.started)
          .count();
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

}  // namespace latchkey
