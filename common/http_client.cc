#include "common/http_client.h"

#include <curl/curl.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <cstring>
#include <mutex>

namespace latchkey {
namespace {

struct Transfer {
  HttpClientHandler* handler = nullptr;
  const std::optional<std::string>* pinned_ip = nullptr;
  int status = 0;
  HeaderList headers;
  bool head_done = false;
  bool aborted = false;
  bool pin_refused = false;
  const std::atomic<bool>* cancel = nullptr;
};

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (t->cancel && t->cancel->load()) {
    t->aborted = true;
    return 1;
  }
  return 0;
}

size_t OnHeaderLine(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  std::string_view line(data, len);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.substr(0, 5) == "HTTP/") {
    // A new head: an interim 1xx, or the final one.
    t->headers.clear();
    size_t sp = line.find(' ');
    t->status = sp == std::string_view::npos ? 0 : std::atoi(std::string(line.substr(sp + 1, 3)).c_str());
    return len;
  }
  if (line.empty()) {
    if (t->status >= 200 && !t->head_done) {
      t->head_done = true;
      if (!t->handler->OnHead(t->status, t->headers)) {
        t->aborted = true;
        return 0;
      }
    }
    return len;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return len;  // obsolete folding: dropped
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  t->headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  return len;
}

size_t OnBodyData(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  if (!t->head_done) {  // a response without a blank line seen (should not happen)
    t->head_done = true;
    if (!t->handler->OnHead(t->status, t->headers)) {
      t->aborted = true;
      return 0;
    }
  }
  if (!t->handler->OnBody(std::string_view(data, len))) {
    t->aborted = true;
    return 0;
  }
  return len;
}

// Refuses any socket to an address other than the pinned one.
curl_socket_t OpenSocket(void* user, curlsocktype, struct curl_sockaddr* address) {
  auto* t = static_cast<Transfer*>(user);
  if (t->pinned_ip && t->pinned_ip->has_value()) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (address->family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&address->addr)->sin_addr, buf, sizeof(buf));
    } else if (address->family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&address->addr)->sin6_addr, buf,
                sizeof(buf));
    }
    unsigned char want[16], got[16];
    int family = (*t->pinned_ip)->find(':') == std::string::npos ? AF_INET : AF_INET6;
    if (family != address->family || inet_pton(family, (*t->pinned_ip)->c_str(), want) != 1 ||
        inet_pton(family, buf, got) != 1 ||
        std::memcmp(want, got, family == AF_INET ? 4 : 16) != 0) {
      t->pin_refused = true;
      return CURL_SOCKET_BAD;
    }
  }
  return socket(address->family, address->socktype, address->protocol);
}

struct CurlHandle {
  CURL* curl = nullptr;
  CurlHandle() {
    static std::once_flag init;
    std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    curl = curl_easy_init();
  }
  ~CurlHandle() {
    if (curl) curl_easy_cleanup(curl);
  }
};

// "host:port:ip" for CURLOPT_RESOLVE, from the URL.
std::optional<std::string> ResolveEntry(const std::string& url, const std::string& ip) {
  CURLU* u = curl_url();
  if (!u) return std::nullopt;
  std::optional<std::string> out;
  char* host = nullptr;
  char* port = nullptr;
  if (curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
    std::string addr = ip.find(':') != std::string::npos ? "[" + ip + "]" : ip;
    out = std::string(host) + ":" + port + ":" + addr;
  }
  curl_free(host);
  curl_free(port);
  curl_url_cleanup(u);
  return out;
}

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

Status HttpClient::Fetch(const HttpClientRequest& request, HttpClientHandler& handler) {
  thread_local CurlHandle handle;
  CURL* c = handle.curl;
  if (!c) return Internal("curl is not available");
  curl_easy_reset(c);  // keeps live connections for reuse

  Transfer t;
  t.handler = &handler;
  t.pinned_ip = &request.pinned_ip;
  t.cancel = request.cancel;
  curl_slist* headers = nullptr;
  curl_slist* resolve = nullptr;
  for (const auto& [name, value] : request.headers) {
    std::string line = name + ": " + value;
    if (value.empty()) line = name + ";";  // curl's form for an empty value
    headers = curl_slist_append(headers, line.c_str());
    std::memset(line.data(), 0, line.size());
  }
  headers = curl_slist_append(headers, "Expect:");
  if (request.pinned_ip) {
    auto entry = ResolveEntry(request.url, *request.pinned_ip);
    if (!entry) {
      curl_slist_free_all(headers);
      return InvalidArgument("malformed URL");
    }
    resolve = curl_slist_append(resolve, entry->c_str());
    curl_easy_setopt(c, CURLOPT_RESOLVE, resolve);
  }

  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, request.allow_http ? "http,https" : "https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_PROXY, "");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(request.total_timeout.count()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeaderLine);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBodyData);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, OpenSocket);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &t);
  if (request.cancel) {
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, OnProgress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  }
  if (request.method == "GET" && request.body.empty()) {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
  }

  CURLcode rc = curl_easy_perform(c);
  // Header lines held secrets: curl copied them; wipe our list's copies.
  for (curl_slist* h = headers; h; h = h->next) std::memset(h->data, 0, std::strlen(h->data));
  curl_slist_free_all(headers);
  curl_slist_free_all(resolve);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(c, CURLOPT_RESOLVE, nullptr);

  if (rc == CURLE_OK) return Status::Ok();
  if (t.aborted) return Unavailable("aborted");
  if (t.pin_refused) return UpstreamError("connection to an unchecked address refused");
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
      return UpstreamTimeout("upstream did not answer in time");
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return InvalidArgument("unsupported or malformed URL");
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
      return UpstreamError("TLS handshake with the upstream failed");
    default:
      return UpstreamError(std::string("upstream request failed: ") + curl_easy_strerror(rc));
  }
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
