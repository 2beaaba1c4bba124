// HttpClientLoop: outbound HTTP(S) transfers driven by a few event-loop
// threads (curl's multi interface on epoll) instead of a blocked thread per
// request. The proxy uses it so that thousands of slow upstreams (LLM
// streams) cost sockets, not threads, and a fast one costs no thread
// handoffs beyond the submit.
//
// A transfer's handler is called on its loop thread only: OnHead, OnBody
// (held back while the handler is Congested, resumed when its wait_fd is
// writable), then OnDone exactly once. Keep-alive connections are pooled
// per loop thread and reused across transfers to the same host.
//
// Usage:
//   HttpClientLoop loop({.threads = 1});
//   loop.Submit(std::move(request), std::make_shared<MyHandler>(...));
//
// Thread-safety: Submit may be called from any thread. Stop (and the
// destructor) ends every transfer still running with Unavailable.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

#include "common/http_client.h"

namespace latchkey {

struct HttpClientLoopOptions {
  int threads = 1;
  long max_connections = 256;  // idle keep-alive connections kept per thread
  // A transfer whose handler stays congested this long is given up on
  // (the client stopped reading).
  std::chrono::milliseconds stall_timeout{30000};
};

class HttpClientLoop {
 public:
  explicit HttpClientLoop(HttpClientLoopOptions options = {});
  ~HttpClientLoop();
  HttpClientLoop(const HttpClientLoop&) = delete;
  HttpClientLoop& operator=(const HttpClientLoop&) = delete;

  // Starts a transfer; the loop keeps `handler` until after its OnDone. A
  // request curl cannot take, or a stopped loop, gets OnDone with the error
  // (on the loop thread, or at once on the caller's after Stop).
  void Submit(HttpClientRequest request, std::shared_ptr<HttpClientHandler> handler);

  // Ends every transfer (OnDone(Unavailable)) and joins the threads.
  void Stop();

  // Transfers submitted and not yet done, across threads.
  int active() const { return active_.load(); }

  class Worker;  // one loop thread

 private:
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<unsigned> next_{0};
  std::atomic<int> active_{0};
  std::atomic<bool> stopped_{false};
};

}  // namespace latchkey
