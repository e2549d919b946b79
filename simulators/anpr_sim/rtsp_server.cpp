// SPDX-License-Identifier: Apache-2.0
#include "simulators/anpr_sim/rtsp_server.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <deque>
#include <random>
#include <utility>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "edge/base/log.hpp"
#include "simulators/anpr_sim/rtp_jpeg.hpp"

namespace kordon::sim {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

constexpr std::size_t kMaxHeadBytes = 8 * 1024;
constexpr std::size_t kMaxBodyBytes = 64 * 1024;
constexpr std::size_t kMaxQueuedMessages = 32;  // replies a client has not read, plus one frame
constexpr std::size_t kMaxConnections = 32;
constexpr std::chrono::seconds kSessionTimeout{60};
constexpr const char* kServerName = "kordon-sim-anpr";
constexpr const char* kPublicMethods = "OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER";
// RFC 2326 methods this camera does not do: 405 with Allow, rather than 501 for unknown ones.
constexpr std::array<std::string_view, 5> kKnownUnsupportedMethods = {"ANNOUNCE", "PAUSE", "RECORD",
                                                                      "REDIRECT", "SET_PARAMETER"};

std::string lowerCase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// A decimal number of at most `max`; false for anything else.
bool parseDecimal(std::string_view text, std::size_t max, std::size_t* out) {
  if (text.empty() || text.size() > 9) return false;
  std::size_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<std::size_t>(c - '0');
  }
  if (value > max) return false;
  *out = value;
  return true;
}

const char* reasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Request Entity Too Large";
    case 454:
      return "Session Not Found";
    case 455:
      return "Method Not Valid in This State";
    case 461:
      return "Unsupported Transport";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "RTSP Version Not Supported";
    default:
      return "Error";
  }
}

bool isMethodChar(char c) { return (c >= 'A' && c <= 'Z') || c == '_' || c == '-'; }

// Session header value without its parameters ("1A2B;timeout=60" -> "1A2B").
std::string sessionIdOf(const RtspRequest& request) {
  const std::string value = request.header("session");
  return std::string(trim(std::string_view(value).substr(0, value.find(';'))));
}

class Connection;

// Accepts clients, turns the source's JPEG into RTP/JPEG payloads when it changes, and offers
// them to every playing connection on each frame tick.
class StreamServer : public std::enable_shared_from_this<StreamServer> {
 public:
  StreamServer(asio::io_context& io, RtspServer::FrameSource source, int frames_per_second)
      : acceptor_(io),
        tick_timer_(io),
        source_(std::move(source)),
        frames_per_second_(frames_per_second),
        random_(std::random_device{}()),
        ssrc_(static_cast<std::uint32_t>(random_())) {}

  Result<std::uint16_t> listen(const std::string& host, std::uint16_t port);
  void stop();

  RtspStats& stats() { return stats_; }
  int framesPerSecond() const { return frames_per_second_; }
  std::uint32_t ssrc() const { return ssrc_; }
  std::uint32_t randomNumber() { return static_cast<std::uint32_t>(random_()); }
  std::string newSessionId() {
    char id[17];
    std::snprintf(id, sizeof id, "%08X%08X", static_cast<unsigned>(random_()),
                  static_cast<unsigned>(random_()));
    return id;
  }
  // The payloads of the source's current picture; null when there is none to stream.
  std::shared_ptr<const std::vector<std::string>> currentFrame();

 private:
  void accept();
  void scheduleTick();
  void tick();

  tcp::acceptor acceptor_;
  asio::steady_timer tick_timer_;
  RtspServer::FrameSource source_;
  const int frames_per_second_;
  std::mt19937 random_;
  const std::uint32_t ssrc_;  // one stream, one synchronisation source
  RtspStats stats_;
  std::vector<std::weak_ptr<Connection>> connections_;
  std::string cached_jpeg_;  // what cached_frame_ was made from
  std::shared_ptr<const std::vector<std::string>> cached_frame_;
  SteadyClock::time_point next_tick_;
  bool stopped_ = false;
};

// One client: its RTSP requests and replies, its session and the RTP it receives, all on the
// one TCP connection.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, std::shared_ptr<StreamServer> server)
      : socket_(std::move(socket)),
        idle_timer_(socket_.get_executor()),
        server_(std::move(server)) {}

  void start() {
    boost::system::error_code ec;
    const auto remote = socket_.remote_endpoint(ec);
    if (!ec) peer_ = remote.address().to_string() + ":" + std::to_string(remote.port());
    socket_.set_option(tcp::no_delay(true), ec);
    log::info("rtsp client connected", {{"peer", peer_}});
    last_activity_ = SteadyClock::now();
    watchIdle();
    readMore();
  }

  // Queues one frame to a playing session, unless the previous one is still being sent.
  void sendFrame(const std::vector<std::string>& payloads) {
    if (!playing_ || closed_) return;
    if (frame_pending_) {
      ++server_->stats().frames_skipped;
      return;
    }
    const auto packets =
        rtpFramePackets(payloads, next_sequence_, currentTimestamp(), server_->ssrc());
    next_sequence_ = static_cast<std::uint16_t>(next_sequence_ + packets.size());
    std::string bytes;
    std::size_t total = 0;
    for (const std::string& packet : packets) total += 4 + packet.size();
    bytes.reserve(total);
    for (const std::string& packet : packets) {  // RFC 2326 §10.12 interleaved framing
      bytes.push_back('$');
      bytes.push_back(static_cast<char>(channels_.rtp));
      bytes.push_back(static_cast<char>((packet.size() >> 8) & 0xFF));
      bytes.push_back(static_cast<char>(packet.size() & 0xFF));
      bytes.append(packet);
    }
    frame_pending_ = true;
    ++frames_sent_;
    ++server_->stats().frames_sent;
    enqueue(std::move(bytes), /*is_frame=*/true);
  }

  void close(const std::string& why) {
    if (closed_) return;
    closed_ = true;
    endSession();
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    idle_timer_.cancel();
    log::info("rtsp client left", {{"peer", peer_}, {"why", why}, {"frames", frames_sent_}});
  }

 private:
  struct Outgoing {
    std::string bytes;
    bool is_frame = false;
  };

  void readMore() {
    socket_.async_read_some(
        asio::buffer(read_buffer_),
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t bytes) {
          self->onRead(ec, bytes);
        });
  }

  void onRead(const boost::system::error_code& ec, std::size_t bytes) {
    if (closed_) return;
    if (ec) {
      close(ec == asio::error::eof ? "closed by the client" : ec.message());
      return;
    }
    last_activity_ = SteadyClock::now();
    inbox_.append(read_buffer_.data(), bytes);
    processInbox();
    // After a framing error nothing more is read: the reply goes out, then the connection closes.
    if (!closed_ && !close_when_flushed_) readMore();
  }

  // Disconnects a client silent for the session timeout (no request, no RTCP).
  void watchIdle() {
    idle_timer_.expires_at(last_activity_ + kSessionTimeout);
    idle_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || self->closed_) return;
      if (SteadyClock::now() - self->last_activity_ >= kSessionTimeout) {
        self->close("silent for the session timeout");
      } else {
        self->watchIdle();
      }
    });
  }

  void processInbox() {
    while (!closed_ && !close_when_flushed_) {
      // Line ends between requests are tolerated.
      const std::size_t stray = inbox_.find_first_not_of("\r\n");
      inbox_.erase(0, stray == std::string::npos ? inbox_.size() : stray);
      if (inbox_.empty()) return;
      if (inbox_[0] == '$') {
        // Interleaved data from the client (RTCP receiver reports): read past it.
        if (inbox_.size() < 4) return;
        const std::size_t length =
            (static_cast<std::size_t>(static_cast<std::uint8_t>(inbox_[2])) << 8) |
            static_cast<std::uint8_t>(inbox_[3]);
        if (inbox_.size() < 4 + length) return;
        inbox_.erase(0, 4 + length);
        continue;
      }
      if (!isMethodChar(inbox_[0])) {
        badRequest(400, "", "not an RTSP request", /*close_connection=*/true);
        return;
      }
      const std::size_t head_end = inbox_.find("\r\n\r\n");
      if ((head_end == std::string::npos && inbox_.size() > kMaxHeadBytes) ||
          (head_end != std::string::npos && head_end + 4 > kMaxHeadBytes)) {
        badRequest(400, "", "request head over 8 KiB", /*close_connection=*/true);
        return;
      }
      if (head_end == std::string::npos) return;  // the rest is still coming
      const std::size_t head_bytes = head_end + 4;
      auto request = parseRtspRequest(std::string_view(inbox_).substr(0, head_bytes));
      std::size_t body_bytes = 0;
      if (request) {
        const std::string length = request->header("content-length");
        if (!length.empty() && !parseDecimal(length, kMaxBodyBytes, &body_bytes)) {
          badRequest(413, request->header("cseq"), "Content-Length '" + length.substr(0, 40) + "'",
                     /*close_connection=*/true);
          return;
        }
      }
      if (inbox_.size() < head_bytes + body_bytes) return;  // the body is still coming
      inbox_.erase(0, head_bytes + body_bytes);             // a body is read and ignored
      if (!request) {
        badRequest(400, "", request.status().message(), /*close_connection=*/false);
        continue;
      }
      handle(*request);
    }
  }

  void handle(const RtspRequest& request) {
    const std::string cseq = request.header("cseq");
    if (request.version != "RTSP/1.0") {
      const bool rtsp = request.version.rfind("RTSP/", 0) == 0;
      badRequest(rtsp ? 505 : 400, rtsp ? cseq : "", "version " + request.version.substr(0, 40),
                 false);
      return;
    }
    std::size_t cseq_value = 0;
    if (!parseDecimal(cseq, 999'999'999, &cseq_value)) {
      badRequest(400, "", "missing or bad CSeq", false);
      return;
    }
    if (request.url != "*" && lowerCase(request.url.substr(0, 7)) != "rtsp://") {
      badRequest(400, cseq, "URL " + request.url.substr(0, 80) + " is not rtsp://", false);
      return;
    }
    const std::string& method = request.method;
    if (method == "OPTIONS") {
      reply(200, cseq, {{"Public", kPublicMethods}});
    } else if (method == "DESCRIBE") {
      describe(request, cseq);
    } else if (method == "SETUP") {
      setup(request, cseq);
    } else if (method == "PLAY") {
      play(request, cseq);
    } else if (method == "TEARDOWN") {
      if (!checkSession(request, cseq)) return;
      reply(200, cseq, {});
      log::info("rtsp session torn down", {{"peer", peer_}, {"session", session_id_}});
      endSession();
    } else if (method == "GET_PARAMETER") {  // keep-alive
      const std::string session = sessionIdOf(request);
      if (!session.empty() && session != session_id_) {
        badRequest(454, cseq, "unknown session " + session.substr(0, 40), false);
        return;
      }
      reply(200, cseq, session_id_.empty() ? Headers{} : Headers{{"Session", session_id_}});
    } else if (std::find(kKnownUnsupportedMethods.begin(), kKnownUnsupportedMethods.end(),
                         method) != kKnownUnsupportedMethods.end()) {
      badRequest(405, cseq, "method " + method, false, {{"Allow", kPublicMethods}});
    } else {
      badRequest(501, cseq, "method " + method.substr(0, 40), false);
    }
  }

  void describe(const RtspRequest& request, const std::string& cseq) {
    if (!server_->currentFrame()) {
      reply(503, cseq, {}, "no picture to stream: no scene yet, or the camera is offline\n");
      return;
    }
    boost::system::error_code ec;
    const auto local = socket_.local_endpoint(ec).address();
    const std::string address_type = local.is_v6() ? "IP6" : "IP4";
    const std::string address = ec ? std::string("127.0.0.1") : local.to_string();
    std::string sdp;
    const auto line = [&sdp](const std::string& text) { sdp += text + "\r\n"; };
    line("v=0");
    line("o=- " + std::to_string(server_->ssrc()) + " 1 IN " + address_type + " " + address);
    line(std::string("s=") + kServerName);
    line("c=IN " + address_type + (local.is_v6() ? " ::" : " 0.0.0.0"));
    line("t=0 0");
    line(std::string("a=tool:") + kServerName);
    line("a=range:npt=0-");  // live: no end
    line("a=control:*");
    line("m=video 0 RTP/AVP " + std::to_string(kRtpPayloadTypeJpeg));
    line("a=framerate:" + std::to_string(server_->framesPerSecond()));
    line("a=control:track1");
    // Relative control URLs (track1) resolve against Content-Base.
    std::string base = request.url;
    if (base.back() != '/') base += '/';
    reply(200, cseq, {{"Content-Base", base}, {"Content-Type", "application/sdp"}}, sdp);
  }

  void setup(const RtspRequest& request, const std::string& cseq) {
    const std::string session = sessionIdOf(request);
    if (!session.empty() && session != session_id_) {
      badRequest(454, cseq, "unknown session " + session.substr(0, 40), false);
      return;
    }
    const std::string transport = request.header("transport");
    if (transport.empty()) {
      badRequest(400, cseq, "SETUP without Transport", false);
      return;
    }
    const auto channels = chooseInterleavedTransport(transport);
    if (!channels) {
      // Clients offering UDP first retry with TCP on 461 (RFC 2326 §11.4.16).
      ++server_->stats().udp_refused;
      log::info("rtsp SETUP refused: interleaved TCP only",
                {{"peer", peer_}, {"transport", transport.substr(0, 200)}});
      reply(461, cseq, {});
      return;
    }
    if (session_id_.empty()) {
      session_id_ = server_->newSessionId();
      next_sequence_ = static_cast<std::uint16_t>(server_->randomNumber());
      timestamp_base_ = server_->randomNumber();
      ++server_->stats().sessions;
      ++server_->stats().sessions_total;
    }
    channels_ = *channels;
    track_url_ = request.url;
    char ssrc[9];
    std::snprintf(ssrc, sizeof ssrc, "%08X", static_cast<unsigned>(server_->ssrc()));
    reply(200, cseq,
          {{"Session", session_id_ + ";timeout=" + std::to_string(kSessionTimeout.count())},
           {"Transport", "RTP/AVP/TCP;unicast;interleaved=" + std::to_string(channels_.rtp) + "-" +
                             std::to_string(channels_.rtcp) + ";ssrc=" + ssrc}});
    log::info("rtsp session set up", {{"peer", peer_}, {"session", session_id_}});
  }

  void play(const RtspRequest& request, const std::string& cseq) {
    if (session_id_.empty()) {
      badRequest(455, cseq, "PLAY before SETUP", false);
      return;
    }
    if (!checkSession(request, cseq)) return;
    if (!playing_) {
      playing_ = true;
      play_started_ = SteadyClock::now();
    }
    reply(200, cseq,
          {{"Session", session_id_},
           {"Range", "npt=0.000-"},
           {"RTP-Info", "url=" + track_url_ + ";seq=" + std::to_string(next_sequence_) +
                            ";rtptime=" + std::to_string(currentTimestamp())}});
    log::info("rtsp session playing", {{"peer", peer_}, {"session", session_id_}});
    if (const auto frame = server_->currentFrame()) sendFrame(*frame);  // no wait for the tick
  }

  // The request names this connection's session; 454 otherwise.
  bool checkSession(const RtspRequest& request, const std::string& cseq) {
    const std::string session = sessionIdOf(request);
    if (session_id_.empty() || session != session_id_) {
      badRequest(454, cseq, "unknown session " + session.substr(0, 40), false);
      return false;
    }
    return true;
  }

  void endSession() {
    if (session_id_.empty()) return;
    --server_->stats().sessions;
    session_id_.clear();
    playing_ = false;
  }

  // The RTP timestamp of now: 90 kHz from a random base (RFC 3550 §5.1).
  std::uint32_t currentTimestamp() const {
    const auto elapsed_us =
        std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - play_started_)
            .count();
    return timestamp_base_ + static_cast<std::uint32_t>(static_cast<std::uint64_t>(elapsed_us) *
                                                        kRtpJpegClockHz / 1'000'000);
  }

  using Headers = std::vector<std::pair<std::string, std::string>>;

  void reply(int status, const std::string& cseq, const Headers& headers,
             const std::string& body = "") {
    std::string out = "RTSP/1.0 " + std::to_string(status) + " " + reasonPhrase(status) + "\r\n";
    if (!cseq.empty()) out += "CSeq: " + cseq + "\r\n";
    out += std::string("Server: ") + kServerName + "\r\n";
    for (const auto& [name, value] : headers) out += name + ": " + value + "\r\n";
    if (!body.empty()) out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    out += "\r\n";
    out += body;
    enqueue(std::move(out), /*is_frame=*/false);
  }

  void badRequest(int status, const std::string& cseq, const std::string& reason,
                  bool close_connection, const Headers& headers = {}) {
    ++server_->stats().bad_requests;
    log::warn("rtsp bad request", {{"peer", peer_}, {"status", status}, {"reason", reason}});
    reply(status, cseq, headers);
    if (close_connection) close_when_flushed_ = true;
  }

  void enqueue(std::string bytes, bool is_frame) {
    if (closed_) return;
    if (outbox_.size() >= kMaxQueuedMessages) {
      close("not reading its replies");
      return;
    }
    outbox_.push_back({std::move(bytes), is_frame});
    writeNext();
  }

  void writeNext() {
    if (writing_ || closed_) return;
    if (outbox_.empty()) {
      if (close_when_flushed_) close("bad request");
      return;
    }
    writing_ = true;
    asio::async_write(
        socket_, asio::buffer(outbox_.front().bytes),
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t /*bytes*/) {
          self->writing_ = false;
          if (self->closed_) return;
          if (ec) {
            self->close("write: " + ec.message());
            return;
          }
          if (self->outbox_.front().is_frame) self->frame_pending_ = false;
          self->outbox_.pop_front();
          self->writeNext();
        });
  }

  tcp::socket socket_;
  asio::steady_timer idle_timer_;
  std::shared_ptr<StreamServer> server_;
  std::string peer_;
  std::array<char, 16 * 1024> read_buffer_{};
  std::string inbox_;            // bytes received and not yet handled
  std::deque<Outgoing> outbox_;  // front() is being written while writing_
  bool writing_ = false;
  bool frame_pending_ = false;  // a frame is queued or being written
  bool close_when_flushed_ = false;
  bool closed_ = false;
  SteadyClock::time_point last_activity_;

  // The session (at most one per connection).
  std::string session_id_;
  std::string track_url_;
  InterleavedChannels channels_;
  bool playing_ = false;
  std::uint16_t next_sequence_ = 0;
  std::uint32_t timestamp_base_ = 0;
  SteadyClock::time_point play_started_;
  std::uint64_t frames_sent_ = 0;
};

Result<std::uint16_t> StreamServer::listen(const std::string& host, std::uint16_t port) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return Status::error("bad RTSP listen address '" + host + "': " + ec.message());
  const tcp::endpoint endpoint(address, port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return Status::error("RTSP listen on " + host + ":" + std::to_string(port) + ": " +
                         ec.message());
  const std::uint16_t bound = acceptor_.local_endpoint(ec).port();
  accept();
  next_tick_ = SteadyClock::now();
  scheduleTick();
  return bound;
}

void StreamServer::stop() {
  stopped_ = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  tick_timer_.cancel();
  for (const auto& weak : connections_) {
    if (auto connection = weak.lock()) connection->close("server stopping");
  }
  connections_.clear();
}

std::shared_ptr<const std::vector<std::string>> StreamServer::currentFrame() {
  const std::string& jpeg = source_();
  if (jpeg.empty()) return nullptr;
  if (jpeg != cached_jpeg_) {
    cached_jpeg_ = jpeg;
    auto payloads = jpegToRtpPayloads(jpeg);
    if (payloads) {
      cached_frame_ = std::make_shared<const std::vector<std::string>>(std::move(*payloads));
    } else {
      log::warn("rtsp: picture not streamed", {{"error", payloads.status().message()}});
      cached_frame_ = nullptr;
    }
  }
  return cached_frame_;
}

void StreamServer::accept() {
  acceptor_.async_accept(
      [self = shared_from_this()](const boost::system::error_code& ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || self->stopped_) return;
        if (!ec) {
          std::erase_if(self->connections_, [](const auto& weak) { return weak.expired(); });
          if (self->connections_.size() >= kMaxConnections) {
            log::warn("rtsp: connection refused, too many clients",
                      {{"limit", static_cast<std::uint64_t>(kMaxConnections)}});
            boost::system::error_code ignored;
            socket.close(ignored);
          } else {
            auto connection = std::make_shared<Connection>(std::move(socket), self);
            self->connections_.push_back(connection);
            connection->start();
          }
        }
        self->accept();
      });
}

void StreamServer::scheduleTick() {
  const auto period = std::chrono::microseconds(1'000'000 / frames_per_second_);
  next_tick_ += period;
  const auto now = SteadyClock::now();
  if (next_tick_ < now) next_tick_ = now + period;  // fell behind: do not burst to catch up
  tick_timer_.expires_at(next_tick_);
  tick_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->stopped_) return;
    self->tick();
    self->scheduleTick();
  });
}

void StreamServer::tick() {
  std::erase_if(connections_, [](const auto& weak) { return weak.expired(); });
  if (connections_.empty()) return;
  const auto frame = currentFrame();
  if (!frame) return;
  for (const auto& weak : connections_) {
    if (auto connection = weak.lock()) connection->sendFrame(*frame);
  }
}

}  // namespace

std::string RtspRequest::header(const std::string& lower_case_name) const {
  const auto it = headers.find(lower_case_name);
  return it == headers.end() ? std::string() : it->second;
}

Result<RtspRequest> parseRtspRequest(std::string_view head) {
  for (char c : head) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\r' && c != '\n' && c != '\t') || byte == 0x7F) {
      return Status::error("control character in the request head");
    }
  }
  const std::size_t line_end = head.find("\r\n");
  if (line_end == std::string_view::npos) return Status::error("no CRLF after the request line");
  const std::string_view line = head.substr(0, line_end);
  const std::size_t first_space = line.find(' ');
  const std::size_t second_space =
      first_space == std::string_view::npos ? first_space : line.find(' ', first_space + 1);
  if (second_space == std::string_view::npos ||
      line.find(' ', second_space + 1) != std::string_view::npos) {
    return Status::error("request line is not 'METHOD URL VERSION'");
  }
  RtspRequest request;
  request.method = line.substr(0, first_space);
  request.url = line.substr(first_space + 1, second_space - first_space - 1);
  request.version = line.substr(second_space + 1);
  if (request.method.empty() || request.url.empty() || request.version.empty() ||
      !std::all_of(request.method.begin(), request.method.end(), isMethodChar)) {
    return Status::error("request line is not 'METHOD URL VERSION'");
  }
  for (std::size_t start = line_end + 2;;) {
    const std::size_t end = head.find("\r\n", start);
    if (end == std::string_view::npos) return Status::error("head does not end in an empty line");
    if (end == start) break;
    const std::string_view field = head.substr(start, end - start);
    const std::size_t colon = field.find(':');
    if (colon == std::string_view::npos || colon == 0 ||
        field.substr(0, colon).find_first_of(" \t") != std::string_view::npos) {
      return Status::error("header line is not 'Name: value'");
    }
    // The first of repeated fields counts.
    request.headers.emplace(lowerCase(field.substr(0, colon)),
                            std::string(trim(field.substr(colon + 1))));
    start = end + 2;
  }
  return request;
}

std::optional<InterleavedChannels> chooseInterleavedTransport(std::string_view transport) {
  std::size_t spec_start = 0;
  while (spec_start <= transport.size()) {
    std::size_t spec_end = transport.find(',', spec_start);
    if (spec_end == std::string_view::npos) spec_end = transport.size();
    const std::string_view spec = transport.substr(spec_start, spec_end - spec_start);
    spec_start = spec_end + 1;

    std::optional<InterleavedChannels> channels;
    bool acceptable = true;
    bool first = true;
    std::size_t param_start = 0;
    while (acceptable && param_start <= spec.size()) {
      std::size_t param_end = spec.find(';', param_start);
      if (param_end == std::string_view::npos) param_end = spec.size();
      const std::string param = lowerCase(trim(spec.substr(param_start, param_end - param_start)));
      param_start = param_end + 1;
      if (first) {
        acceptable = param == "rtp/avp/tcp";
        first = false;
      } else if (param == "multicast") {
        acceptable = false;
      } else if (param.rfind("mode=", 0) == 0) {
        std::string mode = param.substr(5);
        std::erase(mode, '"');
        acceptable = mode == "play";
      } else if (param.rfind("interleaved=", 0) == 0) {
        const std::string range = param.substr(12);
        const std::size_t dash = range.find('-');
        std::size_t rtp = 0;
        std::size_t rtcp = 0;
        if (!parseDecimal(range.substr(0, dash), 255, &rtp)) {
          acceptable = false;
        } else if (dash == std::string::npos) {
          rtcp = rtp + 1;
          acceptable = rtcp <= 255;
        } else {
          acceptable = parseDecimal(range.substr(dash + 1), 255, &rtcp) && rtcp != rtp;
        }
        channels = InterleavedChannels{static_cast<int>(rtp), static_cast<int>(rtcp)};
      }
    }
    if (acceptable) return channels.value_or(InterleavedChannels{});
  }
  return std::nullopt;
}

struct RtspServer::Impl {
  std::shared_ptr<StreamServer> server;
};

RtspServer::RtspServer(boost::asio::io_context& io, FrameSource source, int frames_per_second)
    : impl_(std::make_shared<Impl>(
          Impl{std::make_shared<StreamServer>(io, std::move(source), frames_per_second)})) {}

RtspServer::~RtspServer() { stop(); }

Result<std::uint16_t> RtspServer::listen(const std::string& host, std::uint16_t port) {
  return impl_->server->listen(host, port);
}

void RtspServer::stop() { impl_->server->stop(); }

RtspStats RtspServer::stats() const { return impl_->server->stats(); }

}  // namespace kordon::sim
