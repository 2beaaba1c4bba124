#include "api/metrics_listener.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "common/metrics.h"

namespace latchkey {
namespace {

constexpr size_t kMaxHead = 8192;

constexpr int kMaxConnections = 16;  // served at once; more are closed unanswered

// The request line, read within two seconds in all.
std::string ReadRequestLine(int fd) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  std::string head;
  char buf[1024];
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < kMaxHead) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    pollfd p{fd, POLLIN, 0};
    if (left <= 0 || poll(&p, 1, static_cast<int>(left)) <= 0) break;
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    head.append(buf, static_cast<size_t>(n));
  }
  return head.substr(0, head.find("\r\n"));
}

bool IsMetricsTarget(const std::string& line, const std::string& method) {
  std::string prefix = method + " /metrics";
  if (line.rfind(prefix, 0) != 0 || line.size() <= prefix.size()) return false;
  char next = line[prefix.size()];
  return next == ' ' || next == '?';
}

void Answer(int fd) {
  timeval send_timeout{5, 0};  // a client that never reads cannot hold a thread (or Stop)
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout));
  std::string line = ReadRequestLine(fd);
  bool head = IsMetricsTarget(line, "HEAD");
  bool get = IsMetricsTarget(line, "GET");
  std::string status = "200 OK";
  std::string type = "text/plain; version=0.0.4; charset=utf-8";
  std::string body;
  if (get || head) {
    body = Metrics::Default().Render();
  } else {
    status = "404 Not Found";
    type = "application/json";
    body = R"({"error":"only GET /metrics is served here","code":"NOT_FOUND","status":404})";
  }
  std::string out = "HTTP/1.1 " + status + "\r\nContent-Type: " + type +
                    "\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\nConnection: close\r\n\r\n" + (head ? "" : body);
  for (size_t sent = 0; sent < out.size();) {
    ssize_t n = send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
}

}  // namespace

Status MetricsListener::Start(const std::string& host, uint16_t port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 || !found) {
    return InvalidArgument("--metrics-listen: " + host + " is not an IP address");
  }
  fd_ = socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  bool bound =
      fd_ >= 0 && bind(fd_, found->ai_addr, found->ai_addrlen) == 0 && listen(fd_, 16) == 0;
  freeaddrinfo(found);
  if (!bound) {
    std::string why = std::strerror(errno);
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    return Unavailable("--metrics-listen: cannot listen on " + host + ":" + std::to_string(port) +
                       ": " + why);
  }
  sockaddr_storage bound_addr{};
  socklen_t len = sizeof(bound_addr);
  getsockname(fd_, reinterpret_cast<sockaddr*>(&bound_addr), &len);
  port_ = ntohs(bound_addr.ss_family == AF_INET6
                    ? reinterpret_cast<sockaddr_in6*>(&bound_addr)->sin6_port
                    : reinterpret_cast<sockaddr_in*>(&bound_addr)->sin_port);
  if (pipe2(wake_, O_CLOEXEC) != 0) return Internal("cannot create a pipe");
  thread_ = std::thread([this] { Serve(); });
  return Status::Ok();
}

void MetricsListener::Serve() {
  for (;;) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents) return;
    int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    // A thread per connection, so a slow client holds up no scrape.
    if (serving_.fetch_add(1) >= kMaxConnections) {
      --serving_;
      close(c);
      continue;
    }
    std::thread([this, c] {
      Answer(c);
      close(c);
      std::lock_guard<std::mutex> lock(mu_);
      --serving_;
      done_.notify_all();
    }).detach();
  }
}

void MetricsListener::Stop() {
  if (!thread_.joinable()) return;
  char b = 0;
  (void)!write(wake_[1], &b, 1);
  thread_.join();
  {
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [this] { return serving_.load() == 0; });
  }
  close(fd_);
  close(wake_[0]);
  close(wake_[1]);
  fd_ = -1;
}

}  // namespace latchkey
