#include "common/curl_transfer.h"

#include <cstring>

#include "common/crypto.h"

namespace latchkey {
namespace {

void WipeList(curl_slist* list) {
  for (curl_slist* h = list; h; h = h->next) std::memset(h->data, 0, std::strlen(h->data));
  curl_slist_free_all(list);
}

}  // namespace

CurlTransfer::~CurlTransfer() {
  // Header lines and the URL may hold secrets; curl copied what it needed.
  WipeList(headers_);
  for (auto& [name, value] : request_.headers) SecureWipe(value.data(), value.size());
  SecureWipe(request_.url.data(), request_.url.size());
}

Status CurlTransfer::Prepare(CURL* c) {
  for (const auto& [name, value] : request_.headers) {
    std::string line = name + ": " + value;
    if (value.empty()) line = name + ";";  // curl's form for an empty value
    curl_slist* grown = curl_slist_append(headers_, line.c_str());
    std::memset(line.data(), 0, line.size());
    // Out of memory: the list so far is kept (and freed by the destructor);
    // a request without its headers (an injected credential) never goes.
    if (!grown) return Internal("curl could not take the request headers");
    headers_ = grown;
  }
  curl_slist* grown = curl_slist_append(headers_, "Expect:");
  if (!grown) return Internal("curl could not take the request headers");
  headers_ = grown;
  // Every option matters (the protocols, TLS checks and the socket hook that
  // checks each address): one curl refuses fails the transfer.
  CURLcode rc = CURLE_OK;
  auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK) rc = curl_easy_setopt(c, option, value);
  };
  set(CURLOPT_URL, request_.url.c_str());
  set(CURLOPT_PROTOCOLS_STR, request_.allow_http ? "http,https" : "https");
  set(CURLOPT_FOLLOWLOCATION, 0L);
  set(CURLOPT_PROXY, "");
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_SSL_VERIFYPEER, 1L);
  set(CURLOPT_SSL_VERIFYHOST, 2L);
  set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request_.connect_timeout.count()));
  set(CURLOPT_TIMEOUT_MS, static_cast<long>(request_.total_timeout.count()));
  set(CURLOPT_HTTPHEADER, headers_);
  set(CURLOPT_HEADERFUNCTION, OnHeaderLine);
  set(CURLOPT_HEADERDATA, this);
  set(CURLOPT_WRITEFUNCTION, OnBodyData);
  set(CURLOPT_WRITEDATA, this);
  set(CURLOPT_OPENSOCKETFUNCTION, OpenSocket);
  set(CURLOPT_OPENSOCKETDATA, this);
  set(CURLOPT_PRIVATE, this);
  if (request_.cancel) {
    set(CURLOPT_XFERINFOFUNCTION, OnProgress);
    set(CURLOPT_XFERINFODATA, this);
    set(CURLOPT_NOPROGRESS, 0L);
  }
  if (request_.method == "GET" && request_.body.empty()) {
    set(CURLOPT_HTTPGET, 1L);
  } else if (request_.method == "HEAD") {
    set(CURLOPT_NOBODY, 1L);
  } else {
    set(CURLOPT_CUSTOMREQUEST, request_.method.c_str());
    set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request_.body.size()));
    set(CURLOPT_POSTFIELDS, request_.body.data());
  }
  if (rc != CURLE_OK) {
    return Internal(std::string("curl refused an option: ") + curl_easy_strerror(rc));
  }
  return Status::Ok();
}

Status CurlTransfer::Result(CURLcode rc) const {
  if (rc == CURLE_OK) return Status::Ok();
  if (aborted_) return Unavailable("aborted");
  if (refusal_ && rc == CURLE_COULDNT_CONNECT) return PermissionDenied(*refusal_);
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

int CurlTransfer::OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<CurlTransfer*>(user);
  if (t->request_.cancel && t->request_.cancel->load()) {
    t->aborted_ = true;
    return 1;
  }
  return 0;
}

bool CurlTransfer::DeliverHead() {
  head_done_ = true;
  if (handler_.OnHead(status_, response_headers_)) return true;
  aborted_ = true;
  return false;
}

size_t CurlTransfer::OnHeaderLine(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<CurlTransfer*>(user);
  size_t len = size * n;
  std::string_view line(data, len);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.substr(0, 5) == "HTTP/") {
    // A new head: an interim 1xx, or the final one.
    t->response_headers_.clear();
    size_t sp = line.find(' ');
    t->status_ =
        sp == std::string_view::npos ? 0 : std::atoi(std::string(line.substr(sp + 1, 3)).c_str());
    return len;
  }
  if (line.empty()) {
    if (t->status_ >= 200 && !t->head_done_ && !t->DeliverHead()) return 0;
    return len;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return len;  // obsolete folding: dropped
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  t->response_headers_.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  return len;
}

size_t CurlTransfer::OnBodyData(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<CurlTransfer*>(user);
  size_t len = size * n;
  // A response without a blank line seen (should not happen).
  if (!t->head_done_ && !t->DeliverHead()) return 0;
  if (t->handler_.Congested()) {
    t->paused = true;
    if (t->pause_list) t->pause_list->push_back(t);
    return CURL_WRITEFUNC_PAUSE;  // curl keeps these bytes until unpaused
  }
  if (!t->handler_.OnBody(std::string_view(data, len))) {
    t->aborted_ = true;
    return 0;
  }
  return len;
}

curl_socket_t CurlTransfer::OpenSocket(void* user, curlsocktype, curl_sockaddr* address) {
  auto* t = static_cast<CurlTransfer*>(user);
  if (t->request_.check_address) {
    if (auto reason = t->request_.check_address(&address->addr)) {
      t->refusal_ = std::move(reason);
      return CURL_SOCKET_BAD;
    }
  }
  return socket(address->family, address->socktype, address->protocol);
}

}  // namespace latchkey
