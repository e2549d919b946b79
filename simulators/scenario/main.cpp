// SPDX-License-Identifier: Apache-2.0
// kordon-scenario: drives simulated trucks through one lane of a running post and prints the
// ground truth next to what central recorded (STYLE.md §C.4: ground truth on its own channel).
//
// Per truck: central publishes its declaration (POST /v1/posts/{post}/declarations), the
// scenario waits for the post's declaration.applied at central, puts the truck on the
// weighbridge simulator, makes the camera simulator push the plate, waits for the decision,
// for the release when green, then drives the truck off and waits for the departure.
//
// Run recipe (what scripts/demo.sh does, all on embedded defaults):
//   kordon-scenario --post KZ-DEMO --central http://127.0.0.1:8090
//     --weighbridge http://127.0.0.1:8501 --camera http://127.0.0.1:8502 [--trucks FILE] [--loop]
//     [--barrier http://127.0.0.1:8505 | none]   (kordon-sim-lane's control surface)
//
// Truck file: one JSON object per line,
//   {"plate":"123 ABC 02","declared_kg":38420,"actual_kg":38460,"expect":"green"}
// optional: "declaration" (id), "risk" ("yellow"/"red"), "confidence", "radiation"
// ("normal" | "gamma" | "neutron" | "both"), "xray" ("clear" | "alarm": the declaration then
// requires an X-ray control and the scanner simulator scans the truck).
// Before driving each truck it publishes the ground truth (STYLE.md §C.4) on
// kordon/v1/{post}/sim/truth (QoS1, schema "kordon.truth/1"), so a bench can compare what the
// post did against what really happened; --mqtt none turns that off.
// Prints one JSON line per truck: {"truth":{...},"observed":{...},"ok":true}. Exits 0 when every
// observed corridor (and barrier behaviour) matches the truth, 1 otherwise, 2 on bad usage.

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "edge/base/clock.hpp"
#include "edge/base/crypto.hpp"
#include "edge/base/http.hpp"
#include "edge/msg/plate.hpp"
#include "edge/msg/topics.hpp"
#include "sync/mqtt_client.hpp"

namespace kordon::sim {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

volatile std::sig_atomic_t g_stop = 0;

struct Options {
  std::string post = "KZ-DEMO";
  std::string lane = "L1";
  std::string central = "http://127.0.0.1:8090";
  std::string weighbridge = "http://127.0.0.1:8501";
  std::string camera = "http://127.0.0.1:8502";
  std::string rpm = "http://127.0.0.1:8503";   // "none": the lane has no radiation portal
  std::string xray = "http://127.0.0.1:8504";  // "none": the lane has no X-ray scanner
  std::string mqtt = "tcp://127.0.0.1:1883";   // "none": do not publish the ground truth
  // The lane controller simulator (kordon-sim-lane): a released truck drives over its
  // loops on the way out. "none": the lane has no loops to drive.
  std::string barrier = "http://127.0.0.1:8505";
  // central's API token (roles viewer and declarant for the post): read from this file, else
  // from $KORDON_CENTRAL_TOKEN. central_ca: the CA of central's certificate (https://).
  std::string central_token_file;
  std::string central_token;
  std::string central_ca;
  std::string trucks_file;
  bool loop = false;
  int timeout_s = 30;
  int settle_ms = 1500;
};

std::vector<json> demoTrucks() {
  return {
      json{{"plate", "123 ABC 02"},
           {"declared_kg", 38420},
           {"actual_kg", 38460},
           {"expect", "green"}},
      json{{"plate", "А 777 ВС 77"},
           {"declared_kg", 20000},
           {"actual_kg", 24500},
           {"expect", "yellow"}},
      json{{"plate", "389 BK 01"},
           {"declared_kg", 15000},
           {"actual_kg", 15100},
           {"expect", "green"}},
      json{{"plate", "707 KZA 05"},
           {"declared_kg", 22000},
           {"actual_kg", 22050},
           {"radiation", "gamma"},
           {"expect", "red"}},
      json{{"plate", "512 AAB 17"},
           {"declared_kg", 30000},
           {"actual_kg", 29900},
           {"xray", "clear"},
           {"expect", "green"}},
      json{{"plate", "088 TRK 13"},
           {"declared_kg", 18000},
           {"actual_kg", 18040},
           {"xray", "alarm"},
           {"expect", "red"}},
  };
}

// A request to central's API with the scenario's token.
Result<http::Response> central(const Options& o, const std::string& method, const std::string& url,
                               const std::string& body = "") {
  http::ClientOptions client;
  client.headers["Authorization"] = "Bearer " + o.central_token;
  client.ca_file = o.central_ca;
  return http::request(method, url, body, "application/json", client);
}

// Polls central for the first event of `type` on the lane matching `pred`, after seq `after`.
std::optional<json> waitForEvent(const Options& o, const std::string& type, std::int64_t after,
                                 const std::function<bool(const json&)>& pred) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o.timeout_s);
  while (!g_stop && std::chrono::steady_clock::now() < deadline) {
    const std::string url = o.central + "/v1/events?post=" + http::percentEncode(o.post) +
                            "&type=" + http::percentEncode(type) +
                            "&after=" + std::to_string(after) + "&limit=1000";
    auto res = central(o, "GET", url);
    if (res.isOk() && res->status == 200) {
      const auto body = json::parse(res->body, nullptr, false);
      if (!body.is_discarded() && body.contains("events")) {
        for (const auto& e : body["events"]) {
          if (pred(e)) return e;
        }
      }
    }
    std::this_thread::sleep_for(milliseconds(200));
  }
  return std::nullopt;
}

std::int64_t highestSeq(const Options& o) {
  auto res = central(o, "GET", o.central + "/v1/posts");
  if (!res.isOk() || res->status != 200) return 0;
  const auto body = json::parse(res->body, nullptr, false);
  if (body.is_discarded()) return 0;
  const json& posts = body.is_array() ? body : body.value("posts", json::array());
  for (const auto& p : posts) {
    if (p.value("post", "") == o.post) return p.value("highest_seq", 0);
  }
  return 0;
}

bool post(const std::string& url, const std::string& body, std::string* error,
          const Options* central_api = nullptr) {
  auto res =
      central_api ? central(*central_api, "POST", url, body) : http::request("POST", url, body);
  if (!res.isOk()) {
    *error = res.status().message();
    return false;
  }
  if (res->status / 100 != 2) {
    *error = url + " answered " + std::to_string(res->status) + ": " + res->body;
    return false;
  }
  return true;
}

// Publishes the ground truth on its own MQTT connection and loop thread.
class TruthPublisher {
 public:
  explicit TruthPublisher(const Options& o) : post_(o.post), lane_(o.lane) {
    if (o.mqtt == "none") return;
    sync::MqttOptions options;
    options.server_uri = o.mqtt;
    options.client_id = "kordon-scenario-" + newUuid().substr(0, 8);
    client_ = std::make_unique<sync::MqttClient>(io_, options);
    if (Status s = client_->start(); !s) {
      std::fprintf(stderr, "kordon-scenario: ground truth not published: %s\n",
                   s.message().c_str());
      client_.reset();
      return;
    }
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TruthPublisher() {
    if (client_) client_->stop();
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  // Waits up to two seconds for the broker's PUBACK; a bench without a broker still runs.
  void publish(const json& truth) {
    if (!client_) return;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (!client_->isConnected() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(50));
    }
    json message = truth;
    message["schema"] = "kordon.truth/1";
    message["post"] = post_;
    message["lane"] = lane_;
    message["time"] = formatUtcMs(SystemClock().nowWallMs());
    auto acked = std::make_shared<std::promise<Status>>();
    auto done = acked->get_future();
    Status s = client_->publish(msg::simTruthTopic(post_), message.dump(), 1, false,
                                [acked](const Status& r) { acked->set_value(r); });
    if (s && done.wait_until(deadline + std::chrono::seconds(1)) == std::future_status::ready) {
      s = done.get();
    } else if (s) {
      s = Status::error("no PUBACK");
    }
    if (!s)
      std::fprintf(stderr, "kordon-scenario: ground truth not published: %s\n",
                   s.message().c_str());
  }

 private:
  std::string post_, lane_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  std::unique_ptr<sync::MqttClient> client_;
  std::thread thread_;
};

json runTruck(const Options& o, const json& truck, int index, TruthPublisher& truth) {
  const std::string plate = truck.value("plate", "");
  const std::string plate_norm = msg::normalisePlate(plate);
  const std::string declaration_id =
      truck.value("declaration", "SIM-" + plate_norm + "-" + newUuid().substr(0, 8));
  const std::string expect = truck.value("expect", "green");
  json result = {{"truth", truck}, {"truck", index}};
  result["truth"]["declaration"] = declaration_id;
  auto fail = [&](const std::string& why) {
    result["ok"] = false;
    result["error"] = why;
    return result;
  };
  std::string error;
  const std::int64_t start_seq = highestSeq(o);
  json published = result["truth"];
  published["truck"] = index;
  truth.publish(published);

  const WallMs now = SystemClock().nowWallMs();
  json declaration = {
      {"schema", "kordon.declaration/1"},
      {"action", "upsert"},
      {"id", declaration_id},
      {"version", 1},
      {"procedure", "TIR"},
      {"tractor_plate", plate},
      {"gross_mass_kg", truck.value("declared_kg", 0)},
      {"arrival", {{"from", formatUtcMs(now - 3600000)}, {"to", formatUtcMs(now + 86400000)}}},
      {"risk",
       {{"corridor", truck.value("risk", "green")},
        {"controls", truck.contains("xray") ? json::array({"xray"}) : json::array()}}},
      {"expires_at", formatUtcMs(now + 7 * 86400000LL)}};
  // Re-publishing the same version is harmless (the post ignores it as stale), so a
  // declaration published before the post subscribed is simply sent again.
  const auto declare_deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(o.timeout_s);
  Options short_wait = o;
  short_wait.timeout_s = 3;
  bool applied = false;
  while (!applied && !g_stop && std::chrono::steady_clock::now() < declare_deadline) {
    if (!post(o.central + "/v1/posts/" + http::percentEncode(o.post) + "/declarations",
              declaration.dump(), &error, &o)) {
      std::this_thread::sleep_for(milliseconds(500));
      continue;
    }
    applied = waitForEvent(short_wait, "declaration.applied", start_seq, [&](const json& e) {
                return e["payload"].value("declaration", "") == declaration_id;
              }).has_value();
  }
  if (!applied) {
    return fail("the post did not apply declaration " + declaration_id + " in time" +
                (error.empty() ? "" : " (last error: " + error + ")"));
  }

  const std::string weight_url = o.weighbridge +
                                 "/weight?kg=" + std::to_string(truck.value("actual_kg", 0)) +
                                 "&settle_ms=" + std::to_string(o.settle_ms);
  if (!post(weight_url, "", &error)) return fail("weighbridge: " + error);
  if (o.rpm != "none") {
    // The truck drives through the portal on its way onto the scale.
    const std::string radiation = truck.value("radiation", "normal");
    const bool gamma = radiation == "gamma" || radiation == "both";
    const bool neutron = radiation == "neutron" || radiation == "both";
    const std::string rpm_url =
        o.rpm + "/occupancy?duration_ms=1500&speed_kmh=6&gamma=" + (gamma ? "alarm" : "normal") +
        "&neutron=" + (neutron ? "alarm" : "normal");
    if (!post(rpm_url, "", &error)) return fail("radiation portal: " + error);
  }
  std::this_thread::sleep_for(milliseconds(300));
  const std::string plate_url = o.camera + "/plate?text=" + http::percentEncode(plate) +
                                "&confidence=" + std::to_string(truck.value("confidence", 96)) +
                                "&direction=forward";
  if (!post(plate_url, "", &error)) return fail("camera: " + error);
  if (truck.contains("xray") && o.xray != "none") {
    const std::string verdict = truck.value("xray", "clear");
    const std::string scan_url = o.xray + "/scan?object=" + http::percentEncode(plate_norm) +
                                 "&decision=" + verdict +
                                 "&threats=" + (verdict == "alarm" ? "1" : "0");
    if (!post(scan_url, "", &error)) return fail("x-ray scanner: " + error);
  }

  auto decided = waitForEvent(o, "passage.decided", start_seq, [&](const json& e) {
    return e.value("lane", "") == o.lane && e["payload"].value("plate", "") == plate_norm;
  });
  if (!decided) return fail("no passage.decided for " + plate_norm);
  const std::string passage = decided->value("passage", "");
  const std::string corridor = (*decided)["payload"].value("corridor", "");
  result["observed"] = {{"passage", passage},
                        {"corridor", corridor},
                        {"reasons", (*decided)["payload"]["reasons"]},
                        {"gross_kg", (*decided)["payload"]["gross_kg"]}};
  bool ok = corridor == expect;
  if (corridor == "green") {
    auto released = waitForEvent(o, "passage.released", start_seq,
                                 [&](const json& e) { return e.value("passage", "") == passage; });
    result["observed"]["released"] = released.has_value();
    ok = ok && released.has_value();
  }
  // A released truck rolls off the scale over the presence loop, under the boom (safety
  // loop) and away; the lane controller closes behind it. Each step lasts longer than the
  // controller's input scan.
  const bool drives_through = o.barrier != "none" && result["observed"].value("released", false);
  auto loops = [&](const char* query) {
    if (drives_through && !post(o.barrier + "/inputs?" + query, "", &error)) return false;
    if (drives_through) std::this_thread::sleep_for(milliseconds(200));
    return true;
  };
  if (!loops("presence_loop=1")) return fail("barrier: " + error);
  if (!post(o.weighbridge + "/weight?kg=0&settle_ms=" + std::to_string(o.settle_ms / 2), "",
            &error)) {
    return fail("weighbridge: " + error);
  }
  if (!loops("presence_loop=0&safety_loop=1") || !loops("safety_loop=0")) {
    return fail("barrier: " + error);
  }
  auto departed = waitForEvent(o, "passage.departed", start_seq,
                               [&](const json& e) { return e.value("passage", "") == passage; });
  result["observed"]["departed"] = departed.has_value();
  if (departed) result["observed"]["released"] = (*departed)["payload"].value("released", false);
  ok = ok && departed.has_value() && result["observed"]["released"] == (expect == "green");
  result["ok"] = ok;
  return result;
}

// One line for a person watching the demo; stdout keeps the machine-readable JSON.
std::string summary(const json& result) {
  const json& truth = result["truth"];
  std::string line = "truck " + std::to_string(result.value("truck", 0)) + ": " +
                     truth.value("plate", "?") + ", declared " +
                     std::to_string(truth.value("declared_kg", 0)) + " kg, on the scale " +
                     std::to_string(truth.value("actual_kg", 0)) + " kg -> ";
  if (result.contains("observed")) {
    const json& seen = result["observed"];
    line += seen.value("corridor", "?") + " (expected " + truth.value("expect", "?") + "), " +
            (seen.value("released", false) ? "barrier opened" : "barrier stayed shut");
  } else {
    line += "no decision";
  }
  line += result.value("ok", false) ? "  [ok]" : "  [MISMATCH] " + result.value("error", "");
  return line;
}

int usage(const char* error) {
  if (error) std::fprintf(stderr, "kordon-scenario: %s\n", error);
  std::fputs(
      "usage: kordon-scenario [--post ID] [--lane ID] [--central URL] [--weighbridge URL]\n"
      "                       [--camera URL] [--rpm URL|none] [--xray URL|none]\n"
      "                       [--mqtt URI|none] [--barrier URL|none]\n"
      "                       [--trucks FILE] [--loop] [--timeout-s N]\n"
      "                       [--settle-ms N] [--central-token-file FILE]\n"
      "                       [--central-ca FILE]\n"
      "  central's API token (roles viewer and declarant) comes from --central-token-file,\n"
      "  else from $KORDON_CENTRAL_TOKEN.\n",
      error ? stderr : stdout);
  return error ? 2 : 0;
}

}  // namespace
}  // namespace kordon::sim

int main(int argc, char** argv) {
  using namespace kordon::sim;
  Options o;
  const std::map<std::string, std::string*> text_flags = {
      {"--post", &o.post},
      {"--lane", &o.lane},
      {"--central", &o.central},
      {"--weighbridge", &o.weighbridge},
      {"--camera", &o.camera},
      {"--rpm", &o.rpm},
      {"--xray", &o.xray},
      {"--mqtt", &o.mqtt},
      {"--trucks", &o.trucks_file},
      {"--barrier", &o.barrier},
      {"--central-token-file", &o.central_token_file},
      {"--central-ca", &o.central_ca}};
  const std::map<std::string, int*> number_flags = {{"--timeout-s", &o.timeout_s},
                                                    {"--settle-ms", &o.settle_ms}};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") return usage(nullptr);
    if (arg == "--loop") {
      o.loop = true;
      continue;
    }
    if (i + 1 >= argc) return usage(("missing value for '" + arg + "'").c_str());
    if (auto it = text_flags.find(arg); it != text_flags.end()) {
      *it->second = argv[++i];
    } else if (auto num = number_flags.find(arg); num != number_flags.end()) {
      *num->second = std::atoi(argv[++i]);
      if (*num->second <= 0)
        return usage(("expected a positive number after '" + arg + "'").c_str());
    } else {
      return usage(("unknown argument '" + arg + "'").c_str());
    }
  }
  if (!o.central_token_file.empty()) {
    std::ifstream in(o.central_token_file);
    if (!in) return usage(("cannot read " + o.central_token_file).c_str());
    std::getline(in, o.central_token);
  } else if (const char* env = std::getenv("KORDON_CENTRAL_TOKEN")) {
    o.central_token = env;
  }
  if (o.central_token.empty()) {
    return usage("no central API token: give --central-token-file or set KORDON_CENTRAL_TOKEN");
  }
  std::signal(SIGINT, [](int) { g_stop = 1; });
  std::signal(SIGTERM, [](int) { g_stop = 1; });

  std::vector<nlohmann::json> trucks;
  if (o.trucks_file.empty()) {
    trucks = demoTrucks();
  } else {
    std::ifstream in(o.trucks_file);
    if (!in) return usage(("cannot read " + o.trucks_file).c_str());
    std::string line;
    int line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (line.empty() || line[0] == '#') continue;
      auto truck = nlohmann::json::parse(line, nullptr, false);
      if (truck.is_discarded() || !truck.is_object() || !truck.contains("plate")) {
        std::fprintf(stderr, "kordon-scenario: %s:%d: expected a JSON object with \"plate\"\n",
                     o.trucks_file.c_str(), line_no);
        return 2;
      }
      trucks.push_back(truck);
    }
  }
  TruthPublisher truth(o);
  bool all_ok = true;
  int index = 0;
  do {
    for (const auto& truck : trucks) {
      if (g_stop) break;
      const auto result = runTruck(o, truck, ++index, truth);
      all_ok = all_ok && result.value("ok", false);
      std::cout << result.dump() << std::endl;
      std::cerr << summary(result) << std::endl;
    }
  } while (o.loop && !g_stop);
  return all_ok ? 0 : 1;
}
