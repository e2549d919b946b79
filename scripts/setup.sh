#!/usr/bin/env bash
# Installs every Debian 12 package Kordon needs, then configures and builds (build/bin/).
# Idempotent: packages already present are not touched and a second run only rebuilds what
# changed. Run as root on a fresh machine; as a user it works once the packages are there.
#
#   scripts/setup.sh              # release build (RelWithDebInfo) in build/
#   KORDON_PRESET=asan-ubsan scripts/setup.sh   # sanitizer build in build-asan/
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  # toolchain
  g++ cmake ninja-build ccache pkg-config git clang-format
  # libraries (the stack is fixed: Boost.Asio/Beast, libmodbus, OpenCV, SQLite, Paho, GoogleTest)
  libboost-dev libmodbus-dev libgpiod-dev libsqlite3-dev libpaho-mqttpp-dev libpaho-mqtt-dev libsystemd-dev
  libtomlplusplus-dev nlohmann-json3-dev libpugixml-dev libssl-dev
  libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev libdcmtk-dev
  # ANPR (issue 6): OpenCV ml (character MLP), objdetect (HOG, plate cascade), videoio (RTSP
  # and HTTP frames); FreeType + DejaVu, Liberation and Roboto to render the training glyphs
  # and synthetic plates; opencv-data for the Haar plate cascade
  libopencv-ml-dev libopencv-objdetect-dev libopencv-videoio-dev opencv-data libfreetype-dev
  fonts-dejavu-core fonts-liberation2 fonts-roboto-unhinted
  libgtest-dev libgmock-dev
  # kordon-central's PostgreSQL store (libpqxx), and the server its tests start themselves
  libpqxx-dev postgresql
  # run time and tests: the broker, its clients, sqlite3 for inspection, curl for the demo
  mosquitto mosquitto-clients sqlite3 curl
  # HIL: socat links two ptys into a null-modem cable for serial devices (Modbus RTU, Toledo);
  # openssl makes the test CA and certificates for the TLS and ACL tests
  socat openssl
  # HIL: DCMTK's own storescu is the stock DICOM client the X-ray SCP test sends with
  dcmtk
  # HIL: libfaketime steps kordond's wall clock (not its monotonic one) for the clock tests
  libfaketime
)
# The ANPR benchmark's baseline only (scripts/bench-anpr.sh), not needed to build or test:
#   KORDON_BENCH=1 scripts/setup.sh
[[ ${KORDON_BENCH:-0} == 1 ]] && PACKAGES+=(tesseract-ocr tesseract-ocr-eng)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup.sh: these packages are missing and installing them needs root: ${missing[*]}" >&2
    exit 1
  fi
  echo "setup.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

preset=${KORDON_PRESET:-release}
binary_dir=build
[[ $preset == asan-ubsan ]] && binary_dir=build-asan
[[ $preset == tsan ]] && binary_dir=build-tsan
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
# Relative paths in the cache key, so a fresh clone elsewhere (CI) reuses earlier compiles.
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1
if [[ ! -f $binary_dir/CMakeCache.txt ]]; then
  cmake --preset "$preset" >/dev/null
fi
# Two cores: more parallel C++ jobs than that only thrashes (Beast and OpenCV headers are big).
cmake --build "$binary_dir" --parallel "${KORDON_JOBS:-2}"
echo "setup.sh: built $binary_dir/bin: $(ls "$binary_dir/bin" | tr '\n' ' ')"
