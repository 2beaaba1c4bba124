// A webhook receiver on 127.0.0.1 for the events tests: answers each POST
// with the next status of a script (the last one repeats) and keeps every
// request it read, body included.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/common/loopback_server.h"

namespace latchkey::testing {

struct ReceivedRequest {
  std::string head;  // request line and headers
  std::string body;

  // The value of header `name` (lower-case), or "".
  std::string Header(const std::string& name) const {
    std::string lower;
    for (char c : head) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t at = lower.find("\r\n" + name + ":");
    if (at == std::string::npos) return "";
    size_t start = head.find_first_not_of(' ', at + 3 + name.size());
    return head.substr(start, head.find("\r\n", start) - start);
  }
};

class Receiver {
 public:
  explicit Receiver(std::vector<int> statuses) : statuses_(std::move(statuses)) {
    fd_ = ListenOnLoopback(&port_);
    thread_ = std::thread([this] { Serve(); });
  }
  ~Receiver() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  std::vector<ReceivedRequest> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  void Serve() {
    for (;;) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      ReceivedRequest r = Read(c);
      int status;
      {
        std::lock_guard<std::mutex> lock(mu_);
        size_t n = requests_.size();
        status = statuses_[std::min(n, statuses_.size() - 1)];
        requests_.push_back(std::move(r));
      }
      std::string answer = "HTTP/1.1 " + std::to_string(status) +
                           " X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      ::send(c, answer.data(), answer.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }

  static ReceivedRequest Read(int c) {
    std::string data;
    char buf[4096];
    size_t end = std::string::npos;
    size_t want = 0;
    for (;;) {
      if (end == std::string::npos && (end = data.find("\r\n\r\n")) != std::string::npos) {
        ReceivedRequest probe{data.substr(0, end + 2), ""};
        std::string length = probe.Header("content-length");
        want = end + 4 + (length.empty() ? 0 : std::stoul(length));
      }
      if (end != std::string::npos && data.size() >= want) break;
      ssize_t n = ::recv(c, buf, sizeof(buf), 0);
      if (n <= 0) break;
      data.append(buf, static_cast<size_t>(n));
    }
    if (end == std::string::npos) return {data, ""};
    return {data.substr(0, end + 2), data.substr(end + 4)};
  }

  std::vector<int> statuses_;
  int fd_ = -1;
  int port_ = 0;
  mutable std::mutex mu_;
  std::vector<ReceivedRequest> requests_;
  std::thread thread_;
};

}  // namespace latchkey::testing
