#!/usr/bin/env bash
# jblock-img vs qemu-img, side by side on the same files: whole-process wall time of convert (JVM
# start included) and the "Run completed in" figures of bench. See benchmarks/README.md.
#
# Environment: RUNS (runs of each tool per pair, default 5), SIZE_MIB (image size, default 2048),
# WORK (scratch folder; default a folder on /dev/shm when it is a tmpfs with room, else under /tmp),
# BENCH_COUNT (requests per bench run, default 300000), JBLOCK_IMG (the jblock-img command line to
# time, default bin/jblock-img; e.g. to try JVM flags: JBLOCK_IMG="java -XX:TieredStopAtLevel=1 ...").
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

RUNS=${RUNS:-5}
SIZE_MIB=${SIZE_MIB:-2048}
BENCH_COUNT=${BENCH_COUNT:-300000}
command -v qemu-img >/dev/null || { echo "qemu-img is not installed (Debian: qemu-utils)" >&2; exit 1; }

# --- jblock-img: the command in JBLOCK_IMG, else the launcher ---
if [ -n "${JBLOCK_IMG:-}" ]; then
  read -r -a JBLOCK <<<"$JBLOCK_IMG"
else
  # The launcher builds jblock when the build is missing or older than the sources.
  JBLOCK=("$ROOT/bin/jblock-img")
fi

# --- scratch space, preferably tmpfs so that the disk does not decide the figures ---
need_kib=$(( SIZE_MIB * 1024 * 7 ))
if [ -z "${WORK:-}" ]; then
  if [ -d /dev/shm ] && [ "$(df -k --output=avail /dev/shm | tail -1)" -gt "$need_kib" ]; then
    WORK=$(mktemp -d /dev/shm/jblock-bench.XXXXXX)
  else
    WORK=$(mktemp -d /tmp/jblock-bench.XXXXXX)
  fi
  trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$WORK"
fs=$(df --output=fstype "$WORK" | tail -1)

# --- the source image: random data, explicit zero runs, scattered 4 KiB writes, a large hole ---
SRC="$WORK/mixed.raw"
/usr/bin/python3 - "$SRC" "$SIZE_MIB" <<'PY'
import os, random, sys
path, size_mib = sys.argv[1], int(sys.argv[2])
MIB = 1 << 20
rng = random.Random(20261121)
pool = rng.randbytes(8 * MIB)
zeros = bytes(16 * MIB)
data_end = size_mib * 3 // 4          # the last quarter stays a hole: a large zero stretch
with open(path, "wb") as f:
    f.truncate(size_mib * MIB)
    for region in range(0, data_end, 64):  # each 64 MiB: 32 random, 16 zero, 16 scattered
        f.seek(region * MIB)
        for i in range(4):  # rotations of the pool, so that no two MiB are alike
            at = (region * 4099 + i * 777) % len(pool)
            f.write(pool[at:] + pool[:at])
        f.write(zeros)
        for k in range(16 * MIB // (64 << 10)):
            if rng.random() < 0.5:
                f.seek((region + 48) * MIB + k * (64 << 10))
                f.write(pool[k * 4096 % (8 * MIB - 4096):][:4096])
PY

qemu-img convert -f raw -O vpc "$SRC" "$WORK/src.vhd"

now() { date +%s.%N; }

# Runs "$@" once, prints its wall time in seconds; fails the script when the command fails.
wall() {
  local t0 t1
  t0=$(now)
  "$@" >"$WORK/last.out" 2>"$WORK/last.err" || { echo "failed: $*" >&2; cat "$WORK/last.err" >&2; exit 1; }
  t1=$(now)
  echo "$t1 - $t0" | bc -l
}

# The figure of bench's "Run completed in N seconds." line of the last run.
completed() { sed -n 's/^Run completed in \([0-9.]*\) seconds\./\1/p' "$WORK/last.out"; }

median() { sort -g | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }

results=()
# pair NAME KIND PREP-FN ARGS... : runs qemu-img and jblock-img alternately RUNS times each.
pair() {
  local name=$1 kind=$2 prep=$3; shift 3
  local q=() j=() i
  for ((i = 0; i < RUNS; i++)); do
    for tool in qemu jblock; do
      $prep "$tool"
      local cmd
      if [ "$tool" = qemu ]; then cmd=(qemu-img); else cmd=("${JBLOCK[@]}"); fi
      local args=("${@//@TOOL@/$tool}")
      local t
      t=$(wall "${cmd[@]}" "${args[@]}")
      [ "$kind" = bench ] && t=$(completed)
      if [ "$tool" = qemu ]; then q+=("$t"); else j+=("$t"); fi
    done
  done
  local mq mj
  mq=$(printf '%s\n' "${q[@]}" | median)
  mj=$(printf '%s\n' "${j[@]}" | median)
  if [ "$kind" = bench ]; then
    # Same request count: the rate ratio jblock/qemu-img is the inverse of the time ratio.
    results+=("$(printf '| %-34s | %9.3f s | %9.3f s | %6.2fx rate | %s |' "$name" "$mq" "$mj" "$(echo "$mq / $mj" | bc -l)" "${RUNS} runs each, bench time")")
  else
    results+=("$(printf '| %-34s | %9.3f s | %9.3f s | %6.2fx time | %s |' "$name" "$mq" "$mj" "$(echo "$mj / $mq" | bc -l)" "${RUNS} runs each, whole process")")
  fi
  echo "${results[-1]}"
}

no_prep() { :; }
rm_vhd() { rm -f "$WORK/out-$1.vhd"; }
rm_raw() { rm -f "$WORK/out-$1.raw"; }
copy_vhd() { cp --sparse=always "$WORK/src.vhd" "$WORK/copy-$1.vhd"; }

# One untimed start first: the launcher makes its class-data archive on the first start after a
# build, and that one-off cost is not what the pairs measure.
"${JBLOCK[@]}" --version >/dev/null
# The timed runs start jblock as an unpacked distribution does: without the clone's check of every
# source against the build (some 10 ms of find per start), which the line above has just made.
export JBLOCK_NO_BUILD=1

echo "jblock-img: ${JBLOCK[*]}"
echo "jblock-img vs qemu-img: ${SIZE_MIB} MiB image on $fs ($WORK), $RUNS runs of each tool per pair, alternating"
echo "| pair                               |  qemu-img   | jblock-img  | jblock/qemu   | measured |"
echo "|------------------------------------|-------------|-------------|---------------|----------|"
pair "convert -f raw -O vpc"             time rm_vhd convert -f raw -O vpc "$SRC" "$WORK/out-@TOOL@.vhd"
pair "convert -f vpc -O raw"             time rm_raw convert -f vpc -O raw "$WORK/src.vhd" "$WORK/out-@TOOL@.raw"
pair "bench 4k read, -d 1"               bench no_prep bench -f vpc -c "$BENCH_COUNT" -d 1 -s 4k "$WORK/src.vhd"
pair "bench 4k write, -d 1 (a copy)"     bench copy_vhd bench -f vpc -w -c "$BENCH_COUNT" -d 1 -s 4k "$WORK/copy-@TOOL@.vhd"
pair "bench 4k read, -d 1, -S 1M"        bench no_prep bench -f vpc -c "$BENCH_COUNT" -d 1 -s 4k -S 1M "$WORK/src.vhd"

# The outputs are checked, so that a fast wrong answer cannot pass for a result.
qemu-img compare -q -f raw -F vpc "$SRC" "$WORK/out-jblock.vhd" || { echo "jblock-img's VHD differs from the source" >&2; exit 1; }
qemu-img compare -q -f raw -F raw "$SRC" "$WORK/out-jblock.raw" || { echo "jblock-img's raw differs from the source" >&2; exit 1; }
echo "outputs of jblock-img are identical to the source by qemu-img compare"
