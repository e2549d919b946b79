#!/usr/bin/env bash
# ANPR benchmark (issue 6): the plate reader on held-out synthetic scenes and on the shared real
# EU photos, and, in the same run on the same photos, the baseline: a plain Haar cascade
# (Debian opencv-data) + tesseract (Debian tesseract-ocr, tesseract-ocr-eng). Figures go to
# docs/BENCHMARKS.md, section "ANPR plate reader". Pinned to one core; the machine should be as
# quiet as you can get it.
#
#   scripts/bench-anpr.sh [BUILD_DIR (default build)] [SCENES (default 2000)]
# Needs: kordon-anpr and kordon-plate-scenes built; tesseract on PATH for the baseline (the
# baseline is skipped with a message otherwise); ../shared/data or $KORDON_SHARED_DATA for the
# real photos (skipped with a message otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
scenes=${2:-2000}
bin=$build/bin
one_core=(taskset -c 0)
command -v taskset >/dev/null || one_core=()
work=$(mktemp -d /tmp/kordon-bench-anpr.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "== synthetic: $scenes held-out scenes (seeds 1000000..), 1280x720"
"$bin/kordon-plate-scenes" --out "$work/scenes" --count "$scenes" --first-seed 1000000
"${one_core[@]}" "$bin/kordon-anpr" eval "$work/scenes" >"$work/synthetic.jsonl"
tail -n 1 "$work/synthetic.jsonl"

shared=${KORDON_SHARED_DATA:-$(cd .. && pwd)/shared/data}
eu=$shared/plates/eu-dev
if [[ ! -d $eu ]]; then
  echo "== eu-dev: skipped ($eu not found; set KORDON_SHARED_DATA)"
  exit 0
fi
echo "== eu-dev: kordon-anpr"
"${one_core[@]}" "$bin/kordon-anpr" eval "$eu" >"$work/eu.jsonl"
tail -n 1 "$work/eu.jsonl"

echo "== eu-dev: baseline (plain Haar cascade + tesseract --psm 7)"
if ! command -v tesseract >/dev/null; then
  echo "baseline skipped: tesseract not installed (apt-get install tesseract-ocr tesseract-ocr-eng)"
  exit 0
fi
start=$(date +%s%N)
"${one_core[@]}" "$bin/kordon-anpr" haar "$eu" "$work/crops" >"$work/haar.jsonl"
images=0 detected=0 exact=0
while IFS= read -r line; do
  file=$(sed -n 's/.*"file":"\([^"]*\)".*/\1/p' <<<"$line")
  truth=$(sed -n 's/.*"truth":"\([^"]*\)".*/\1/p' <<<"$line" | tr -cd 'A-Za-z0-9' | tr a-z A-Z)
  images=$((images + 1))
  [[ $line == *'"detected":true'* ]] && detected=$((detected + 1))
  crop=$work/crops/${file%.*}.png
  [[ -f $crop ]] || continue
  read_text=$("${one_core[@]}" tesseract "$crop" - --psm 7 \
    -c tessedit_char_whitelist=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 2>/dev/null |
    tr -cd 'A-Za-z0-9' | tr a-z A-Z)
  [[ -n $truth && $read_text == "$truth" ]] && exact=$((exact + 1))
done <"$work/haar.jsonl"
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
awk -v n="$images" -v d="$detected" -v e="$exact" -v ms="$elapsed_ms" 'BEGIN {
  printf "{\"images\":%d,\"detected\":%.4f,\"exact\":%.4f,\"ms_mean\":%.1f}\n",
         n, d / n, e / n, ms / n }'
