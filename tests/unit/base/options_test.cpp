// SPDX-License-Identifier: Apache-2.0
#include "edge/base/options.hpp"

#include <gtest/gtest.h>

namespace kordon {
namespace {

struct Parsed {
  bool once = false;
  std::string listen = "127.0.0.1:1601";
  int interval_ms = 200;
  std::string mode = "tcp";
  std::vector<std::string> files;
};

OptionParser parserFor(Parsed* p) {
  OptionParser options("kordon-test", "a test program");
  options.flag("--once", "exit after one round", &p->once);
  options.value("--listen", "HOST:PORT", "where to listen", &p->listen);
  options.number("--interval-ms", "N", "the period", 10, 60000, &p->interval_ms);
  options.choice("--mode", "the transport", {"tcp", "rtu"}, &p->mode);
  return options;
}

Status parse(OptionParser& options, std::vector<const char*> args) {
  args.insert(args.begin(), "kordon-test");
  return options.parse(static_cast<int>(args.size()), args.data());
}

TEST(OptionParser, SetsWhatItIsGivenAndKeepsTheRest) {
  Parsed p;
  OptionParser options = parserFor(&p);
  ASSERT_TRUE(parse(options, {"--once", "--listen", "0.0.0.0:9", "--interval-ms=50"}));
  EXPECT_TRUE(p.once);
  EXPECT_EQ(p.listen, "0.0.0.0:9");
  EXPECT_EQ(p.interval_ms, 50);
  EXPECT_EQ(p.mode, "tcp");  // not given: the default stays
}

TEST(OptionParser, NamesTheFirstBadArgument) {
  Parsed p;
  OptionParser options = parserFor(&p);
  EXPECT_EQ(parse(options, {"--interval-ms", "5"}).message(),
            "kordon-test: --interval-ms 5: expected 10..60000");
  EXPECT_EQ(parse(options, {"--interval-ms", "fast"}).message(),
            "kordon-test: --interval-ms fast: expected an integer");
  EXPECT_EQ(parse(options, {"--mode", "udp"}).message(),
            "kordon-test: --mode udp: expected tcp|rtu");
  EXPECT_EQ(parse(options, {"--bogus"}).message(), "kordon-test: unknown option --bogus");
  EXPECT_EQ(parse(options, {"--listen"}).message(), "kordon-test: --listen needs HOST:PORT");
  EXPECT_EQ(parse(options, {"--once=yes"}).message(), "kordon-test: --once takes no value");
  EXPECT_EQ(parse(options, {"stray"}).message(), "kordon-test: unexpected argument stray");
  EXPECT_EQ(p.interval_ms, 200);  // nothing bad was taken
}

TEST(OptionParser, HelpPositionalsAndUsage) {
  Parsed p;
  OptionParser options = parserFor(&p);
  options.positional("FILE", "the inputs", &p.files);
  EXPECT_EQ(parse(options, {"--help"}).message(), OptionParser::kHelp);
  ASSERT_TRUE(parse(options, {"a.n42", "--once", "b.n42"}));
  EXPECT_EQ(p.files, (std::vector<std::string>{"a.n42", "b.n42"}));
  // A second pass over the same arguments (after a config file) gives the same result.
  ASSERT_TRUE(parse(options, {"a.n42", "--once", "b.n42"}));
  EXPECT_EQ(p.files.size(), 2u);
  const std::string usage = options.usage();
  EXPECT_NE(usage.find("usage: kordon-test [options] FILE..."), std::string::npos);
  EXPECT_NE(usage.find("--interval-ms N"), std::string::npos);
  EXPECT_NE(usage.find("the period"), std::string::npos);
}

}  // namespace
}  // namespace kordon
