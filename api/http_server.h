// HttpServer: serves an App over HTTP/1.1 with Pistache.
//
// Pistache is used for sockets and its reactor threads; the input loop and
// the parsing are ours: each request head is checked strictly (see
// request_head.h) and chunked bodies are decoded by ChunkedDecoder, both in
// time linear in the bytes received, so a malformed request gets an
// immediate JSON error and the connection is closed; keep-alive is the
// HTTP/1.1 default even for clients that do not ask; pipelined requests are
// all answered in order; HEAD is answered for every GET route; every
// response carries the request id and security headers; and one JSON log
// line is written per request.
//
// Slow clients hold no thread: a sweeper answers a request whose head or
// body is not complete within its timeout with a JSON 408 and closes the
// connection, and cuts a client that leaves a response unread past the body
// timeout. Connections are capped in all and per client address.
//
// Thread-safety: Start/Stop from one thread; requests are served on
// `threads` reactor threads.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "api/app.h"
#include "common/logger.h"

namespace latchkey {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 picks a free port
  int threads = 2;
  size_t max_body_bytes = 1 << 20;
  size_t max_head_bytes = 16 * 1024;
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds body_timeout{30000};
  std::chrono::milliseconds keepalive_timeout{60000};
  int max_streams = 1024;  // proxied (streamed) responses at once; 503 past it
  // The longest a received request may legitimately take to answer (a
  // proxied exchange, a provider call on a worker). Pistache's own timeouts,
  // which only back ours up, must not fire before it.
  std::chrono::milliseconds longest_exchange{120000};
  size_t max_target_bytes = 8 * 1024;  // 414 past it
  size_t max_headers = 100;            // 431 past it
  // Open connections at once, in all and from one client address; a
  // connection past either gets a 503 JSON error and is closed.
  int max_connections = 10000;
  int max_connections_per_address = 256;
};

class HttpServer {
 public:
  HttpServer(App& app, Logger& logger, HttpServerOptions options);
  ~HttpServer();

  // Binds and starts serving in background threads. Unavailable if the
  // address cannot be bound. `on_bound` runs with the bound port before
  // any request is handled (requests that arrive meanwhile wait for it, or
  // get a 503 if they are answered first), so what it sets up, such as the
  // public URL with port 0, happens before every request.
  Status Start(const std::function<void(uint16_t port)>& on_bound = nullptr);
  // The bound port (useful with port 0), valid after Start.
  uint16_t port() const;

  // Refuses new requests (503, connection closed), waits up to `grace` for
  // in-flight requests to finish, then stops the reactor. Returns the number
  // of requests still in flight when the grace period ended.
  int Shutdown(std::chrono::milliseconds grace);

  struct Core;  // shared with the per-thread handlers

 private:
  std::shared_ptr<Core> core_;
  HttpServerOptions options_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace latchkey
