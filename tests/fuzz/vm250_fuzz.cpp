// SPDX-License-Identifier: Apache-2.0
// Untrusted: the VM-250 line stream from a TCP socket. Feeds the input line by line through one
// parser (state carries across lines), then the whole capture through inspectVm250().
#include <string_view>

#include "drivers/radiation_portal/vm250_parser.hpp"
#include "tests/fuzz/fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzzText(data, size);
  kordon::drivers::Vm250Parser parser;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    (void)parser.feed(text.substr(pos, end - pos));
    pos = end + 1;
  }
  (void)parser.truncate();
  (void)kordon::drivers::inspectVm250(text).dump(-1, ' ', false,
                                                 nlohmann::json::error_handler_t::replace);
  return 0;
}
