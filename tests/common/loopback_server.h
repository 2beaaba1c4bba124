// Loopback HTTP fixtures for the HTTP client tests: a one-connection-at-a-
// time server with a canned answer, a listener that never answers, and a
// request builder.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <mutex>
#include <string>
#include <thread>

#include "common/http_client.h"

namespace latchkey::testing {

// A socket listening on 127.0.0.1 at a free port.
inline int ListenOnLoopback(int* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  BOOST_REQUIRE(::listen(fd, 8) == 0);
  return fd;
}

// A one-connection-at-a-time HTTP server on 127.0.0.1 that answers every
// request with `response` and remembers the last request it read.
class LoopbackServer {
 public:
  explicit LoopbackServer(std::string response) : response_(std::move(response)) {
    fd_ = ListenOnLoopback(&port_);
    thread_ = std::thread([this] { Serve(); });
  }
  ~LoopbackServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  int port() const { return port_; }
  std::string last_request() const {
    std::lock_guard<std::mutex> lock(mu_);
    return last_;
  }
  int accepted() const { return accepted_; }

 private:
  void Serve() {
    while (!stop_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      ++accepted_;
      std::string req;
      char buf[4096];
      while (req.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::recv(c, buf, sizeof(buf), 0);
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        last_ = req;
      }
      ::send(c, response_.data(), response_.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }

  std::string response_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  mutable std::mutex mu_;
  std::string last_;
  std::thread thread_;
};

// Accepts connections into its backlog and never answers.
class SilentListener {
 public:
  SilentListener() { fd_ = ListenOnLoopback(&port_); }
  ~SilentListener() { ::close(fd_); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }

 private:
  int fd_;
  int port_;
};

// A GET to `url` with plain http allowed and test-sized timeouts.
inline HttpClientRequest Get(const std::string& url) {
  HttpClientRequest r;
  r.url = url;
  r.allow_http = true;
  r.connect_timeout = std::chrono::milliseconds(5000);
  r.total_timeout = std::chrono::milliseconds(5000);
  return r;
}

}  // namespace latchkey::testing
