#include "common/http_client_loop.h"

#include <curl/curl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <mutex>
#include <thread>
#include <unordered_map>

#include "common/curl_transfer.h"

namespace latchkey {
namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

// What an epoll event is about: the kind in the high word, the fd below.
enum Kind : uint64_t { kWake = 0, kCurlSocket = 1, kWaitFd = 2 };
uint64_t Tag(Kind kind, int fd) { return (uint64_t{kind} << 32) | static_cast<uint32_t>(fd); }

// How often running transfers are checked for cancellation and stalls.
constexpr std::chrono::milliseconds kTick{200};
constexpr size_t kSpareHandles = 64;

}  // namespace

class HttpClientLoop::Worker {
 public:
  Worker(const HttpClientLoopOptions& options, std::atomic<int>& active)
      : options_(options), active_count_(active) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    wake_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = Tag(kWake, wake_);
    epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &ev);
    multi_ = curl_multi_init();
    // Without its callbacks the loop could never drive a transfer: then
    // every one is refused at once (Start) rather than left hanging.
    usable_ = multi_ != nullptr && epoll_ >= 0 && wake_ >= 0 &&
              curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, OnSocket) == CURLM_OK &&
              curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this) == CURLM_OK &&
              curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, OnTimer) == CURLM_OK &&
              curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this) == CURLM_OK &&
              curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, options_.max_connections) == CURLM_OK;
    thread_ = std::thread([this] { Run(); });
  }

  ~Worker() {
    Stop();
    for (CURL* e : spare_) curl_easy_cleanup(e);
    curl_multi_cleanup(multi_);
    ::close(wake_);
    ::close(epoll_);
  }

  void Submit(HttpClientRequest request, std::shared_ptr<HttpClientHandler> handler) {
    bool wake;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) {
        Done(*handler, Unavailable("the client loop is stopped"));
        return;
      }
      wake = incoming_.empty();
      incoming_.push_back({std::move(request), std::move(handler)});
    }
    if (wake) Wake();
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    Wake();
    if (thread_.joinable()) thread_.join();
  }

 private:
  struct Job {
    HttpClientRequest request;
    std::shared_ptr<HttpClientHandler> handler;
  };
  struct Active {
    std::shared_ptr<HttpClientHandler> handler;
    std::unique_ptr<CurlTransfer> transfer;
    CURL* easy = nullptr;
    int watched_fd = -1;  // registered for EPOLLOUT while paused
    SteadyTime paused_since;
  };

  void Wake() {
    uint64_t one = 1;
    ssize_t n = ::write(wake_, &one, sizeof(one));
    (void)n;  // a full counter already means "wake up"
  }

  void Run() {
    std::vector<epoll_event> events(128);
    SteadyTime next_tick = std::chrono::steady_clock::now() + kTick;
    while (true) {
      int timeout = WaitTimeout();
      int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), timeout);
      bool stopping = false;
      for (int i = 0; i < n; ++i) {
        uint64_t tag = events[i].data.u64;
        int fd = static_cast<int>(tag & 0xffffffffu);
        switch (static_cast<Kind>(tag >> 32)) {
          case kWake:
            stopping |= TakeIncoming();
            break;
          case kCurlSocket:
            SocketAction(fd, events[i].events);
            break;
          case kWaitFd:
            OnWritable(fd);
            break;
        }
      }
      auto now = std::chrono::steady_clock::now();
      if (timer_ && now >= *timer_) {
        timer_.reset();
        int running = 0;
        CheckMulti(curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running));
      }
      ReadCompletions();
      WatchPaused();
      if (stopping) break;
      if (now >= next_tick) {
        next_tick = now + kTick;
        Tick(now);
      }
    }
    std::vector<CurlTransfer*> all;
    for (auto& [t, a] : active_) all.push_back(t);
    for (CurlTransfer* t : all) Finish(t, Unavailable("the client loop is stopping"));
  }

  int WaitTimeout() const {
    long ms = -1;
    if (timer_) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          *timer_ - std::chrono::steady_clock::now());
      ms = std::max<long>(0, left.count());
    }
    if (!active_.empty() && (ms < 0 || ms > kTick.count())) ms = kTick.count();
    return static_cast<int>(ms);
  }

  // True when the loop should stop.
  bool TakeIncoming() {
    uint64_t count;
    ssize_t r = ::read(wake_, &count, sizeof(count));
    (void)r;
    std::vector<Job> jobs;
    bool stop;
    {
      std::lock_guard<std::mutex> lock(mu_);
      jobs.swap(incoming_);
      stop = stop_;
    }
    for (Job& job : jobs) {
      if (stop) {
        Done(*job.handler, Unavailable("the client loop is stopping"));
      } else {
        Start(std::move(job));
      }
    }
    return stop;
  }

  void Start(Job job) {
    if (!usable_) {
      Done(*job.handler, Internal("curl's event loop could not be set up"));
      return;
    }
    CURL* easy = nullptr;
    if (!spare_.empty()) {
      easy = spare_.back();
      spare_.pop_back();
      curl_easy_reset(easy);
    } else {
      easy = curl_easy_init();
    }
    auto transfer = std::make_unique<CurlTransfer>(std::move(job.request), *job.handler);
    bool prepared = easy && transfer->Prepare(easy).ok();
    if (!prepared || curl_multi_add_handle(multi_, easy) != CURLM_OK) {
      transfer.reset();
      if (easy) curl_easy_cleanup(easy);
      Done(*job.handler, Internal("curl could not start the transfer"));
      return;
    }
    transfer->pause_list = &paused_;
    CurlTransfer* key = transfer.get();
    auto a = std::make_unique<Active>();
    a->handler = std::move(job.handler);
    a->transfer = std::move(transfer);
    a->easy = easy;
    active_.emplace(key, std::move(a));
  }

  void SocketAction(int fd, uint32_t events) {
    int flags = 0;
    if (events & EPOLLIN) flags |= CURL_CSELECT_IN;
    if (events & EPOLLOUT) flags |= CURL_CSELECT_OUT;
    if (events & (EPOLLERR | EPOLLHUP)) flags |= CURL_CSELECT_ERR;
    int running = 0;
    CheckMulti(curl_multi_socket_action(multi_, fd, flags, &running));
  }

  // A multi handle that failed (other than for a socket curl already
  // forgot) cannot finish what it runs: fail every transfer rather than
  // leave callers waiting for their timeouts.
  void CheckMulti(CURLMcode rc) {
    if (rc == CURLM_OK || rc == CURLM_BAD_SOCKET) return;
    std::vector<CurlTransfer*> all;
    for (const auto& [t, a] : active_) all.push_back(t);
    for (CurlTransfer* t : all) Finish(t, Internal("curl's event loop failed"));
  }

  void ReadCompletions() {
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      CurlTransfer* t = nullptr;
      // CURLOPT_PRIVATE is set on every handle we add (Prepare checks it).
      if (curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&t)) !=
              CURLE_OK ||
          !t) {
        continue;
      }
      CURLcode rc = msg->data.result;
      Finish(t, t->Result(rc));
    }
  }

  // Transfers the write callback paused wait for their client's socket.
  void WatchPaused() {
    if (paused_.empty()) return;
    std::vector<CurlTransfer*> paused;
    paused.swap(paused_);
    auto now = std::chrono::steady_clock::now();
    for (CurlTransfer* t : paused) {
      auto it = active_.find(t);
      if (it == active_.end() || !t->paused || it->second->watched_fd >= 0) continue;
      Active& a = *it->second;
      a.paused_since = now;
      int fd = a.handler->wait_fd();
      if (fd < 0) continue;  // rechecked on each tick
      epoll_event ev{};
      ev.events = EPOLLOUT;
      ev.data.u64 = Tag(kWaitFd, fd);
      if (epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) == 0) {
        a.watched_fd = fd;
        waiting_[fd] = t;
      }
    }
  }

  void OnWritable(int fd) {
    auto w = waiting_.find(fd);
    if (w == waiting_.end()) return;
    CurlTransfer* t = w->second;
    Active& a = *active_.at(t);
    if (!a.handler->OnWritable()) return Finish(t, Unavailable("the client went away"));
    if (!a.handler->Congested()) Resume(t, a);
  }

  void Resume(CurlTransfer* t, Active& a) {
    Unwatch(a);
    t->paused = false;
    // May deliver (and pause) at once.
    if (curl_easy_pause(a.easy, CURLPAUSE_CONT) != CURLE_OK) {
      Finish(t, UpstreamError("the upstream transfer could not resume"));
    }
  }

  void Unwatch(Active& a) {
    if (a.watched_fd < 0) return;
    epoll_ctl(epoll_, EPOLL_CTL_DEL, a.watched_fd, nullptr);
    waiting_.erase(a.watched_fd);
    a.watched_fd = -1;
  }

  // Cancellations, stalled clients, and paused transfers with no fd to wait on.
  void Tick(SteadyTime now) {
    std::vector<std::pair<CurlTransfer*, Status>> ending;
    std::vector<CurlTransfer*> resume;
    for (auto& [t, a] : active_) {
      const auto* cancel = t->request().cancel;
      if (cancel && cancel->load()) {
        ending.emplace_back(t, Unavailable("cancelled"));
      } else if (t->paused && now - a->paused_since > options_.stall_timeout) {
        ending.emplace_back(t, Unavailable("the client stopped reading"));
      } else if (t->paused && a->watched_fd < 0 && !a->handler->Congested()) {
        resume.push_back(t);
      }
    }
    for (auto& [t, status] : ending) Finish(t, status);
    for (CurlTransfer* t : resume) {
      auto it = active_.find(t);
      if (it != active_.end()) Resume(t, *it->second);
    }
  }

  void Finish(CurlTransfer* t, const Status& status) {
    auto it = active_.find(t);
    if (it == active_.end()) return;
    std::unique_ptr<Active> a = std::move(it->second);
    active_.erase(it);
    Unwatch(*a);
    bool removed = curl_multi_remove_handle(multi_, a->easy) == CURLM_OK;
    a->transfer.reset();  // wipes the request's header lines
    if (removed && spare_.size() < kSpareHandles) {
      spare_.push_back(a->easy);
    } else {
      curl_easy_cleanup(a->easy);
    }
    Done(*a->handler, status);
  }

  // Counted as done first, so that whoever OnDone wakes sees the count.
  void Done(HttpClientHandler& handler, const Status& status) {
    active_count_.fetch_sub(1);
    handler.OnDone(status);
  }

  static int OnSocket(CURL*, curl_socket_t s, int what, void* user, void* socketp) {
    auto* w = static_cast<Worker*>(user);
    if (what == CURL_POLL_REMOVE) {
      epoll_ctl(w->epoll_, EPOLL_CTL_DEL, s, nullptr);
      return 0;
    }
    epoll_event ev{};
    if (what & CURL_POLL_IN) ev.events |= EPOLLIN;
    if (what & CURL_POLL_OUT) ev.events |= EPOLLOUT;
    ev.data.u64 = Tag(kCurlSocket, s);
    int op = socketp ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(w->epoll_, op, s, &ev) != 0 && errno == EEXIST) {
      epoll_ctl(w->epoll_, EPOLL_CTL_MOD, s, &ev);
    }
    // Marks the socket as registered; if curl cannot, the next call ADDs it
    // again and the EEXIST fallback above makes that a MOD.
    if (!socketp && curl_multi_assign(w->multi_, s, w) != CURLM_OK) return 0;
    return 0;
  }

  static int OnTimer(CURLM*, long timeout_ms, void* user) {
    auto* w = static_cast<Worker*>(user);
    if (timeout_ms < 0) {
      w->timer_.reset();
    } else {
      w->timer_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    }
    return 0;
  }

  const HttpClientLoopOptions options_;
  std::atomic<int>& active_count_;
  int epoll_ = -1;
  int wake_ = -1;
  CURLM* multi_ = nullptr;
  bool usable_ = false;  // set in the constructor

  // Owned by the loop thread.
  std::optional<SteadyTime> timer_;  // curl's next timeout
  std::unordered_map<CurlTransfer*, std::unique_ptr<Active>> active_;
  std::unordered_map<int, CurlTransfer*> waiting_;  // watched fd -> paused transfer
  std::vector<CurlTransfer*> paused_;               // paused since the last look
  std::vector<CURL*> spare_;

  // Guarded by mu_.
  std::mutex mu_;
  std::vector<Job> incoming_;
  bool stop_ = false;

  std::thread thread_;
};

HttpClientLoop::HttpClientLoop(HttpClientLoopOptions options) {
  HttpClient::GlobalInit();
  int n = std::max(1, options.threads);
  for (int i = 0; i < n; ++i) workers_.push_back(std::make_unique<Worker>(options, active_));
}

HttpClientLoop::~HttpClientLoop() { Stop(); }

void HttpClientLoop::Submit(HttpClientRequest request, std::shared_ptr<HttpClientHandler> handler) {
  if (stopped_) {
    handler->OnDone(Unavailable("the client loop is stopped"));
    return;
  }
  active_.fetch_add(1);
  unsigned i = next_.fetch_add(1, std::memory_order_relaxed) % workers_.size();
  workers_[i]->Submit(std::move(request), std::move(handler));
}

void HttpClientLoop::Stop() {
  stopped_ = true;
  for (auto& w : workers_) w->Stop();
}

}  // namespace latchkey
