// SPDX-License-Identifier: Apache-2.0
#include "simulators/rpm_sim/rpm_encoding.hpp"

#include <cstdio>

namespace kordon::sim {

std::string panelLine(std::string_view tag, const Panels& v) {
  std::string line(tag);
  for (const auto x : v) line += "," + std::to_string(x);
  return line + "\r\n";
}

std::string fixed(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

std::string uuidFrom(std::mt19937& rng) {
  std::uniform_int_distribution<int> hex(0, 15);
  std::string out;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) out += '-';
    int digit = hex(rng);
    if (i == 12) digit = 4;                // version 4
    if (i == 16) digit = 8 | (digit & 3);  // variant 10xx
    out += "0123456789abcdef"[digit];
  }
  return out;
}

std::string n42Document(const OccupancyPlan& plan, const std::vector<Sample>& samples,
                        const Panels& gamma_bg, const Panels& neutron_bg, WallMs bg_start_ms,
                        const std::string& uuid) {
  static constexpr const char* kGammaIds[kPanels] = {"G1", "G2", "G3", "G4"};
  static constexpr const char* kNeutronIds[kPanels] = {"N1", "N2", "N3", "N4"};
  std::string x;
  x += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x += "<RadInstrumentData xmlns=\"http://physics.nist.gov/N42/2011/N42\" n42DocUUID=\"" + uuid +
       "\">\n";
  x += "  <RadInstrumentDataCreatorName>kordon-sim-rpm</RadInstrumentDataCreatorName>\n";
  x += "  <RadInstrumentInformation id=\"RPM-SIM\">\n"
       "    <RadInstrumentManufacturerName>Kordon</RadInstrumentManufacturerName>\n"
       "    <RadInstrumentIdentifier>RPM-SIM-1</RadInstrumentIdentifier>\n"
       "    <RadInstrumentModelName>VM-250 simulator</RadInstrumentModelName>\n"
       "    <RadInstrumentClassCode>Portal Monitor</RadInstrumentClassCode>\n"
       "  </RadInstrumentInformation>\n";
  for (int p = 0; p < kPanels; ++p) {
    x += std::string("  <RadDetectorInformation id=\"") + kGammaIds[p] +
         "\"><RadDetectorCategoryCode>Gamma</RadDetectorCategoryCode>"
         "<RadDetectorKindCode>PVT</RadDetectorKindCode></RadDetectorInformation>\n";
  }
  for (int p = 0; p < kPanels; ++p) {
    x += std::string("  <RadDetectorInformation id=\"") + kNeutronIds[p] +
         "\"><RadDetectorCategoryCode>Neutron</RadDetectorCategoryCode>"
         "<RadDetectorKindCode>He3</RadDetectorKindCode></RadDetectorInformation>\n";
  }
  x += "  <RadItemInformation id=\"ITEM\"/>\n";
  x += "  <RadMeasurementGroup id=\"MG-" + std::to_string(plan.id) + "\"/>\n";
  const auto measurement = [&](const std::string& id, const char* class_code, WallMs start,
                               const char* duration, const Panels& gamma,
                               const std::optional<Panels>& neutron, bool occupied) {
    x += "  <RadMeasurement id=\"" + id + "\" radMeasurementGroupReferences=\"MG-" +
         std::to_string(plan.id) + "\">\n";
    x += std::string("    <MeasurementClassCode>") + class_code + "</MeasurementClassCode>\n";
    x += "    <StartDateTime>" + formatUtcMs(start) + "</StartDateTime>\n";
    x += std::string("    <RealTimeDuration>") + duration + "</RealTimeDuration>\n";
    for (int p = 0; p < kPanels; ++p) {
      x += std::string("    <GrossCounts radDetectorInformationReference=\"") + kGammaIds[p] +
           "\"><LiveTimeDuration>" + duration + "</LiveTimeDuration><CountData>" +
           std::to_string(gamma[static_cast<std::size_t>(p)]) + "</CountData></GrossCounts>\n";
    }
    if (neutron) {
      for (int p = 0; p < kPanels; ++p) {
        x += std::string("    <GrossCounts radDetectorInformationReference=\"") + kNeutronIds[p] +
             "\"><LiveTimeDuration>" + duration + "</LiveTimeDuration><CountData>" +
             std::to_string((*neutron)[static_cast<std::size_t>(p)]) +
             "</CountData></GrossCounts>\n";
      }
    }
    if (occupied) {
      x += "    <RadItemState radItemInformationReference=\"ITEM\"><StateVector><SpeedValue>" +
           fixed(plan.speed_kmh / 3.6, 3) + "</SpeedValue></StateVector></RadItemState>\n";
    }
    x += std::string("    <OccupancyIndicator>") + (occupied ? "true" : "false") +
         "</OccupancyIndicator>\n  </RadMeasurement>\n";
  };
  measurement("M-BG", "Background", bg_start_ms, "PT1S", gamma_bg, neutron_bg, false);
  int n = 0;
  for (const auto& s : samples) {
    measurement("M-" + std::to_string(++n), "Foreground", s.start_ms, "PT0.2S", s.gamma, s.neutron,
                true);
  }
  if (plan.gamma_alarm || plan.neutron_alarm) {
    x += "  <AnalysisResults radMeasurementGroupReferences=\"MG-" + std::to_string(plan.id) +
         "\">\n";
    if (plan.gamma_alarm) {
      x += "    <RadAlarm radDetectorInformationReferences=\"G1 G2 G3 G4\">"
           "<RadAlarmCategoryCode>Gamma</RadAlarmCategoryCode>"
           "<RadAlarmDescription>gamma counts above threshold</RadAlarmDescription>"
           "<RadAlarmLightColor>Red</RadAlarmLightColor></RadAlarm>\n";
    }
    if (plan.neutron_alarm) {
      x += "    <RadAlarm radDetectorInformationReferences=\"N1 N2 N3 N4\">"
           "<RadAlarmCategoryCode>Neutron</RadAlarmCategoryCode>"
           "<RadAlarmDescription>neutron counts above threshold</RadAlarmDescription>"
           "<RadAlarmLightColor>Red</RadAlarmLightColor></RadAlarm>\n";
    }
    x += "  </AnalysisResults>\n";
  }
  x += "</RadInstrumentData>\n";
  return x;
}

}  // namespace kordon::sim
