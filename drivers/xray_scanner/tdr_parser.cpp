// SPDX-License-Identifier: Apache-2.0
#include "drivers/xray_scanner/tdr_parser.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <new>

#include <dcmtk/config/osconfig.h>  // must come first among DCMTK headers
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/oflog/oflog.h>

namespace kordon::drivers {

namespace {

const DcmTagKey kSopClassUid(0x0008, 0x0016);
const DcmTagKey kSopInstanceUid(0x0008, 0x0018);
const DcmTagKey kModality(0x0008, 0x0060);
const DcmTagKey kOoiId(0x0010, 0x0020);
const DcmTagKey kOoiIdIssuer(0x0010, 0x0021);
const DcmTagKey kOoiIdType(0x0010, 0x0022);
const DcmTagKey kPtoId(0x4010, 0x1010);
const DcmTagKey kPtoSequence(0x4010, 0x1011);
const DcmTagKey kThreatCategory(0x4010, 0x1012);
const DcmTagKey kThreatDescription(0x4010, 0x1013);
const DcmTagKey kAssessmentFlag(0x4010, 0x1015);
const DcmTagKey kTdrType(0x4010, 0x1027);
const DcmTagKey kAlarmDecisionTime(0x4010, 0x102B);
const DcmTagKey kAlarmDecision(0x4010, 0x1031);
const DcmTagKey kTotalObjects(0x4010, 0x1033);
const DcmTagKey kAlarmObjects(0x4010, 0x1034);
const DcmTagKey kAssessmentSequence(0x4010, 0x1038);
const DcmTagKey kOoiType(0x4010, 0x1042);

std::string trim(std::string_view text) {
  const auto is_pad = [](char c) {
    return c == ' ' || c == '\0' || c == '\t' || c == '\r' || c == '\n';
  };
  while (!text.empty() && is_pad(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_pad(text.back())) text.remove_suffix(1);
  return std::string(text);
}

// DICOM text may be in any character set; events are JSON, so invalid UTF-8 becomes '?'.
std::string validUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    if (lead < 0x80) {
      length = 1;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
    }
    bool ok = length > 0 && i + length <= text.size();
    for (std::size_t k = 1; ok && k < length; ++k) {
      ok = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    }
    if (ok && length == 3) {
      const auto second = static_cast<unsigned char>(text[i + 1]);
      ok = !(lead == 0xE0 && second < 0xA0) && !(lead == 0xED && second > 0x9F);
    }
    if (ok && length == 4) {
      const auto second = static_cast<unsigned char>(text[i + 1]);
      ok = !(lead == 0xF0 && second < 0x90) && !(lead == 0xF4 && second > 0x8F);
    }
    if (!ok) {
      out.push_back('?');
      ++i;
      continue;
    }
    out.append(text.substr(i, length));
    i += length;
  }
  return out;
}

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

DcmElement* findElement(DcmItem& item, const DcmTagKey& key) {
  DcmElement* element = nullptr;
  if (item.findAndGetElement(key, element, OFFalse /*searchIntoSub*/).bad()) return nullptr;
  return element;
}

bool isOpaqueVr(DcmEVR vr) { return vr == EVR_UN || vr == EVR_OB || vr == EVR_UNKNOWN; }

// Raw value bytes of an element DCMTK could not type (implicit VR without dictionary entry).
std::string_view rawBytes(DcmElement& element) {
  Uint8* data = nullptr;
  if (element.getUint8Array(data).bad() || data == nullptr) return {};
  return {reinterpret_cast<const char*>(data), element.getLength()};
}

// The whole value (all values, backslash-separated) as text, padding trimmed; "" when absent.
std::string getString(DcmItem& item, const DcmTagKey& key) {
  DcmElement* element = findElement(item, key);
  if (element == nullptr) return {};
  if (isOpaqueVr(element->ident())) return validUtf8(trim(rawBytes(*element)));
  OFString value;
  if (element->getOFStringArray(value).bad()) return {};
  return validUtf8(trim(std::string_view(value.c_str(), value.length())));
}

std::optional<std::int64_t> parseInteger(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::optional<std::int64_t> getInteger(DcmItem& item, const DcmTagKey& key) {
  DcmElement* element = findElement(item, key);
  if (element == nullptr || element->getLength() == 0) return std::nullopt;
  switch (element->ident()) {
    case EVR_US: {
      Uint16 v = 0;
      if (element->getUint16(v).good()) return v;
      return std::nullopt;
    }
    case EVR_UL: {
      Uint32 v = 0;
      if (element->getUint32(v).good()) return v;
      return std::nullopt;
    }
    case EVR_SS: {
      Sint16 v = 0;
      if (element->getSint16(v).good()) return v;
      return std::nullopt;
    }
    case EVR_SL: {
      Sint32 v = 0;
      if (element->getSint32(v).good()) return v;
      return std::nullopt;
    }
    case EVR_UN:
    case EVR_OB:
    case EVR_UNKNOWN: {
      const std::string_view raw = rawBytes(*element);
      const auto byte = [&raw](std::size_t i) {
        return static_cast<std::uint32_t>(static_cast<unsigned char>(raw[i]));
      };
      if (raw.size() == 2) return byte(0) | (byte(1) << 8);
      if (raw.size() == 4) return byte(0) | (byte(1) << 8) | (byte(2) << 16) | (byte(3) << 24);
      return std::nullopt;
    }
    default: {
      OFString value;
      if (element->getOFString(value, 0).bad()) return std::nullopt;
      return parseInteger(trim(std::string_view(value.c_str(), value.length())));
    }
  }
}

int clampCount(std::optional<std::int64_t> value) {
  if (!value || *value < 0) return 0;
  return static_cast<int>(std::min<std::int64_t>(*value, 1'000'000));
}

// Items of a sequence element, empty when absent or not a sequence.
std::vector<DcmItem*> sequenceItems(DcmItem& item, const DcmTagKey& key) {
  std::vector<DcmItem*> items;
  DcmSequenceOfItems* sequence = nullptr;
  if (item.findAndGetSequence(key, sequence, OFFalse).bad() || sequence == nullptr) return items;
  for (unsigned long i = 0; i < sequence->card(); ++i) {
    if (DcmItem* child = sequence->getItem(i)) items.push_back(child);
  }
  return items;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t daysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

Result<TdrReport> parseDataset(DcmItem& dataset) {
  TdrReport report;
  report.sop_class_uid = getString(dataset, kSopClassUid);
  if (report.sop_class_uid.empty()) {
    return Status::error("not a DICOS TDR: no SOP Class UID (0008,0016)");
  }
  if (report.sop_class_uid != kTdrSopClassUid) {
    return Status::error("not a DICOS TDR: SOP Class UID (0008,0016) is " + report.sop_class_uid +
                         ", want " + std::string(kTdrSopClassUid));
  }
  report.sop_instance_uid = getString(dataset, kSopInstanceUid);
  if (report.sop_instance_uid.empty()) {
    return Status::error("TDR has no SOP Instance UID (0008,0018)");
  }
  report.alarm_decision = upper(getString(dataset, kAlarmDecision));
  if (report.alarm_decision.empty()) {
    return Status::error("TDR " + report.sop_instance_uid + " has no Alarm Decision (4010,1031)");
  }
  report.modality = getString(dataset, kModality);
  report.ooi_id = getString(dataset, kOoiId);
  report.ooi_id_issuer = getString(dataset, kOoiIdIssuer);
  report.ooi_id_type = getString(dataset, kOoiIdType);
  report.ooi_type = getString(dataset, kOoiType);
  report.tdr_type = upper(getString(dataset, kTdrType));
  report.alarm_decision_time = getString(dataset, kAlarmDecisionTime);
  if (!report.alarm_decision_time.empty()) {
    report.alarm_decision_time_ms = parseDicomDateTime(report.alarm_decision_time);
  }
  report.total_objects = clampCount(getInteger(dataset, kTotalObjects));
  report.alarm_objects = clampCount(getInteger(dataset, kAlarmObjects));

  for (DcmItem* pto : sequenceItems(dataset, kPtoSequence)) {
    std::string id;
    if (const auto number = getInteger(*pto, kPtoId)) {
      id = std::to_string(*number);
    } else {
      id = getString(*pto, kPtoId);
    }
    const std::vector<DcmItem*> assessments = sequenceItems(*pto, kAssessmentSequence);
    if (assessments.empty()) {
      report.threats.push_back({id, "", "", ""});
      continue;
    }
    for (DcmItem* assessment : assessments) {
      report.threats.push_back({id, getString(*assessment, kThreatCategory),
                                getString(*assessment, kThreatDescription),
                                upper(getString(*assessment, kAssessmentFlag))});
    }
  }
  return report;
}

}  // namespace

msg::XrayDecision decisionFromText(std::string_view text) {
  const std::string value = upper(trim(text));
  if (value == "ALARM") return msg::XrayDecision::kAlarm;
  if (value == "CLEAR") return msg::XrayDecision::kClear;
  return msg::XrayDecision::kUnknown;
}

std::optional<WallMs> parseDicomDateTime(std::string_view text) {
  std::string_view rest = text;
  // Splits off the UTC offset first: "&ZZXX" at the end.
  int offset_minutes = 0;
  const std::size_t sign_at = rest.find_first_of("+-");
  if (sign_at != std::string_view::npos) {
    const std::string_view zone = rest.substr(sign_at);
    if (zone.size() != 5) return std::nullopt;
    const auto hh = parseInteger(zone.substr(1, 2));
    const auto mm = parseInteger(zone.substr(3, 2));
    if (!hh || !mm || *hh > 14 || *mm > 59 || zone[1] == '+' || zone[3] == '+') {
      return std::nullopt;
    }
    offset_minutes = static_cast<int>(*hh * 60 + *mm) * (zone[0] == '-' ? -1 : 1);
    rest = rest.substr(0, sign_at);
  }
  std::string_view fraction;
  if (const std::size_t dot = rest.find('.'); dot != std::string_view::npos) {
    fraction = rest.substr(dot + 1);
    rest = rest.substr(0, dot);
    if (fraction.empty() || fraction.size() > 6 || rest.size() != 14) return std::nullopt;
  }
  if (rest.size() < 4 || rest.size() > 14 || rest.size() % 2 != 0) return std::nullopt;
  for (char c : rest) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  for (char c : fraction) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  const auto field = [&rest](std::size_t at, std::size_t length, std::int64_t fallback) {
    if (rest.size() < at + length) return fallback;
    return *parseInteger(rest.substr(at, length));
  };
  const std::int64_t year = field(0, 4, 1970);
  const std::int64_t month = field(4, 2, 1);
  const std::int64_t day = field(6, 2, 1);
  const std::int64_t hour = field(8, 2, 0);
  const std::int64_t minute = field(10, 2, 0);
  const std::int64_t second = field(12, 2, 0);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  std::int64_t millis = 0;
  if (!fraction.empty()) {
    std::string digits(fraction);
    digits.resize(3, '0');
    millis = *parseInteger(digits.substr(0, 3));
  }
  const std::int64_t days =
      daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const std::int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second -
                               static_cast<std::int64_t>(offset_minutes) * 60;
  return seconds * 1000 + millis;
}

namespace {

// DCMTK allocates an element's declared length before reading it, and a buffer stream cannot
// tell it how much is left, so a four-byte length field could make it ask for 4 GiB (found by
// tdr_fuzz). This walks the element structure first and refuses any length that runs past the
// bytes that contain it. Big-endian and deflated datasets are refused.
class LengthCheck {
 public:
  explicit LengthCheck(std::string_view bytes) : bytes_(bytes) {}

  bool hasMeta() const { return has_meta_; }
  std::size_t datasetStart() const { return dataset_start_; }
  bool explicitVr() const { return explicit_vr_; }

  Status run() {
    std::size_t pos = 0;
    if (bytes_.size() >= 132 && bytes_.substr(128, 4) == "DICM") {
      has_meta_ = true;
      pos = 132;
      // Group 0002 is always explicit VR; the dataset follows in the syntax it names.
      std::size_t meta_end = pos;
      while (meta_end + 8 <= bytes_.size() && u16(meta_end) == 0x0002) {
        const std::size_t start = meta_end;
        auto next = element(meta_end, bytes_.size(), /*explicit_vr=*/true, 0);
        if (!next.isOk()) return next.status();
        if (u16(start + 2) == 0x0010) transfer_syntax_ = valueText(start, *next);
        meta_end = *next;
      }
      pos = meta_end;
      dataset_start_ = meta_end;
      // Every syntax but implicit VR LE encodes the dataset in explicit VR LE (the encapsulated
      // ones compress only pixel data); big endian and deflate are the exceptions.
      if (transfer_syntax_ == "1.2.840.10008.1.2.2" ||
          transfer_syntax_ == "1.2.840.10008.1.2.1.99") {
        return Status::error("transfer syntax " + transfer_syntax_ + " is not supported");
      }
      explicit_vr_ = transfer_syntax_ != "1.2.840.10008.1.2";
    } else {
      explicit_vr_ = bytes_.size() >= 6 && std::isupper(static_cast<unsigned char>(bytes_[4])) &&
                     std::isupper(static_cast<unsigned char>(bytes_[5]));
    }
    return elements(pos, bytes_.size(), 0);
  }

 private:
  static constexpr std::uint32_t kUndefined = 0xFFFFFFFF;
  static constexpr int kMaxDepth = 16;

  std::uint16_t u16(std::size_t at) const {
    return static_cast<std::uint16_t>(static_cast<unsigned char>(bytes_[at]) |
                                      static_cast<unsigned char>(bytes_[at + 1]) << 8);
  }
  std::uint32_t u32(std::size_t at) const {
    return static_cast<std::uint32_t>(u16(at)) | static_cast<std::uint32_t>(u16(at + 2)) << 16;
  }
  std::string valueText(std::size_t element_start, std::size_t element_end) const {
    const std::size_t value = element_start + 8;  // explicit VR with a 16-bit length
    std::string text(bytes_.substr(value, element_end - value));
    while (!text.empty() && (text.back() == '\0' || text.back() == ' ')) text.pop_back();
    return text;
  }
  static std::string tagName(std::uint16_t group, std::uint16_t elem) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "(%04X,%04X)", group, elem);
    return buf;
  }

  Status elements(std::size_t pos, std::size_t end, int depth) {
    while (pos < end) {
      if (end - pos < 8)
        return Status::error("truncated element header at byte " + std::to_string(pos));
      // A sequence or item delimiter closes the undefined-length container we are in.
      if (u16(pos) == 0xFFFE && (u16(pos + 2) == 0xE00D || u16(pos + 2) == 0xE0DD)) {
        end_of_container_ = pos + 8;
        return Status::ok();
      }
      auto next = element(pos, end, explicit_vr_, depth);
      if (!next.isOk()) return next.status();
      pos = *next;
    }
    end_of_container_ = pos;
    return Status::ok();
  }

  // Checks one element (and what it contains); returns the offset just past it.
  Result<std::size_t> element(std::size_t pos, std::size_t end, bool explicit_vr, int depth) {
    if (depth > kMaxDepth) return Status::error("sequences nested deeper than 16");
    if (end - pos < 8)
      return Status::error("truncated element header at byte " + std::to_string(pos));
    const std::uint16_t group = u16(pos);
    const std::uint16_t elem = u16(pos + 2);
    std::uint32_t length = 0;
    std::size_t value = 0;
    bool sequence = false;
    if (group == 0xFFFE) {  // an item inside a sequence: tag and a 32-bit length
      length = u32(pos + 4);
      value = pos + 8;
      sequence = true;  // its content is elements
    } else if (explicit_vr) {
      const std::string_view vr = bytes_.substr(pos + 4, 2);
      // DCMTK guesses the length-field size of an unknown VR; a guess is where a hostile length
      // slips through, and real reports use standard VRs only.
      static constexpr std::string_view kStandard[] = {
          "AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT",
          "OB", "OD", "OF", "OL", "OV", "OW", "PN", "SH", "SL", "SQ", "SS", "ST",
          "SV", "TM", "UC", "UI", "UL", "UN", "UR", "US", "UT", "UV"};
      if (std::find(std::begin(kStandard), std::end(kStandard), vr) == std::end(kStandard)) {
        return Status::error("element " + tagName(group, elem) + " has a non-standard VR");
      }
      static constexpr std::string_view kLong[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ",
                                                   "SV", "UC", "UN", "UR", "UT", "UV"};
      const bool long_form = std::find(std::begin(kLong), std::end(kLong), vr) != std::end(kLong);
      if (long_form) {
        if (end - pos < 12)
          return Status::error("truncated element header at byte " + std::to_string(pos));
        length = u32(pos + 8);
        value = pos + 12;
      } else {
        length = u16(pos + 6);
        value = pos + 8;
      }
      sequence = vr == "SQ" || (length == kUndefined && (vr == "UN" || vr == "OB" || vr == "OW"));
    } else {
      length = u32(pos + 4);
      value = pos + 8;
      sequence = length == kUndefined;  // implicit VR: undefined length means a sequence
    }
    if (length == kUndefined) {
      if (!sequence) return Status::error(tagName(group, elem) + " has an undefined length");
      // Items until the sequence delimiter (or, for an item, elements until the item one).
      if (group == 0xFFFE) {
        if (Status s = elements(value, end, depth + 1); !s) return s;
      } else {
        std::size_t at = value;
        for (;;) {
          if (end - at < 8) return Status::error(tagName(group, elem) + " is not closed");
          if (u16(at) == 0xFFFE && u16(at + 2) == 0xE0DD) {
            end_of_container_ = at + 8;
            break;
          }
          auto item = element(at, end, explicit_vr, depth + 1);
          if (!item.isOk()) return item.status();
          at = *item;
        }
      }
      return end_of_container_;
    }
    if (length > end - value) {
      return Status::error("element " + tagName(group, elem) + " declares " +
                           std::to_string(length) + " bytes but only " +
                           std::to_string(end - value) + " remain");
    }
    if (sequence) {
      if (group == 0xFFFE) {
        if (Status s = elements(value, value + length, depth + 1); !s) return s;
      } else {
        std::size_t at = value;
        while (at < value + length) {
          auto item = element(at, value + length, explicit_vr, depth + 1);
          if (!item.isOk()) return item.status();
          at = *item;
        }
      }
    }
    return value + length;
  }

  std::string_view bytes_;
  std::string transfer_syntax_;
  bool has_meta_ = false;
  std::size_t dataset_start_ = 0;  // after the meta header, when there is one
  bool explicit_vr_ = true;
  std::size_t end_of_container_ = 0;
};

}  // namespace

Result<TdrReport> parseTdrDataset(DcmDataset& dataset) {
  try {
    return parseDataset(dataset);
  } catch (const std::exception& e) {
    return Status::error(std::string("TDR dataset: ") + e.what());
  } catch (...) {
    return Status::error("TDR dataset: unknown exception");
  }
}

Result<TdrReport> parseTdr(std::string_view file_bytes) {
  if (file_bytes.empty()) return Status::error("TDR file is empty");
  if (file_bytes.size() > kMaxTdrBytes) {
    return Status::error("TDR file of " + std::to_string(file_bytes.size()) +
                         " bytes exceeds the limit of " + std::to_string(kMaxTdrBytes));
  }
  // Kordon counts and logs bad input itself; DCMTK's own console chatter would only duplicate
  // it (and print to an integrator's terminal from kordonctl).
  static const bool kQuiet = [] {
    OFLog::getLogger("dcmtk").setLogLevel(OFLogger::FATAL_LOG_LEVEL);
    return true;
  }();
  (void)kQuiet;
  LengthCheck check(file_bytes);
  if (Status s = check.run(); !s) {
    return Status::error("not a readable DICOM file: " + s.message());
  }
  try {
    DcmInputBufferStream stream;
    const std::string_view dataset_bytes = file_bytes.substr(check.datasetStart());
    stream.setBuffer(dataset_bytes.data(), static_cast<offile_off_t>(dataset_bytes.size()));
    stream.setEos();
    // DCMTK reads exactly what was checked: the dataset after the meta header (parsed above),
    // in the encoding found there or detected. Left to guess, DcmFileFormat can read the same
    // bytes differently from how they were checked, and a hostile length gets through.
    DcmDataset dataset;
    dataset.transferInit();
    const OFCondition read = dataset.read(
        stream, check.explicitVr() ? EXS_LittleEndianExplicit : EXS_LittleEndianImplicit,
        EGL_noChange, DCM_MaxReadLength);
    dataset.transferEnd();
    if (read.bad()) {
      return Status::error(std::string("not a readable DICOM dataset: ") + read.text());
    }
    return parseDataset(dataset);
  } catch (const std::bad_alloc&) {
    return Status::error("TDR file: out of memory while decoding");
  } catch (const std::exception& e) {
    return Status::error(std::string("TDR file: ") + e.what());
  } catch (...) {
    return Status::error("TDR file: unknown exception while decoding");
  }
}

msg::XrayResult toXrayResult(const TdrReport& report, const std::string& device_id,
                             const std::string& lane, WallMs received_ms) {
  msg::XrayResult result;
  result.device_id = device_id;
  result.lane = lane;
  result.time_ms = report.alarm_decision_time_ms.value_or(received_ms);
  result.health = msg::DeviceHealth::kGood;
  result.scan_id = report.sop_instance_uid;
  result.object_ref = report.ooi_id;
  result.object_type = report.ooi_type;
  result.decision = decisionFromText(report.alarm_decision);
  result.tdr_type = report.tdr_type;
  if (report.tdr_type == "OPERATOR") result.operator_verdict = result.decision;
  result.total_objects = report.total_objects;
  result.alarm_objects = report.alarm_objects;
  result.threats = report.threats;
  return result;
}

nlohmann::json toJson(const TdrReport& report) {
  nlohmann::json threats = nlohmann::json::array();
  for (const msg::XrayThreat& threat : report.threats) {
    threats.push_back({{"id", threat.id},
                       {"category", threat.category},
                       {"description", threat.description},
                       {"assessment", threat.assessment}});
  }
  nlohmann::json out = {
      {"sop_class_uid", report.sop_class_uid},
      {"scan_id", report.sop_instance_uid},
      {"modality", report.modality},
      {"ooi_id", report.ooi_id},
      {"ooi_id_issuer", report.ooi_id_issuer},
      {"ooi_id_type", report.ooi_id_type},
      {"ooi_type", report.ooi_type},
      {"tdr_type", report.tdr_type},
      {"alarm_decision", report.alarm_decision},
      {"decision", std::string(toString(decisionFromText(report.alarm_decision)))},
      {"alarm_decision_time", report.alarm_decision_time},
      {"alarm_decision_time_utc", report.alarm_decision_time_ms
                                      ? nlohmann::json(formatUtcMs(*report.alarm_decision_time_ms))
                                      : nlohmann::json(nullptr)},
      {"total_objects", report.total_objects},
      {"alarm_objects", report.alarm_objects},
      {"threats", std::move(threats)}};
  return out;
}

}  // namespace kordon::drivers
