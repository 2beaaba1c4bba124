#include "common/http_client_loop.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <future>
#include <mutex>
#include <string>

#include "tests/common/loopback_server.h"

namespace latchkey {
namespace {

using testing::Get;
using testing::LoopbackServer;
using testing::SilentListener;

constexpr auto kWait = std::chrono::seconds(20);

// Records what the loop delivers; the test waits on `done`.
class Recorder final : public HttpClientHandler {
 public:
  bool OnHead(int status, const HeaderList&) override {
    std::lock_guard<std::mutex> lock(mu_);
    status_ = status;
    thread_ = std::this_thread::get_id();
    return true;
  }
  bool OnBody(std::string_view chunk) override {
    std::lock_guard<std::mutex> lock(mu_);
    body_.append(chunk);
    if (congest_after_first_ && !first_seen_) {
      first_seen_ = true;
      congested_ = true;
      first_.set_value();
    }
    return true;
  }
  bool Congested() const override { return congested_; }
  int wait_fd() const override { return wait_fd_; }
  bool OnWritable() override {
    ++writable_calls_;
    congested_ = false;
    return true;
  }
  void OnDone(const Status& status) override { done_.set_value(status); }

  // After the first piece of body, report congestion until wait_fd is writable.
  void CongestAfterFirstChunk(int fd) {
    congest_after_first_ = true;
    wait_fd_ = fd;
  }
  std::future<Status> done() { return done_.get_future(); }
  std::future<void> first_chunk() { return first_.get_future(); }
  size_t body_size() {
    std::lock_guard<std::mutex> lock(mu_);
    return body_.size();
  }
  std::string body() {
    std::lock_guard<std::mutex> lock(mu_);
    return body_;
  }
  int status() {
    std::lock_guard<std::mutex> lock(mu_);
    return status_;
  }
  std::thread::id thread() {
    std::lock_guard<std::mutex> lock(mu_);
    return thread_;
  }
  int writable_calls() const { return writable_calls_; }

 private:
  std::mutex mu_;
  int status_ = 0;
  std::string body_;
  std::thread::id thread_;
  bool congest_after_first_ = false;
  bool first_seen_ = false;
  std::atomic<bool> congested_{false};
  std::atomic<int> writable_calls_{0};
  int wait_fd_ = -1;
  std::promise<Status> done_;
  std::promise<void> first_;
};

std::string Url(const LoopbackServer& s) {
  return "http://127.0.0.1:" + std::to_string(s.port()) + "/";
}

// A socket pair whose first end cannot take another byte until the second
// end is read: a client that stopped reading.
struct FullSocket {
  int fds[2];
  FullSocket() {
    BOOST_REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
    ::fcntl(fds[1], F_SETFL, O_NONBLOCK);
    char junk[4096] = {};
    while (::send(fds[0], junk, sizeof(junk), MSG_DONTWAIT) > 0) {
    }
  }
  ~FullSocket() {
    ::close(fds[0]);
    ::close(fds[1]);
  }
  void Drain() {
    char buf[65536];
    while (::recv(fds[1], buf, sizeof(buf), MSG_DONTWAIT) > 0) {
    }
  }
};

std::string BigResponse(size_t n) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(n) +
         "\r\nConnection: close\r\n\r\n" + std::string(n, 'x');
}

BOOST_AUTO_TEST_SUITE(HttpClientLoopTest)

BOOST_AUTO_TEST_CASE(DeliversTheResponseOnTheLoopThread) {
  LoopbackServer server("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
  HttpClientLoop loop;
  auto handler = std::make_shared<Recorder>();
  auto done = handler->done();
  HttpClientRequest r = Get(Url(server));
  r.method = "POST";
  r.body = "payload";
  loop.Submit(std::move(r), handler);
  BOOST_REQUIRE(done.wait_for(kWait) == std::future_status::ready);
  Status s = done.get();
  BOOST_TEST(s.ok(), s.ToString());
  BOOST_TEST(handler->status() == 200);
  BOOST_TEST(handler->body() == "hello");
  BOOST_TEST((handler->thread() != std::this_thread::get_id()));
  BOOST_TEST(server.last_request().find("POST / HTTP/1.1") == 0u);
  BOOST_TEST(loop.active() == 0);
}

BOOST_AUTO_TEST_CASE(RefusedAddressIsNeverConnected) {
  LoopbackServer server(BigResponse(5));
  HttpClientLoop loop;
  auto handler = std::make_shared<Recorder>();
  auto done = handler->done();
  HttpClientRequest r = Get(Url(server));
  r.check_address = [](const sockaddr*) -> std::optional<std::string> { return "not today"; };
  loop.Submit(std::move(r), handler);
  BOOST_REQUIRE(done.wait_for(kWait) == std::future_status::ready);
  Status s = done.get();
  BOOST_TEST((s.code() == StatusCode::kPermissionDenied));
  BOOST_TEST(s.message() == "not today");
  BOOST_TEST(server.accepted() == 0);
}

BOOST_AUTO_TEST_CASE(CongestedHandlerGetsNoMoreUntilItsFdIsWritable) {
  const size_t total = 512 * 1024;
  LoopbackServer server(BigResponse(total));
  FullSocket client;
  HttpClientLoop loop;
  auto handler = std::make_shared<Recorder>();
  handler->CongestAfterFirstChunk(client.fds[0]);
  auto first = handler->first_chunk();
  auto done = handler->done();
  loop.Submit(Get(Url(server)), handler);
  BOOST_REQUIRE(first.wait_for(kWait) == std::future_status::ready);
  // Paused: the body stops at the first piece while the fd stays full.
  BOOST_TEST(handler->body_size() < total);
  BOOST_TEST(handler->writable_calls() == 0);
  client.Drain();  // the client reads: the transfer resumes and completes
  BOOST_REQUIRE(done.wait_for(kWait) == std::future_status::ready);
  BOOST_TEST(done.get().ok());
  BOOST_TEST(handler->body_size() == total);
  BOOST_TEST(handler->writable_calls() >= 1);
}

BOOST_AUTO_TEST_CASE(ClientThatNeverReadsIsCutOffAfterTheStallTimeout) {
  LoopbackServer server(BigResponse(512 * 1024));
  FullSocket client;
  HttpClientLoop loop({.threads = 1, .stall_timeout = std::chrono::milliseconds(300)});
  auto handler = std::make_shared<Recorder>();
  handler->CongestAfterFirstChunk(client.fds[0]);
  auto done = handler->done();
  loop.Submit(Get(Url(server)), handler);
  BOOST_REQUIRE(done.wait_for(kWait) == std::future_status::ready);
  BOOST_TEST((done.get().code() == StatusCode::kUnavailable));
  BOOST_TEST(handler->writable_calls() == 0);
}

BOOST_AUTO_TEST_CASE(CancelFlagEndsATransfer) {
  SilentListener silent;
  HttpClientLoop loop;
  std::atomic<bool> cancel{false};
  auto handler = std::make_shared<Recorder>();
  auto done = handler->done();
  HttpClientRequest r = Get(silent.url());
  r.cancel = &cancel;
  loop.Submit(std::move(r), handler);
  cancel = true;
  BOOST_REQUIRE(done.wait_for(kWait) == std::future_status::ready);
  BOOST_TEST((done.get().code() == StatusCode::kUnavailable));
}

BOOST_AUTO_TEST_CASE(StopEndsRunningTransfersAndRefusesNewOnes) {
  SilentListener silent;
  HttpClientLoop loop({.threads = 2});
  auto a = std::make_shared<Recorder>();
  auto b = std::make_shared<Recorder>();
  auto done_a = a->done();
  auto done_b = b->done();
  loop.Submit(Get(silent.url()), a);
  loop.Submit(Get(silent.url()), b);
  loop.Stop();
  BOOST_REQUIRE(done_a.wait_for(kWait) == std::future_status::ready);
  BOOST_REQUIRE(done_b.wait_for(kWait) == std::future_status::ready);
  BOOST_TEST((done_a.get().code() == StatusCode::kUnavailable));
  BOOST_TEST((done_b.get().code() == StatusCode::kUnavailable));
  BOOST_TEST(loop.active() == 0);

  auto late = std::make_shared<Recorder>();
  auto done_late = late->done();
  loop.Submit(Get(silent.url()), late);
  BOOST_REQUIRE(done_late.wait_for(std::chrono::seconds(0)) == std::future_status::ready);
  BOOST_TEST((done_late.get().code() == StatusCode::kUnavailable));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
