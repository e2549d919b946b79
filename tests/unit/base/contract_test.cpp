// SPDX-License-Identifier: Apache-2.0
// The event table of docs/CONTRACTS.md §1 against the types of edge/msg/event_types.hpp, both
// ways: every type the table lists exists in code with exactly the keys the table gives (in
// the table's order), every type in code is in the table, and every type round-trips.

#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "edge/msg/event_types.hpp"

namespace kordon::msg {
namespace {

// type -> keys, from the table whose header is "| type | when | payload keys |".
std::map<std::string, std::vector<std::string>> tableOfContracts() {
  std::ifstream doc(KORDON_SOURCE_DIR "/docs/CONTRACTS.md");
  std::map<std::string, std::vector<std::string>> table;
  std::string line;
  bool in_table = false;
  static const std::regex token("`([^`]+)`");
  while (std::getline(doc, line)) {
    if (line.rfind("| type | when | payload keys |", 0) == 0) {
      in_table = true;
      continue;
    }
    if (!in_table) continue;
    if (line.rfind("|---", 0) == 0) continue;
    if (line.rfind("| ", 0) != 0) break;  // the table ended
    const std::size_t first = line.find('|', 1);
    const std::size_t last = line.rfind('|', line.size() - 2);
    const std::string type_cell = line.substr(1, first - 1);
    const std::string keys_cell = line.substr(last + 1);
    std::smatch type;
    if (!std::regex_search(type_cell, type, token)) continue;
    std::vector<std::string> keys;
    for (auto it = std::sregex_iterator(keys_cell.begin(), keys_cell.end(), token);
         it != std::sregex_iterator(); ++it) {
      keys.push_back((*it)[1]);
    }
    table[type[1]] = keys;
  }
  return table;
}

template <class T>
void checkType(const std::map<std::string, std::vector<std::string>>& table,
               std::vector<std::string>* seen) {
  const std::string type(T::kType);
  seen->push_back(type);
  SCOPED_TRACE(type);
  const auto row = table.find(type);
  ASSERT_NE(row, table.end()) << type << " is in edge/msg/event_types.hpp, not in CONTRACTS.md";
  EXPECT_EQ(payloadKeys<T>(), row->second) << "the keys differ between code and table";
  // A default payload writes every key that is not optional, and reads back as itself.
  const nlohmann::json written = toJson(T{});
  for (const std::string& key : row->second) {
    if (key.back() == '?') continue;
    EXPECT_TRUE(written.contains(key)) << key;
  }
  auto parsed = parsePayload<T>(written, type);
  ASSERT_TRUE(parsed) << parsed.status().message();
  EXPECT_EQ(toJson(*parsed), written);
  EXPECT_TRUE(checkPayload(type, written));
  // And every key that is not optional is needed.
  for (const std::string& key : row->second) {
    if (key.back() == '?') continue;
    nlohmann::json missing = written;
    missing.erase(key);
    EXPECT_FALSE(parsePayload<T>(missing, type)) << "without " << key;
  }
}

template <std::size_t... I>
void checkAll(const std::map<std::string, std::vector<std::string>>& table,
              std::vector<std::string>* seen, std::index_sequence<I...>) {
  (checkType<std::tuple_element_t<I, EventTypes>>(table, seen), ...);
}

TEST(Contract, EveryEventTypeOfTheTableIsATypeInCodeAndBack) {
  const auto table = tableOfContracts();
  ASSERT_GE(table.size(), 20U) << "docs/CONTRACTS.md has lost its event table";
  std::vector<std::string> in_code;
  checkAll(table, &in_code, std::make_index_sequence<std::tuple_size_v<EventTypes>>());
  for (const auto& [type, keys] : table) {
    EXPECT_NE(std::find(in_code.begin(), in_code.end(), type), in_code.end())
        << type << " is in CONTRACTS.md but has no type in edge/msg/event_types.hpp";
  }
}

TEST(Contract, AFilledPayloadRoundTrips) {
  PassageDecided d;
  d.corridor = Corridor::kRed;
  d.reasons = {{"RAD-ALARM", Corridor::kRed, "gamma alarm", {{"alarm", "gamma"}}}};
  d.ruleset = "central-v3";
  d.policies = {{"ruleset", "central-v3"}};
  d.plate = "123ABC02";
  d.declaration = "KZ-TD-1";
  d.gross_kg = 38420;
  d.since_arrival_ms = 4200;
  d.clock = {true, 12};
  const nlohmann::json j = toJson(d);
  EXPECT_EQ(j["corridor"], "red");
  EXPECT_EQ(j["reasons"][0]["corridor"], "red");
  EXPECT_EQ(j["clock"]["max_error_ms"], 12);
  auto back = parsePayload<PassageDecided>(j, "passage.decided");
  ASSERT_TRUE(back) << back.status().message();
  EXPECT_EQ(toJson(*back), j);

  PlateReadEvent read;
  read.plate = "123ABC02";
  read.evidence = {{"ab12", "image/jpeg", "plate"}};
  read.held_ms = 15000;
  const nlohmann::json r = toJson(read);
  EXPECT_EQ(r["held_ms"], 15000);
  EXPECT_FALSE(r.contains("late"));
  EXPECT_EQ(toJson(*parsePayload<PlateReadEvent>(r, "plate.read")), r);
}

TEST(Contract, ABadPayloadIsRefusedNamingTheField) {
  nlohmann::json j = toJson(WeightMeasured{38420, "wb-1", WeightState::kStable});
  j["gross_kg"] = "heavy";
  auto bad = parsePayload<WeightMeasured>(j, "weight.measured");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.status().message(), "weight.measured.gross_kg: expected an integer");
  j["gross_kg"] = 1;
  j["state"] = "floating";
  EXPECT_NE(parsePayload<WeightMeasured>(j, "weight.measured").status().message().find("floating"),
            std::string::npos);
  nlohmann::json decided = toJson(PassageDecided{});
  decided["reasons"] = {{{"rule", "X"}, {"corridor", "purple"}, {"text", ""}, {"values", {}}}};
  EXPECT_NE(checkPayload("passage.decided", decided).message().find("reasons[0].corridor"),
            std::string::npos);
  EXPECT_FALSE(checkPayload("passage.teleported", nlohmann::json::object()));
  EXPECT_FALSE(checkPayload("weight.measured", nlohmann::json::array()));
}

}  // namespace
}  // namespace kordon::msg
