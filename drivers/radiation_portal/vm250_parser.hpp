// SPDX-License-Identifier: Apache-2.0
#pragma once

// Pure, incremental parser of the Rapiscan/TSA VM-250 line stream (device-protocols.md §2.2).
// No I/O and no clock: the driver feeds it one line at a time and stamps what comes out.
//
// Wire format: ASCII lines "TAG,f1,f2,...", terminated by LF (a trailing CR is dropped). Fields
// are decimal integers unless noted. Blank lines are ignored.
//   GB,g1,g2,g3,g4   not occupied: gamma background of the 4 panels, counts/s
//   GH,.. / GL,..    not occupied, 4 values: fault gamma background high / low
//   NB,n1,n2,n3,n4   not occupied: neutron background, counts/s
//   NH,..            not occupied, 4 values: fault neutron background high
//   GS,g1,g2,g3,g4   occupied: gamma counts of one 200 ms sample (5 GS lines = 1 s)
//   GA,..            occupied, gamma alarm; replaces GS while in alarm
//   NS,n1,n2,n3,n4   occupied: neutron counts of one sample
//   NA,..            occupied, neutron alarm
//   SP,t,mph,kmh[,..] speed (decimals allowed here): speed-time, mph, km/h
//   GX,counter,nbg_x1000[,..]  end of occupancy: device occupancy counter, neutron bg * 1000
//   TT / TC [,..]    tamper / tamper cleared (fields ignored)
//   SG1 SG2 SG3 SN1 SN2 [,..]  setup lines: fields kept for inspection, otherwise ignored
//
// State: an occupancy starts on the first GS/GA/NS/NA while not occupied (-> a kStart output) and
// ends on GX (-> the kEnd output). The kEnd occupancy carries:
//   gamma_counts / neutron_counts   sums over all panels and all GS/GA resp. NS/NA lines
//   gamma_background_cps / neutron_background_cps  sum of the 4 panels of the last GB / NB line
//                                   before the occupancy started
//   duration_s                      number of GS/GA lines * 0.2 s
//   speed_kmh                       the km/h field of the last SP line (0 without one)
//   occupancy_id                    the GX occupancy counter
//   alarm                           gamma when any GA line, or (alarm_sigma > 0 and a background
//                                   known) when the counts of any 5 consecutive gamma samples
//                                   (one second, panels summed) exceed B + alarm_sigma*sqrt(B),
//                                   B = gamma_background_cps; neutron when any NA line
//   faults                          "gamma_background_high"/"gamma_background_low"/
//                                   "neutron_background_high" (GH/GL/NH seen since the last
//                                   normal GB/NB), "tamper" (TT not yet cleared by TC),
//                                   "line_errors" (malformed lines inside the occupancy),
//                                   "partial" (no background line before it: the stream was
//                                   joined mid-occupancy), "truncated" (see truncate()).
// Malformed lines (unknown tag, wrong field count, non-integer) are counted, remembered in
// lastError() and otherwise ignored: they never start or end an occupancy.
//
// Thread-safety: none; one parser per stream.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "edge/msg/radiation_occupancy.hpp"

namespace kordon::drivers {

struct Vm250Output {
  msg::OccupancyPhase phase = msg::OccupancyPhase::kStart;
  msg::RadiationOccupancy occupancy;  // device_id, lane, time_ms and health left for the driver
};

class Vm250Parser {
 public:
  static constexpr double kGammaSampleSeconds = 0.2;
  static constexpr int kGammaSamplesPerSecond = 5;

  explicit Vm250Parser(double alarm_sigma = 4.0) : alarm_sigma_(alarm_sigma) {}

  // One line, with or without its terminator. Returns 0, 1 or 2 outputs.
  std::vector<Vm250Output> feed(std::string_view line);

  // The stream ended (connection lost): an open occupancy is closed with fault "truncated" and
  // returned; the background and fault state is forgotten (a new stream starts afresh).
  std::optional<Vm250Output> truncate();

  bool occupied() const { return occupied_; }
  std::uint64_t lines() const { return lines_; }
  std::uint64_t errors() const { return errors_; }
  const std::string& lastError() const { return last_error_; }
  // GB lines in a row with exactly the same 4 values (1 for a fresh value). A live detector's
  // Poisson noise makes long runs practically impossible: the driver treats them as frozen.
  std::uint64_t identicalBackgroundRun() const { return identical_gb_run_; }
  // Device faults currently active (GH/GL/NH/TT), as fault codes.
  std::vector<std::string> activeFaults() const;
  double gammaBackgroundCps() const { return gamma_bg_cps_; }
  double neutronBackgroundCps() const { return neutron_bg_cps_; }
  const std::map<std::string, std::vector<std::string>>& setup() const { return setup_; }

 private:
  void fail(std::string message);
  void addActiveFaults();
  void addFault(const std::string& code, const std::string& description,
                const std::string& severity);
  Vm250Output startOccupancy();

  double alarm_sigma_;
  bool occupied_ = false;
  bool seen_background_ = false;
  std::uint64_t lines_ = 0;
  std::uint64_t errors_ = 0;
  std::string last_error_;
  double gamma_bg_cps_ = 0;
  double neutron_bg_cps_ = 0;
  bool have_gamma_bg_ = false;
  std::vector<std::int64_t> last_gb_;
  std::uint64_t identical_gb_run_ = 0;
  bool gamma_high_ = false, gamma_low_ = false, neutron_high_ = false, tamper_ = false;
  std::map<std::string, std::vector<std::string>> setup_;

  // The open occupancy.
  msg::RadiationOccupancy current_;
  std::uint64_t errors_at_start_ = 0;
  std::int64_t gamma_samples_ = 0;
  std::int64_t window_sum_ = 0;  // gamma counts of the current 5-sample second
  int window_samples_ = 0;
  bool gamma_alarm_ = false, neutron_alarm_ = false;
};

// For `kordonctl inspect`: feeds a whole capture (lines separated by LF or CRLF) and reports
// line and error counts, every error with its line number, the occupancies (a final open one
// as truncated), the last background and the setup lines.
nlohmann::json inspectVm250(std::string_view whole_capture);

// JSON form of a RadiationOccupancy, shared by both inspect functions.
nlohmann::json occupancyToJson(const msg::RadiationOccupancy& occupancy);

}  // namespace kordon::drivers
