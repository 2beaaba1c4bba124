// OAuth refresh scheduling and refresh throughput, each next to a reference
// measured in the same run:
//   - one scheduler pass with nothing due (RunDue + NextDue, both index
//     range scans) at 1,000, 10,000 and 100,000 stored tokens, against the
//     same question asked by scanning the table (what a scheduler without
//     the next_refresh_at index would pay); the pass must stay flat;
//   - refreshes/s (claim, open, POST to a local fake provider, seal, write
//     with audit) against bare POSTs to the same fake provider from the same
//     number of threads (the provider's and HTTP's own cost).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <thread>
#include <vector>

#include "bench/bench_store.h"
#include "common/http_client.h"
#include "common/sqlite_database.h"
#include "services/accounts/accounts.h"
#include "services/oauth/oauth.h"

using namespace latchkey;
using Clock_ = std::chrono::steady_clock;

namespace {

// A token endpoint on loopback: one request per connection, always a fresh
// rotating grant.
class FakeProvider {
 public:
  FakeProvider() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    socklen_t len = sizeof(a);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(fd_, 512);
    for (int i = 0; i < 4; ++i) threads_.emplace_back([this] { Serve(); });
  }
  ~FakeProvider() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    for (auto& t : threads_) t.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/token"; }

 private:
  void Serve() {
    for (;;) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string data;
      char buf[4096];
      while (data.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::recv(c, buf, sizeof(buf), 0);
        if (n <= 0) break;
        data.append(buf, static_cast<size_t>(n));
      }
      size_t at = data.find("Content-Length: ");
      size_t need = data.find("\r\n\r\n") + 4 +
                    (at == std::string::npos ? 0 : std::stoul(data.substr(at + 16)));
      while (data.size() < need) {
        ssize_t n = ::recv(c, buf, sizeof(buf), 0);
        if (n <= 0) break;
        data.append(buf, static_cast<size_t>(n));
      }
      uint64_t n = ++count_;
      std::string body = R"({"access_token":"at-)" + std::to_string(n) +
                         R"(","refresh_token":"rt-)" + std::to_string(n) +
                         R"(","token_type":"Bearer","expires_in":86400})";
      std::string out =
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: "
          "close\r\nContent-Length: " +
          std::to_string(body.size()) + "\r\n\r\n" + body;
      ::send(c, out.data(), out.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }
  int fd_;
  int port_;
  std::atomic<uint64_t> count_{0};
  std::vector<std::thread> threads_;
};

double MedianMicros(const std::function<void()>& fn, int runs) {
  std::vector<double> us;
  for (int i = 0; i < runs; ++i) {
    auto start = Clock_::now();
    fn();
    us.push_back(std::chrono::duration<double, std::micro>(Clock_::now() - start).count());
  }
  std::sort(us.begin(), us.end());
  return us[us.size() / 2];
}

}  // namespace

int main() {
  bench::BenchStore store("latchkey-oauth-bench");
  auto& db = store.db;
  FakeClock& clock = store.clock;
  Envelope& envelope = store.envelope;
  AuditLog& audit = store.audit;
  AccountService& accounts = store.accounts;
  if (!OAuthService::Migrate(*db).ok()) return 1;
  FakeProvider provider;
  auto providers =
      *OAuthProviders::WithOverrides(R"({"google": {"tokenUrl": ")" + provider.url() + R"("}})");
  OAuthService oauth(*db, envelope, audit, clock, std::move(providers));
  AuditContext ctx{"admin", "r", "127.0.0.1"};
  std::string acct = accounts.Create("bench", ctx)->account.id;
  OAuthClientWrite w;
  w.client_id = "client";
  w.client_secret = "client-secret-0123456789";
  if (!oauth.clients.Put(acct, "google", w, ctx).ok()) return 1;
  const OAuthProvider& google = *oauth.providers.Find("google");

  int stored = 0;
  auto fill_to = [&](int target) {
    while (stored < target) {
      int batch = std::min(5000, target - stored);
      Status s = db->Transaction([&](SqlExecutor& tx) -> Status {
        for (int i = 0; i < batch; ++i) {
          TokenGrant g;
          g.access_token = "at-seed-" + std::to_string(stored + i);
          g.refresh_token = "rt-seed-" + std::to_string(stored + i);
          g.expires_in = 86400;
          RETURN_IF_ERROR(
              oauth.tokens.Store(tx, acct, google, "user-" + std::to_string(stored + i), g, {}, ctx)
                  .status());
        }
        return Status::Ok();
      });
      if (!s.ok()) {
        std::fprintf(stderr, "fill: %s\n", s.ToString().c_str());
        std::exit(1);
      }
      stored += batch;
    }
  };

  std::printf("latchkey OAuth benchmark (SQLite, WAL)\n");
  std::printf("%-9s %22s %28s %8s %10s\n", "tokens", "pass, nothing due (us)",
              "table scan, same question (us)", "scan/pass", "pass/1k");
  double first = 0;
  for (int n : {1000, 10000, 100000}) {
    fill_to(n);
    double pass = MedianMicros(
        [&] {
          (void)oauth.tokens.RunDue();
          (void)oauth.tokens.NextDue();
        },
        400);
    double scan = MedianMicros(
        [&] {
          (void)db->Query("SELECT COUNT(*) FROM oauth_tokens WHERE expires_at - 300 <= ?",
                          {ToUnix(clock.Now())});
        },
        20);
    if (first == 0) first = pass;
    std::printf("%-9d %22.1f %28.1f %8.0f %10.2f\n", n, pass, scan, scan / pass, pass / first);
  }

  // Refreshes/s: 2,000 tokens fall due at once.
  constexpr int kDue = 2000;
  (void)db->Execute(
      "UPDATE oauth_tokens SET next_refresh_at = ? WHERE id IN"
      " (SELECT id FROM oauth_tokens ORDER BY id LIMIT ?)",
      {ToUnix(clock.Now()) - 1, int64_t{kDue}});
  auto start = Clock_::now();
  int refreshed = 0;
  while (refreshed < kDue) {
    auto ran = oauth.tokens.RunDue();
    if (!ran.ok() || *ran == 0) break;
    refreshed += *ran;
  }
  double secs = std::chrono::duration<double>(Clock_::now() - start).count();
  double ours = refreshed / secs;

  // Reference: the same number of bare POSTs from the same number of threads.
  std::atomic<int> next{0};
  start = Clock_::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < oauth.tokens.options().refresh_workers; ++t) {
    threads.emplace_back([&] {
      while (next++ < kDue) {
        HttpClientRequest req;
        req.method = "POST";
        req.url = provider.url();
        req.allow_http = true;
        req.body = "grant_type=refresh_token&refresh_token=rt";
        req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
        (void)HttpClient::Fetch(req, 1 << 20);
      }
    });
  }
  for (auto& t : threads) t.join();
  double bare = kDue / std::chrono::duration<double>(Clock_::now() - start).count();
  int64_t audited =
      (*db->Query("SELECT COUNT(*) FROM audit_events WHERE action ="
                  " 'oauth.token.refresh' AND outcome = 'success'",
                  {}))[0]
          .Int(0);
  std::printf("refreshes: %d of %d done, %lld audited\n", refreshed, kDue,
              static_cast<long long>(audited));
  std::printf("%-34s %10.0f /s | %-28s %10.0f /s | ratio %.2f\n", "refresh (claim..seal..audit)",
              ours, "bare POST to fake provider", bare, ours / bare);
  return 0;
}
