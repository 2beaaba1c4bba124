// HttpServer: serves an App over HTTP/1.1 with Pistache.
//
// Pistache is used for sockets, its reactor threads and its request parser,
// but the input loop is ours: each request head is checked strictly first
// (see request_head.h), so a malformed request gets an immediate JSON 400
// and the connection is closed; keep-alive is the HTTP/1.1 default even for
// clients that do not ask; pipelined requests are all answered in order;
// every response carries the request id and security headers; and one JSON
// log line is written per request.
//
// Thread-safety: Start/Stop from one thread; requests are served on
// `threads` reactor threads.
#pragma once

#include <chrono>
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
  int max_streams = 1024;  // streamed responses (the proxy) at once; 503 past it
};

class HttpServer {
 public:
  HttpServer(App& app, Logger& logger, HttpServerOptions options);
  ~HttpServer();

  // Binds and starts serving in background threads. Unavailable if the
  // address cannot be bound.
  Status Start();
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
