#include "api/connections.h"

#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>

#include "api/responses.h"
#include "common/ids.h"

namespace latchkey {

void TimeoutSweeper::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, tick_, [this] { return stop_; })) {
    lock.unlock();
    Sweep(std::chrono::steady_clock::now());
    lock.lock();
  }
}

void TimeoutSweeper::Sweep(std::chrono::steady_clock::time_point now) {
  const HttpServerOptions& o = core_->options;
  for (const auto& entry : connections_->Snapshot()) {
    auto peer = entry.peer.lock();
    const std::shared_ptr<PeerState>& st = entry.state;
    if (!peer) continue;
    // A connection whose request is being handled holds its lock; it is
    // not waiting on the client.
    std::unique_lock<std::mutex> lock(st->mu, std::try_to_lock);
    if (!lock.owns_lock() || st->streaming || st->gone) continue;
    int fd = peer->fd();
    int64_t waiting = st->write_waiting_since.load();
    if (waiting != 0 && now.time_since_epoch().count() - waiting >
                            std::chrono::nanoseconds(o.body_timeout).count()) {
      // A client that does not read what it asked for (also after a
      // last response, on a connection that reads no more input).
      core_->logger.Info("connection_cut", {{"client", peer->address().host()},
                                            {"reason", "response not read in time"}});
      st->closed = true;
      st->gone = true;
      ::shutdown(fd, SHUT_RDWR);
      continue;
    }
    if (st->closed) continue;
    bool idle = st->served && st->pending.empty() && !st->head;
    if (idle) continue;  // between requests: Pistache's keep-alive timeout
    auto limit = st->head ? o.body_timeout : o.header_timeout;
    if (now - st->request_started <= limit) continue;
    // Bytes the reactor has not read yet mean the delay is ours (a busy
    // thread), not the client's.
    int unread = 0;
    if (::ioctl(fd, FIONREAD, &unread) == 0 && unread > 0) continue;
    st->closed = true;
    st->gone = true;
    if (waiting == 0) {
      std::string request_id = NewId("req");
      std::string reply =
          Serialize(ErrorResponse(408, "REQUEST_TIMEOUT",
                                  st->head ? "request body was not received in time"
                                           : "request head was not received in time"),
                    request_id, false);
      ::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      core_->logger.Info("request_rejected", {{"request_id", request_id},
                                              {"status", 408},
                                              {"reason", "timeout"},
                                              {"client", peer->address().host()}});
    }
    ::shutdown(fd, SHUT_RDWR);
  }
}

}  // namespace latchkey
