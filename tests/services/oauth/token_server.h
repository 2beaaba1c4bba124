// A token endpoint on loopback for the OAuth unit tests: answers each
// request (one per connection) with whatever the test's handler returns and
// counts the requests. The edge of the machine; everything else is real.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/common/loopback_server.h"

namespace latchkey::testing {

struct TokenRequest {
  std::string head;
  std::string body;
};

class TokenServer {
 public:
  // Returns (status, JSON body).
  using Handler = std::function<std::pair<int, std::string>(const TokenRequest&)>;

  explicit TokenServer(Handler handler) : handler_(std::move(handler)) {
    fd_ = ListenOnLoopback(&port_);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TokenServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int requests() const { return requests_; }
  std::vector<TokenRequest> seen() const {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }

 private:
  void Serve() {
    for (;;) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::thread([this, c] { Answer(c); }).detach();
    }
  }
  void Answer(int c) {
    std::string data;
    char buf[4096];
    size_t head_end;
    while ((head_end = data.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = ::recv(c, buf, sizeof(buf), 0);
      if (n <= 0) return (void)::close(c);
      data.append(buf, static_cast<size_t>(n));
    }
    size_t length = 0;
    for (const char* name : {"Content-Length: ", "content-length: "}) {
      size_t at = data.find(name);
      if (at != std::string::npos && at < head_end) length = std::stoul(data.substr(at + 16));
    }
    while (data.size() < head_end + 4 + length) {
      ssize_t n = ::recv(c, buf, sizeof(buf), 0);
      if (n <= 0) break;
      data.append(buf, static_cast<size_t>(n));
    }
    TokenRequest req{data.substr(0, head_end), data.substr(head_end + 4)};
    {
      std::lock_guard<std::mutex> lock(mu_);
      seen_.push_back(req);
    }
    ++requests_;
    auto [status, body] = handler_(req);
    std::string out = "HTTP/1.1 " + std::to_string(status) +
                      " X\r\nContent-Type: application/json\r\nConnection: close\r\n"
                      "Content-Length: " +
                      std::to_string(body.size()) + "\r\n\r\n" + body;
    ::send(c, out.data(), out.size(), MSG_NOSIGNAL);
    ::close(c);
  }

  Handler handler_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> requests_{0};
  mutable std::mutex mu_;
  std::vector<TokenRequest> seen_;
  std::thread thread_;
};

}  // namespace latchkey::testing
