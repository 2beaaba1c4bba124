// The outbound half of the proxy on its own: HttpClientLoop (libcurl's
// multi interface on epoll, one loop thread as in latchkeyd) keeping N GETs
// in flight against a URL for a few seconds. proxy_bench.py runs it against
// the same nginx upstream as the proxy, to show what the libcurl side alone
// costs on this machine.
//
// Usage: client_loop_bench URL [in_flight=64] [seconds=5]
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>

#include "common/http_client_loop.h"

namespace latchkey {
namespace {

struct Counter {
  std::atomic<long> done{0};
  std::atomic<long> failed{0};
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::condition_variable idle;
  int running = 0;
};

class Get final : public HttpClientHandler {
 public:
  Get(HttpClientLoop& loop, Counter& counter, std::string url)
      : loop_(loop), counter_(counter), url_(std::move(url)) {}
  bool OnHead(int status, const HeaderList&) override { return status == 200; }
  bool OnBody(std::string_view) override { return true; }
  void OnDone(const Status& status) override {
    (status.ok() ? counter_.done : counter_.failed).fetch_add(1);
    if (!counter_.stop) return Submit(loop_, counter_, url_);
    std::lock_guard<std::mutex> lock(counter_.mu);
    if (--counter_.running == 0) counter_.idle.notify_all();
  }
  static void Submit(HttpClientLoop& loop, Counter& counter, const std::string& url) {
    HttpClientRequest request;
    request.method = "GET";
    request.url = url;
    request.allow_http = true;
    loop.Submit(std::move(request), std::make_shared<Get>(loop, counter, url));
  }

 private:
  HttpClientLoop& loop_;
  Counter& counter_;
  std::string url_;
};

}  // namespace
}  // namespace latchkey

int main(int argc, char** argv) {
  using namespace latchkey;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s URL [in_flight] [seconds]\n", argv[0]);
    return 2;
  }
  std::string url = argv[1];
  int in_flight = argc > 2 ? std::atoi(argv[2]) : 64;
  int seconds = argc > 3 ? std::atoi(argv[3]) : 5;
  HttpClientLoop loop({.threads = 1});
  Counter counter;
  counter.running = in_flight;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < in_flight; ++i) Get::Submit(loop, counter, url);
  {
    std::unique_lock<std::mutex> lock(counter.mu);
    counter.idle.wait_for(lock, std::chrono::seconds(seconds));
  }
  long done = counter.done.load();
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  counter.stop = true;
  {
    std::unique_lock<std::mutex> lock(counter.mu);
    counter.idle.wait_for(lock, std::chrono::seconds(10), [&] { return counter.running == 0; });
  }
  std::printf("%.0f req/s (%ld done, %ld failed)\n", done / elapsed, done, counter.failed.load());
  return counter.failed.load() == 0 ? 0 : 1;
}
