#!/usr/bin/env bash
# jblock-img vs qemu-img converting a VHD that nginx serves over HTTP on 127.0.0.1 (issue "protocols
# as plugins", HTTP(S) reads): whole-process wall time and CPU time (user + system) of
# `convert -f vpc -O raw URL out.raw`, the two tools alternating, medians of RUNS runs; beside them
# curl fetching the whole file once per run (what the bytes alone cost) and jblock-img converting
# the same VHD as a local file (what the copy costs without the network). The script starts nginx
# itself on an ephemeral port and stops it at the end. See benchmarks/README.md.
#
# qemu-img reads http:// through QEMU's curl driver (Debian: qemu-block-extra). qemu-img 7.2's
# driver sometimes stops making progress for good (measured: about one run in three against nginx
# on 127.0.0.1; `-m 1` avoids it at some cost): a qemu-img run that takes longer than
# QEMU_TIMEOUT seconds is stopped, counted and run again, and only finished runs are timed.
#
# Environment: RUNS (runs of each tool, default 7), SIZE_MIB (virtual size, default 512),
# DATA_PERCENT (share of its 2 MiB blocks holding data, default 40), QEMU_TIMEOUT (default 5),
# WORK (scratch folder; default on /dev/shm when it has room), JBLOCK_IMG (the command line to
# time, default bin/jblock-img), JBLOCK_IMG_BEFORE (another jblock-img command line, e.g. an older
# build's, timed in the same alternation as "jblock-img (before)").
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

RUNS=${RUNS:-7}
SIZE_MIB=${SIZE_MIB:-512}
DATA_PERCENT=${DATA_PERCENT:-40}
QEMU_TIMEOUT=${QEMU_TIMEOUT:-5}
for tool in qemu-img curl; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed (Debian: qemu-utils curl)" >&2; exit 1; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "nginx is not installed (Debian: nginx-light)" >&2; exit 1; }
if [ -n "${JBLOCK_IMG:-}" ]; then
  read -r -a JBLOCK <<<"$JBLOCK_IMG"
else
  JBLOCK=("$ROOT/bin/jblock-img")
fi
BEFORE=()
[ -z "${JBLOCK_IMG_BEFORE:-}" ] || read -r -a BEFORE <<<"$JBLOCK_IMG_BEFORE"

if [ -z "${WORK:-}" ]; then
  if [ -d /dev/shm ] && [ "$(df -k --output=avail /dev/shm | tail -1)" -gt $(( SIZE_MIB * 1024 * 4 )) ]; then
    WORK=$(mktemp -d /dev/shm/jblock-http-bench.XXXXXX)
  else
    WORK=$(mktemp -d /tmp/jblock-http-bench.XXXXXX)
  fi
  cleanup_work=1
fi
mkdir -p "$WORK/www" "$WORK/nginx"
server=
cleanup() {
  [ -z "$server" ] || kill "$server" 2>/dev/null || true
  [ -z "${cleanup_work:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

# --- a dynamic VHD: DATA_PERCENT of its 2 MiB blocks hold random data, the rest were never written ---
VHD="$WORK/www/disk.vhd"
/usr/bin/python3 "$ROOT/benchmarks/make-dynamic-vhd.py" "$WORK/disk.raw" "$SIZE_MIB" "$DATA_PERCENT" 20261201
qemu-img convert -f raw -O vpc "$WORK/disk.raw" "$VHD"
qemu-img convert -f vpc -O raw "$VHD" "$WORK/expected.raw"
rm -f "$WORK/disk.raw"

# --- nginx on 127.0.0.1, a free port (another process may take it first: try again) ---
start_nginx() {
  local attempt port
  for attempt in 1 2 3 4 5; do
    port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    cat >"$WORK/nginx/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx/client_body;
    proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;
    default_type application/octet-stream;
    server {
        listen 127.0.0.1:$port;
        root $WORK/www;
    }
}
EOF
    "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" </dev/null >/dev/null 2>&1 &
    server=$!
    for _ in $(seq 100); do
      if curl -sf -o /dev/null -r 0-0 "http://127.0.0.1:$port/disk.vhd"; then
        URL="http://127.0.0.1:$port/disk.vhd"
        return 0
      fi
      kill -0 "$server" 2>/dev/null || break
      sleep 0.05
    done
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    server=
  done
  echo "nginx did not start: $(cat "$WORK/nginx/error.log" 2>/dev/null)" >&2
  exit 1
}
start_nginx

# Runs "$@" once; prints "wall cpu" in seconds (cpu: user + system of the process and its
# children), or "timeout" when it ran longer than $LIMIT seconds (LIMIT unset: no limit);
# fails the script when the command fails.
measure() {
  local out rc=0
  out=$( { TIMEFORMAT='%R %U %S'; time timeout "${LIMIT:-0}" "$@" >"$WORK/last.out" 2>"$WORK/last.err"; } 2>&1 ) || rc=$?
  if [ "$rc" -eq 124 ]; then echo timeout; return 0; fi
  [ "$rc" -eq 0 ] || { echo "failed: $*" >&2; cat "$WORK/last.err" >&2; exit 1; }
  awk '{printf "%.3f %.3f\n", $1, $2 + $3}' <<<"$out"
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }

"${JBLOCK[@]}" --version >/dev/null   # untimed: the launcher's first start after a build makes its archive
[ ${#BEFORE[@]} -eq 0 ] || "${BEFORE[@]}" --version >/dev/null
# The timed runs start jblock as an unpacked distribution does: without the clone's check of every
# source against the build (some 10 ms of find per start), which the line above has just made.
export JBLOCK_NO_BUILD=1
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
qw=() qc=() jw=() jc=() bw=() bc=() cw=() cc=() lw=() lc=() hangs=0
for ((i = 0; i < RUNS; i++)); do
  read -r w c < <(measure curl -sf -o "$WORK/curl.out" "$URL")
  cw+=("$w"); cc+=("$c")
  while true; do
    rm -f "$WORK/out-qemu.raw"
    result=$(LIMIT=$QEMU_TIMEOUT measure qemu-img convert -f vpc -O raw "$URL" "$WORK/out-qemu.raw")
    if [ "$result" = timeout ]; then hangs=$((hangs + 1)); continue; fi
    read -r w c <<<"$result"; qw+=("$w"); qc+=("$c"); break
  done
  rm -f "$WORK/out-jblock.raw"
  read -r w c < <(measure "${JBLOCK[@]}" convert -f vpc -O raw "$URL" "$WORK/out-jblock.raw")
  jw+=("$w"); jc+=("$c")
  rm -f "$WORK/out-local.raw"
  read -r w c < <(measure "${JBLOCK[@]}" convert -f vpc -O raw "$VHD" "$WORK/out-local.raw")
  lw+=("$w"); lc+=("$c")
  if [ ${#BEFORE[@]} -gt 0 ]; then
    rm -f "$WORK/out-before.raw"
    read -r w c < <(measure "${BEFORE[@]}" convert -f vpc -O raw "$URL" "$WORK/out-before.raw")
    bw+=("$w"); bc+=("$c")
  fi
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
cmp -s "$WORK/expected.raw" "$WORK/out-jblock.raw" || { echo "jblock-img's copy differs from the image" >&2; exit 1; }
cmp -s "$WORK/expected.raw" "$WORK/out-qemu.raw" || { echo "qemu-img's copy differs from the image" >&2; exit 1; }

vhd_mib=$(( $(stat -c %s "$VHD") >> 20 ))
echo "jblock-img: ${JBLOCK[*]} ($("${JBLOCK[@]}" --version | head -1)); $(qemu-img --version | head -1)"
echo "a ${SIZE_MIB} MiB dynamic VHD (${vhd_mib} MiB file, ${DATA_PERCENT}% of its blocks data) served by nginx on 127.0.0.1;"
echo "$RUNS runs of each, alternating; medians; load average $load_before before, $load_after after"
echo "qemu-img runs stopped after ${QEMU_TIMEOUT} s without finishing (and run again): $hangs"
echo "| work                                   | wall      | cpu       |"
echo "|----------------------------------------|-----------|-----------|"
printf '| %-38s | %7.3f s | %7.3f s |\n' "curl: the whole file" "$(printf '%s\n' "${cw[@]}" | median)" "$(printf '%s\n' "${cc[@]}" | median)"
printf '| %-38s | %7.3f s | %7.3f s |\n' "qemu-img convert -f vpc -O raw URL" "$(printf '%s\n' "${qw[@]}" | median)" "$(printf '%s\n' "${qc[@]}" | median)"
printf '| %-38s | %7.3f s | %7.3f s |\n' "jblock-img convert -f vpc -O raw URL" "$(printf '%s\n' "${jw[@]}" | median)" "$(printf '%s\n' "${jc[@]}" | median)"
printf '| %-38s | %7.3f s | %7.3f s |\n' "jblock-img convert, the local file" "$(printf '%s\n' "${lw[@]}" | median)" "$(printf '%s\n' "${lc[@]}" | median)"
if [ ${#BEFORE[@]} -gt 0 ]; then
  printf '| %-38s | %7.3f s | %7.3f s |\n' "jblock-img (before) convert, the same" "$(printf '%s\n' "${bw[@]}" | median)" "$(printf '%s\n' "${bc[@]}" | median)"
fi
