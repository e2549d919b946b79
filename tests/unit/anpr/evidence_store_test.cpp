// SPDX-License-Identifier: Apache-2.0
#include "drivers/common/evidence_store.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "edge/base/crypto.hpp"

#include <stdlib.h>

namespace kordon::drivers {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class EvidenceStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "kordon-evidence-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  std::string root_;
};

TEST_F(EvidenceStoreTest, StoresUnderContentAddressWithExtensionFromMediaType) {
  EvidenceStore store(root_ + "/nested/evidence");  // parents are created on demand
  const std::string bytes = "\xFF\xD8 jpeg \0 bytes \xFF\xD9"s;
  auto evidence = store.put(bytes, "image/jpeg", "plate");
  ASSERT_TRUE(evidence) << evidence.status().message();
  EXPECT_EQ(evidence->sha256, sha256Hex(bytes));
  EXPECT_EQ(evidence->media_type, "image/jpeg");
  EXPECT_EQ(evidence->role, "plate");
  EXPECT_EQ(evidence->size_bytes, bytes.size());
  const fs::path path = fs::path(root_) / "nested/evidence" / evidence->sha256.substr(0, 2) /
                        (evidence->sha256 + ".jpg");
  EXPECT_EQ(store.pathFor(evidence->sha256, "image/jpeg"), path.string());
  EXPECT_EQ(readFile(path), bytes);

  EXPECT_EQ(fs::path(store.pathFor(evidence->sha256, "application/xml")).extension(), ".xml");
  EXPECT_EQ(fs::path(store.pathFor(evidence->sha256, "application/n42+xml")).extension(), ".bin");
}

TEST_F(EvidenceStoreTest, PutIsIdempotentAndLeavesNoTempFiles) {
  EvidenceStore store(root_);
  auto first = store.put("same bytes", "image/jpeg", "plate");
  ASSERT_TRUE(first);
  const fs::path path = store.pathFor(first->sha256, "image/jpeg");
  const auto first_write = fs::last_write_time(path);
  auto second = store.put("same bytes", "image/jpeg", "scene");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->sha256, first->sha256);
  EXPECT_EQ(second->role, "scene");
  EXPECT_EQ(fs::last_write_time(path), first_write) << "existing evidence must not be rewritten";

  std::size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root_)) {
    if (entry.is_regular_file()) {
      ++files;
      EXPECT_EQ(entry.path().extension(), ".jpg") << entry.path();
    }
  }
  EXPECT_EQ(files, 1u);
}

TEST_F(EvidenceStoreTest, RepairsATruncatedCopy) {
  EvidenceStore store(root_);
  auto evidence = store.put("complete content", "image/jpeg", "plate");
  ASSERT_TRUE(evidence);
  const fs::path path = store.pathFor(evidence->sha256, "image/jpeg");
  fs::resize_file(path, 3);
  ASSERT_TRUE(store.put("complete content", "image/jpeg", "plate"));
  EXPECT_EQ(readFile(path), "complete content");
}

TEST_F(EvidenceStoreTest, UnwritableRootIsAnError) {
  const std::string file_as_root = root_ + "/file";
  std::ofstream(file_as_root) << "x";
  EvidenceStore store(file_as_root);
  auto evidence = store.put("bytes", "image/jpeg", "plate");
  ASSERT_FALSE(evidence);
  EXPECT_NE(evidence.status().message().find("evidence"), std::string::npos);
}

}  // namespace
}  // namespace kordon::drivers
