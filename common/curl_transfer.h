// CurlTransfer: one outbound request's state on a curl easy handle, shared
// by the blocking HttpClient::Fetch and the event-driven HttpClientLoop.
// Internal to common/.
//
// Prepare() applies the request to the handle with our safe defaults (see
// http_client.h) and points curl's callbacks at this object; the object
// must outlive the transfer and stay at one address. Result() maps curl's
// outcome to our status codes.
//
// Thread-safety: one transfer is driven by one thread at a time.
#pragma once

#include <curl/curl.h>

#include <optional>
#include <string>
#include <vector>

#include "common/http_client.h"

namespace latchkey {

class CurlTransfer {
 public:
  CurlTransfer(HttpClientRequest request, HttpClientHandler& handler)
      : request_(std::move(request)), handler_(handler) {}
  ~CurlTransfer();
  CurlTransfer(const CurlTransfer&) = delete;
  CurlTransfer& operator=(const CurlTransfer&) = delete;

  // Internal if curl refuses an option or runs out of memory: the
  // transfer must not start then.
  Status Prepare(CURL* curl);
  // The transfer's outcome once curl reports `rc`; see HttpClient::Fetch.
  Status Result(CURLcode rc) const;

  HttpClientHandler& handler() { return handler_; }
  const HttpClientRequest& request() const { return request_; }
  // Set by the write callback when the handler was congested: curl holds
  // the bytes until the transfer is unpaused. The transfer also adds
  // itself to `pause_list`, if set, so a loop finds it without a scan.
  bool paused = false;
  std::vector<CurlTransfer*>* pause_list = nullptr;

 private:
  static size_t OnHeaderLine(char* data, size_t size, size_t n, void* user);
  static size_t OnBodyData(char* data, size_t size, size_t n, void* user);
  static int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t);
  static curl_socket_t OpenSocket(void* user, curlsocktype, curl_sockaddr* address);
  bool DeliverHead();

  HttpClientRequest request_;
  HttpClientHandler& handler_;
  curl_slist* headers_ = nullptr;
  int status_ = 0;
  HeaderList response_headers_;
  bool head_done_ = false;
  bool aborted_ = false;
  std::optional<std::string> refusal_;  // why check_address refused
};

}  // namespace latchkey
