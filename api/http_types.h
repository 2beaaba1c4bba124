// HttpRequest / HttpResponse: the framework-free view of an HTTP exchange
// that routes and handlers work with. Only api/http_server.cc knows Pistache.
//
// Thread-safety: plain values.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/url.h"

namespace latchkey {

struct CaseInsensitiveLess {
  bool operator()(const std::string& a, const std::string& b) const;
};

struct HttpRequest {
  std::string method;                                      // "GET", "POST", ...
  std::string path;                                        // percent-encoded path, no query string
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  std::string raw_query;  // as sent, after '?' (forwarded by the proxy)
  std::map<std::string, std::string, CaseInsensitiveLess> headers;
  std::string body;
  std::string client_address;
  std::string request_id;
  // Set by the router: the matched route's pattern ("/certificates/{id}"),
  // empty when none matched (the metrics' route label).
  std::string route;
  // Set by the router: decoded, except a rest-of-path "{name...}".
  std::map<std::string, std::string> path_params;

  std::optional<std::string> Header(const std::string& name) const;
  // The first value of a query parameter.
  std::optional<std::string> Query(std::string_view name) const;
};

struct HttpResponse;

// A response written as it is produced by work that runs elsewhere (the
// proxy's event loop). The body goes out with chunked transfer encoding.
// Writes never block: what the client has not taken yet is buffered, and a
// producer that finds the stream Congested waits until fd() is writable and
// calls Flush. End() completes the exchange and returns the connection to
// the server.
//
// Thread-safety: one thread at a time (the producer may hand the stream
// from thread to thread).
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  // Status line and headers (held back until body bytes or End). False if
  // the client is gone.
  virtual bool Start(int status, const std::string& content_type,
                     const std::vector<std::pair<std::string, std::string>>& headers) = 0;
  // A piece of the body; `last` when nothing follows, which lets the whole
  // response leave in one write at End. False if the client is gone.
  virtual bool Write(std::string_view chunk, bool last = false) = 0;
  // A complete response instead (a JSON error), if nothing was started.
  virtual void Respond(const HttpResponse& response) = 0;
  // More buffered than the client should be sent before it reads some.
  virtual bool Congested() const = 0;
  // The connection's descriptor, to wait on for writability.
  virtual int fd() const = 0;
  // Sends what the client will take now; false if the client is gone.
  virtual bool Flush() = 0;
  // Ends the response (a 502 if nothing was started) and the exchange;
  // nothing may be written after it. Output still buffered is handed to
  // the server to finish sending. On a worker it may go on to answer
  // requests the client pipelined behind this one: call it holding no lock.
  virtual void End() = 0;
  // Set when the server is shutting down: long work should stop.
  virtual const std::atomic<bool>& cancelled() const = 0;
  // Counts this response against the cap on proxied streams; false when
  // the cap is reached (answer 503 instead). Idempotent.
  virtual bool AdmitProxied() = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  // When set, the transport calls this (on the request's thread, once)
  // with a stream for the response instead of sending `body`; everything
  // else here is ignored. The callee keeps the stream and must End it.
  std::function<void(std::shared_ptr<ResponseStream>)> stream;
  // Set with `stream` for a request handed to the worker pool: bounded by
  // the pool's queue, not by the cap on proxied streams.
  bool deferred = false;
};

}  // namespace latchkey
