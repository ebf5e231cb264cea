#!/usr/bin/env bash
# Whole-process time of `jblock-img info` of a small VHD by two launchers, side by side: RUNS runs
# each, the two alternating (so that a busy moment of the machine hits both), then the medians.
#
#   benchmarks/compare-startup.sh OLD_JBLOCK_IMG NEW_JBLOCK_IMG     e.g. an older checkout's bin/jblock-img
#   RUNS=41 benchmarks/compare-startup.sh ...
#
# Each launcher runs once untimed first (a first start may build, or make its start-up cache).
set -euo pipefail
RUNS=${RUNS:-21}
[ $# -eq 2 ] || { echo "usage: $0 OLD_JBLOCK_IMG NEW_JBLOCK_IMG" >&2; exit 2; }
old=$1
new=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$new" create -q -f vpc "$work/disk.vhd" 64M
"$old" info "$work/disk.vhd" >/dev/null
"$new" info "$work/disk.vhd" >/dev/null

# Milliseconds one run of "$@" takes, start to exit.
elapsed() {
  local start end
  start=$(date +%s%N)
  "$@" >/dev/null 2>&1
  end=$(date +%s%N)
  echo $(((end - start) / 1000000))
}

median() {
  sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

: >"$work/old"
: >"$work/new"
for _ in $(seq "$RUNS"); do
  elapsed "$old" info "$work/disk.vhd" >>"$work/old"
  elapsed "$new" info "$work/disk.vhd" >>"$work/new"
done
printf '%-8s median %4s ms  (min %s, max %s, %s runs)\n' \
  old "$(median <"$work/old")" "$(sort -n "$work/old" | head -1)" "$(sort -n "$work/old" | tail -1)" "$RUNS" \
  new "$(median <"$work/new")" "$(sort -n "$work/new" | head -1)" "$(sort -n "$work/new" | tail -1)" "$RUNS"
