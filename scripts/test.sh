#!/usr/bin/env bash
# Runs set-up (packages + build), then every test through ctest: unit and HIL (the HIL tests
# start mosquitto, the simulators, kordond and kordon-central as real processes on loopback).
# Exit code is ctest's. Extra arguments go to ctest, e.g. `scripts/test.sh -L unit`.
#
#   KORDON_PRESET=asan-ubsan scripts/test.sh    # the same under ASan+UBSan
#   KORDON_PRESET=tsan scripts/test.sh -L 'unit|hil'   # ThreadSanitizer (clang), unit and HIL
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
binary_dir=build
[[ ${KORDON_PRESET:-release} == asan-ubsan ]] && binary_dir=build-asan
[[ ${KORDON_PRESET:-release} == tsan ]] && binary_dir=build-tsan
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_stack_use_after_return=1:check_initialization_order=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp}
exec ctest --test-dir "$binary_dir" --output-on-failure --parallel "${KORDON_TEST_JOBS:-2}" \
  --timeout 300 "$@"
