#include "api/stream_writer.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "api/responses.h"

namespace latchkey {

namespace P = Pistache;

StreamWriter::~StreamWriter() { End(); }

PeerState::~PeerState() {
  // The last reference may go on any thread (a stream writer's, the
  // sweeper's); the lock orders this after every writer of these fields.
  int fd;
  {
    std::lock_guard<std::mutex> lock(mu);
    fd = stream_fd;
  }
  if (fd >= 0) ::close(fd);
}

bool StreamWriter::AdmitProxied() {
  if (proxied_) return true;
  if (core_->proxied.fetch_add(1) >= core_->options.max_streams) {
    core_->proxied.fetch_sub(1);
    return false;
  }
  proxied_ = true;
  return true;
}

bool StreamWriter::Start(int status, const std::string& content_type,
                         const std::vector<std::pair<std::string, std::string>>& headers) {
  if (started_ || ended_) return false;
  started_ = true;
  status_ = status;
  if (status == 204 || status == 304) bodyless_ = true;
  // Held until the first piece of body (or the end), so that a small
  // response leaves in one write.
  AppendHead(out_, status, content_type, headers, line_.request_id, keep_alive_,
             bodyless_ ? "" : "Transfer-Encoding: chunked\r\n");
  return true;
}

bool StreamWriter::Write(std::string_view chunk, bool last) {
  if (!started_ || broken_ || ended_ || body_done_) return false;
  if (last) body_done_ = true;
  if (bodyless_) return true;
  if (!chunk.empty()) {
    char size[32];
    int n = std::snprintf(size, sizeof(size), "%zx\r\n", chunk.size());
    out_.append(size, static_cast<size_t>(n));
    out_.append(chunk);
    out_ += "\r\n";
    bytes_ += chunk.size();
  }
  // The last piece waits for End: the producer may still have work to do
  // before the response counts as complete (the proxy's audit record).
  if (last) {
    out_ += "0\r\n\r\n";
    return true;
  }
  return Flush();
}

void StreamWriter::Respond(const HttpResponse& r) {
  if (started_ || ended_) return;
  started_ = true;
  body_done_ = true;
  whole_ = true;
  status_ = r.status;
  bytes_ = r.body.size();
  out_ = Serialize(r, line_.request_id, keep_alive_, line_.method == "HEAD");
}

bool StreamWriter::Flush() {
  while (!broken_ && sent_ < out_.size()) {
    if (core_->cancelled) {
      broken_ = true;
      break;
    }
    ssize_t n = ::send(fd_, out_.data() + sent_, out_.size() - sent_, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent_ += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      break;
    } else {
      broken_ = true;
    }
  }
  if (sent_ == out_.size()) {
    out_.clear();
    sent_ = 0;
  } else if (sent_ > 64 * 1024) {
    out_.erase(0, sent_);
    sent_ = 0;
  }
  return !broken_;
}

void StreamWriter::End() {
  if (ended_) return;
  ended_ = true;
  if (!started_) Respond(ErrorResponse(502, "UPSTREAM_ERROR", "upstream sent no response"));
  if (!body_done_ && !bodyless_) out_ += "0\r\n\r\n";
  body_done_ = true;
  // A whole response (not streamed) is logged before it leaves, as the
  // reactor's are, so the line exists once a client has its answer.
  if (whole_) LogRequest(core_->logger, line_, status_, bytes_);
  // The thread that started this stream (a reactor, or a worker reading
  // pipelined requests) already holds the lock, and reads on once it returns.
  bool on_start_thread = std::this_thread::get_id() == start_thread_;
  bool resume = !on_start_thread && resume_ && !proxied_;
  if (on_start_thread) {
    HandBack(true);
  } else {
    std::lock_guard<std::mutex> lock(state_->mu);
    HandBack(resume);
  }
  if (!whole_) LogRequest(core_->logger, line_, status_, bytes_, broken_ ? "broken" : "complete");
  if (proxied_) core_->proxied.fetch_sub(1);
  core_->streams.fetch_sub(1);
  core_->in_flight.fetch_sub(1);
  if (resume) resume_();
}

void StreamWriter::HandBack(bool reads_on) {
  PeerState& st = *state_;
  // Requests already pipelined behind this one are read by whoever reads
  // on; without one, the connection closes after this response.
  bool closing =
      st.closed || (!st.pending.empty() && !reads_on) || !keep_alive_ || core_->cancelled;
  // The next request's timeouts count from now, not from when it arrived
  // behind this one.
  if (!closing && !st.pending.empty()) st.request_started = std::chrono::steady_clock::now();
  Flush();
  st.streaming = false;
  if (closing) st.closed = true;
  auto peer = peer_.lock();
  if (!broken_ && sent_ < out_.size() && peer) {
    // The client is slow to take the end; Pistache's queue finishes
    // sending it, and later responses queue behind it.
    std::string rest = out_.substr(sent_);
    int fd = peer->fd();
    std::weak_ptr<P::Tcp::Peer> weak = peer_;
    std::weak_ptr<PeerState> weak_state = state_;
    NoteWriteQueued(st);
    peer->send(P::RawBuffer(rest, rest.size()))
        .then(
            [closing, fd, weak, weak_state](ssize_t) {
              NoteWriteDone(weak_state);
              if (closing) {
                ::shutdown(fd, SHUT_WR);
              } else if (auto p = weak.lock()) {
                p->setIdle(true);
              }
            },
            [weak_state](std::exception_ptr) { NoteWriteDone(weak_state); });
    return;
  }
  if (sent_ < out_.size()) broken_ = true;
  if (closing || broken_) {
    // A half-close when the response was complete, a full one when it
    // broke off (so the client sees it cut).
    st.closed = true;
    ::shutdown(fd_, broken_ ? SHUT_RDWR : SHUT_WR);
  } else if (peer) {
    peer->setIdle(true);
  }
}

}  // namespace latchkey
