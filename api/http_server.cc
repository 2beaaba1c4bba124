#include "api/http_server.h"

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/peer.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <functional>
#include <mutex>
#include <thread>

#include "api/http_connection.h"
#include "api/request_head.h"
#include "api/responses.h"
#include "api/stream_writer.h"
#include "common/ids.h"

namespace latchkey {

namespace P = Pistache;
namespace PH = Pistache::Http;

namespace {

constexpr char kStateKey[] = "latchkey.peer";

// A response header with a name chosen at run time (Pistache drops raw
// response headers, so each must be a Header object).
class NamedHeader final : public PH::Header::Header {
 public:
  NamedHeader(std::string name, std::string value) : name_(std::move(name)) {
    for (char c : value) {
      if (c != '\r' && c != '\n') value_ += c;
    }
  }
  const char* name() const override { return name_.c_str(); }
  void write(std::ostream& os) const override { os << value_; }
  uint64_t hash() const override { return std::hash<std::string>{}(name_); }

 private:
  std::string name_;
  std::string value_;
};

bool ValidRequestId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

class Handler final : public PH::Handler {
 public:
  HTTP_PROTOTYPE(Handler)

  explicit Handler(std::shared_ptr<HttpServer::Core> core) : core_(std::move(core)) {}

  void onInput(const char* buffer, size_t len, const std::shared_ptr<P::Tcp::Peer>& peer) override;
  void onRequest(const PH::Request& request, PH::ResponseWriter writer) override;
  void onTimeout(const PH::Request& request, PH::ResponseWriter writer) override;

 private:
  std::shared_ptr<PeerState> StateOf(const std::shared_ptr<P::Tcp::Peer>& peer);
  void Process(const std::shared_ptr<P::Tcp::Peer>& peer, PeerState& st);
  void Reject(const std::shared_ptr<P::Tcp::Peer>& peer, PeerState& st, int status,
              std::string_view code, std::string_view message);
  void Serve(const std::shared_ptr<P::Tcp::Peer>& peer, PeerState& st, const PH::Request& preq,
             bool keep_alive);
  // Hands the connection's output to a stream thread running `body`.
  void StartStream(const std::shared_ptr<P::Tcp::Peer>& peer, PeerState& st,
                   std::function<void(std::shared_ptr<ResponseStream>)> body, RequestLine line,
                   bool keep_alive);
  // Sends a response on a connection we read ourselves.
  void Respond(const std::shared_ptr<P::Tcp::Peer>& peer, PeerState& st, const HttpResponse& r,
               const std::string& request_id, bool keep_alive, bool count_in_flight);
  // Writes bytes to the peer: straight to the socket when nothing is queued
  // and the socket takes them all (the common case, with no extra syscalls
  // or allocations), otherwise through Pistache's write queue.
  void SendBytes(const std::shared_ptr<P::Tcp::Peer>& peer, PeerState& st, std::string data,
                 std::function<void()> done);
  // For the two paths where Pistache hands us a writer.
  void Write(PH::ResponseWriter& writer, const HttpResponse& response,
             const std::string& request_id, bool keep_alive, int fd, bool count_in_flight);

  std::shared_ptr<HttpServer::Core> core_;
};

std::shared_ptr<PeerState> Handler::StateOf(const std::shared_ptr<P::Tcp::Peer>& peer) {
  auto data = peer->tryGetData(kStateKey);
  if (data) return std::static_pointer_cast<PeerState>(data);
  auto st = std::make_shared<PeerState>();
  peer->putData(kStateKey, st);
  return st;
}

void Handler::onInput(const char* buffer, size_t len, const std::shared_ptr<P::Tcp::Peer>& peer) {
  auto st = StateOf(peer);
  std::lock_guard<std::mutex> lock(st->mu);
  if (st->closed) return;
  st->pending.append(buffer, len);
  if (st->streaming) {
    // Pipelined behind a streamed response; the connection closes after it.
    if (st->pending.size() > core_->options.max_head_bytes + core_->options.max_body_bytes) {
      st->pending.clear();
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
  core_->logger.Info("request_rejected", {{"request_id", request_id},
                                          {"status", status},
                                          {"reason", message},
                                          {"client", peer->address().host()}});
  Respond(peer, st, ErrorResponse(status, code, message), request_id, false, false);
}

void Handler::Process(const std::shared_ptr<P::Tcp::Peer>& peer, PeerState& st) {
  const HttpServerOptions& o = core_->options;
  HeadLimits limits{o.max_head_bytes, o.max_body_bytes};
  while (!st.closed && !st.streaming && !st.pending.empty()) {
    if (!st.head) {
      HeadCheck h = CheckRequestHead(st.pending, limits);
      if (h.kind == HeadCheck::Kind::kIncomplete) return;
      if (h.kind == HeadCheck::Kind::kError) return Reject(peer, st, h.status, h.code, h.message);
      st.head = std::move(h);
      st.continue_sent = false;
    }
    const HeadCheck& h = *st.head;
    size_t need = h.chunked ? st.pending.size() : h.head_length + h.content_length;
    if (h.chunked && st.pending.size() > h.head_length + o.max_body_bytes + 64 * 1024) {
      return Reject(peer, st, 413, "PAYLOAD_TOO_LARGE", "request body exceeds the size limit");
    }
    if (st.pending.size() < need) need = 0;
    auto parser = getParser(peer);
    parser->reset();
    PH::Private::State state = PH::Private::State::Again;
    if (need > 0) {
      if (!parser->feed(st.pending.data(), need)) {
        return Reject(peer, st, 413, "PAYLOAD_TOO_LARGE", "request exceeds the size limit");
      }
      try {
        state = parser->parse();
      } catch (const std::exception&) {
        return Reject(peer, st, 400, "BAD_REQUEST", "malformed request body framing");
      }
    }
    if (state != PH::Private::State::Done) {
      if (!h.chunked && need > 0) return Reject(peer, st, 400, "BAD_REQUEST", "malformed request");
      if (h.expect_continue && !st.continue_sent) {
        st.continue_sent = true;
        SendBytes(peer, st, "HTTP/1.1 100 Continue\r\n\r\n", nullptr);
      }
      return;  // wait for more bytes
    }
    // Chunked requests end the connection: we cannot tell where the next
    // request would begin in what Pistache consumed.
    bool keep_alive = h.keep_alive && !h.chunked && h.method != "HEAD" && !core_->draining;
    st.pending.erase(0, need);
    st.head.reset();
    peer->setIdle(false);
    parser->request.copyAddress(peer->address());
    Serve(peer, st, parser->request, keep_alive);
    parser->reset();
    if (!keep_alive) {
      st.closed = true;
      st.pending.clear();
    }
  }
}

void Handler::onRequest(const PH::Request& request, PH::ResponseWriter writer) {
  // Not reached: onInput dispatches through Serve(). Kept total for safety.
  Write(writer, ErrorResponse(500, "INTERNAL", "internal error"), NewId("req"), false, -1, false);
  (void)request;
}

void Handler::onTimeout(const PH::Request&, PH::ResponseWriter writer) {
  Write(writer, ErrorResponse(408, "REQUEST_TIMEOUT", "request was not received in time"),
        NewId("req"), false, -1, false);
}

void Handler::Serve(const std::shared_ptr<P::Tcp::Peer>& peer, PeerState& st,
                    const PH::Request& preq, bool keep_alive) {
  auto started = std::chrono::steady_clock::now();
  core_->in_flight.fetch_add(1);
  HttpRequest req;
  req.method = PH::methodString(preq.method());
  req.path = preq.resource();
  req.body = preq.body();
  req.client_address = peer->address().host();
  for (const auto& [name, raw] : preq.headers().rawList()) req.headers[name] = raw.value();
  auto incoming_id = req.Header("X-Request-Id");
  req.request_id = incoming_id && ValidRequestId(*incoming_id) ? *incoming_id : NewId("req");

  HttpResponse response;
  bool bad_query = false;
  for (auto it = preq.query().parameters_begin(); it != preq.query().parameters_end(); ++it) {
    auto key = PercentDecode(it->first, true);
    auto value = PercentDecode(it->second, true);
    if (!key || !value) {
      bad_query = true;
      break;
    }
    req.query.emplace_back(std::move(*key), std::move(*value));
  }
  if (core_->draining) {
    response = ErrorResponse(503, "UNAVAILABLE", "server is shutting down");
    keep_alive = false;
  } else if (bad_query) {
    response = ErrorResponse(400, "BAD_REQUEST", "malformed percent-encoding in the query string");
  } else {
    response = core_->app.Handle(req);
  }
  RequestLine line{req.request_id,     req.method,      req.path,
                   req.client_address, req.body.size(), started};
  if (response.stream) {
    StartStream(peer, st, std::move(response.stream), std::move(line), keep_alive);
    return;
  }
  LogRequest(core_->logger, line, response.status, response.body.size());
  // Logged before the response leaves, so the line exists once a client
  // has its answer.
  Respond(peer, st, response, req.request_id, keep_alive, true);
}

void Handler::StartStream(const std::shared_ptr<P::Tcp::Peer>& peer, PeerState& st,
                          std::function<void(std::shared_ptr<ResponseStream>)> body,
                          RequestLine line, bool keep_alive) {
  auto refuse = [&](std::string_view message) {
    LogRequest(core_->logger, line, 503, 0);
    Respond(peer, st, ErrorResponse(503, "UNAVAILABLE", message), line.request_id, false, true);
    st.closed = true;
  };
  // An earlier response still waiting in Pistache's queue could be
  // overtaken by our direct writes; only a client that stopped reading
  // gets here.
  if (st.queued) return refuse("connection is congested; retry");
  if (core_->streams.fetch_add(1) >= core_->options.max_streams) {
    core_->streams.fetch_sub(1);
    return refuse("too many streaming requests; retry");
  }
  if (st.stream_fd < 0) st.stream_fd = ::dup(peer->fd());
  if (st.stream_fd < 0) {
    core_->streams.fetch_sub(1);
    return refuse("server is out of resources");
  }
  int fd = st.stream_fd;
  st.streaming = true;
  bool bodyless = line.method == "HEAD";
  auto writer = std::make_shared<StreamWriter>(core_, fd, StateOf(peer), peer, std::move(line),
                                               keep_alive, bodyless);
  writer->start_thread_ = std::this_thread::get_id();
  try {
    body(writer);
  } catch (const std::exception& e) {
    core_->logger.Error("stream_exception", {{"what", e.what()}});
    writer->Respond(ErrorResponse(500, "INTERNAL", "internal error"));
    writer->End();
  }
  writer->start_thread_ = std::thread::id();
}

void Handler::Respond(const std::shared_ptr<P::Tcp::Peer>& peer, PeerState& st,
                      const HttpResponse& r, const std::string& request_id, bool keep_alive,
                      bool count_in_flight) {
  auto core = core_;
  int fd = peer->fd();
  std::weak_ptr<P::Tcp::Peer> weak = peer;
  SendBytes(peer, st, Serialize(r, request_id, keep_alive),
            [core, keep_alive, fd, count_in_flight, weak] {
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
  if (!st.queued) {
    // We run on the connection's own reactor thread, so no queued write of
    // Pistache's can interleave with this one.
    while (sent < data.size()) {
      ssize_t n =
          ::send(peer->fd(), data.data() + sent, data.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
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
    st.queued = true;
  }
  size_t rest = data.size() - sent;
  peer->send(P::RawBuffer(data.substr(sent), rest))
      .then(
          [done](ssize_t) {
            if (done) done();
          },
          [done](std::exception_ptr) {
            if (done) done();
          });
}

void Handler::Write(PH::ResponseWriter& writer, const HttpResponse& r,
                    const std::string& request_id, bool keep_alive, int fd, bool count_in_flight) {
  auto& headers = writer.headers();
  bool has_cache_control = false;
  for (const auto& [name, value] : r.headers) {
    if (strcasecmp(name.c_str(), "Cache-Control") == 0) has_cache_control = true;
    headers.add(std::make_shared<NamedHeader>(name, value));
  }
  headers.add(std::make_shared<NamedHeader>("Content-Type", r.content_type));
  headers.add(std::make_shared<NamedHeader>("X-Request-Id", request_id));
  headers.add(std::make_shared<NamedHeader>("X-Content-Type-Options", "nosniff"));
  headers.add(std::make_shared<NamedHeader>("Referrer-Policy", "no-referrer"));
  headers.add(std::make_shared<NamedHeader>("X-Frame-Options", "DENY"));
  headers.add(std::make_shared<NamedHeader>("Content-Security-Policy", kCsp));
  if (!has_cache_control) headers.add(std::make_shared<NamedHeader>("Cache-Control", "no-store"));
  headers.add<PH::Header::Connection>(keep_alive ? PH::ConnectionControl::KeepAlive
                                                 : PH::ConnectionControl::Close);
  auto core = core_;
  auto done = [core, keep_alive, fd, count_in_flight](ssize_t) {
    if (!keep_alive && fd >= 0) ::shutdown(fd, SHUT_WR);
    if (count_in_flight) core->in_flight.fetch_sub(1);
  };
  auto failed = [core, count_in_flight](std::exception_ptr) {
    if (count_in_flight) core->in_flight.fetch_sub(1);
  };
  writer.send(static_cast<PH::Code>(r.status), r.body).then(done, failed);
}

}  // namespace

struct HttpServer::Impl {
  std::unique_ptr<PH::Endpoint> endpoint;
  bool running = false;
};

HttpServer::HttpServer(App& app, Logger& logger, HttpServerOptions options)
    : core_(std::make_shared<Core>(app, logger, options)),
      options_(std::move(options)),
      impl_(std::make_unique<Impl>()) {}

HttpServer::~HttpServer() {
  if (impl_->running) Shutdown(std::chrono::milliseconds(0));
}

Status HttpServer::Start() {
  try {
    impl_->endpoint =
        std::make_unique<PH::Endpoint>(P::Address(options_.host, P::Port(options_.port)));
    auto opts = PH::Endpoint::options()
                    .threads(options_.threads)
                    .flags(P::Tcp::Options::ReuseAddr | P::Tcp::Options::NoDelay)
                    .maxRequestSize(options_.max_head_bytes + options_.max_body_bytes + 128 * 1024)
                    .headerTimeout(options_.header_timeout)
                    .bodyTimeout(options_.body_timeout)
                    .keepaliveTimeout(options_.keepalive_timeout);
    impl_->endpoint->init(opts);
    impl_->endpoint->setHandler(std::make_shared<Handler>(core_));
    impl_->endpoint->serveThreaded();
  } catch (const std::exception& e) {
    impl_->endpoint.reset();
    return Unavailable("cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                       ": " + e.what());
  }
  impl_->running = true;
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
  impl_->endpoint->shutdown();
  impl_->running = false;
  return left;
}

}  // namespace latchkey
