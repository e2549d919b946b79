// SPDX-License-Identifier: Apache-2.0
#include "drivers/weighbridge/toledo_weighbridge.hpp"

#include <algorithm>
#include <utility>

#include <boost/asio/connect.hpp>

#include <termios.h>

namespace kordon::drivers {
namespace {

using std::chrono::milliseconds;
namespace asio = boost::asio;

// termios raw mode on top of what Asio's serial_port::open() sets: no echo, no canonical input,
// no CR/LF translation (a Toledo frame ends in CR), no software flow control.
Status makeRaw(int fd) {
  termios tio{};
  if (tcgetattr(fd, &tio) != 0) return Status::error("tcgetattr failed");
  cfmakeraw(&tio);
  tio.c_cflag |= CLOCAL | CREAD;
  tio.c_cc[VMIN] = 1;
  tio.c_cc[VTIME] = 0;
  if (tcsetattr(fd, TCSANOW, &tio) != 0) return Status::error("tcsetattr failed");
  return Status::ok();
}

Status configureSerial(asio::serial_port& port, const WeighbridgeConfig& c) {
  boost::system::error_code ec;
  if (Status s = makeRaw(port.native_handle()); !s) return s;
  port.set_option(asio::serial_port_base::baud_rate(static_cast<unsigned>(c.baud)), ec);
  if (!ec) {
    port.set_option(asio::serial_port_base::character_size(static_cast<unsigned>(c.data_bits)), ec);
  }
  if (!ec) {
    using P = asio::serial_port_base::parity;
    port.set_option(P(c.parity == 'E' ? P::even : c.parity == 'O' ? P::odd : P::none), ec);
  }
  if (!ec) {
    using S = asio::serial_port_base::stop_bits;
    port.set_option(S(c.stop_bits == 2 ? S::two : S::one), ec);
  }
  if (!ec) {
    using F = asio::serial_port_base::flow_control;
    port.set_option(F(F::none), ec);
  }
  if (ec) return Status::error("configure serial line: " + ec.message());
  return Status::ok();
}

}  // namespace

Result<WeightSample> toledoWeightSample(const ToledoFrame& frame) {
  WeightSample sample;
  sample.indicator_stable = !frame.motion;
  if (frame.not_zeroed) {
    sample.state = msg::WeightState::kError;  // power-up, not zeroed: the number means nothing
    return sample;
  }
  if (frame.out_of_range) {
    sample.state = frame.negative ? msg::WeightState::kUnderZero : msg::WeightState::kOverload;
    return sample;
  }
  auto displayed = toledoDigitsToKg(frame.displayed_digits, frame);
  if (!displayed) return displayed.status();
  std::int64_t gross_kg = frame.negative ? -*displayed : *displayed;
  if (frame.net) {
    auto tare = toledoDigitsToKg(frame.tare_digits, frame);
    if (!tare) return tare.status();
    gross_kg += *tare;
  }
  sample.gross_kg = gross_kg;
  if (frame.negative || gross_kg < 0) {
    sample.state = msg::WeightState::kUnderZero;
  } else {
    sample.state = frame.motion ? msg::WeightState::kMotion : msg::WeightState::kStable;
  }
  return sample;
}

ToledoWeighbridge::ToledoWeighbridge(WeighbridgeConfig config, Transport transport,
                                     ReadingCallback on_reading, const Clock& clock)
    : config_(std::move(config)),
      transport_(transport),
      clock_(clock),
      framer_(config_.toledo_checksum),
      publisher_(config_, clock_, std::move(on_reading), describe()),
      backoff_(config_.backoff_initial_ms) {}

ToledoWeighbridge::~ToledoWeighbridge() { stop(); }

std::string ToledoWeighbridge::describe() const {
  if (transport_ == Transport::kTcp) {
    return "toledo-tcp " + config_.host + ":" + std::to_string(config_.port);
  }
  return "toledo-serial " + config_.serial_device + " " + std::to_string(config_.baud) + " " +
         std::to_string(config_.data_bits) + config_.parity + std::to_string(config_.stop_bits);
}

void ToledoWeighbridge::start() {
  if (worker_.joinable()) return;
  io_.restart();
  asio::post(io_, [this] {
    connect();
    scheduleTick();
  });
  worker_ = std::thread([this] { io_.run(); });
}

void ToledoWeighbridge::stop() {
  if (!worker_.joinable()) return;
  io_.stop();
  worker_.join();
  closeLink();
  state_timer_.cancel();
  tick_timer_.cancel();
  io_.restart();
  io_.poll();  // drain the cancelled handlers; generation_ makes them no-ops
  state_ = State::kConnect;
  stale_ = false;
  publisher_.resetStability();
}

void ToledoWeighbridge::closeLink() {
  ++generation_;
  boost::system::error_code ignored;
  if (socket_.is_open()) {
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }
  if (serial_.is_open()) serial_.close(ignored);
  framer_.reset();
}

void ToledoWeighbridge::connect() {
  state_ = State::kConnect;
  const std::uint64_t generation = ++generation_;
  if (transport_ == Transport::kSerial) {
    boost::system::error_code ec;
    serial_.open(config_.serial_device, ec);
    if (ec) {
      dropLink("open " + config_.serial_device + ": " + ec.message());
      return;
    }
    if (Status s = configureSerial(serial_, config_); !s) {
      dropLink(config_.serial_device + ": " + s.message());
      return;
    }
    onConnected();
    return;
  }
  boost::system::error_code ec;
  asio::ip::tcp::resolver resolver(io_);
  const auto endpoints = resolver.resolve(config_.host, std::to_string(config_.port), ec);
  if (ec) {
    dropLink("resolve " + config_.host + ": " + ec.message());
    return;
  }
  state_timer_.expires_after(milliseconds(config_.response_timeout_ms));
  state_timer_.async_wait([this, generation](const boost::system::error_code& timer_ec) {
    if (timer_ec || generation != generation_ || state_ != State::kConnect) return;
    boost::system::error_code ignored;
    socket_.close(ignored);  // the pending connect completes with operation_aborted
  });
  asio::async_connect(
      socket_, endpoints,
      [this, generation](const boost::system::error_code& connect_ec,
                         const asio::ip::tcp::endpoint&) {
        if (generation != generation_) return;
        state_timer_.cancel();
        if (connect_ec) {
          dropLink("connect " + describe() + ": " +
                   (connect_ec == asio::error::operation_aborted ? std::string("timed out")
                                                                 : connect_ec.message()));
          return;
        }
        onConnected();
      });
}

void ToledoWeighbridge::onConnected() {
  if (ever_connected_) ++counters_.reconnects;
  ever_connected_ = true;
  state_ = State::kStream;
  stale_ = false;
  connected_at_ = clock_.nowSteady();
  framer_.reset();
  startRead();
}

void ToledoWeighbridge::startRead() {
  const std::uint64_t generation = generation_;
  auto handler = [this, generation](const boost::system::error_code& ec, std::size_t count) {
    if (generation != generation_) return;
    if (ec) {
      dropLink(ec == asio::error::eof ? "closed by peer" : "read: " + ec.message());
      return;
    }
    onBytes(count);
    if (generation == generation_) startRead();
  };
  if (transport_ == Transport::kTcp) {
    socket_.async_read_some(asio::buffer(read_buffer_), std::move(handler));
  } else {
    serial_.async_read_some(asio::buffer(read_buffer_), std::move(handler));
  }
}

void ToledoWeighbridge::onBytes(std::size_t count) {
  const std::uint64_t bad_before = framer_.badFrames();
  const auto frames = framer_.feed(std::span<const std::uint8_t>(read_buffer_.data(), count));
  const std::uint64_t bad = framer_.badFrames() - bad_before;
  const auto now = clock_.nowSteady();
  const auto freshHealth = [&] {
    const bool fresh =
        last_good_at_ && now - *last_good_at_ <= milliseconds(config_.stale_after_ms);
    return fresh ? msg::DeviceHealth::kDegraded : msg::DeviceHealth::kNoData;
  };
  if (bad > 0) {
    counters_.comms_errors += bad;
    publisher_.resetStability();
    publisher_.publish(freshHealth(), now, nullptr, framer_.lastError(), counters_);
  }
  for (const ToledoFrame& frame : frames) {
    const auto sample = toledoWeightSample(frame);
    if (!sample) {
      ++counters_.comms_errors;
      publisher_.resetStability();
      publisher_.publish(freshHealth(), now, nullptr, sample.status().message(), counters_);
      continue;
    }
    ++counters_.readings;
    last_good_at_ = now;
    stale_ = false;
    backoff_ = milliseconds(config_.backoff_initial_ms);
    publisher_.publish(msg::DeviceHealth::kGood, now, &*sample, "", counters_);
  }
}

void ToledoWeighbridge::scheduleTick() {
  tick_timer_.expires_after(milliseconds(config_.poll_interval_ms));
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    onTick();
    scheduleTick();
  });
}

void ToledoWeighbridge::onTick() {
  if (state_ != State::kStream) return;
  const auto now = clock_.nowSteady();
  const auto since =
      last_good_at_ && *last_good_at_ > connected_at_ ? *last_good_at_ : connected_at_;
  const milliseconds stale_after(config_.stale_after_ms);
  if (now - since <= stale_after) return;
  if (!stale_) {
    stale_ = true;
    ++counters_.timeouts;
  }
  publisher_.resetStability();
  if (now - since > stale_after * kReconnectAfterStalePeriods) {
    dropLink("no valid frame for " +
             std::to_string(std::chrono::duration_cast<milliseconds>(now - since).count()) + " ms");
    return;
  }
  publisher_.publish(msg::DeviceHealth::kNoData, now, nullptr,
                     "no valid frame within stale_after_ms (" + framer_.lastError() + ")",
                     counters_);
}

void ToledoWeighbridge::dropLink(const std::string& reason) {
  closeLink();
  publisher_.resetStability();
  stale_ = false;
  publisher_.publish(msg::DeviceHealth::kNotConnected, clock_.nowSteady(), nullptr, reason,
                     counters_);
  state_ = State::kBackoff;
  const milliseconds delay = backoff_;
  backoff_ = std::min(backoff_ * 2, milliseconds(config_.backoff_max_ms));
  const std::uint64_t generation = generation_;
  state_timer_.expires_after(delay);
  state_timer_.async_wait([this, generation](const boost::system::error_code& ec) {
    if (ec || generation != generation_) return;
    connect();
  });
}

}  // namespace kordon::drivers
