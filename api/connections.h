// The server's connection bookkeeping: the table of open connections (caps
// per client address and in all, and the state of each), and the sweeper
// that times out slow requests and unread responses. Internal to
// api/http_server.cc.
//
// Thread-safety: Connections is safe for concurrent use; TimeoutSweeper runs
// on its own thread and touches a connection only under its lock.
#pragma once

#include <pistache/peer.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "api/http_connection.h"

namespace latchkey {

// The open connections: counted in all and per client address, and listed
// for the timeout sweeper.
class Connections : public std::enable_shared_from_this<Connections> {
 public:
  Connections(int max_total, int max_per_address)
      : max_total_(max_total), max_per_address_(max_per_address) {}

  // A slot for a new connection from `address`, or null (and why) past a cap.
  std::shared_ptr<void> Admit(const std::string& address, const char** why) {
    std::lock_guard<std::mutex> lock(mu_);
    if (total_ >= max_total_) {
      *why = "the server has too many open connections; retry later";
      return nullptr;
    }
    int& count = per_address_[address];
    if (count >= max_per_address_) {
      *why = "too many open connections from this address";
      return nullptr;
    }
    ++count;
    ++total_;
    return std::make_shared<Slot>(shared_from_this(), address);
  }

  // The connection's state lives here, not in the Peer's data: Pistache
  // (not instrumented) would then drop the last reference, and
  // ThreadSanitizer could not see that the drop comes after every use.
  // A state is never destroyed under mu_: its slot's release takes mu_.
  void Register(const std::shared_ptr<Pistache::Tcp::Peer>& peer, std::shared_ptr<PeerState> st) {
    Entry replaced;  // a dead peer's, at a reused address: destroyed after unlocking
    std::lock_guard<std::mutex> lock(mu_);
    Entry& e = live_[peer.get()];
    replaced = std::move(e);
    e = Entry{peer, std::move(st)};
  }
  void Unregister(const Pistache::Tcp::Peer* peer) {
    Entry removed;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = live_.find(peer);
    if (it == live_.end()) return;
    removed = std::move(it->second);
    live_.erase(it);
  }
  std::shared_ptr<PeerState> Find(const Pistache::Tcp::Peer* peer) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = live_.find(peer);
    return it == live_.end() ? nullptr : it->second.state;
  }

  struct Entry {
    std::weak_ptr<Pistache::Tcp::Peer> peer;
    std::shared_ptr<PeerState> state;
  };
  // The registered connections still alive. Those whose peer Pistache
  // dropped without telling us (its own idle and backstop timeouts) go.
  std::vector<Entry> Snapshot() {
    std::vector<Entry> dead;  // destroyed after unlocking
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Entry> out;
    out.reserve(live_.size());
    for (auto it = live_.begin(); it != live_.end();) {
      if (it->second.peer.expired()) {
        dead.push_back(std::move(it->second));
        it = live_.erase(it);
      } else {
        out.push_back(it->second);
        ++it;
      }
    }
    return out;
  }

 private:
  // Gives its place back when the connection's state goes.
  // Weak: the table holds the states that hold the slots.
  struct Slot {
    Slot(std::weak_ptr<Connections> o, std::string a)
        : owner(std::move(o)), address(std::move(a)) {}
    ~Slot() {
      if (auto o = owner.lock()) o->Release(address);
    }
    std::weak_ptr<Connections> owner;
    std::string address;
  };

  void Release(const std::string& address) {
    std::lock_guard<std::mutex> lock(mu_);
    --total_;
    auto it = per_address_.find(address);
    if (it != per_address_.end() && --it->second <= 0) per_address_.erase(it);
  }

  const int max_total_;
  const int max_per_address_;
  std::mutex mu_;
  // Guarded by mu_:
  int total_ = 0;
  std::unordered_map<std::string, int> per_address_;
  std::unordered_map<const Pistache::Tcp::Peer*, Entry> live_;
};

// Times out requests that arrive too slowly and responses left unread.
// Runs on its own thread, so a slow client costs no reactor anything; it
// touches a connection only under the connection's lock, and only while
// onDisconnection has not yet marked it closed (Pistache closes the
// descriptor after that), so it never writes to a reused descriptor.
class TimeoutSweeper {
 public:
  TimeoutSweeper(std::shared_ptr<HttpServer::Core> core, std::shared_ptr<Connections> connections)
      : core_(std::move(core)), connections_(std::move(connections)) {
    auto shortest = std::min(core_->options.header_timeout, core_->options.body_timeout);
    tick_ = std::clamp(shortest / 5, std::chrono::milliseconds(20), std::chrono::milliseconds(500));
    thread_ = std::thread([this] { Run(); });
  }
  ~TimeoutSweeper() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  void Run();
  // One pass over every connection at `now`.
  void Sweep(std::chrono::steady_clock::time_point now);

  std::shared_ptr<HttpServer::Core> core_;
  std::shared_ptr<Connections> connections_;
  std::chrono::milliseconds tick_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace latchkey
