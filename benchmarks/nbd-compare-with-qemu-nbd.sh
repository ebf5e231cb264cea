#!/usr/bin/env bash
# jblock-nbd vs qemu-nbd serving the same VHD, alternating runs: nbdcopy of the export to null:
# (throughput, every connection nbdcopy opens) and fio's nbd engine, 4 KiB random reads at queue
# depth 16 (request rate); then, for the NBD client, jblock-img convert vs qemu-img convert of the
# VHD that qemu-nbd serves raw. Each run starts its server afresh (JVM start and warm-up included for
# jblock-nbd, but not timed: only the client is). Beside the client's figures, the CPU time the
# server process used for the work (user + system, from /proc), which a busy machine disturbs less
# than wall time. See benchmarks/README.md.
#
# Environment: RUNS (pairs of runs, default 5), SIZE_MIB (virtual size, default 2048), DATA_PERCENT
# (share of the disk holding data, default 90), FIO_SECONDS (default 10), SHARED (the servers' -e,
# default 4: nbdcopy uses that many connections when the server allows several), WORK (scratch
# folder, default on /dev/shm when it has room), JBLOCK_NBD (the command, default bin/jblock-nbd),
# CLIENT_ONLY (set: only the convert part).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

RUNS=${RUNS:-5}
SIZE_MIB=${SIZE_MIB:-2048}
DATA_PERCENT=${DATA_PERCENT:-90}
FIO_SECONDS=${FIO_SECONDS:-10}
SHARED=${SHARED:-4}
for tool in qemu-img qemu-nbd nbdcopy fio; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed (Debian: qemu-utils libnbd-bin fio)" >&2; exit 1; }
done
if [ -n "${JBLOCK_NBD:-}" ]; then
  read -r -a JBLOCK <<<"$JBLOCK_NBD"
else
  JBLOCK=("$ROOT/bin/jblock-nbd")
fi

if [ -z "${WORK:-}" ]; then
  if [ -d /dev/shm ] && [ "$(df -k --output=avail /dev/shm | tail -1)" -gt $(( SIZE_MIB * 1024 * 3 )) ]; then
    WORK=$(mktemp -d /dev/shm/jblock-nbd-bench.XXXXXX)
  else
    WORK=$(mktemp -d /tmp/jblock-nbd-bench.XXXXXX)
  fi
  cleanup_work=1
fi
mkdir -p "$WORK"
server=
cleanup() {
  [ -z "$server" ] || kill "$server" 2>/dev/null || true
  [ -z "${cleanup_work:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

# --- a dynamic VHD: DATA_PERCENT of its 2 MiB blocks hold random data, the rest were never written ---
VHD="$WORK/disk.vhd"
if [ ! -e "$VHD" ]; then
  /usr/bin/python3 "$ROOT/benchmarks/make-dynamic-vhd.py" "$WORK/disk.raw" "$SIZE_MIB" "$DATA_PERCENT"
  qemu-img convert -f raw -O vpc "$WORK/disk.raw" "$VHD"
  rm -f "$WORK/disk.raw"
fi
SOCK="$WORK/nbd.sock"
URI="nbd+unix:///?socket=$SOCK"

start_server() {  # $1: qemu or jblock
  rm -f "$SOCK"
  if [ "$1" = qemu ]; then
    qemu-nbd -r -t -e "$SHARED" -f vpc -k "$SOCK" "$VHD" </dev/null >/dev/null 2>>"$WORK/servers.log" &
  else
    "${JBLOCK[@]}" -r -t -e "$SHARED" -f vpc -k "$SOCK" "$VHD" </dev/null >/dev/null 2>>"$WORK/servers.log" &
  fi
  server=$!
  for _ in $(seq 600); do
    [ -S "$SOCK" ] && nbdinfo --size "$URI" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "the $1 server did not start:" >&2
  cat "$WORK/servers.log" >&2
  exit 1
}

stop_server() {
  kill "$server"
  wait "$server" 2>/dev/null || true
  server=
}

# CPU time (user + system, in clock ticks) the server has used so far.
server_ticks() {
  awk '{print $14 + $15}' "/proc/$server/stat"
}

copy_seconds() {
  local start end
  start=$(date +%s.%N)
  nbdcopy "$URI" null:
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}

fio_iops() {
  fio --name=randread --ioengine=nbd --uri="$URI" --rw=randread --bs=4k --iodepth=16 \
    --runtime="$FIO_SECONDS" --time_based --output-format=json 2>/dev/null \
    | /usr/bin/python3 -c 'import json,sys; s=sys.stdin.read(); print(round(json.loads(s[s.index("{"):])["jobs"][0]["read"]["iops"]))'
}

bytes=$(qemu-img info --output=json -f vpc "$VHD" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["virtual-size"])')
echo "image: $(du -m "$VHD" | cut -f1) MiB VHD, virtual size $bytes bytes, on $(df --output=fstype "$WORK" | tail -1)"
hz=$(getconf CLK_TCK)
if [ -z "${CLIENT_ONLY:-}" ]; then
  printf '%-4s %-7s %9s %10s %9s %10s %9s %11s\n' run server "copy1 s" "copy1 cpu" "copy2 s" "copy2 cpu" "fio IOPS" "fio cpu/1k"
  for run in $(seq "$RUNS"); do
    for server_kind in qemu jblock; do
      start_server "$server_kind"
      before=$(server_ticks)
      first=$(copy_seconds)
      first_cpu=$(echo "scale=3; ($(server_ticks) - $before) / $hz" | bc)
      before=$(server_ticks)
      second=$(copy_seconds)
      copy_cpu=$(echo "scale=3; ($(server_ticks) - $before) / $hz" | bc)
      before=$(server_ticks)
      iops=$(fio_iops)
      fio_cpu=$(echo "scale=5; ($(server_ticks) - $before) * 1000 / $hz / ($iops * $FIO_SECONDS)" | bc)
      stop_server
      printf '%-4s %-7s %9.3f %10.2f %9.3f %10.2f %9s %11.4f\n' "$run" "$server_kind" "$first" "$first_cpu" "$second" \
        "$copy_cpu" "$iops" "$fio_cpu"
    done
  done
  echo "copy: seconds of nbdcopy (the first run after the server starts, then a second one) and the"
  echo "server's CPU seconds for each; fio: reads per second, and the server's CPU seconds per 1000 reads."
fi

# --- the client side: convert of the VHD that qemu-nbd serves raw, qemu-img vs jblock-img ---
JBLOCK_IMG=("$(dirname "${JBLOCK[0]}")/jblock-img")
"${JBLOCK_IMG[@]}" --version >/dev/null  # a launcher whose build is stale builds now, not in the first run
# The timed runs start jblock as an unpacked distribution does: without the clone's check of every
# source against the build (some 10 ms of find per start), which the line above has just made.
export JBLOCK_NO_BUILD=1
echo
echo "convert -f vpc -O vpc from the export that 'qemu-nbd -f raw' serves (whole-process seconds, the"
echo "client's CPU seconds, user + system, and the server's CPU seconds for the convert):"
printf '%-4s %9s %8s %8s %11s %8s %8s\n' run qemu-img cpu server jblock-img cpu server
rm -f "$SOCK"
qemu-nbd -r -t -e "$SHARED" -f raw -k "$SOCK" "$VHD" </dev/null >/dev/null 2>>"$WORK/servers.log" &
server=$!
for _ in $(seq 600); do
  [ -S "$SOCK" ] && break
  sleep 0.05
done
timed() {  # prints: wall seconds, client CPU seconds, server CPU seconds
  local before times
  rm -f "$WORK/out.vhd"
  before=$(server_ticks)
  times=$( { TIMEFORMAT='%R %U %S'; time "$@" >/dev/null; } 2>&1 | tail -1)
  echo "$times" | awk -v s="$(( $(server_ticks) - before ))" -v hz="$hz" '{printf "%.3f %.2f %.2f", $1, $2 + $3, s / hz}'
}
for run in $(seq "$RUNS"); do
  read -r qs qc qsrv <<<"$(timed qemu-img convert -f vpc -O vpc "$URI" "$WORK/out.vhd")"
  read -r js jc jsrv <<<"$(timed "${JBLOCK_IMG[@]}" convert -f vpc -O vpc "$URI" "$WORK/out.vhd")"
  printf '%-4s %9s %8s %8s %11s %8s %8s\n' "$run" "$qs" "$qc" "$qsrv" "$js" "$jc" "$jsrv"
done
stop_server
rm -f "$WORK/out.vhd"
