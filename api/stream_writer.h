// StreamWriter: the ResponseStream the HTTP server hands a streaming route
// (the proxy). It writes straight to the connection's socket through the
// connection's duplicate descriptor (PeerState::stream_fd, so a close on
// the reactor side can never make it write into a reused descriptor),
// never blocks, and on End returns the connection to the reactor.
//
// Thread-safety: one producer thread at a time, as ResponseStream says.
// End takes the connection's lock, unless called on the reactor thread
// that is starting the stream (which holds it already).
#pragma once

#include <pistache/peer.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "api/http_connection.h"

namespace latchkey {

class StreamWriter final : public ResponseStream {
 public:
  StreamWriter(std::shared_ptr<HttpServer::Core> core, int fd, std::shared_ptr<PeerState> state,
               std::weak_ptr<Pistache::Tcp::Peer> peer, RequestLine line, bool keep_alive,
               bool bodyless, bool proxied)
      : core_(std::move(core)),
        fd_(fd),
        state_(std::move(state)),
        peer_(std::move(peer)),
        line_(std::move(line)),
        keep_alive_(keep_alive),
        bodyless_(bodyless),
        proxied_(proxied) {}
  // A producer that forgot End must not leave the connection hanging.
  ~StreamWriter() override;

  bool Start(int status, const std::string& content_type,
             const std::vector<std::pair<std::string, std::string>>& headers) override;
  bool Write(std::string_view chunk, bool last) override;
  void Respond(const HttpResponse& r) override;
  bool Congested() const override { return out_.size() - sent_ > kCongestedBytes; }
  const std::atomic<bool>& cancelled() const override { return core_->cancelled; }
  int fd() const override { return fd_; }
  bool Flush() override;
  void End() override;
  bool AdmitProxied() override;

  // Set while the reactor thread runs the route's stream callback.
  std::atomic<std::thread::id> start_thread_;
  // Reads requests pipelined behind this one once it has ended on a worker
  // (the thread that started it reads on by itself). Set for deferred
  // responses; not used when the worker's handler turned out to proxy
  // (AdmitProxied), whose end comes on the proxy's own thread. End() runs
  // it after releasing the connection's lock: call End() without locks.
  std::function<void()> resume_;

 private:
  static constexpr size_t kCongestedBytes = 256 * 1024;

  // Sends the end and returns the connection to the reactor, under the
  // connection's lock, so that a request the client sends once it has the
  // end is read as the next request, not as one pipelined behind this.
  // `reads_on`: requests already pipelined will be read (by the reactor
  // or resume_), so they need not close the connection.
  void HandBack(bool reads_on);

  std::shared_ptr<HttpServer::Core> core_;
  int fd_;
  std::shared_ptr<PeerState> state_;
  std::weak_ptr<Pistache::Tcp::Peer> peer_;
  RequestLine line_;
  bool keep_alive_;
  bool bodyless_;
  std::string out_;  // bytes not yet taken by the client, from sent_
  size_t sent_ = 0;
  bool started_ = false;
  bool body_done_ = false;  // the body's last bytes are in out_
  bool ended_ = false;
  bool broken_ = false;
  bool whole_ = false;  // Respond() gave a complete response
  bool proxied_;        // holds one of core_->proxied (given back at End)
  int status_ = 0;
  size_t bytes_ = 0;
};

}  // namespace latchkey
