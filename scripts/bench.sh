#!/usr/bin/env bash
# Benchmarks (figures, not pass/fail), optimised builds:
#   - `/assets` server-rendering latency against the embedded store with 100 and 100,000
#     assets: target/bench/browse.md;
#   - the upload page's throughput in Chromium against a release `ferry serve` (32 MiB single
#     PUT, 256 MiB multipart), hashing its checksums and not, beside a bare XHR PUT of the same
#     bytes: target/bench/page-upload.md;
#   - a cold first visit of each page on an emulated slow link, navigation to hydrated:
#     target/bench/first-page.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$FERRY_ROOT"
mkdir -p target/bench

say "cargo bench -p server --bench browse (optimised build; seeding 100,000 assets takes a while)"
RUST_LOG="${RUST_LOG:-error}" cargo bench -p server --bench browse

say "upload page throughput (release ferry serve, Chromium)"
scripts/build-site.sh
cargo build --release -p server --bin ferry
data="$(mktemp -d)"
port="$(free_port)"
FERRY_ADDR="127.0.0.1:$port" FERRY_DATA_DIR="$data" FERRY_SITE_ROOT="$FERRY_ROOT/target/site" \
  RUST_LOG=error target/release/ferry serve &
ferry=$!
trap 'kill "$ferry" 2>/dev/null; wait "$ferry" 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && break
  sleep 0.2
done
(cd end2end && node bench/page-upload.mjs "http://127.0.0.1:$port" "$FERRY_ROOT/target/bench/page-upload.md")
say "first visit on a slow link (release ferry serve, Chromium with network throttling)"
(cd end2end && node bench/first-page.mjs "http://127.0.0.1:$port" "$FERRY_ROOT/target/bench/first-page.md")
