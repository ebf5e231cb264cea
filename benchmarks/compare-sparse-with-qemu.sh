#!/usr/bin/env bash
# jblock-img vs qemu-img on sparse images (issue "protocols as plugins", hole-aware local files):
# whole-process wall time and CPU time (user + system) of each command, the two tools alternating,
# medians of RUNS runs. jblock-img should run on a JDK 22+ (the launcher takes the newest JDK it
# finds; JBLOCK_JAVA picks one): on JDK 17 local files have no holes and these cases read every byte.
# See benchmarks/README.md.
#
# Environment: RUNS (runs of each tool per case, default 5), WORK (scratch folder; default a folder
# on /dev/shm when it is a tmpfs with room, else under /tmp), JBLOCK_IMG (the jblock-img command
# line to time, default bin/jblock-img).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

RUNS=${RUNS:-5}
command -v qemu-img >/dev/null || { echo "qemu-img is not installed (Debian: qemu-utils)" >&2; exit 1; }
if [ -n "${JBLOCK_IMG:-}" ]; then
  read -r -a JBLOCK <<<"$JBLOCK_IMG"
else
  JBLOCK=("$ROOT/bin/jblock-img")
fi

need_kib=$(( 3 * 1024 * 1024 ))   # 512 MiB of data, its two copies, slack
if [ -z "${WORK:-}" ]; then
  if [ -d /dev/shm ] && [ "$(df -k --output=avail /dev/shm | tail -1)" -gt "$need_kib" ]; then
    WORK=$(mktemp -d /dev/shm/jblock-sparse.XXXXXX)
  else
    WORK=$(mktemp -d /tmp/jblock-sparse.XXXXXX)
  fi
  trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$WORK"
fs=$(df --output=fstype "$WORK" | tail -1)

GIB=$((1 << 30))
# The images: a 32 GiB empty raw; a 4 GiB raw holding 512 MiB of data (8 runs of 64 MiB, holes
# between); a 4 GiB fixed VHD that is all holes (qemu-img makes it sparse); a 127 GiB empty raw.
truncate -s $((32 * GIB)) "$WORK/empty32.raw"
truncate -s $((4 * GIB)) "$WORK/data512.raw"
for i in 0 1 2 3 4 5 6 7; do
  head -c $((64 << 20)) /dev/urandom | dd of="$WORK/data512.raw" bs=1M seek=$((i * 512)) conv=notrunc status=none
done
qemu-img create -q -f vpc -o subformat=fixed "$WORK/fixed4.vhd" 4G
truncate -s $((127 * GIB)) "$WORK/empty127.raw"

# Runs "$@" once; prints "wall cpu" in seconds (cpu: user + system of the process and its
# children); fails the script when the command fails.
measure() {
  local out
  out=$( { TIMEFORMAT='%R %U %S'; time "$@" >"$WORK/last.out" 2>"$WORK/last.err"; } 2>&1 ) \
    || { echo "failed: $*" >&2; cat "$WORK/last.err" >&2; exit 1; }
  awk '{printf "%.3f %.3f\n", $1, $2 + $3}' <<<"$out"
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }

# The start-up allowance: jblock-img --version, median wall time.
"${JBLOCK[@]}" --version >/dev/null   # untimed: the launcher's first start after a build makes its archive
# The timed runs start jblock as an unpacked distribution does: without the clone's check of every
# source against the build (some 10 ms of find per start), which the line above has just made.
export JBLOCK_NO_BUILD=1
starts=()
for ((i = 0; i < RUNS; i++)); do starts+=("$(measure "${JBLOCK[@]}" --version | cut -d' ' -f1)"); done
startup=$(printf '%s\n' "${starts[@]}" | median)

failed=0
# case NAME PREP-FN ARGS... : qemu-img and jblock-img alternately, RUNS times each.
case_() {
  local name=$1 prep=$2; shift 2
  local qw=() qc=() jw=() jc=() i tool
  for ((i = 0; i < RUNS; i++)); do
    for tool in qemu jblock; do
      $prep "$tool"
      local cmd args w c
      if [ "$tool" = qemu ]; then cmd=(qemu-img); else cmd=("${JBLOCK[@]}"); fi
      args=("${@//@TOOL@/$tool}")
      read -r w c < <(measure "${cmd[@]}" "${args[@]}")
      if [ "$tool" = qemu ]; then qw+=("$w"); qc+=("$c"); else jw+=("$w"); jc+=("$c"); fi
    done
  done
  local mqw mqc mjw mjc target verdict
  mqw=$(printf '%s\n' "${qw[@]}" | median); mqc=$(printf '%s\n' "${qc[@]}" | median)
  mjw=$(printf '%s\n' "${jw[@]}" | median); mjc=$(printf '%s\n' "${jc[@]}" | median)
  # Target: within qemu-img's time plus jblock's own start-up, times 1.5.
  target=$(echo "($mqw + $startup) * 1.5" | bc -l)
  if [ "$(echo "$mjw <= $target" | bc -l)" -eq 1 ]; then verdict=met; else verdict=missed; failed=1; fi
  printf '| %-44s | %11.3f s | %10.3f s | %9.3f s | %8.3f s | %7.3f s | %-6s |\n' \
    "$name" "$mqw" "$mqc" "$mjw" "$mjc" "$target" "$verdict"
}

rm_out() { rm -f "$WORK/out-$1.vhd"; }
no_prep() { :; }

echo "jblock-img: ${JBLOCK[*]} ($("${JBLOCK[@]}" --version | head -1))"
echo "on $fs ($WORK), $RUNS runs of each tool per case, alternating; medians"
echo "jblock-img --version (start-up): $startup s; target: (qemu-img wall + start-up) x 1.5"
echo "| case                                         | qemu-img wall | qemu-img cpu | jblock wall | jblock cpu | target    | target |"
echo "|----------------------------------------------|---------------|--------------|-------------|------------|-----------|--------|"
case_ "convert 32 GiB empty raw -> vpc"              rm_out convert -f raw -O vpc "$WORK/empty32.raw" "$WORK/out-@TOOL@.vhd"
qemu-img compare -q -f raw -F vpc "$WORK/empty32.raw" "$WORK/out-jblock.vhd" || { echo "jblock-img's VHD differs" >&2; exit 1; }
[ "$(du -k "$WORK/out-jblock.vhd" | cut -f1)" -lt 4096 ] || { echo "jblock-img's VHD of an empty raw is not sparse" >&2; exit 1; }
case_ "convert 4 GiB raw, 512 MiB data -> vpc"       rm_out convert -f raw -O vpc "$WORK/data512.raw" "$WORK/out-@TOOL@.vhd"
qemu-img compare -q -f raw -F vpc "$WORK/data512.raw" "$WORK/out-jblock.vhd" || { echo "jblock-img's VHD differs" >&2; exit 1; }
case_ "convert 4 GiB all-holes fixed VHD -> vpc"     rm_out convert -f vpc -O vpc "$WORK/fixed4.vhd" "$WORK/out-@TOOL@.vhd"
qemu-img compare -q -f vpc -F vpc "$WORK/fixed4.vhd" "$WORK/out-jblock.vhd" || { echo "jblock-img's VHD differs" >&2; exit 1; }
case_ "compare 127 GiB empty raw with itself"        no_prep compare -f raw -F raw "$WORK/empty127.raw" "$WORK/empty127.raw"
exit "$failed"
