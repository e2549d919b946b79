// SPDX-License-Identifier: Apache-2.0
// Plate reader (issue 6): format correction, ground truth, fusion, scoring, and accuracy floors
// on fixed held-out synthetic scenes and (when present) the shared real photos.

#include "drivers/plate_reader/plate_reader.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "drivers/plate_reader/plate_format.hpp"
#include "drivers/plate_reader/plate_fusion.hpp"
#include "edge/msg/plate.hpp"
#include "simulators/anpr_tools/ground_truth.hpp"
#include "simulators/anpr_tools/plate_eval.hpp"
#include "simulators/plate_scene/plate_scene.hpp"
#include "tests/support/shared_data.hpp"

namespace kordon::drivers::anpr {
namespace {

using namespace anpr_tools;  // ground truth and scoring: the tooling the accuracy tests share
using msg::levenshtein;

// Reads where every character is sure except those given as {top1, p1, top2, p2}.
std::vector<CharRead> sure(const std::string& text) {
  std::vector<CharRead> reads;
  for (char c : text) reads.push_back(CharRead{{{c, 0.98f}}});
  return reads;
}

TEST(PlateFormat, LookAlikeInTheRegionBecomesADigit) {
  auto reads = sure("123ABCO2");
  reads[6] = CharRead{{{'O', 0.9f}, {'0', 0.08f}}};
  const FormatResult r = correctPlate(reads);
  EXPECT_EQ(r.text, "123ABC02");
  EXPECT_EQ(r.format, "kz2012");
  EXPECT_EQ(r.country, "KZ");
  EXPECT_EQ(r.changed, 1);
}

TEST(PlateFormat, LookAlikeOutsideTopKStillFitsByPosition) {
  auto reads = sure("A77BBC77");  // RU: L NNN LL RR, the third character read as B
  reads[3] = CharRead{{{'B', 0.95f}, {'E', 0.03f}}};
  const FormatResult r = correctPlate(reads);
  EXPECT_EQ(r.text, "A778BC77");
  EXPECT_EQ(r.format, "ru");
}

TEST(PlateFormat, RegionCodesAreValidated) {
  EXPECT_TRUE(validKzRegion("01"));
  EXPECT_TRUE(validKzRegion("20"));
  EXPECT_FALSE(validKzRegion("00"));
  EXPECT_FALSE(validKzRegion("21"));
  EXPECT_TRUE(validRuRegion("77"));
  EXPECT_TRUE(validRuRegion("777"));
  EXPECT_TRUE(validRuRegion("102"));
  EXPECT_FALSE(validRuRegion("00"));
  EXPECT_FALSE(validRuRegion("555"));
  // A KZ-shaped read with region 45 is not forced into kz2012.
  EXPECT_EQ(correctPlate(sure("123ABC45")).format, "generic");
}

TEST(PlateFormat, EuropeanPlatesKeepTheirRead) {
  for (const char* eu : {"BS47040", "M5XSX", "BZM2227"}) {
    const FormatResult r = correctPlate(sure(eu));
    EXPECT_EQ(r.text, eu);
    EXPECT_EQ(r.format, "generic") << eu;
  }
  // A Slovak plate is recognised as one, and keeps its read.
  const FormatResult sk = correctPlate(sure("RK755AJ"));
  EXPECT_EQ(sk.text, "RK755AJ");
  EXPECT_EQ(sk.format, "sk");
}

TEST(PlateFormat, ANeighboursFormatCorrectsOnlyUnsureReads) {
  // The foot-less European '1' read unsurely as I: the Slovak format makes it the digit.
  auto reads = sure("RK755AJ");
  reads[2] = CharRead{{{'I', 0.6f}, {'1', 0.3f}}};
  FormatResult r = correctPlate(reads);
  EXPECT_EQ(r.text, "RK155AJ");
  EXPECT_EQ(r.format, "sk");
  // A sure B where a Czech plate has its digit is not made an 8: the plate stays what it reads.
  r = correctPlate(sure("BS47040"));
  EXPECT_EQ(r.text, "BS47040");
  EXPECT_EQ(r.format, "generic");
}

TEST(PlateFormat, StrayBlobAtTheStartIsDropped) {
  auto reads = sure("123ABC02");
  reads.insert(reads.begin(), CharRead{{{'I', 0.3f}, {'1', 0.2f}}});
  const FormatResult r = correctPlate(reads);
  EXPECT_EQ(r.text, "123ABC02");
  EXPECT_EQ(r.used.front(), 1u);
  // Generic plates drop an unsure blob at either end too, but keep at least five characters.
  auto eu = sure("RK755AJ");
  eu.insert(eu.begin(), CharRead{{{'P', 0.2f}}});
  EXPECT_EQ(correctPlate(eu).text, "RK755AJ");
}

TEST(PlateFormat, StrayBlobsInsideAreSkipped) {
  // A bolt read as an unsure "1" between the letters and the region, and the flag of a two-row
  // plate between its rows: a format skips them where a raw read cannot.
  auto kz = sure("052ED17");
  kz.insert(kz.begin() + 5, CharRead{{{'1', 0.5f}, {'7', 0.3f}}});
  FormatResult r = correctPlate(kz);
  EXPECT_EQ(r.text, "052ED17");
  EXPECT_EQ(r.format, "kz2012-short");
  EXPECT_EQ(r.used, (std::vector<std::size_t>{0, 1, 2, 3, 4, 6, 7}));
  auto two_rows = sure("063JGJ14");
  two_rows.insert(two_rows.begin() + 6, CharRead{{{'E', 0.6f}}});
  two_rows.insert(two_rows.begin() + 7, CharRead{{{'Y', 0.4f}}});
  r = correctPlate(two_rows);
  EXPECT_EQ(r.text, "063JGJ14");
  EXPECT_EQ(r.format, "kz2012");
  // Five strays are more than any plate carries: no format, the raw read stays.
  auto many = sure("123ABC02");
  for (int i = 0; i < 5; ++i) many.insert(many.begin() + 3, CharRead{{{'W', 0.9f}}});
  EXPECT_EQ(correctPlate(many).format, "generic");
}

TEST(PlateFormat, ACharacterShorterThanItsFieldBelongsToAnotherField) {
  // A RU plate K727AH 55 whose region's first 5 reads as an unsure S: without heights, the KZ
  // 1993 shape (L NNN LLL, the last 5 skipped) costs least. Its letters are 27 px tall and the
  // region digits 22 px: the S is no letter of that field, and the RU read wins.
  auto reads = sure("K727AHS5");
  const int heights[] = {31, 38, 38, 37, 27, 27, 22, 22};
  for (std::size_t i = 0; i < reads.size(); ++i) reads[i].height = heights[i];
  reads[6] = CharRead{{{'S', 0.64f}, {'5', 0.16f}}, 22};
  reads[7] = CharRead{{{'5', 0.74f}, {'S', 0.17f}}, 22};
  const FormatResult r = correctPlate(reads);
  EXPECT_EQ(r.text, "K727AH55");
  EXPECT_EQ(r.format, "ru");
  // Without the heights the shorter shape would have won: the test tests the heights.
  for (CharRead& read : reads) read.height = 0;
  EXPECT_EQ(correctPlate(reads).format, "kz1993");
}

TEST(PlateFormat, LettersShorterThanTheDigitsMakeARussianPlate) {
  // The same reads as above, the region as tall as the letters (no field is uneven): letters at
  // 0.7 of the digits' height are GOST's, and the RU read wins; at the digits' height they are
  // KZ 1993's, and the shorter KZ shape wins.
  auto reads = sure("K727AHS5");
  reads[6] = CharRead{{{'S', 0.64f}, {'5', 0.16f}}};
  reads[7] = CharRead{{{'5', 0.74f}, {'S', 0.17f}}};
  const int gost[] = {27, 38, 38, 38, 27, 27, 27, 27};
  for (std::size_t i = 0; i < reads.size(); ++i) reads[i].height = gost[i];
  EXPECT_EQ(correctPlate(reads).format, "ru");
  for (CharRead& read : reads) read.height = 38;
  EXPECT_EQ(correctPlate(reads).format, "kz1993");
}

TEST(PlateFormat, ASkippedStrayInsideIsReported) {
  auto kz = sure("052ED17");
  kz.insert(kz.begin() + 5, CharRead{{{'1', 0.5f}, {'7', 0.3f}}});
  EXPECT_GT(correctPlate(kz).skipped_inside, 0);
  auto edge = sure("123ABC02");
  edge.insert(edge.begin(), CharRead{{{'I', 0.3f}, {'1', 0.2f}}});
  EXPECT_EQ(correctPlate(edge).skipped_inside, 0);
}

TEST(GroundTruth, ParsesOpenalprLines) {
  auto truth = parseGroundTruth("eu1.jpg\t396\t340\t203\t46\tM5XSX\r\n");
  ASSERT_TRUE(truth) << truth.status().message();
  EXPECT_EQ(truth->file, "eu1.jpg");
  EXPECT_EQ(truth->box, cv::Rect(396, 340, 203, 46));
  EXPECT_EQ(truth->plate, "M5XSX");
  EXPECT_EQ(formatGroundTruth(*truth), "eu1.jpg\t396\t340\t203\t46\tM5XSX\n");
  auto spaced = parseGroundTruth("a.jpg\t1\t2\t3\t4\t123 ABC 02");
  ASSERT_TRUE(spaced);
  EXPECT_EQ(spaced->plate, "123 ABC 02");
}

TEST(GroundTruth, RejectsBrokenLines) {
  for (const char* bad :
       {"", "a.jpg 1 2 3 4 X", "a.jpg\t1\t2\t3\tX", "a.jpg\t1\t2\t3\t4\t", "\t1\t2\t3\t4\tX",
        "a.jpg\t-1\t2\t3\t4\tX", "a.jpg\t1\t2\t3\t4\tX\nb", "a.jpg\t99999999999\t2\t3\t4\tX"}) {
    EXPECT_FALSE(parseGroundTruth(bad)) << bad;
  }
}

TEST(PlateEval, LevenshteinAndBoxes) {
  EXPECT_EQ(levenshtein("123ABC02", "123ABC02"), 0);
  EXPECT_EQ(levenshtein("123ABC02", "123ABCO2"), 1);
  EXPECT_EQ(levenshtein("", "ABC"), 3);
  EXPECT_TRUE(boxMatches(cv::Rect(100, 100, 200, 50), cv::Rect(110, 105, 180, 40)));
  EXPECT_FALSE(boxMatches(cv::Rect(100, 100, 200, 50), cv::Rect(600, 400, 200, 50)));
  EvalTally tally;
  PlateResult read;
  read.plate = "123ABC02";
  read.box = cv::Rect(100, 100, 200, 50);
  EXPECT_TRUE(tally.add("123 ABC 02", cv::Rect(100, 100, 200, 50), read, 10));
  EXPECT_FALSE(tally.add("A777BC77", cv::Rect(0, 0, 10, 10), std::nullopt, 30));
  tally.addError();
  const nlohmann::json summary = tally.summary();
  EXPECT_EQ(summary["images"], 2);
  EXPECT_EQ(summary["errors"], 1);
  EXPECT_DOUBLE_EQ(summary["exact"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(summary["detected"].get<double>(), 0.5);
}

PlateResult readOf(const std::string& plate, float confidence) {
  PlateResult r;
  r.plate = plate;
  r.confidence = confidence;
  for (char c : plate) r.alternatives.push_back(CharRead{{{c, 0.9f}}});
  return r;
}

TEST(PlateFusion, MajorityOfSuccessiveFramesWinsAndTheVehicleIsDeliveredOnce) {
  using namespace std::chrono_literals;
  PlateFusion fusion(1000ms);
  const auto t0 = std::chrono::steady_clock::time_point{} + 1h;
  fusion.add(readOf("123ABC02", 0.9f), t0, 1000);
  fusion.add(readOf("123ABC08", 0.6f), t0 + 100ms, 1100);  // one misread frame
  fusion.add(readOf("123ABC02", 0.8f), t0 + 200ms, 1200);  // rear camera
  fusion.add(readOf("A777BC77", 0.9f), t0 + 300ms, 1300);  // another vehicle
  EXPECT_EQ(fusion.openTracks(), 2u);
  EXPECT_TRUE(fusion.flush(t0 + 900ms).empty());
  const auto fused = fusion.flush(t0 + 1250ms);
  ASSERT_EQ(fused.size(), 1u);
  EXPECT_EQ(fused[0].plate, "123ABC02");
  EXPECT_EQ(fused[0].reads, 3);
  EXPECT_EQ(fused[0].first_wall_ms, 1000);
  ASSERT_EQ(fused[0].alternatives.size(), 8u);
  ASSERT_GE(fused[0].alternatives[7].top.size(), 2u);
  EXPECT_EQ(fused[0].alternatives[7].top[1].c, '8');
  const auto second = fusion.flush(t0 + 1400ms);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].plate, "A777BC77");

  // A vehicle that stays in view: delivered once after 3 gaps, then silent until it leaves.
  for (int i = 0; i < 40; ++i) {
    fusion.add(readOf("555XYZ01", 0.9f), t0 + 2s + i * 100ms, 5000);
    const auto out = fusion.flush(t0 + 2s + i * 100ms);
    if (i == 30) {
      ASSERT_EQ(out.size(), 1u) << i;
      EXPECT_EQ(out[0].plate, "555XYZ01");
    } else {
      EXPECT_TRUE(out.empty()) << i;
    }
  }
  EXPECT_TRUE(fusion.flush(t0 + 10s).empty());
  EXPECT_EQ(fusion.openTracks(), 0u);
}

class ReaderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto reader = PlateReader::create({});
    ASSERT_TRUE(reader) << reader.status().message();
    reader_ = *reader;
  }
  static void TearDownTestSuite() { reader_.reset(); }
  static std::shared_ptr<const PlateReader> reader_;
};
std::shared_ptr<const PlateReader> ReaderTest::reader_;

TEST_F(ReaderTest, SceneGeneratorIsDeterministic) {
  auto a = sim::renderScene(sim::kHeldOutSeedBase + 7);
  auto b = sim::renderScene(sim::kHeldOutSeedBase + 7);
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(a->jpeg == b->jpeg);
  EXPECT_EQ(a->plate, b->plate);
  EXPECT_EQ(a->box, b->box);
  auto given = sim::renderScene(1, "А 777 ВС 77");
  ASSERT_TRUE(given);
  EXPECT_EQ(given->plate, "A777BC77");
  EXPECT_EQ(given->format, "ru");
}

TEST_F(ReaderTest, CleanScenesReadExactly) {
  for (const char* text : {"123 ABC 02", "А 777 ВС 77", "045 KZ 17", "Y 123 ABC", "E 598 EO 177"}) {
    auto scene = sim::renderScene(42, text, sim::SceneOptions{.degrade = false});
    ASSERT_TRUE(scene);
    const auto read = reader_->read(scene->image);
    ASSERT_TRUE(read) << text;
    EXPECT_EQ(read->plate, scene->plate) << text;
    EXPECT_TRUE(boxMatches(scene->box, read->box)) << text;
    EXPECT_GT(read->confidence, 0.5f) << text;
    EXPECT_EQ(read->alternatives.size(), read->plate.size());
  }
}

// A RU plate's region is printed smaller, in a framed box; blur runs its digits into each other
// and into the frame, and the whole plate's binarisations lose them (a read of the main part and
// a letter or two of smudge, in the KZ 1993 shape). The reader reads the region again where it
// must be, right of the letters, as digits: the plate keeps its shape and its main part, even
// where the blurred digits themselves may be misread.
TEST_F(ReaderTest, BlurredRussianRegionKeepsThePlateRussian) {
  for (const char* text : {"Е 150 ТА 63", "Т 311 ТХ 77", "А 467 МР 197", "Р 747 НН 23",
                           "В 193 ЕО 190", "У 747 ТН 78"}) {
    auto scene = sim::renderScene(7, text, sim::SceneOptions{.degrade = false});
    ASSERT_TRUE(scene);
    cv::Mat image = scene->image.clone();
    const cv::Rect& plate = scene->box;
    const cv::Rect region(plate.x + plate.width * 3 / 4, plate.y, plate.width / 4, plate.height);
    cv::GaussianBlur(image(region), image(region), cv::Size(0, 0), 2.0);
    cv::Mat small;
    cv::resize(image, small, cv::Size(), 0.5, 0.5, cv::INTER_AREA);
    const auto read = reader_->read(small);
    ASSERT_TRUE(read) << text;
    EXPECT_EQ(read->format, "ru") << text << " read " << read->plate;
    EXPECT_EQ(read->plate.substr(0, 6), scene->plate.substr(0, 6)) << text;
  }
}

// Motion blur runs a RU plate's two letters into one blob. The letters are shorter than the
// digits, so by its own height the blob measures three characters wide; cut in three, no format
// fits it (read with that cut alone: E274G5E24, H471CXJ, P562CFC74, P731XC22). The segmenter
// offers the cuts into one fewer and one more as other ways, and the RU format takes the two.
TEST_F(ReaderTest, BlurredRussianLettersRunTogetherReadAsTwo) {
  for (const char* text : {"Е 274 ОЕ 24", "Н 471 ОО 55", "Р 562 ОС 74", "Р 731 ХР 24"}) {
    auto scene = sim::renderScene(7, text, sim::SceneOptions{.degrade = false});
    ASSERT_TRUE(scene);
    cv::Mat image;
    const cv::Mat motion(1, 7, CV_32F, cv::Scalar(1.0 / 7));
    cv::filter2D(scene->image, image, -1, motion);
    cv::Mat small;
    cv::resize(image, small, cv::Size(), 0.4, 0.4, cv::INTER_AREA);
    const auto read = reader_->read(small);
    ASSERT_TRUE(read) << text;
    EXPECT_EQ(read->plate, scene->plate) << text;
  }
}

// A grey car around the plate: lighter than the ink, darker than the plate's paper. Otsu over
// the whole crop takes the car for ink, and the characters, run into the frame by motion blur,
// into the car; the reader thresholds the plate on its own paper's pixels instead (with the
// crop-wide threshold alone, two of these five misread: 371LRE13, T923QJC).
TEST_F(ReaderTest, PlateOnASurroundBetweenInkAndPaperReads) {
  for (const char* text : {"714 EAR 20", "371 LBE 13", "Т 923 ОС 78", "981 UFY 12", "Z 761 WFA"}) {
    auto scene = sim::renderScene(11, text, sim::SceneOptions{.degrade = false});
    ASSERT_TRUE(scene);
    cv::Mat image(scene->image.size(), scene->image.type(), cv::Scalar::all(150));
    const cv::Rect& plate = scene->box;
    scene->image(plate).copyTo(image(plate));
    const cv::Mat motion(1, 5, CV_32F, cv::Scalar(1.0 / 5));
    cv::filter2D(image, image, -1, motion);
    cv::Mat small;
    cv::resize(image, small, cv::Size(), 0.6, 0.6, cv::INTER_AREA);
    const auto read = reader_->read(small);
    ASSERT_TRUE(read) << text;
    EXPECT_EQ(read->plate, scene->plate) << text;
  }
}

TEST_F(ReaderTest, BadBytesAreAnErrorNotACrash) {
  EXPECT_FALSE(reader_->readEncoded(""));
  EXPECT_FALSE(reader_->readEncoded("not an image at all"));
  EXPECT_FALSE(reader_->readEncoded(std::string("\xFF\xD8\xFF\xE0 truncated", 14)));
  EXPECT_FALSE(reader_->read(cv::Mat()));
  EXPECT_FALSE(reader_->read(cv::Mat(10, 10, CV_8UC3, cv::Scalar(255, 255, 255))));
}

// The accuracy floor on a fixed held-out synthetic set (seeds disjoint from anything the model
// saw: it is trained on rendered glyphs and on scenes from seeds 100000..102999 only). Measured
// figures are in docs/BENCHMARKS.md (98.0% exact, 99.7% chars on this set); this only guards
// against regressions, at the 90% the issue names.
TEST_F(ReaderTest, HeldOutSyntheticScenesMeetTheFloor) {
  constexpr int kScenes = 150;
  EvalTally tally;
  for (int i = 0; i < kScenes; ++i) {
    auto scene = sim::renderScene(sim::kHeldOutSeedBase + 500'000 + static_cast<unsigned>(i));
    ASSERT_TRUE(scene);
    tally.add(scene->plate, scene->box, reader_->read(scene->image), 0);
  }
  const nlohmann::json summary = tally.summary();
  std::printf("held-out synthetic: %s\n", summary.dump().c_str());
  EXPECT_GE(summary["detected"].get<double>(), 0.97);
  EXPECT_GE(summary["exact"].get<double>(), 0.90);
  EXPECT_GE(summary["char_accuracy"].get<double>(), 0.96);
}

// kordon-anpr eval: bad files are reported and counted, the summary is the last line.
TEST_F(ReaderTest, EvalCliCountsBadFilesAndPrintsTheSummaryLast) {
  std::string pattern = (std::filesystem::temp_directory_path() / "kordon-eval-XXXXXX").string();
  const std::string dir = mkdtemp(pattern.data());
  auto scene = sim::renderScene(7, "123 ABC 02", sim::SceneOptions{.degrade = false});
  ASSERT_TRUE(scene);
  std::ofstream(dir + "/good.jpg", std::ios::binary) << scene->jpeg;
  std::ofstream(dir + "/good.txt") << formatGroundTruth({"good.jpg", scene->box, "123 ABC 02"});
  std::ofstream(dir + "/corrupt.jpg", std::ios::binary) << scene->jpeg.substr(0, 100);
  std::ofstream(dir + "/corrupt.txt") << "corrupt.jpg\t1\t1\t10\t10\tX1\n";
  std::ofstream(dir + "/badtruth.jpg", std::ios::binary) << scene->jpeg;
  std::ofstream(dir + "/badtruth.txt") << "badtruth.jpg 1 2 3 4 nope\n";
  std::ofstream(dir + "/unlabelled.jpg", std::ios::binary) << scene->jpeg;
  const std::string command =
      std::string(KORDON_BIN_DIR) + "/kordon-anpr eval " + dir + " 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe)) output += buffer;
  EXPECT_EQ(pclose(pipe), 0);
  const std::string last = output.substr(output.rfind('\n', output.size() - 2) + 1);
  const auto summary = nlohmann::json::parse(last, nullptr, false);
  ASSERT_TRUE(summary.is_object()) << output;
  EXPECT_EQ(summary["images"], 1);
  EXPECT_EQ(summary["errors"], 2);
  EXPECT_DOUBLE_EQ(summary["exact"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(summary["detected"].get<double>(), 1.0);
  for (const char* key : {"char_accuracy", "ms_median", "ms_p95"}) {
    EXPECT_TRUE(summary.contains(key)) << key;
  }
  std::filesystem::remove_all(dir);
}

TEST_F(ReaderTest, SharedEuPhotosAreDetected) {
  const auto dir = test::sharedDataDir("plates/eu-dev");
  if (!dir) GTEST_SKIP() << test::kSharedDataMissing;
  EvalTally tally;
  for (const auto& entry : std::filesystem::directory_iterator(*dir)) {
    if (entry.path().extension() != ".txt") continue;
    std::ifstream in(entry.path());
    const std::string line((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto truth = parseGroundTruth(line);
    ASSERT_TRUE(truth) << entry.path() << ": " << truth.status().message();
    std::ifstream image_in(entry.path().parent_path() / truth->file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(image_in)),
                            std::istreambuf_iterator<char>());
    auto read = reader_->readEncoded(bytes);
    ASSERT_TRUE(read) << truth->file << ": " << read.status().message();
    tally.add(truth->plate, truth->box, *read, 0);
  }
  const nlohmann::json summary = tally.summary();
  std::printf("eu-dev: %s\n", summary.dump().c_str());
  // Measured 90.7% detected, 66.7% exact (63-67% over retrainings): floors against
  // regressions, below the aim.
  EXPECT_GE(summary["images"].get<int>(), 50);
  EXPECT_GE(summary["detected"].get<double>(), 0.85);
  EXPECT_GE(summary["exact"].get<double>(), 0.50);
}

}  // namespace
}  // namespace kordon::drivers::anpr
