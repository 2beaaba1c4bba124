#include "cli/client.h"

#include <curl/curl.h>

#include <cstring>
#include <memory>

namespace latchkey::cli {
namespace {

struct Receiver {
  std::string body;
  const std::function<void(long)>* on_status = nullptr;
  const std::function<void(std::string_view)>* on_data = nullptr;
  void* curl = nullptr;  // CURL*
  bool head_done = false;
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* r = static_cast<Receiver*>(user);
  if (r->on_data) {
    if (!r->head_done) {
      r->head_done = true;
      long status = 0;
      curl_easy_getinfo(static_cast<CURL*>(r->curl), CURLINFO_RESPONSE_CODE, &status);
      if (r->on_status) (*r->on_status)(status);
    }
    (*r->on_data)(std::string_view(data, size * n));
  } else {
    r->body.append(data, size * n);
  }
  return size * n;
}

using HeaderList = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

}  // namespace

ApiClient::ApiClient(std::string base_url, std::string key)
    : base_url_(std::move(base_url)), key_(std::move(key)), curl_(curl_easy_init()) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
}

ApiClient::~ApiClient() {
  curl_easy_cleanup(static_cast<CURL*>(curl_));
  std::fill(key_.begin(), key_.end(), '\0');
}

long ApiClient::Perform(const std::string& method, const std::string& path,
                        const std::vector<std::pair<std::string, std::string>>& headers,
                        const std::string* body, void* receiver, bool stream) {
  CURL* c = static_cast<CURL*>(curl_);
  if (!c) throw NetworkError{"libcurl could not start"};
  curl_easy_reset(c);
  std::string url = base_url_ + path;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, receiver);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  // A stream lasts as long as the upstream's answer; other calls do not.
  if (!stream) curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 300000L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_PROXY, "");  // the key goes to base_url_ only, never via a proxy
  HeaderList list(nullptr, curl_slist_free_all);
  if (!key_.empty()) {
    std::string auth = "Authorization: Bearer " + key_;
    list.reset(curl_slist_append(list.release(), auth.c_str()));
    std::fill(auth.begin(), auth.end(), '\0');
  }
  for (const auto& [name, value] : headers) {
    // "Name:" with nothing after it removes a header libcurl would add.
    std::string line = value.empty() ? name + ":" : name + ": " + value;
    list.reset(curl_slist_append(list.release(), line.c_str()));
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list.get());
  if (body) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
  }
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    throw NetworkError{"cannot reach " + base_url_ + ": " + curl_easy_strerror(rc)};
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  return status;
}

ApiAnswer ApiClient::Call(const std::string& method, const std::string& path,
                          const std::optional<std::string>& json_body) {
  std::vector<std::pair<std::string, std::string>> headers;
  if (json_body) headers.emplace_back("Content-Type", "application/json");
  Receiver r;
  r.curl = curl_;
  ApiAnswer answer;
  answer.status = Perform(method, path, headers, json_body ? &*json_body : nullptr, &r, false);
  answer.body = std::move(r.body);
  return answer;
}

long ApiClient::Stream(const std::string& method, const std::string& path,
                       const std::vector<std::pair<std::string, std::string>>& headers,
                       const std::string& body, const std::function<void(long)>& on_status,
                       const std::function<void(std::string_view)>& on_data) {
  Receiver r;
  r.curl = curl_;
  r.on_status = &on_status;
  r.on_data = &on_data;
  long status = Perform(method, path, headers, body.empty() ? nullptr : &body, &r, true);
  if (!r.head_done) on_status(status);
  return status;
}

std::string UrlEncode(std::string_view text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : text) {
    if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    }
  }
  return out;
}

}  // namespace latchkey::cli
