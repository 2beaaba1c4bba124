// HttpRequest / HttpResponse: the framework-free view of an HTTP exchange
// that routes and handlers work with. Only api/http_server.cc knows Pistache.
//
// Thread-safety: plain values.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace latchkey {

struct CaseInsensitiveLess {
  bool operator()(const std::string& a, const std::string& b) const;
};

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // percent-encoded path, no query string
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  std::map<std::string, std::string, CaseInsensitiveLess> headers;
  std::string body;
  std::string client_address;
  std::string request_id;
  std::map<std::string, std::string> path_params;  // decoded; set by the router

  std::optional<std::string> Header(const std::string& name) const;
  // The first value of a query parameter.
  std::optional<std::string> Query(std::string_view name) const;
};

struct HttpResponse;

// A response written as it is produced, from a stream thread (the proxy).
// The body goes out with chunked transfer encoding.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  // Status line and headers. False if the client is gone.
  virtual bool Start(int status, const std::string& content_type,
                     const std::vector<std::pair<std::string, std::string>>& headers) = 0;
  // A piece of the body; `last` when nothing follows (saves a write). False
  // if the client is gone.
  virtual bool Write(std::string_view chunk, bool last = false) = 0;
  // A complete response instead (a JSON error), if nothing was started.
  virtual void Respond(const HttpResponse& response) = 0;
  // Set when the server is shutting down: long work should stop.
  virtual const std::atomic<bool>& cancelled() const = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  // When set, the transport runs this on a stream thread instead of
  // sending `body`; everything else here is ignored.
  std::function<void(ResponseStream&)> stream;
};

// Decodes %XX escapes (and '+' as space when `plus_is_space`). nullopt for a
// malformed escape or a decoded NUL.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space);

}  // namespace latchkey
