// SPDX-License-Identifier: Apache-2.0
#include "drivers/anpr_camera/multipart.hpp"

#include <random>
#include <string>

#include <gtest/gtest.h>

namespace kordon::drivers {
namespace {

using namespace std::string_literals;

// Golden body in the camera's shape: XML part, then a binary part whose bytes include CR, LF,
// NUL and a "--" that is not a delimiter.
const std::string kBinaryJpeg = "\xFF\xD8\r\n--not-a-boundary\r\n\0\n\r\xFF\xD9"s;
const std::string kGoldenBody =
    "--MIME_boundary\r\n"
    "Content-Disposition: form-data; name=\"anpr.xml\"; filename=\"anpr.xml\"\r\n"
    "Content-Type: application/xml\r\n"
    "Content-Length: 9\r\n"
    "\r\n"
    "<a>1</a>\n"
    "\r\n--MIME_boundary\r\n"
    "content-disposition: form-data; name=\"licensePlatePicture.jpg\"; "
    "filename=\"licensePlatePicture.jpg\"\r\n"
    "CONTENT-TYPE: image/jpeg\r\n"
    "\r\n" +
    kBinaryJpeg + "\r\n--MIME_boundary--\r\n";

TEST(Multipart, ParsesGoldenBodyWithUnquotedBoundary) {
  auto parts = parseMultipart("multipart/form-data; boundary=MIME_boundary", kGoldenBody);
  ASSERT_TRUE(parts) << parts.status().message();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "anpr.xml");
  EXPECT_EQ((*parts)[0].filename, "anpr.xml");
  EXPECT_EQ((*parts)[0].content_type, "application/xml");
  EXPECT_EQ((*parts)[0].body, "<a>1</a>\n");
  EXPECT_EQ((*parts)[1].name, "licensePlatePicture.jpg");
  EXPECT_EQ((*parts)[1].filename, "licensePlatePicture.jpg");
  EXPECT_EQ((*parts)[1].content_type, "image/jpeg");
  EXPECT_EQ((*parts)[1].body, kBinaryJpeg);
}

TEST(Multipart, ParsesQuotedBoundaryWithParametersAndCase) {
  const std::string body =
      "--a; b=c\r\n"
      "Content-Disposition: form-data; name=\"x\"\r\n\r\n"
      "hello\r\n--a; b=c--";
  auto parts = parseMultipart("Multipart/Form-Data; charset=utf-8; Boundary=\"a; b=c\"", body);
  ASSERT_TRUE(parts) << parts.status().message();
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ((*parts)[0].name, "x");
  EXPECT_EQ((*parts)[0].filename, "");
  EXPECT_EQ((*parts)[0].content_type, "");
  EXPECT_EQ((*parts)[0].body, "hello");
}

TEST(Multipart, SkipsPreambleAndEpilogue) {
  const std::string body =
      "This is the preamble. --B is mentioned but not at a line start.\r\n"
      "--B\r\n"
      "Content-Type: text/plain\r\n\r\n"
      "one\r\n"
      "--B  \r\n"  // transport padding after the boundary is allowed
      "\r\n"       // a part without headers
      "two\r\n"
      "--B--\r\n"
      "epilogue --B\r\n--B\r\n junk";
  auto parts = parseMultipart("multipart/mixed; boundary=B", body);
  ASSERT_TRUE(parts) << parts.status().message();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].content_type, "text/plain");
  EXPECT_EQ((*parts)[0].body, "one");
  EXPECT_EQ((*parts)[1].body, "two");
}

TEST(Multipart, EmptyPartBodyIsAllowed) {
  auto parts = parseMultipart("multipart/form-data; boundary=B",
                              "--B\r\nContent-Type: image/jpeg\r\n\r\n\r\n--B--");
  ASSERT_TRUE(parts) << parts.status().message();
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ((*parts)[0].body, "");
}

TEST(Multipart, UnfoldsContinuationHeaderLines) {
  auto parts = parseMultipart("multipart/form-data; boundary=B",
                              "--B\r\nContent-Disposition: form-data;\r\n name=\"folded\"\r\n\r\n"
                              "x\r\n--B--");
  ASSERT_TRUE(parts) << parts.status().message();
  EXPECT_EQ((*parts)[0].name, "folded");
}

TEST(Multipart, MissingClosingDelimiterIsAnError) {
  const std::string truncated = kGoldenBody.substr(0, kGoldenBody.size() - 4);  // drop "--\r\n"
  auto parts = parseMultipart("multipart/form-data; boundary=MIME_boundary", truncated);
  ASSERT_FALSE(parts);
  EXPECT_NE(parts.status().message().find("closing delimiter"), std::string::npos)
      << parts.status().message();

  auto cut_in_content = parseMultipart("multipart/form-data; boundary=MIME_boundary",
                                       kGoldenBody.substr(0, kGoldenBody.size() / 2));
  ASSERT_FALSE(cut_in_content);
  EXPECT_NE(cut_in_content.status().message().find("closing delimiter"), std::string::npos)
      << cut_in_content.status().message();
}

TEST(Multipart, MissingBoundaryParameterIsAnError) {
  for (const char* header : {"multipart/form-data",
                             "multipart/form-data; boundary=", "multipart/form-data; boundary=\"\"",
                             "multipart/form-data; charset=x"}) {
    auto parts = parseMultipart(header, kGoldenBody);
    ASSERT_FALSE(parts) << header;
    EXPECT_NE(parts.status().message().find("no boundary"), std::string::npos)
        << parts.status().message();
  }
}

TEST(Multipart, RejectsNonMultipartContentType) {
  auto parts = parseMultipart("application/xml; boundary=MIME_boundary", kGoldenBody);
  ASSERT_FALSE(parts);
  EXPECT_NE(parts.status().message().find("not multipart"), std::string::npos);
}

TEST(Multipart, OpeningBoundaryNotFoundIsAnError) {
  auto parts = parseMultipart("multipart/form-data; boundary=other", kGoldenBody);
  ASSERT_FALSE(parts);
  EXPECT_NE(parts.status().message().find("opening boundary"), std::string::npos);
}

TEST(Multipart, UnterminatedQuotedBoundaryIsAnError) {
  auto parts = parseMultipart("multipart/form-data; boundary=\"MIME_boundary", kGoldenBody);
  ASSERT_FALSE(parts);
  EXPECT_NE(parts.status().message().find("unterminated"), std::string::npos);
}

TEST(Multipart, MalformedHeaderLineIsAnError) {
  auto parts =
      parseMultipart("multipart/form-data; boundary=B", "--B\r\nno colon here\r\n\r\nx\r\n--B--");
  ASSERT_FALSE(parts);
  EXPECT_NE(parts.status().message().find("malformed header"), std::string::npos);
}

TEST(Multipart, CloseWithoutPartsIsAnError) {
  auto parts = parseMultipart("multipart/form-data; boundary=B", "--B--\r\n");
  ASSERT_FALSE(parts);
  EXPECT_NE(parts.status().message().find("no parts"), std::string::npos);
}

TEST(Multipart, EnforcesPartAndHeaderLimits) {
  std::string body;
  for (int i = 0; i < 5; ++i) body += "--B\r\n\r\npart\r\n";
  body += "--B--";
  MultipartLimits limits;
  limits.max_parts = 4;
  auto too_many = parseMultipart("multipart/form-data; boundary=B", body, limits);
  ASSERT_FALSE(too_many);
  EXPECT_NE(too_many.status().message().find("more than 4 parts"), std::string::npos);

  limits = MultipartLimits{};
  limits.max_header_block_bytes = 32;
  const std::string big_header = "--B\r\nX-Long: " + std::string(100, 'a') + "\r\n\r\nx\r\n--B--";
  auto too_big = parseMultipart("multipart/form-data; boundary=B", big_header, limits);
  ASSERT_FALSE(too_big);
  EXPECT_NE(too_big.status().message().find("header block larger"), std::string::npos);
}

// Every prefix of a valid body must be rejected cleanly, never read past the end (ASan builds
// turn an out-of-bounds read into a failure here).
TEST(Multipart, EveryTruncationFailsCleanly) {
  for (std::size_t n = 0; n + 1 < kGoldenBody.size(); ++n) {
    const std::string prefix = kGoldenBody.substr(0, n);
    auto parts = parseMultipart("multipart/form-data; boundary=MIME_boundary", prefix);
    // Only prefixes that already contain the complete close delimiter may succeed.
    if (parts) {
      EXPECT_GE(n, kGoldenBody.size() - 2) << n;
    }
  }
}

// Deterministic mutations of the golden body: any outcome is fine except a crash or an
// out-of-bounds read (caught by the asan-ubsan preset).
TEST(Multipart, SurvivesRandomMutations) {
  std::mt19937 rng(20261125);
  constexpr char kInteresting[] = {'\r', '\n', '-', '"', ';', '=', ':', ' ', '\0', 'B'};
  std::size_t accepted = 0;
  for (int round = 0; round < 5000; ++round) {
    std::string body = kGoldenBody;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !body.empty(); ++e) {
      const std::size_t at = rng() % body.size();
      switch (rng() % 3) {
        case 0:
          body[at] = kInteresting[rng() % sizeof kInteresting];
          break;
        case 1:
          body.erase(at, 1 + rng() % 8);
          break;
        default:
          body.insert(at, 1, kInteresting[rng() % sizeof kInteresting]);
      }
    }
    auto parts = parseMultipart("multipart/form-data; boundary=MIME_boundary", body);
    if (parts) ++accepted;
  }
  EXPECT_GT(accepted, 0u);  // some mutations land in part bodies and stay valid
}

TEST(Multipart, MediaTypeOfStripsParametersAndLowercases) {
  EXPECT_EQ(mediaTypeOf("Application/XML; charset=UTF-8"), "application/xml");
  EXPECT_EQ(mediaTypeOf("  text/xml  "), "text/xml");
  EXPECT_EQ(mediaTypeOf(""), "");
}

}  // namespace
}  // namespace kordon::drivers
