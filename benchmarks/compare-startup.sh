#!/usr/bin/env bash
# Whole-process time of `jblock-img info` of a small VHD by two launchers, side by side: RUNS runs
# each, the two alternating (so that a busy moment of the machine hits both), then the medians of
# the wall time and of the CPU time (which a busy machine disturbs less). Needs GNU time (/usr/bin/time).
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

# One run of "$@": its wall time and its CPU time (user + system), in milliseconds.
measure() {
  /usr/bin/time -f '%e %U %S' -o "$work/time" "$@" >/dev/null 2>&1
  awk '{ printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000 }' "$work/time"
}

median() {
  sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

: >"$work/old"
: >"$work/new"
for _ in $(seq "$RUNS"); do
  measure "$old" info "$work/disk.vhd" >>"$work/old"
  measure "$new" info "$work/disk.vhd" >>"$work/new"
done
for which in old new; do
  printf '%-4s wall median %4s ms (min %4s)   CPU median %4s ms   %s runs\n' "$which" \
    "$(cut -d' ' -f1 "$work/$which" | median)" "$(cut -d' ' -f1 "$work/$which" | sort -n | head -1)" \
    "$(cut -d' ' -f2 "$work/$which" | median)" "$RUNS"
done
