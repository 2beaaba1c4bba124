// HttpClient: outbound HTTP(S) on libcurl, for the proxy and the OAuth
// token endpoints.
//
// Safe defaults: TLS peer and host verification against the system CA
// bundle, https only unless the request allows http, redirects never
// followed, environment proxies ignored, no Expect: 100-continue, and no
// content decoding (bytes arrive as the upstream sent them). A request may
// check every address curl is about to connect to (after DNS, at the
// connect itself, so a name cannot be re-pointed between the check and the
// connection).
//
// Fetch blocks its thread; each thread reuses one curl handle, so
// keep-alive connections to an upstream are reused by later requests on
// that thread. HttpClientLoop (http_client_loop.h) runs many transfers on
// a few threads instead.
//
// Thread-safety: Fetch may be called from any thread.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace latchkey {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpClientRequest {
  std::string method = "GET";
  std::string url;
  HeaderList headers;
  std::string body;
  bool allow_http = false;  // otherwise https only
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds total_timeout{60000};
  const std::atomic<bool>* cancel = nullptr;  // when it turns true, the transfer stops
  // Called for each address before connecting to it; a reason refuses it.
  // If every address was refused the transfer fails with
  // PermissionDenied(the last reason).
  std::function<std::optional<std::string>(const sockaddr* address)> check_address;
};

// Receives a response as it arrives.
class HttpClientHandler {
 public:
  virtual ~HttpClientHandler() = default;
  // The final response head (1xx interim responses are skipped). Returning
  // false aborts the transfer.
  virtual bool OnHead(int status, const HeaderList& headers) = 0;
  // A piece of the body. Returning false aborts the transfer.
  virtual bool OnBody(std::string_view chunk) = 0;

  // Used by HttpClientLoop only. While Congested() the loop holds back the
  // body, waits until wait_fd() is writable and calls OnWritable (false
  // gives up on the transfer). OnDone comes last, exactly once, with the
  // transfer's status (see HttpClient::Fetch for the codes).
  virtual bool Congested() const { return false; }
  virtual int wait_fd() const { return -1; }
  virtual bool OnWritable() { return true; }
  virtual void OnDone(const Status& status) { (void)status; }
};

struct HttpClientResponse {
  int status = 0;
  HeaderList headers;
  std::string body;
};

class HttpClient {
 public:
  // UpstreamTimeout when the connect or total timeout passed; UpstreamError
  // when the upstream could not be reached or broke off (DNS, connect, TLS,
  // reset); PermissionDenied when
  // check_address refused every address; Unavailable when the handler
  // aborted or the transfer was cancelled; InvalidArgument for a URL curl
  // refuses.
  static Status Fetch(const HttpClientRequest& request, HttpClientHandler& handler);
  // Buffers the whole response; UpstreamError past `max_body` bytes.
  static Result<HttpClientResponse> Fetch(const HttpClientRequest& request, size_t max_body);
  // libcurl's one-time global setup; Fetch and HttpClientLoop call it.
  static void GlobalInit();
};

}  // namespace latchkey
