// SPDX-License-Identifier: Apache-2.0
#pragma once

// Frame-only ANPR camera (type "frames"): Kordon pulls pictures and reads the plates itself
// (drivers/plate_reader). One grabber thread takes a frame every poll_interval_ms: HTTP
// snapshots with a GET (http://...), anything else (rtsp://..., files) through OpenCV videoio.
// An rtsp:// stream is read continuously at the camera's frame rate and the newest frame is
// taken every poll_interval_ms, so pictures never queue up behind the reader.
// Frames go to a DroppingPool of `workers` reader threads (drivers/common/dropping_pool.hpp): a
// frame that arrives while every worker is busy is dropped and counted (frames_dropped), never
// queued, so the reads stay current under load. Reads at or above min_confidence are fused per
// vehicle (plate_fusion.hpp: successive frames, front and rear) and, once the vehicle has been
// silent for fuse_gap_ms, delivered as one msg::PlateRead through the PlateCallback from tick(),
// on the control loop. The frame of the best read is kept as "scene" evidence.
//
// Health (tick()): not_connected until the first frame (or when the reader cannot start),
// no_data when no frame arrived for stale_after_ms, good otherwise. Counters: readings (fused
// plates), comms_errors (failed grabs), plus frames and frames_dropped in status().
//
// Run recipe (HIL): build/bin/kordon-sim-anpr --control 127.0.0.1:8502 --heartbeat-s 0
//   curl -X POST 'http://127.0.0.1:8502/plate?text=123ABC02'   (also sets the snapshot)
// paired with config  [lanes.camera] type = "frames"
//                     url = "http://127.0.0.1:8502/snapshot.jpg"
// or, with kordon-sim-anpr ... --rtsp 127.0.0.1:8554,  url = "rtsp://127.0.0.1:8554/stream"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>

#include "drivers/anpr_camera/anpr_camera.hpp"
#include "drivers/common/dropping_pool.hpp"
#include "drivers/common/health_reporter.hpp"
#include "drivers/plate_reader/plate_fusion.hpp"
#include "drivers/plate_reader/plate_reader.hpp"
#include "edge/base/thread_annotations.hpp"

namespace kordon::drivers {

class FrameCamera final : public AnprCamera {
 public:
  FrameCamera(const CameraConfig& config, EvidenceStore& evidence, const Clock& clock,
              PlateCallback on_plate, StatusCallback on_status);
  ~FrameCamera() override;

  const CameraConfig& config() const override { return config_; }
  bool handles(const std::string& /*request_path*/) const override { return false; }
  PushCompletion prepare(const http::Request& request) override;
  const DeviceCounters& counters() const override { return counters_; }
  msg::DeviceStatus status() const override;
  void tick() override;
  void start() override;
  void stop() override;

  std::uint64_t framesDropped() const { return frames_dropped_.load(); }
  std::uint64_t frames() const { return frames_.load(); }

 private:
  struct Frame {
    cv::Mat image;
    std::string encoded;  // JPEG as received (HTTP) or encoded on demand
    long long wall_ms = 0;
  };
  void grabLoop();
  void streamLoop();
  // Waits until `deadline` or stop(); true when stop() was asked.
  bool stopRequestedBy(std::chrono::steady_clock::time_point deadline);
  std::optional<Frame> grab(std::optional<cv::VideoCapture>* capture);
  void read(Frame& frame);
  nlohmann::json countersJson() const;

  const CameraConfig config_;
  EvidenceStore& evidence_;
  const Clock& clock_;
  PlateCallback on_plate_;
  // Fused reads not yet saved (the evidence or the journal write failed), oldest first; tried
  // again every tick. Control loop only.
  struct Undelivered {
    msg::PlateRead read;
    std::string frame;  // the picture, until it is stored as evidence
  };
  static constexpr std::size_t kMaxUndelivered = 32;
  std::deque<Undelivered> undelivered_;
  std::atomic<std::uint64_t> reads_lost_{0};
  HealthReporter health_;
  DeviceCounters counters_;
  std::atomic<std::uint64_t> frames_{0};
  std::atomic<std::uint64_t> frames_dropped_{0};
  std::atomic<long long> last_frame_steady_ms_{-1};
  std::atomic<bool> reader_failed_{false};
  std::chrono::steady_clock::time_point started_;

  std::shared_ptr<const anpr::PlateReader> reader_;  // set by the grabber before the pool starts
  Mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ GUARDED_BY(mutex_) = false;
  anpr::PlateFusion fusion_ GUARDED_BY(mutex_);
  std::thread grabber_;
  std::unique_ptr<DroppingPool<Frame>> pool_;  // the grabber's: made, fed and stopped by it
};

}  // namespace kordon::drivers
