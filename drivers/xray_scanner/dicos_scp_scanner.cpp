// SPDX-License-Identifier: Apache-2.0
#include "drivers/xray_scanner/dicos_scp_scanner.hpp"

#include <chrono>
#include <cstdint>
#include <exception>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "drivers/xray_scanner/dicom_file.hpp"
#include "drivers/xray_scanner/tdr_parser.hpp"
#include "edge/base/log.hpp"
#include "edge/base/thread_annotations.hpp"

#include <arpa/inet.h>
#include <dcmtk/config/osconfig.h>  // must come first among DCMTK headers
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmnet/dcmlayer.h>
#include <dcmtk/dcmnet/dcmtrans.h>
#include <dcmtk/dcmnet/dimse.h>
#include <dcmtk/dcmnet/scp.h>
#include <dcmtk/oflog/oflog.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace kordon::drivers {

namespace {

constexpr Uint32 kAcceptWakeupS = 1;  // the accept loop re-checks the stop flag this often

// Sockets of open associations with the local IPv4 address each arrived on, so stop() can wake
// a worker blocked in a read and an association can be checked against listen_host.
class SocketRegistry {
 public:
  void add(DcmNativeSocketType fd) {
    sockaddr_in local{};
    socklen_t length = sizeof local;
    std::uint32_t address = 0;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) == 0 &&
        local.sin_family == AF_INET) {
      address = local.sin_addr.s_addr;
    }
    MutexLock lock(mutex_);
    if (stopping_) ::shutdown(fd, SHUT_RDWR);
    fds_[fd] = address;
  }
  void remove(DcmNativeSocketType fd) {
    MutexLock lock(mutex_);
    fds_.erase(fd);
  }
  // DcmSCP serves one association at a time, so at most one socket is open when asked.
  bool anyArrivedOn(in_addr address) const {
    MutexLock lock(mutex_);
    for (const auto& [fd, local] : fds_) {
      if (local == address.s_addr) return true;
    }
    return false;
  }
  // Wakes every open association; later ones are shut down as they arrive.
  void shutdownAll() {
    MutexLock lock(mutex_);
    stopping_ = true;
    for (const auto& [fd, local] : fds_) ::shutdown(fd, SHUT_RDWR);
  }
  bool stopping() const {
    MutexLock lock(mutex_);
    return stopping_;
  }

 private:
  mutable Mutex mutex_;
  std::map<DcmNativeSocketType, std::uint32_t> fds_ GUARDED_BY(mutex_);
  bool stopping_ GUARDED_BY(mutex_) = false;
};

// A plain TCP connection that registers its socket while it is open.
class TrackedConnection final : public DcmTCPConnection {
 public:
  TrackedConnection(DcmNativeSocketType fd, SocketRegistry& registry)
      : DcmTCPConnection(fd), registry_(registry), fd_(fd) {
    registry_.add(fd_);
  }
  ~TrackedConnection() override { registry_.remove(fd_); }
  void close() override {
    registry_.remove(fd_);
    DcmTCPConnection::close();
  }

 private:
  SocketRegistry& registry_;
  DcmNativeSocketType fd_;
};

// DCMTK's hook for creating connections; used only to track sockets (no TLS).
class TrackingTransportLayer final : public DcmTransportLayer {
 public:
  explicit TrackingTransportLayer(SocketRegistry& registry) : registry_(registry) {}
  DcmTransportConnection* createConnection(DcmNativeSocketType fd, OFBool) override {
    return new TrackedConnection(fd, registry_);
  }

 private:
  SocketRegistry& registry_;
};

// "" / "0.0.0.0" / "::" -> any (nullopt inside); an IPv4 literal or localhost -> that address.
Result<std::optional<in_addr>> parseListenHost(const std::string& host) {
  if (host.empty() || host == "0.0.0.0" || host == "::" || host == "*") {
    return std::optional<in_addr>();
  }
  in_addr address{};
  const std::string literal = host == "localhost" ? "127.0.0.1" : host;
  if (inet_pton(AF_INET, literal.c_str(), &address) != 1) {
    return Status::error("listen_host '" + host +
                         "' must be an IPv4 literal, localhost or 0.0.0.0");
  }
  return std::optional<in_addr>(address);
}

}  // namespace

struct DicosScpScanner::Impl final : public DcmSCP {
  Impl(DicosScpScanner& owner, std::optional<in_addr> local_address)
      : owner_(owner), local_address_(local_address), layer_(registry_) {}

  void requestStop() { registry_.shutdownAll(); }

 protected:
  OFCondition handleIncomingCommand(T_DIMSE_Message* message,
                                    const DcmPresentationContextInfo& info) override {
    if (message->CommandField != DIMSE_C_STORE_RQ) {
      return DcmSCP::handleIncomingCommand(message, info);
    }
    T_DIMSE_C_StoreRQ& request = message->msg.CStoreRQ;
    DcmDataset* received = nullptr;
    OFCondition cond = receiveSTORERequest(request, info.presentationContextID, received);
    std::unique_ptr<DcmDataset> dataset(received);
    if (cond.bad()) {
      if (!registry_.stopping()) {
        owner_.counters_.comms_errors++;
        reject(std::string("C-STORE dataset not received: ") + cond.text());
      }
      return cond;
    }
    const Uint16 status =
        dataset ? storeDataset(*dataset) : static_cast<Uint16>(STATUS_STORE_Error_CannotUnderstand);
    return sendSTOREResponse(info.presentationContextID, request, status);
  }

  void notifyAssociationRequest(const T_ASC_Parameters& params,
                                DcmSCPActionType& desired_action) override {
    if (local_address_ && !registry_.anyArrivedOn(*local_address_)) {
      owner_.counters_.refusals++;
      reject("association refused: arrived on a local address other than listen_host");
      desired_action = DCMSCP_ACTION_REFUSE_ASSOCIATION;
      return;
    }
    // A sender may propose as many contexts as it likes (a workstation or a router proposes
    // every storage class it knows); DcmSCP accepts the ones Kordon supports and rejects the
    // rest one by one. Only an association that proposes none of them is refused as a whole
    // (PS3.8 9.3.4), and that is the sender's configuration, so say what it proposed.
    auto& proposed = const_cast<T_ASC_Parameters&>(params);
    const int count = ASC_countPresentationContexts(&proposed);
    bool supported = false;
    std::string first_classes;
    for (int i = 0; i < count && !supported; ++i) {
      T_ASC_PresentationContext context;
      if (ASC_getPresentationContext(&proposed, i, &context).bad()) continue;
      const std::string abstract_syntax = context.abstractSyntax;
      supported = abstract_syntax == kTdrSopClassUid || abstract_syntax == UID_VerificationSOPClass;
      if (i < 3) first_classes += (first_classes.empty() ? "" : ", ") + abstract_syntax;
    }
    if (!supported) {
      owner_.counters_.refusals++;
      reject("association refused: its " + std::to_string(count) +
             " presentation contexts propose neither DICOS TDR (" + std::string(kTdrSopClassUid) +
             ") nor Verification (first: " + first_classes +
             "); configure the sender to propose the TDR class (DCMTK storescu: -R)");
    }
  }

  void notifyDIMSEError(const OFCondition& cond) override {
    if (registry_.stopping()) return;
    if (cond == DIMSE_NODATAAVAILABLE) {
      owner_.counters_.timeouts++;
    } else {
      owner_.counters_.comms_errors++;
    }
  }

  OFBool stopAfterConnectionTimeout() override { return registry_.stopping(); }
  OFBool stopAfterCurrentAssociation() override { return registry_.stopping(); }

 private:
  friend class DicosScpScanner;

  Uint16 storeDataset(DcmDataset& dataset) {
    const WallMs received_ms = owner_.clock_.nowWallMs();
    auto report = parseTdrDataset(dataset);
    if (!report) {
      owner_.counters_.comms_errors++;
      reject(report.status().message());
      const bool wrong_class = report.status().message().find("SOP Class UID") != std::string::npos;
      return wrong_class ? STATUS_STORE_Error_DataSetDoesNotMatchSOPClass
                         : STATUS_STORE_Error_CannotUnderstand;
    }
    if (!last_reject_reason_.empty()) {
      last_reject_reason_.clear();
      log::info("x-ray scanner sends valid TDRs again", {{"device", owner_.config_.device_id}});
    }
    msg::XrayResult result =
        toXrayResult(*report, owner_.config_.device_id, owner_.config_.lane, received_ms);
    // Success only once the TDR and its result are durable; otherwise "out of resources", and
    // the scanner sends it again.
    Status saved = storeEvidence(dataset, &result);
    if (saved && owner_.on_result_) {
      try {
        saved = owner_.on_result_(result);
      } catch (const std::exception& e) {
        saved = Status::error(std::string("the result callback threw: ") + e.what());
      }
    }
    if (!saved) {
      owner_.counters_.store_failures++;
      if (!store_failing_) {
        store_failing_ = true;
        log::warn("x-ray TDR not saved; the scanner is answered 0xA700 and sends it again",
                  {{"device", owner_.config_.device_id}, {"error", saved.message()}});
      }
      return STATUS_STORE_Refused_OutOfResources;
    }
    if (store_failing_) {
      store_failing_ = false;
      log::info("x-ray TDRs are saved again", {{"device", owner_.config_.device_id}});
    }
    owner_.counters_.readings++;
    return STATUS_Success;
  }

  Status storeEvidence(const DcmDataset& dataset, msg::XrayResult* result) {
    auto bytes = encodeDicomFile(dataset);
    if (!bytes) return bytes.status().withContext("TDR not encoded");
    auto stored = owner_.evidence_.put(*bytes, "application/dicom", "tdr");
    if (!stored) return stored.status();
    result->evidence.push_back(std::move(stored).value());
    return Status::ok();
  }

  void reject(const std::string& reason) {
    const auto level = reason == last_reject_reason_ ? log::Level::kDebug : log::Level::kWarn;
    last_reject_reason_ = reason;
    log::write(level, "x-ray TDR rejected",
               {{"device", owner_.config_.device_id},
                {"reason", reason},
                {"comms_errors", owner_.counters_.comms_errors.load()}});
  }

  DicosScpScanner& owner_;
  std::optional<in_addr> local_address_;
  SocketRegistry registry_;
  TrackingTransportLayer layer_;
  std::string last_reject_reason_;
  bool store_failing_ = false;
};

DicosScpScanner::DicosScpScanner(XrayScannerConfig config, EvidenceStore& evidence,
                                 const Clock& clock, ResultCallback on_result,
                                 StatusCallback on_status)
    : config_(std::move(config)),
      evidence_(evidence),
      clock_(clock),
      on_result_(std::move(on_result)),
      reporter_(config_.device_id, config_.lane, "xray_scanner",
                config_.listen_host + ":" + std::to_string(config_.port), clock,
                std::move(on_status)) {}

DicosScpScanner::~DicosScpScanner() { stop(); }

Status DicosScpScanner::start() {
  if (running_) return Status::ok();
  const std::string where = "x-ray scanner " + config_.device_id + ": dicos-scp " +
                            config_.listen_host + ":" + std::to_string(config_.port);
  auto local_address = parseListenHost(config_.listen_host);
  if (!local_address) return local_address.status().withContext(where);
  if (config_.port == 0) return Status::error(where + ": port must be 1..65535");
  if (config_.ae_title.empty() || config_.ae_title.size() > 16) {
    return Status::error(where + ": ae_title must be 1..16 characters");
  }
  if (config_.association_timeout_s < 1) {
    return Status::error(where + ": association_timeout_s must be >= 1");
  }

  OFLog::getLogger("dcmtk").setLogLevel(OFLogger::FATAL_LOG_LEVEL);
  auto impl = std::make_unique<Impl>(*this, *local_address);
  const auto timeout_s = static_cast<Uint32>(config_.association_timeout_s);
  impl->setPort(config_.port);
  impl->setAETitle(config_.ae_title.c_str());
  impl->setConnectionBlockingMode(DUL_NOBLOCK);
  impl->setConnectionTimeout(kAcceptWakeupS);
  impl->setDIMSEBlockingMode(DIMSE_NONBLOCKING);
  impl->setDIMSETimeout(timeout_s);
  impl->setACSETimeout(timeout_s);
  impl->setHostLookupEnabled(OFFalse);
  impl->getConfig().setTransportLayer(&impl->layer_);
  OFList<OFString> syntaxes;
  syntaxes.push_back(UID_LittleEndianExplicitTransferSyntax);
  syntaxes.push_back(UID_LittleEndianImplicitTransferSyntax);
  // Accepted too, so that a sender proposing only these is not turned away: DCMTK decodes them.
  syntaxes.push_back(UID_BigEndianExplicitTransferSyntax);
  syntaxes.push_back(UID_DeflatedExplicitVRLittleEndianTransferSyntax);
  OFCondition cond = impl->addPresentationContext(UID_VerificationSOPClass, syntaxes);
  if (cond.good()) {
    cond = impl->addPresentationContext(std::string(kTdrSopClassUid).c_str(), syntaxes);
  }
  if (cond.good()) cond = impl->openListenPort();
  if (cond.bad()) {
    const std::string reason = where + ": cannot listen: " + cond.text();
    log::warn("x-ray scanner not listening", {{"device", config_.device_id}, {"error", reason}});
    reporter_.report(msg::DeviceHealth::kNotConnected, reason, counters_);
    return Status::error(reason);
  }
  impl_ = std::move(impl);
  // Before the worker exists: report() is called from one thread at a time (health_reporter.hpp).
  reporter_.report(msg::DeviceHealth::kGood, "", counters_);
  worker_ = std::thread([this] {
    try {
      const OFCondition ended = impl_->acceptAssociations();
      if (ended.bad() && ended != NET_EC_StopAfterConnectionTimeout &&
          ended != NET_EC_StopAfterAssociation) {
        log::error("x-ray scanner SCP loop ended",
                   {{"device", config_.device_id}, {"error", ended.text()}});
        reporter_.report(msg::DeviceHealth::kNotConnected, ended.text(), counters_);
      }
    } catch (const std::exception& e) {
      log::error("x-ray scanner SCP loop threw",
                 {{"device", config_.device_id}, {"error", e.what()}});
    } catch (...) {
      log::error("x-ray scanner SCP loop threw", {{"device", config_.device_id}});
    }
  });
  running_ = true;
  log::info(
      "x-ray scanner listening",
      {{"device", config_.device_id}, {"port", config_.port}, {"ae_title", config_.ae_title}});
  return Status::ok();
}

void DicosScpScanner::stop() {
  if (!running_) return;
  impl_->requestStop();
  if (worker_.joinable()) worker_.join();
  impl_.reset();
  running_ = false;
}

}  // namespace kordon::drivers
