#!/usr/bin/env bash
# Fuzzes every parser target with libFuzzer (clang, ASan+UBSan) for a fixed time each.
# Seeds come from tests/fuzz/corpus/<target>/; new corpus entries stay in build-fuzz/corpus/,
# crashes land in build-fuzz/artifacts/. Add a crashing input to the seed corpus once fixed:
# ctest then replays it on every run (fuzz_corpus.* tests, label "fuzz").
#
#   scripts/fuzz.sh                 # 60 s per target
#   KORDON_FUZZ_SECONDS=600 scripts/fuzz.sh event_fuzz multipart_fuzz
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
if ! command -v clang++ >/dev/null || ! dpkg-query -W libclang-rt-14-dev >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends clang libclang-rt-14-dev >/dev/null
fi
seconds=${KORDON_FUZZ_SECONDS:-60}
targets=("$@")
if ((${#targets[@]} == 0)); then
  # Every target listed in tests/fuzz/CMakeLists.txt (KORDON_FUZZ_TARGETS).
  mapfile -t targets < <(sed -n 's/^ *\([a-z0-9_]*_fuzz\):.*/\1/p' tests/fuzz/CMakeLists.txt)
fi
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -g"
# Simulators on: their parsers of what clients send them have targets too (only the fuzz
# targets are built).
if [[ ! -f build-fuzz/CMakeCache.txt ]] || grep -q "KORDON_BUILD_SIMULATORS:BOOL=OFF" build-fuzz/CMakeCache.txt; then
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DKORDON_FUZZ=ON -DKORDON_BUILD_SIMULATORS=ON -DCMAKE_C_FLAGS="$flags" \
    -DCMAKE_CXX_FLAGS="$flags" >/dev/null
fi
cmake --build build-fuzz --parallel "${KORDON_JOBS:-2}" --target "${targets[@]}"
mkdir -p build-fuzz/artifacts
status=0
for t in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus/$t"
  echo "== $t: ${seconds}s"
  if ! build-fuzz/fuzz/"$t" -max_total_time="$seconds" -print_final_stats=1 \
      -artifact_prefix="build-fuzz/artifacts/$t-" "build-fuzz/corpus/$t" "tests/fuzz/corpus/$t" \
      2>"build-fuzz/$t.log"; then
    echo "!! $t found a crash; see build-fuzz/$t.log and build-fuzz/artifacts/" >&2
    status=1
  fi
  grep -E "stat::number_of_executed_units|stat::new_units_added" "build-fuzz/$t.log" || true
done
exit $status
