// ProxyService's audit path on a real database, with a loopback upstream:
// answers do not wait for their records, the audit writer's Sync waits for them, and calls are
// refused while too many records cannot be written.
#include <boost/test/unit_test.hpp>
#include <condition_variable>
#include <future>
#include <mutex>

#include "services/credentials/credentials.h"
#include "services/proxy/proxy.h"
#include "tests/common/loopback_server.h"
#include "tests/services/accounts/fixture.h"

namespace latchkey {
namespace {

constexpr char kSecret[] = "planted-proxy-secret-0001";

// Collects what the proxy tells the caller.
class TestSink final : public ProxySink {
 public:
  bool Start(int status, const HeaderList&) override {
    std::lock_guard<std::mutex> lock(mu_);
    status_ = status;
    return true;
  }
  bool Write(std::string_view chunk, bool) override {
    std::lock_guard<std::mutex> lock(mu_);
    body_.append(chunk);
    return true;
  }
  void Fail(const Status& error) override {
    std::lock_guard<std::mutex> lock(mu_);
    error_ = error;
  }
  bool Congested() const override { return false; }
  int fd() const override { return -1; }
  bool Flush() override { return true; }
  void End() override {
    std::lock_guard<std::mutex> lock(mu_);
    ended_ = true;
    ended_cv_.notify_all();
  }
  // The status the caller got: the upstream's, or the error's code name.
  std::string Await() {
    std::unique_lock<std::mutex> lock(mu_);
    BOOST_REQUIRE(ended_cv_.wait_for(lock, std::chrono::seconds(30), [&] { return ended_; }));
    return error_.ok() ? std::to_string(status_) : std::string(StatusCodeName(error_.code()));
  }

 private:
  std::mutex mu_;
  std::condition_variable ended_cv_;
  bool ended_ = false;
  int status_ = 0;
  std::string body_;
  Status error_;
};

struct Fixture : testing::AccountsFixture {
  testing::LoopbackServer upstream{
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"};
  CredentialService creds{*db, envelope, audit, clock};
  std::string account;
  std::unique_ptr<AuditWriter> writer;  // outlives the proxy
  std::unique_ptr<ProxyService> proxy;

  Fixture() {
    BOOST_REQUIRE(ApplyMigrations(*db, "credentials", CredentialService::Migrations()).ok());
    account = accounts.Create("acme", ctx)->account.id;
    SecretWrite w;
    w.type = SecretType::kApiKey;
    w.allowed_hosts = std::vector<std::string>{"127.0.0.1"};
    w.value.value = kSecret;
    BOOST_REQUIRE(creds.CreateSecret(account, "llm", w, ctx).ok());
    MakeProxy(AuditWriterOptions().max_pending);
  }

  void MakeProxy(size_t max_pending) {
    proxy.reset();
    AuditWriterOptions w;
    w.max_pending = max_pending;
    writer = std::make_unique<AuditWriter>(*db, audit, w);
    ProxyOptions o;
    o.allow_http_hosts = {"127.0.0.1"};
    o.addresses = *AddressPolicy::Parse({"127.0.0.1/32"});
    proxy = std::make_unique<ProxyService>(creds, *writer, clock, o);
  }

  std::string Call(const std::string& credential = "llm") {
    ProxyCall call;
    call.account_id = account;
    call.credential = credential;
    call.target_url = "http://127.0.0.1:" + std::to_string(upstream.port()) + "/v1/chat";
    call.method = "GET";
    call.audit = ctx;
    auto sink = std::make_shared<TestSink>();
    proxy->Forward(std::move(call), sink);
    return sink->Await();
  }

  int64_t Recorded() {
    return Count("SELECT COUNT(*) FROM audit_events WHERE account_id = ? AND action = ?",
                 {account, std::string("proxy.request")});
  }
};

BOOST_FIXTURE_TEST_SUITE(ProxyServiceTest, Fixture)

BOOST_AUTO_TEST_CASE(SyncWaitsForTheRecordsOfAnsweredCalls) {
  for (int i = 0; i < 3; ++i) BOOST_TEST(Call() == "200");
  BOOST_TEST(writer->Sync().ok());
  BOOST_TEST(Recorded() == 3);
  BOOST_TEST(creds.GetSecret(account, "llm")->use_count == 3);
  BOOST_TEST(upstream.last_request().find(std::string("Bearer ") + kSecret) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(MalformedCredentialNamesAreRefusedUnrecorded) {
  for (std::string name : {std::string(3000, 'a'), std::string("a\r\nb"), std::string("../x"),
                           std::string("oauth:"), std::string("oauth:a b")}) {
    BOOST_TEST(Call(name) == "BAD_REQUEST");
  }
  BOOST_TEST(Call("no-such") == "NOT_FOUND");  // well formed: refused and recorded
  BOOST_TEST(writer->Sync().ok());
  BOOST_TEST(Recorded() == 1);
  BOOST_TEST(upstream.accepted() == 0);
}

BOOST_AUTO_TEST_CASE(CallsAreRefusedWhileRecordsCannotBeWritten) {
  MakeProxy(2);
  // Another transaction holds the audit chain (and, on SQLite, the whole
  // database) until released: the proxy's commits wait or fail and retry.
  std::promise<void> held;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::thread blocker([&] {
    Status s = db->Transaction([&](SqlExecutor& tx) -> Status {
      RETURN_IF_ERROR(tx.LockKey("audit:" + account));
      RETURN_IF_ERROR(
          tx.Execute("DELETE FROM secrets WHERE name = ?", {std::string("none")}).status());
      held.set_value();
      released.wait();
      return Status::Ok();
    });
    BOOST_TEST(s.ok());
  });
  held.get_future().wait();

  std::vector<std::string> answers;
  int before = upstream.accepted();
  for (int i = 0; i < 6 && (answers.empty() || answers.back() == "200"); ++i) {
    answers.push_back(Call());
  }
  // Answered calls are not held back by their records; once two records
  // wait, the next call is refused before it reaches the upstream.
  BOOST_REQUIRE(answers.size() >= 2);
  BOOST_TEST(answers.back() == "UNAVAILABLE");
  int answered = static_cast<int>(answers.size()) - 1;
  BOOST_TEST(upstream.accepted() - before == answered);
  Status late = writer->Sync(std::chrono::milliseconds(50));
  BOOST_TEST((late.code() == StatusCode::kUnavailable));  // an error, never a stale read

  release.set_value();
  blocker.join();
  BOOST_TEST(writer->Sync(std::chrono::seconds(30)).ok());
  BOOST_TEST(Recorded() == answered);  // every answered call, none lost
  BOOST_TEST(Call() == "200");         // and calls go through again
  BOOST_TEST(writer->Sync().ok());
  BOOST_TEST(Recorded() == answered + 1);
  BOOST_TEST(audit.Verify(*db, account)->ok);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
