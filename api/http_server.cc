#include "api/http_server.h"

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/peer.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "api/connections.h"
#include "api/http_connection.h"
#include "api/request_head.h"
#include "api/responses.h"
#include "api/stream_writer.h"
#include "common/ids.h"
#include "common/json_text.h"

namespace latchkey {

namespace P = Pistache;
namespace PH = Pistache::Http;

namespace {

class Handler final : public PH::Handler {
 public:
  HTTP_PROTOTYPE(Handler)

  Handler(std::shared_ptr<HttpServer::Core> core, std::shared_ptr<Connections> connections)
      : core_(std::move(core)), connections_(std::move(connections)) {}

  void onConnection(const std::shared_ptr<P::Tcp::Peer>& peer) override;
  void onDisconnection(const std::shared_ptr<P::Tcp::Peer>& peer) override;
  void onInput(const char* buffer, size_t len, const std::shared_ptr<P::Tcp::Peer>& peer) override;
  void onRequest(const PH::Request& request, PH::ResponseWriter writer) override;
  void onTimeout(const PH::Request& request, PH::ResponseWriter writer) override;

 private:
  std::shared_ptr<PeerState> StateOf(const std::shared_ptr<P::Tcp::Peer>& peer);
  void Process(const std::shared_ptr<P::Tcp::Peer>& peer, PeerState& st);
  // Reads the current request's body from `st.pending`; false while it is
  // incomplete (or after rejecting it).
  bool TakeBody(const std::shared_ptr<P::Tcp::Peer>& peer, PeerState& st, std::string* body,
                size_t* consumed);
  void Reject(const std::shared_ptr<P::Tcp::Peer>& peer, PeerState& st, int status,
              std::string_view code, std::string_view message);
  void Serve(const std::shared_ptr<P::Tcp::Peer>& peer, PeerState& st, const HeadCheck& head,
             std::string body, bool keep_alive);
  // Hands the connection's output to a stream thread running `body`.
  void StartStream(const std::shared_ptr<P::Tcp::Peer>& peer, PeerState& st,
                   std::function<void(std::shared_ptr<ResponseStream>)> body, RequestLine line,
                   bool keep_alive, bool deferred);
  // Reads the requests pipelined behind a deferred one, on the worker that
  // answered it (the reactor reads on by itself after its own answers).
  std::function<void()> Resumer(const std::shared_ptr<P::Tcp::Peer>& peer);
  // The descriptor to write to: the connection's duplicate once it has one
  // (Pistache may close its own at any time from its reactor thread, which
  // a worker reading pipelined requests cannot rule out), else Pistache's.
  static int OutputFd(const std::shared_ptr<P::Tcp::Peer>& peer, const PeerState& st) {
    return st.stream_fd >= 0 ? st.stream_fd : peer->fd();
  }
  // Sends a response on a connection we read ourselves.
  void Respond(const std::shared_ptr<P::Tcp::Peer>& peer, PeerState& st, const HttpResponse& r,
               const std::string& request_id, bool keep_alive, bool count_in_flight,
               bool head_only = false);
  // Writes bytes to the peer: straight to the socket when nothing is queued
  // and the socket takes them all (the common case, with no extra syscalls
  // or allocations), otherwise through Pistache's write queue.
  void SendBytes(const std::shared_ptr<P::Tcp::Peer>& peer, PeerState& st, std::string data,
                 std::function<void()> done);

  std::shared_ptr<HttpServer::Core> core_;
  std::shared_ptr<Connections> connections_;
};

std::shared_ptr<PeerState> Handler::StateOf(const std::shared_ptr<P::Tcp::Peer>& peer) {
  if (auto st = connections_->Find(peer.get())) return st;
  // Not seen by onConnection (it always is, first): a state of its own.
  auto st = std::make_shared<PeerState>();
  connections_->Register(peer, st);
  return st;
}

void Handler::onConnection(const std::shared_ptr<P::Tcp::Peer>& peer) {
  // What PH::Handler::onConnection (which this replaces) does: Pistache's
  // own idle sweeper reads every peer's parser. It is never fed, so it is
  // small; its clock is reset as each request starts.
  peer->putData(ParserData, std::make_shared<PH::RequestParser>(4096));
  auto st = std::make_shared<PeerState>();
  connections_->Register(peer, st);
  const char* why = nullptr;
  st->slot = connections_->Admit(RateBucketAddress(peer->address().host()), &why);
  if (!st->slot) {
    std::lock_guard<std::mutex> lock(st->mu);
    core_->logger.Warn("connection_refused", {{"client", peer->address().host()}, {"reason", why}});
    Reject(peer, *st, 503, "UNAVAILABLE", why);
    ::shutdown(peer->fd(), SHUT_RD);
    return;
  }
}

void Handler::onDisconnection(const std::shared_ptr<P::Tcp::Peer>& peer) {
  // Pistache closes the descriptor after this returns: from now on the
  // sweeper must not touch it.
  auto st = StateOf(peer);
  {
    std::lock_guard<std::mutex> lock(st->mu);
    st->closed = true;
    st->gone = true;
  }
  connections_->Unregister(peer.get());
}

void Handler::onInput(const char* buffer, size_t len, const std::shared_ptr<P::Tcp::Peer>& peer) {
  auto st = StateOf(peer);
  std::lock_guard<std::mutex> lock(st->mu);
  if (st->closed) return;
  if (st->pending.empty() && !st->head) {
    // A new request starts: its timeouts (and Pistache's backstop) count
    // from here, and a keep-alive connection is no longer idle.
    st->request_started = std::chrono::steady_clock::now();
    getParser(peer)->reset();
    peer->setIdle(false);
  }
  st->pending.append(buffer, len);
  if (st->streaming) {
    // Pipelined behind a streamed or deferred response: read once it ends.
    // A client that sends more than one request can hold is cut off then.
    if (st->pending.size() > core_->options.max_head_bytes + core_->options.max_body_bytes) {
      st->pending.clear();
      st->closed = true;
    }
    return;
  }
  try {
    Process(peer, *st);
  } catch (const std::exception& e) {
    core_->logger.Error("connection_error", {{"what", e.what()}});
    Reject(peer, *st, 500, "INTERNAL", "internal error");
  }
}

void Handler::Reject(const std::shared_ptr<P::Tcp::Peer>& peer, PeerState& st, int status,
                     std::string_view code, std::string_view message) {
  st.closed = true;
  st.pending.clear();
  std::string request_id = NewId("req");
  CountRejectedRequest(status);
  core_->logger.Info("request_rejected", {{"request_id", request_id},
                                          {"status", status},
                                          {"reason", message},
                                          {"client", peer->address().host()}});
  Respond(peer, st, ErrorResponse(status, code, message), request_id, false, false);
}

bool Handler::TakeBody(const std::shared_ptr<P::Tcp::Peer>& peer, PeerState& st, std::string* body,
                       size_t* consumed) {
  const HttpServerOptions& o = core_->options;
  const HeadCheck& h = *st.head;
  std::string_view encoded = std::string_view(st.pending).substr(h.head_length);
  bool complete = false;
  if (h.chunked) {
    ChunkedDecoder& d = *st.chunked;
    auto state = d.Feed(encoded);
    if (state == ChunkedDecoder::State::kError) {
      Reject(peer, st, d.error_status(),
             d.error_status() == 413 ? "PAYLOAD_TOO_LARGE" : "BAD_REQUEST", d.error());
      return false;
    }
    // Framing may cost more than it carries ("1\r\na\r\n"), but not
    // without bound.
    if (state == ChunkedDecoder::State::kMore && encoded.size() > 2 * o.max_body_bytes + 65536) {
      Reject(peer, st, 413, "PAYLOAD_TOO_LARGE", "chunked request body is too large");
      return false;
    }
    if (state == ChunkedDecoder::State::kDone) {
      *body = d.body();
      *consumed = h.head_length + d.consumed();
      complete = true;
    }
  } else if (encoded.size() >= h.content_length) {
    *body = std::string(encoded.substr(0, h.content_length));
    *consumed = h.head_length + h.content_length;
    complete = true;
  }
  if (!complete && h.expect_continue && !st.continue_sent) {
    st.continue_sent = true;
    SendBytes(peer, st, "HTTP/1.1 100 Continue\r\n\r\n", nullptr);
  }
  return complete;
}

void Handler::Process(const std::shared_ptr<P::Tcp::Peer>& peer, PeerState& st) {
  const HttpServerOptions& o = core_->options;
  HeadLimits limits{o.max_head_bytes, o.max_body_bytes, o.max_target_bytes, o.max_headers};
  while (!st.closed && !st.streaming && !st.pending.empty()) {
    if (!st.head) {
      bool recheck =
          HeadMayHaveChanged(st.pending, st.head_scanned) || st.pending.size() > o.max_head_bytes;
      st.head_scanned = st.pending.size();
      if (!recheck) return;
      HeadCheck h = CheckRequestHead(st.pending, limits);
      if (h.kind == HeadCheck::Kind::kIncomplete) return;
      if (h.kind == HeadCheck::Kind::kError) return Reject(peer, st, h.status, h.code, h.message);
      st.head = std::move(h);
      st.head_scanned = 0;
      st.continue_sent = false;
      if (st.head->chunked) st.chunked.emplace(o.max_body_bytes);
    }
    std::string body;
    size_t consumed = 0;
    if (!TakeBody(peer, st, &body, &consumed)) return;
    HeadCheck head = std::move(*st.head);
    st.head.reset();
    st.chunked.reset();
    bool keep_alive = head.keep_alive && !core_->draining;
    st.pending.erase(0, consumed);
    if (!st.pending.empty()) {
      st.request_started = std::chrono::steady_clock::now();  // pipelined
    }
    Serve(peer, st, head, std::move(body), keep_alive);
    if (!keep_alive) {
      st.closed = true;
      st.pending.clear();
    }
  }
}

void Handler::onRequest(const PH::Request& request, PH::ResponseWriter writer) {
  // Not reached: onInput dispatches through Serve(). Kept total for safety.
  WriteWithPistache(writer, ErrorResponse(500, "INTERNAL", "internal error"), NewId("req"));
  (void)request;
}

void Handler::onTimeout(const PH::Request&, PH::ResponseWriter writer) {
  WriteWithPistache(writer,
                    ErrorResponse(408, "REQUEST_TIMEOUT", "request was not received in time"),
                    NewId("req"));
}

void Handler::Serve(const std::shared_ptr<P::Tcp::Peer>& peer, PeerState& st, const HeadCheck& head,
                    std::string body, bool keep_alive) {
  auto started = std::chrono::steady_clock::now();
  core_->in_flight.fetch_add(1);
  HttpRequest req;
  req.method = head.method;
  size_t question = head.target.find('?');
  req.path = head.target.substr(0, question);
  if (question != std::string::npos) req.raw_query = head.target.substr(question + 1);
  req.body = std::move(body);
  req.client_address = peer->address().host();
  for (const auto& [name, value] : head.headers) {
    // Repeated fields combine into one list (RFC 9110 §5.3).
    auto [it, inserted] = req.headers.emplace(name, value);
    if (!inserted) it->second += ", " + value;
  }
  auto incoming_id = req.Header("X-Request-Id");
  req.request_id = incoming_id && ValidRequestId(*incoming_id) ? *incoming_id : NewId("req");

  HttpResponse response;
  bool bad_query = question != std::string::npos &&
                   !ParseQuery(std::string_view(head.target).substr(question + 1), &req.query);
  if (!core_->accepting.load(std::memory_order_acquire)) {
    response = ErrorResponse(503, "UNAVAILABLE", "server is starting; retry");
    keep_alive = false;
  } else if (core_->draining) {
    response = ErrorResponse(503, "UNAVAILABLE", "server is shutting down");
    keep_alive = false;
  } else if (bad_query) {
    response = ErrorResponse(400, "BAD_REQUEST",
                             "malformed percent-encoding or UTF-8 in the query string");
  } else {
    response = core_->app.Handle(req);
  }
  RequestLine line{req.request_id,  req.method, req.path, req.client_address,
                   req.body.size(), started,    req.route};
  if (response.stream) {
    StartStream(peer, st, std::move(response.stream), std::move(line), keep_alive,
                response.deferred);
    return;
  }
  LogRequest(core_->logger, line, response.status, response.body.size());
  // Logged before the response leaves, so the line exists once a client
  // has its answer.
  Respond(peer, st, response, req.request_id, keep_alive, true, req.method == "HEAD");
}

void Handler::StartStream(const std::shared_ptr<P::Tcp::Peer>& peer, PeerState& st,
                          std::function<void(std::shared_ptr<ResponseStream>)> body,
                          RequestLine line, bool keep_alive, bool deferred) {
  auto refuse = [&](std::string_view message) {
    LogRequest(core_->logger, line, 503, 0);
    HttpResponse busy = ErrorResponse(503, "UNAVAILABLE", message);
    busy.headers.emplace_back("Retry-After", "1");
    Respond(peer, st, busy, line.request_id, false, true);
    st.closed = true;
  };
  // An earlier response still waiting in Pistache's queue could be
  // overtaken by our direct writes; only a client that stopped reading
  // gets here.
  if (st.writes_queued.load() > 0) return refuse("connection is congested; retry");
  // A deferred request is bounded by the worker pool's queue; it counts
  // as proxied only if its handler turns out to proxy (AdmitProxied).
  bool proxied = !deferred;
  if (proxied && core_->proxied.fetch_add(1) >= core_->options.max_streams) {
    core_->proxied.fetch_sub(1);
    return refuse("too many streaming requests; retry");
  }
  if (st.stream_fd < 0) st.stream_fd = ::dup(peer->fd());
  if (st.stream_fd < 0) {
    if (proxied) core_->proxied.fetch_sub(1);
    return refuse("server is out of resources");
  }
  core_->streams.fetch_add(1);
  int fd = st.stream_fd;
  st.streaming = true;
  bool bodyless = line.method == "HEAD";
  auto writer = std::make_shared<StreamWriter>(core_, fd, StateOf(peer), peer, std::move(line),
                                               keep_alive, bodyless, proxied);
  writer->start_thread_ = std::this_thread::get_id();
  // A worker ends it: requests pipelined behind it are read from there.
  if (deferred) writer->resume_ = Resumer(peer);
  try {
    body(writer);
  } catch (const std::exception& e) {
    core_->logger.Error("stream_exception", {{"what", e.what()}});
    writer->Respond(ErrorResponse(500, "INTERNAL", "internal error"));
    writer->End();
  }
  writer->start_thread_ = std::thread::id();
}

std::function<void()> Handler::Resumer(const std::shared_ptr<P::Tcp::Peer>& peer) {
  std::weak_ptr<P::Tcp::Peer> weak = peer;
  auto self = std::make_shared<Handler>(core_, connections_);
  return [self, weak] {
    auto p = weak.lock();
    if (!p) return;
    auto state = self->connections_->Find(p.get());
    if (!state) return;
    // Taken as the reactor takes it, so the two never read at once.
    std::lock_guard<std::mutex> lock(state->mu);
    if (state->closed || state->streaming) return;
    try {
      self->Process(p, *state);
    } catch (const std::exception& e) {
      self->core_->logger.Error("connection_error", {{"what", e.what()}});
      self->Reject(p, *state, 500, "INTERNAL", "internal error");
    }
  };
}

void Handler::Respond(const std::shared_ptr<P::Tcp::Peer>& peer, PeerState& st,
                      const HttpResponse& r, const std::string& request_id, bool keep_alive,
                      bool count_in_flight, bool head_only) {
  auto core = core_;
  int fd = OutputFd(peer, st);
  // A duplicate stays open (and its number unused) while its state lives.
  std::shared_ptr<PeerState> holds_fd = fd == st.stream_fd ? StateOf(peer) : nullptr;
  std::weak_ptr<P::Tcp::Peer> weak = peer;
  st.served = true;
  SendBytes(peer, st, Serialize(r, request_id, keep_alive, head_only),
            [core, keep_alive, fd, holds_fd, count_in_flight, weak] {
              if (!keep_alive) {
                ::shutdown(fd, SHUT_WR);
              } else if (auto p = weak.lock()) {
                p->setIdle(true);
              }
              if (count_in_flight) core->in_flight.fetch_sub(1);
            });
}

void Handler::SendBytes(const std::shared_ptr<P::Tcp::Peer>& peer, PeerState& st, std::string data,
                        std::function<void()> done) {
  size_t sent = 0;
  if (st.writes_queued.load() == 0) {
    // We hold the connection's lock (on its reactor thread, or on the
    // worker reading requests pipelined behind a deferred one), and nothing
    // waits in Pistache's queue, so no other write can interleave.
    int fd = OutputFd(peer, st);
    while (sent < data.size()) {
      ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        sent += static_cast<size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        break;
      } else {
        st.closed = true;  // the peer is gone; Pistache notices the close
        if (done) done();
        return;
      }
    }
    if (sent == data.size()) {
      if (done) done();
      return;
    }
  }
  size_t rest = data.size() - sent;
  // The sweeper cuts a client that leaves this unread past the body timeout.
  std::weak_ptr<PeerState> weak_state = StateOf(peer);
  NoteWriteQueued(st);
  auto finished = [done, weak_state] {
    NoteWriteDone(weak_state);
    if (done) done();
  };
  peer->send(P::RawBuffer(data.substr(sent), rest))
      .then([finished](ssize_t) { finished(); }, [finished](std::exception_ptr) { finished(); });
}

}  // namespace

struct HttpServer::Impl {
  std::unique_ptr<PH::Endpoint> endpoint;
  std::shared_ptr<Connections> connections;
  std::unique_ptr<TimeoutSweeper> sweeper;
  bool running = false;
};

HttpServer::HttpServer(App& app, Logger& logger, HttpServerOptions options)
    : core_(std::make_shared<Core>(app, logger, options)),
      options_(std::move(options)),
      impl_(std::make_unique<Impl>()) {}

HttpServer::~HttpServer() {
  if (impl_->running) Shutdown(std::chrono::milliseconds(0));
}

Status HttpServer::Start(const std::function<void(uint16_t port)>& on_bound) {
  impl_->connections =
      std::make_shared<Connections>(options_.max_connections, options_.max_connections_per_address);
  try {
    impl_->endpoint =
        std::make_unique<PH::Endpoint>(P::Address(options_.host, P::Port(options_.port)));
    // Pistache's own timeouts only back ours up (its 408 has no JSON body):
    // the sweeper answers first.
    auto backstop = std::chrono::seconds(5);
    // Its parser is never fed, so it applies the header timeout to the whole
    // exchange, answering included (a deferred or streamed answer leaves
    // the reactor free to check): give it the longest of ours.
    auto longest =
        std::max({options_.header_timeout, options_.body_timeout, options_.longest_exchange});
    auto opts = PH::Endpoint::options()
                    .threads(options_.threads)
                    .flags(P::Tcp::Options::ReuseAddr | P::Tcp::Options::NoDelay)
                    .maxRequestSize(4096)
                    .headerTimeout(longest + backstop)
                    .bodyTimeout(longest + backstop)
                    .keepaliveTimeout(options_.keepalive_timeout);
    impl_->endpoint->init(opts);
    impl_->endpoint->setHandler(std::make_shared<Handler>(core_, impl_->connections));
    impl_->endpoint->serveThreaded();
  } catch (const std::exception& e) {
    impl_->endpoint.reset();
    return Unavailable("cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                       ": " + e.what());
  }
  impl_->sweeper = std::make_unique<TimeoutSweeper>(core_, impl_->connections);
  impl_->running = true;
  if (on_bound) on_bound(port());
  core_->accepting.store(true, std::memory_order_release);
  return Status::Ok();
}

uint16_t HttpServer::port() const {
  return impl_->endpoint ? static_cast<uint16_t>(impl_->endpoint->getPort()) : 0;
}

int HttpServer::Shutdown(std::chrono::milliseconds grace) {
  if (!impl_->running) return 0;
  core_->draining = true;
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (core_->in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  int left = core_->in_flight.load();
  core_->cancelled = true;
  // Streams notice and end within their producer's tick.
  auto stop_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (core_->streams.load() > 0 && std::chrono::steady_clock::now() < stop_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  impl_->sweeper.reset();
  impl_->endpoint->shutdown();
  impl_->running = false;
  return left;
}

}  // namespace latchkey
