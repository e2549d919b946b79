// SPDX-License-Identifier: Apache-2.0
#include "drivers/anpr_camera/frame_camera.hpp"

#include <chrono>
#include <optional>
#include <utility>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "edge/base/log.hpp"

namespace kordon::drivers {
namespace {

using std::chrono::milliseconds;

long long steadyMs(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
}

constexpr milliseconds kGrabTimeout{3000};
// Opening a stream includes FFmpeg's stream probing, which reads about 20 frames to estimate
// the frame rate: 4 s of a 5 frames/s camera.
constexpr milliseconds kStreamOpenTimeout{10000};

bool isLiveStream(const std::string& url) { return url.rfind("rtsp://", 0) == 0; }

}  // namespace

FrameCamera::FrameCamera(const CameraConfig& config, EvidenceStore& evidence, const Clock& clock,
                         PlateCallback on_plate, StatusCallback on_status)
    : config_(config),
      evidence_(evidence),
      clock_(clock),
      on_plate_(std::move(on_plate)),
      health_(config.device_id, config.lane, "anpr_camera", config.url, clock,
              std::move(on_status)),
      started_(clock.nowSteady()),
      fusion_(milliseconds(config.fuse_gap_ms)) {}

FrameCamera::~FrameCamera() { stop(); }

PushCompletion FrameCamera::prepare(const http::Request& /*request*/) {
  return [] { return http::Response::text(404, "frame cameras are pulled, not pushed\n"); };
}

void FrameCamera::start() {
  MutexLock lock(mutex_);
  if (grabber_.joinable()) return;
  stopping_ = false;
  started_ = clock_.nowSteady();
  grabber_ = std::thread([this] { grabLoop(); });
}

void FrameCamera::stop() {
  {
    MutexLock lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (grabber_.joinable()) grabber_.join();
}

void FrameCamera::grabLoop() {
  // The reader loads its model here, off the control loop.
  anpr::ReaderOptions options;
  options.model_path = config_.model_path;
  auto reader = anpr::PlateReader::create(options);
  if (!reader) {
    log::error("frame camera: reader did not start",
               {{"device_id", config_.device_id}, {"error", reader.status().message()}});
    reader_failed_ = true;
    return;
  }
  reader_ = *reader;
  pool_ =
      std::make_unique<DroppingPool<Frame>>(config_.workers, [this](Frame& frame) { read(frame); });
  if (isLiveStream(config_.url)) {
    streamLoop();
    pool_->stop();  // lets a read in progress finish
    return;
  }
  std::optional<cv::VideoCapture> capture;
  auto next = std::chrono::steady_clock::now();
  for (;;) {
    if (stopRequestedBy(next)) break;
    next = std::chrono::steady_clock::now() + milliseconds(config_.poll_interval_ms);
    auto frame = grab(&capture);
    if (!frame) {
      ++counters_.comms_errors;
      continue;
    }
    ++frames_;
    last_frame_steady_ms_ = steadyMs(clock_.nowSteady());
    if (!pool_->offer(std::move(*frame))) ++frames_dropped_;
  }
  pool_->stop();  // lets a read in progress finish
}

std::optional<FrameCamera::Frame> FrameCamera::grab(std::optional<cv::VideoCapture>* capture) {
  Frame frame;
  frame.wall_ms = clock_.nowWallMs();
  if (config_.url.rfind("http://", 0) == 0) {
    auto response = http::request("GET", config_.url, "", "", kGrabTimeout);
    if (!response || response->status != 200) return std::nullopt;
    frame.encoded = std::move(response->body);
    try {
      const cv::Mat raw(1, static_cast<int>(frame.encoded.size()), CV_8UC1, frame.encoded.data());
      frame.image = cv::imdecode(raw, cv::IMREAD_COLOR);
    } catch (const cv::Exception&) {
      return std::nullopt;
    }
    if (frame.image.empty()) return std::nullopt;
    return frame;
  }
  // Other videoio sources (files): one long-lived capture, reopened after a failure.
  if (!*capture || !(*capture)->isOpened()) {
    capture->emplace(config_.url);
    if (!(*capture)->isOpened()) {
      capture->reset();
      ++counters_.reconnects;
      return std::nullopt;
    }
  }
  if (!(*capture)->read(frame.image) || frame.image.empty()) {
    capture->reset();
    return std::nullopt;
  }
  return frame;
}

// A live stream does not wait for its reader. Frames not read pile up, first in FFmpeg (the
// ~20 it buffers while probing the stream at open) and then in the socket, so reading one frame
// per poll interval would deliver pictures seconds old, and ever older when the poll interval
// is longer than the camera's frame interval (measured against kordon-sim-anpr at 5 frames/s:
// a new plate logged 4 s late at poll_ms 150, 22 s late at 600). So the stream is drained at
// its own pace - grab() takes every frame, blocking until the camera sends the next - and only
// the newest is converted to BGR (retrieve()) and dispatched, once per poll interval. The
// timeouts keep a stalled camera from blocking the grabber, and stop(), for OpenCV's default
// 30 s. The FFmpeg backend asks for RTP over TCP by itself (OpenCV sets rtsp_transport=tcp).
bool FrameCamera::stopRequestedBy(std::chrono::steady_clock::time_point deadline) {
  MutexLock lock(mutex_);
  while (!stopping_) {
    if (wake_.wait_until(lock.native(), deadline) == std::cv_status::timeout) break;
  }
  return stopping_;
}

void FrameCamera::streamLoop() {
  const milliseconds poll_interval(config_.poll_interval_ms);
  const auto stop_requested = [this](milliseconds wait) {
    return stopRequestedBy(std::chrono::steady_clock::now() + wait);
  };
  std::optional<cv::VideoCapture> capture;
  std::chrono::steady_clock::time_point next;  // when the next frame is due
  while (!stop_requested(milliseconds(0))) {
    if (!capture) {
      bool opened = false;
      try {
        capture.emplace(config_.url, cv::CAP_FFMPEG,
                        std::vector<int>{cv::CAP_PROP_OPEN_TIMEOUT_MSEC,
                                         static_cast<int>(kStreamOpenTimeout.count()),
                                         cv::CAP_PROP_READ_TIMEOUT_MSEC,
                                         static_cast<int>(kGrabTimeout.count())});
        opened = capture->isOpened();
      } catch (const cv::Exception&) {
      }
      if (!opened) {
        capture.reset();
        ++counters_.reconnects;
        ++counters_.comms_errors;
        if (stop_requested(poll_interval)) break;
        continue;
      }
      // One poll interval of draining first: the frames buffered while opening are old.
      next = std::chrono::steady_clock::now() + poll_interval;
    }
    Frame frame;
    bool grabbed = false;
    try {
      grabbed = capture->grab();
      if (grabbed && std::chrono::steady_clock::now() >= next) {
        frame.wall_ms = clock_.nowWallMs();
        grabbed = capture->retrieve(frame.image) && !frame.image.empty();
      }
    } catch (const cv::Exception&) {
      grabbed = false;
    }
    if (!grabbed) {
      capture.reset();
      ++counters_.comms_errors;
      continue;
    }
    if (frame.image.empty()) continue;  // drained, not due yet
    next = std::chrono::steady_clock::now() + poll_interval;
    ++frames_;
    last_frame_steady_ms_ = steadyMs(clock_.nowSteady());
    if (!pool_->offer(std::move(frame))) ++frames_dropped_;
  }
}

void FrameCamera::read(Frame& frame) {
  const auto read = reader_->read(frame.image);
  if (!read || read->confidence < config_.min_confidence) return;
  if (frame.encoded.empty()) {
    std::vector<std::uint8_t> jpeg;
    if (cv::imencode(".jpg", frame.image, jpeg)) frame.encoded.assign(jpeg.begin(), jpeg.end());
  }
  MutexLock lock(mutex_);
  fusion_.add(*read, clock_.nowSteady(), frame.wall_ms, std::move(frame.encoded));
}

nlohmann::json FrameCamera::countersJson() const {
  nlohmann::json counters = counters_.toJson();
  counters["frames"] = frames_.load();
  counters["frames_dropped"] = frames_dropped_.load();
  counters["reads_lost"] = reads_lost_.load();
  return counters;
}

msg::DeviceStatus FrameCamera::status() const {
  return msg::DeviceStatus{config_.device_id, config_.lane,  "anpr_camera", clock_.nowWallMs(),
                           health_.health(),  std::string(), countersJson()};
}

void FrameCamera::tick() {
  std::vector<anpr::FusedPlate> fused;
  {
    MutexLock lock(mutex_);
    fused = fusion_.flush(clock_.nowSteady());
  }
  for (anpr::FusedPlate& plate : fused) {
    Undelivered u;
    msg::PlateRead& read = u.read;
    read.camera_id = config_.device_id;
    read.lane = config_.lane;
    read.plate_raw = plate.plate;
    read.confidence_pct = static_cast<int>(plate.confidence * 100 + 0.5f);
    read.direction = "unknown";
    read.time_ms = plate.first_wall_ms;
    u.frame = std::move(plate.best_frame);
    std::string alternatives;
    for (const anpr::CharRead& position : plate.alternatives) {
      std::string candidates;
      for (const anpr::CharAlternative& alt : position.top) candidates += alt.c;
      alternatives += (alternatives.empty() ? "" : " ") + candidates;
      read.char_alternatives.push_back(std::move(candidates));
    }
    log::info("plate read", {{"device_id", config_.device_id},
                             {"lane", config_.lane},
                             {"plate", plate.plate},
                             {"confidence_pct", read.confidence_pct},
                             {"reads", plate.reads},
                             {"alternatives", alternatives}});
    ++counters_.readings;
    undelivered_.push_back(std::move(u));
    if (undelivered_.size() > kMaxUndelivered) {
      ++reads_lost_;
      log::error(
          "frame camera: a plate read could not be saved and is lost (queue full)",
          {{"device_id", config_.device_id}, {"plate", undelivered_.front().read.plate_raw}});
      undelivered_.pop_front();
    }
  }
  // Oldest first; a read (with its picture) leaves the queue only once it is saved, so a full
  // disk delays reads instead of losing them.
  while (!undelivered_.empty()) {
    Undelivered& u = undelivered_.front();
    if (!u.frame.empty()) {
      auto stored = evidence_.put(u.frame, "image/jpeg", "scene");
      if (!stored) {
        ++counters_.store_failures;
        log::warn("frame camera: evidence not stored; the read waits",
                  {{"device_id", config_.device_id}, {"error", stored.status().message()}});
        break;
      }
      u.read.evidence.push_back(*stored);
      u.frame.clear();
    }
    if (on_plate_) {
      if (Status s = on_plate_(u.read); !s) {
        ++counters_.store_failures;
        break;
      }
    }
    undelivered_.pop_front();
  }
  const long long last = last_frame_steady_ms_.load();
  const long long now_ms = steadyMs(clock_.nowSteady());
  if (reader_failed_) {
    health_.report(msg::DeviceHealth::kNotConnected, "plate reader did not start", counters_);
  } else if (last < 0) {
    const bool stale = now_ms - steadyMs(started_) >= config_.stale_after_ms;
    health_.report(stale ? msg::DeviceHealth::kNoData : msg::DeviceHealth::kNotConnected,
                   "no frame yet from " + config_.url, counters_);
  } else if (now_ms - last >= config_.stale_after_ms) {
    health_.report(msg::DeviceHealth::kNoData, "no frame for stale_after_ms", counters_);
  } else {
    health_.report(msg::DeviceHealth::kGood, "", counters_);
  }
}

}  // namespace kordon::drivers
