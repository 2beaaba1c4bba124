// ApiClient: the CLI's only way to the server, over its HTTP API (libcurl).
// The key goes only to the base URL: redirects are not followed and proxies
// from the environment are not used.
//
// Thread-safety: one thread at a time.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace latchkey::cli {

struct ApiAnswer {
  long status = 0;
  std::string body;
};

// What went wrong on the way (no answer at all): the network, or a URL.
// An answer with an error status is not one: Call returns it.
struct NetworkError {
  std::string message;
};

class ApiClient {
 public:
  // `base_url` like "http://127.0.0.1:8080"; `key` sent as a bearer token
  // when not empty.
  ApiClient(std::string base_url, std::string key);
  ~ApiClient();
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  // One request with an optional JSON body; throws NetworkError.
  ApiAnswer Call(const std::string& method, const std::string& path,
                 const std::optional<std::string>& json_body = std::nullopt);

  // One request whose answer body goes to `on_data` as it arrives (the
  // proxy); returns the status. `on_status` runs once the head is in,
  // before any body. Throws NetworkError.
  long Stream(const std::string& method, const std::string& path,
              const std::vector<std::pair<std::string, std::string>>& headers,
              const std::string& body, const std::function<void(long status)>& on_status,
              const std::function<void(std::string_view)>& on_data);

  const std::string& base_url() const { return base_url_; }

 private:
  // Sends one request; the body goes to `receiver` (client.cc). Returns the
  // status; throws NetworkError.
  long Perform(const std::string& method, const std::string& path,
               const std::vector<std::pair<std::string, std::string>>& headers,
               const std::string* body, void* receiver, bool stream);

  std::string base_url_;
  std::string key_;
  void* curl_;  // CURL*, reused so connections are kept alive
};

// "a b/c" -> "a%20b%2Fc": one path segment or query value.
std::string UrlEncode(std::string_view text);

}  // namespace latchkey::cli
