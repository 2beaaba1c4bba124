// Internals shared by the HTTP server's reactor side (http_server.cc) and
// its stream writer (stream_writer.cc): the server's shared core, what we
// know about a connection, and the wire format of our responses.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/app.h"
#include "api/chunked_decoder.h"
#include "api/http_server.h"
#include "api/http_types.h"
#include "api/request_head.h"
#include "common/logger.h"

namespace Pistache::Http {
class ResponseWriter;
}  // namespace Pistache::Http

namespace latchkey {

struct HttpServer::Core {
  Core(App& a, Logger& l, HttpServerOptions o) : app(a), logger(l), options(std::move(o)) {}
  App& app;
  Logger& logger;
  HttpServerOptions options;
  std::atomic<int> in_flight{0};
  std::atomic<bool> draining{false};
  // Set (release) once Start's on_bound has run; read (acquire) before a
  // request is handled, so what on_bound wrote is visible to it.
  std::atomic<bool> accepting{false};
  std::atomic<bool> cancelled{false};  // streams should stop now
  std::atomic<int> streams{0};         // streamed responses not yet ended
  std::atomic<int> proxied{0};         // of those, proxied ones (capped by max_streams)
};

inline constexpr char kCsp[] = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

// What we know about a connection between reads.
struct PeerState {
  PeerState() = default;
  PeerState(const PeerState&) = delete;
  PeerState& operator=(const PeerState&) = delete;
  ~PeerState();

  // Held by the reactor while it handles input, by a stream thread when it
  // hands the connection back, and by the worker that answered a deferred
  // request while it reads the requests pipelined behind it (those answered
  // from memory run there; the rest are queued again). A reactor that gets
  // input for that connection meanwhile waits for it.
  std::mutex mu;
  // A stream thread owns the connection's output: input is only buffered.
  bool streaming = false;
  std::string pending;                    // bytes not yet consumed by a request
  size_t head_scanned = 0;                // bytes of `pending` seen while its head was incomplete
  std::optional<HeadCheck> head;          // the current request's checked head
  std::optional<ChunkedDecoder> chunked;  // its body, when chunked
  bool continue_sent = false;
  // When the current request's first byte arrived (or the connection
  // opened); its head and body must be complete within their timeouts.
  std::chrono::steady_clock::time_point request_started = std::chrono::steady_clock::now();
  bool served = false;  // at least one response went out on this connection
  bool closed = false;  // no more input is read
  // The descriptor may be closed at any moment (onDisconnection ran, or we
  // shut it down): the sweeper must not touch it again.
  bool gone = false;
  // A duplicate of the socket for stream writers, made by the first
  // streamed response and kept for the connection's life (one dup per
  // connection, not per request). Pistache may close its own descriptor
  // at any time (a timeout); this one stays valid, and never names a
  // newer connection, until the last writer is gone.
  int stream_fd = -1;
  // Since when queued responses have waited for the client to read any of
  // them (steady clock, ns; 0 when nothing waits). Written by the reactor's
  // write callbacks, read by the timeout sweeper.
  std::atomic<int64_t> write_waiting_since{0};
  // Responses waiting in Pistache's queue. While any wait, every later
  // write on this connection goes through the queue too, so bytes stay in
  // order; once it is empty, writes go straight to the socket again.
  std::atomic<int> writes_queued{0};
  // Holds the connection's place in the per-address and total counts;
  // released when the connection's state is destroyed.
  std::shared_ptr<void> slot;
};

// The answer on the two paths where Pistache hands us a writer (its own
// timeout, and a request it parsed itself): always closes the connection.
void WriteWithPistache(Pistache::Http::ResponseWriter& writer, const HttpResponse& response,
                       const std::string& request_id);

// An X-Request-Id a client may choose (else the server makes one).
bool ValidRequestId(const std::string& id);

// The query string's parameters, percent-decoded ('+' is a space); false
// when one is not valid percent-encoding or UTF-8.
bool ParseQuery(std::string_view query, std::vector<std::pair<std::string, std::string>>* out);

// Whether bytes [from, end) of `data` hold a line end or a byte no request
// head may contain: only then can a partial head have become complete or
// wrong (checking the whole head on every read would be quadratic).
bool HeadMayHaveChanged(std::string_view data, size_t from);

// Bookkeeping for a write handed to Pistache's queue: call the first
// before the send, the second from its completion (either outcome).
void NoteWriteQueued(PeerState& st);
void NoteWriteDone(const std::weak_ptr<PeerState>& st);

// What the per-request log line says about a request, kept for when the
// response is done (a streamed one finishes on another thread).
struct RequestLine {
  std::string request_id;
  std::string method;
  std::string path;
  std::string client;
  size_t bytes_in = 0;
  std::chrono::steady_clock::time_point started;
  std::string route;  // the matched route's pattern, or ""
};

// "HTTP/1.1 200 OK", the route's headers and ours, and the blank line.
// `framing` is the Content-Length or Transfer-Encoding line, if any.
void AppendHead(std::string& out, int status, const std::string& content_type,
                const std::vector<std::pair<std::string, std::string>>& headers,
                const std::string& request_id, bool keep_alive, std::string_view framing);

// The whole response. 204 and 304 carry no body and no Content-Length
// (RFC 9110 §8.6); the answer to a HEAD (`head_only`) carries the
// Content-Length the body would have, without the body.
std::string Serialize(const HttpResponse& r, const std::string& request_id, bool keep_alive,
                      bool head_only = false);

// Counts a request refused before it was parsed or routed (malformed,
// too large, over a connection cap) in the metrics, as route "unmatched",
// method "other".
void CountRejectedRequest(int status);

// One JSON line per request; `streamed` is "complete" or "broken" for a
// streamed response, null otherwise.
void LogRequest(Logger& logger, const RequestLine& r, int status, size_t bytes_out,
                const char* streamed = nullptr);

}  // namespace latchkey
