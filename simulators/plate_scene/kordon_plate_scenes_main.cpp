// SPDX-License-Identifier: Apache-2.0
// kordon-plate-scenes: dumps a labelled synthetic ANPR set (plate_scene.hpp) for
// `kordon-anpr eval`: scene_<seed>.jpg plus an openalpr-style scene_<seed>.txt
// ("file<TAB>x<TAB>y<TAB>w<TAB>h<TAB>plate") per image.
//
// Run recipe (the benchmark's held-out set):
//   build/bin/kordon-plate-scenes --out /tmp/scenes --count 2000 --first-seed 1000000
//   build/bin/kordon-anpr eval /tmp/scenes | tail -1

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "simulators/plate_scene/plate_scene.hpp"

namespace {

constexpr const char* kUsage =
    "usage: kordon-plate-scenes --out DIR [--count N (default 200)]\n"
    "                           [--first-seed S (default 1000000, the held-out range)]\n"
    "                           [--clean (no degradations)]\n";

bool parseNumber(const char* text, std::uint64_t* out) {
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text, &end, 10);
  if (end == text || *end != 0) return false;
  *out = v;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string out_dir;
  std::uint64_t count = 200;
  std::uint64_t first = kordon::sim::kHeldOutSeedBase;
  kordon::sim::SceneOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--out" && has_value) {
      out_dir = argv[++i];
    } else if (arg == "--count" && has_value && parseNumber(argv[i + 1], &count)) {
      ++i;
    } else if (arg == "--first-seed" && has_value && parseNumber(argv[i + 1], &first)) {
      ++i;
    } else if (arg == "--clean") {
      options.degrade = false;
    } else {
      std::fputs(kUsage, stderr);
      return 2;
    }
  }
  if (out_dir.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) {
    std::fprintf(stderr, "kordon-plate-scenes: %s: %s\n", out_dir.c_str(), ec.message().c_str());
    return 1;
  }
  for (std::uint64_t seed = first; seed < first + count; ++seed) {
    auto scene = kordon::sim::renderScene(seed, options);
    if (!scene) {
      std::fprintf(stderr, "kordon-plate-scenes: %s\n", scene.status().message().c_str());
      return 1;
    }
    const std::string name = "scene_" + std::to_string(seed);
    std::ofstream(out_dir + "/" + name + ".jpg", std::ios::binary) << scene->jpeg;
    std::ofstream(out_dir + "/" + name + ".txt")
        << name << ".jpg\t" << scene->box.x << "\t" << scene->box.y << "\t" << scene->box.width
        << "\t" << scene->box.height << "\t" << scene->plate << "\n";
  }
  std::fprintf(stderr, "kordon-plate-scenes: wrote %llu scenes to %s\n",
               static_cast<unsigned long long>(count), out_dir.c_str());
  return 0;
}
