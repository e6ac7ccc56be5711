#!/usr/bin/env bash
# Load test of `bouncedx serve`: wrk (Debian's package) against loopback,
# POST /v1/diagnose with one reply, for 60 seconds at full load (2 threads,
# 32 connections). Prints requests/s, latency percentiles and any errors;
# book/src/service.md quotes the figures.
#
#   bench/serve-load.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null
cargo build --release -q
work=$(mktemp -d)
port=18099
./target/release/bouncedx serve --listen 127.0.0.1:$port --max-concurrency 1024 2> "$work/serve.log" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done
cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/plain"
wrk.body = "550 5.7.1 Service unavailable; Client host [192.0.2.7] blocked using zen.spamhaus.org"
LUA
wrk -t2 -c32 -d"${secs}s" --latency -s "$work/post.lua" http://127.0.0.1:$port/v1/diagnose
echo
curl -s http://127.0.0.1:$port/metrics | grep -E 'requests_total\{endpoint="diagnose"'
