#include "common/http_client.h"

#include <curl/curl.h>

#include <mutex>

#include "common/curl_transfer.h"

namespace latchkey {
namespace {

struct CurlHandle {
  CURL* curl = nullptr;
  CurlHandle() {
    HttpClient::GlobalInit();
    curl = curl_easy_init();
  }
  ~CurlHandle() {
    if (curl) curl_easy_cleanup(curl);
  }
};

class Collector final : public HttpClientHandler {
 public:
  Collector(HttpClientResponse& r, size_t max) : r_(r), max_(max) {}
  bool OnHead(int status, const HeaderList& headers) override {
    r_.status = status;
    r_.headers = headers;
    return true;
  }
  bool OnBody(std::string_view chunk) override {
    if (r_.body.size() + chunk.size() > max_) {
      too_big = true;
      return false;
    }
    r_.body.append(chunk);
    return true;
  }
  bool too_big = false;

 private:
  HttpClientResponse& r_;
  size_t max_;
};

}  // namespace

void HttpClient::GlobalInit() {
  static std::once_flag init;
  // A failed global init leaves every handle null: Fetch then answers
  // "curl is not available".
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

Status HttpClient::Fetch(const HttpClientRequest& request, HttpClientHandler& handler) {
  thread_local CurlHandle handle;
  CURL* c = handle.curl;
  if (!c) return Internal("curl is not available");
  curl_easy_reset(c);  // keeps live connections for reuse
  Status result;
  {
    CurlTransfer t(request, handler);
    result = t.Prepare(c);
    if (result.ok()) result = t.Result(curl_easy_perform(c));
  }
  // The header list the transfer pointed curl at is gone.
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
  return result;
}

Result<HttpClientResponse> HttpClient::Fetch(const HttpClientRequest& request, size_t max_body) {
  HttpClientResponse response;
  Collector collector(response, max_body);
  Status s = Fetch(request, collector);
  if (collector.too_big) return UpstreamError("upstream response is too large");
  if (!s.ok()) return s;
  return response;
}

}  // namespace latchkey
