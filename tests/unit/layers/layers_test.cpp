// SPDX-License-Identifier: Apache-2.0
// The include table of docs/LAYERS.md, enforced: every #include of every source file under the
// project's folders is checked against the row of the folder it is in. The table is read from
// the document itself, so the document and the check cannot drift.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <unistd.h>

namespace kordon {
namespace {

namespace fs = std::filesystem;

struct Row {
  std::string folder;  // "edge/base", "drivers/*"
  std::vector<std::string> may_include;
  std::vector<std::string> never_includes;  // system header prefixes
};

std::vector<std::string> backticked(const std::string& cell) {
  std::vector<std::string> out;
  static const std::regex token("`([^`]+)`");
  for (auto it = std::sregex_iterator(cell.begin(), cell.end(), token);
       it != std::sregex_iterator(); ++it) {
    out.push_back((*it)[1]);
  }
  return out;
}

std::vector<std::string> splitCells(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  std::istringstream in(line.substr(1));  // past the leading '|'
  while (std::getline(in, cell, '|')) cells.push_back(cell);
  return cells;
}

std::vector<Row> readTable() {
  std::ifstream doc(KORDON_SOURCE_DIR "/docs/LAYERS.md");
  std::vector<Row> rows;
  std::string line;
  while (std::getline(doc, line)) {
    if (line.rfind("| `", 0) != 0) continue;
    const std::vector<std::string> cells = splitCells(line);
    if (cells.size() < 3) continue;
    const std::vector<std::string> folder = backticked(cells[0]);
    if (folder.size() != 1) continue;
    rows.push_back({folder[0], backticked(cells[1]), backticked(cells[2])});
  }
  return rows;
}

bool isWildcard(const std::string& pattern) {
  return pattern.size() > 2 && pattern.compare(pattern.size() - 2, 2, "/*") == 0;
}

std::size_t depth(const std::string& folder) {
  return static_cast<std::size_t>(std::count(folder.begin(), folder.end(), '/')) + 1;
}

// The folder a path belongs to, and the row that governs it: the longest row that covers the
// path; at equal length a named folder beats a wildcard. concrete is the folder itself
// ("drivers/weighbridge" for the row "drivers/*").
struct Place {
  const Row* row = nullptr;
  std::string concrete;
};

Place placeOf(const std::string& path, const std::vector<Row>& rows) {
  Place best;
  std::size_t best_score = 0;
  for (const Row& row : rows) {
    std::string concrete;
    if (isWildcard(row.folder)) {
      const std::string parent = row.folder.substr(0, row.folder.size() - 1);  // "drivers/"
      if (path.rfind(parent, 0) != 0) continue;
      const std::size_t slash = path.find('/', parent.size());
      if (slash == std::string::npos) continue;  // a file directly in the parent
      concrete = path.substr(0, slash);
    } else {
      if (path.rfind(row.folder + "/", 0) != 0) continue;
      concrete = row.folder;
    }
    const std::size_t score = depth(row.folder) * 2 + (isWildcard(row.folder) ? 0 : 1);
    if (score > best_score) {
      best_score = score;
      best = {&row, concrete};
    }
  }
  return best;
}

bool allows(const std::string& entry, const std::string& concrete) {
  if (isWildcard(entry)) return concrete.rfind(entry.substr(0, entry.size() - 1), 0) == 0;
  return concrete == entry;
}

struct Include {
  int line = 0;
  std::string path;
  bool system = false;
};

std::vector<Include> includesOf(const fs::path& file) {
  static const std::regex directive(R"(^\s*#\s*include\s*([<"])([^>"]+)[>"])");
  std::vector<Include> out;
  std::ifstream in(file);
  std::string text;
  int number = 0;
  while (std::getline(in, text)) {
    ++number;
    std::smatch m;
    if (std::regex_search(text, m, directive)) out.push_back({number, m[2], m[1] == "<"});
  }
  return out;
}

std::vector<std::string> sourceFiles() {
  std::vector<std::string> files;
  for (const char* top : {"edge", "drivers", "sync", "firmware", "simulators", "tests"}) {
    const fs::path root = fs::path(KORDON_SOURCE_DIR) / top;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
      const std::string ext = entry.path().extension().string();
      if (!entry.is_regular_file() || (ext != ".cpp" && ext != ".hpp" && ext != ".h")) continue;
      files.push_back(fs::relative(entry.path(), KORDON_SOURCE_DIR).generic_string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The includes of the file at `read_from`, checked as the file `as` of the tree; one line per
// violation: "as:line: reason".
std::vector<std::string> checkFile(const std::string& as, const fs::path& read_from,
                                   const std::vector<Row>& rows) {
  const Place from = placeOf(as, rows);
  if (!from.row) return {as + ": its folder has no row in docs/LAYERS.md"};
  std::vector<std::string> out;
  for (const Include& include : includesOf(read_from)) {
    const std::string where = as + ":" + std::to_string(include.line) + ": ";
    if (include.system) {
      for (const std::string& banned : from.row->never_includes) {
        if (include.path.rfind(banned, 0) == 0) {
          out.push_back(where + "<" + include.path + ">: " + from.row->folder + " never includes " +
                        banned);
        }
      }
      continue;
    }
    const Place to = placeOf(include.path, rows);
    if (!to.row) {
      out.push_back(where + "\"" + include.path + "\" is in no folder of docs/LAYERS.md");
      continue;
    }
    if (to.concrete == from.concrete) continue;
    const auto& may = from.row->may_include;
    if (std::none_of(may.begin(), may.end(),
                     [&](const std::string& e) { return allows(e, to.concrete); })) {
      out.push_back(where + "\"" + include.path + "\": " + from.concrete + " may not include " +
                    to.concrete + " (docs/LAYERS.md, row " + from.row->folder + ")");
    }
  }
  return out;
}

TEST(Layers, TheTableIsThere) {
  const std::vector<Row> rows = readTable();
  ASSERT_GE(rows.size(), 10U) << "docs/LAYERS.md has lost its table";
  const Place lane = placeOf("edge/kordond/lane/lane.cpp", rows);
  ASSERT_NE(lane.row, nullptr);
  EXPECT_EQ(lane.concrete, "edge/kordond/lane");
  EXPECT_EQ(placeOf("drivers/weighbridge/x.cpp", rows).concrete, "drivers/weighbridge");
  EXPECT_EQ(placeOf("drivers/common/x.cpp", rows).row->folder, "drivers/common");
  EXPECT_EQ(placeOf("sync/central/main.cpp", rows).concrete, "sync/central");
  EXPECT_EQ(placeOf("sync/downlink.hpp", rows).concrete, "sync");
}

TEST(Layers, EveryIncludeFollowsTheTable) {
  const std::vector<Row> rows = readTable();
  const std::vector<std::string> files = sourceFiles();
  ASSERT_GT(files.size(), 100U);
  std::string report;
  for (const std::string& file : files) {
    for (const std::string& v : checkFile(file, fs::path(KORDON_SOURCE_DIR) / file, rows)) {
      report += v + "\n";
    }
  }
  EXPECT_TRUE(report.empty()) << report;
}

// The check can fail: a driver that includes a simulator, the lane that includes a bus, a file
// outside every folder are each caught, with file and line.
TEST(Layers, CatchesWhatTheTableForbids) {
  const fs::path dir = fs::temp_directory_path() / ("kordon-layers-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::vector<Row> rows = readTable();
  // The lines a probe file gets, as "file:line" without the reason.
  auto check = [&](const std::string& as, const std::string& text) {
    std::ofstream(dir / "probe.cpp") << text;
    std::vector<std::string> out;
    for (const std::string& v : checkFile(as, dir / "probe.cpp", rows)) {
      out.push_back(v.substr(0, v.find(": ")));
    }
    return out;
  };
  EXPECT_EQ(
      check("drivers/plate_reader/x.cpp", "#include \"simulators/plate_scene/plate_scene.hpp\"\n"),
      std::vector<std::string>{"drivers/plate_reader/x.cpp:1"});
  EXPECT_EQ(check("edge/kordond/lane/x.cpp", "// the lane\n#include <modbus/modbus.h>\n"),
            std::vector<std::string>{"edge/kordond/lane/x.cpp:2"});
  EXPECT_EQ(check("edge/msg/x.cpp", "#include \"edge/store/store.hpp\"\n"),
            std::vector<std::string>{"edge/msg/x.cpp:1"});
  EXPECT_EQ(check("sync/x.cpp", "#include \"sync/central/central_store.hpp\"\n"),
            std::vector<std::string>{"sync/x.cpp:1"});
  EXPECT_EQ(check("firmware/linux/x.cpp", "#include \"simulators/lane_sim/sim_hal.hpp\"\n"),
            std::vector<std::string>{"firmware/linux/x.cpp:1"});
  EXPECT_TRUE(check("edge/kordond/x.cpp", "#include \"drivers/barrier/barrier.hpp\"\n").empty());
  EXPECT_TRUE(check("tests/unit/x.cpp", "#include \"simulators/lane_sim/sim_hal.hpp\"\n").empty());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace kordon
