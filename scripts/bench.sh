#!/usr/bin/env bash
# Benchmarks (figures, not pass/fail), optimised builds:
#   - `/assets` server-rendering latency against the embedded store with 100 and 100,000
#     assets: target/bench/browse.md;
#   - the upload page's throughput in Chromium against a release `ferry serve` (32 MiB single
#     PUT, 256 MiB multipart), hashing its checksums and not, beside a bare XHR PUT of the same
#     bytes: target/bench/page-upload.md;
#   - a cold first visit of each page on an emulated slow link, navigation to hydrated:
#     target/bench/first-page.md. With FERRY_BENCH_BASELINE=<commit>, that commit is built
#     too (a worktree in $TMPDIR/ferry-bench-baseline: outside this tree, so this tree's
#     .cargo/config.toml does not reach it; its own target dir, slow the first time) and
#     served beside this tree, and the visits of both take turns.
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
pids=()
stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$data" "${base_data:-}"
}
trap stop_all EXIT
# serve <ferry binary> <site root> <data dir> <port>: a release Ferry, once it answers.
serve() {
  FERRY_ADDR="127.0.0.1:$4" FERRY_DATA_DIR="$3" FERRY_SITE_ROOT="$2" RUST_LOG=error "$1" serve &
  pids+=($!)
  for _ in $(seq 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$4/" 2>/dev/null && return
    sleep 0.2
  done
  die "ferry on port $4 did not start"
}
serve target/release/ferry "$FERRY_ROOT/target/site" "$data" "$port"
(cd end2end && node bench/page-upload.mjs "http://127.0.0.1:$port" "$FERRY_ROOT/target/bench/page-upload.md")
say "first visit on a slow link (release ferry serve, Chromium with network throttling)"
targets=()
if [ -n "${FERRY_BENCH_BASELINE:-}" ]; then
  rev="$(git rev-parse --short "$FERRY_BENCH_BASELINE^{commit}")"
  tree="${TMPDIR:-/tmp}/ferry-bench-baseline"
  say "building $rev in $tree to visit beside this tree"
  if [ -e "$tree/.git" ]; then
    git -C "$tree" checkout -q --detach "$rev"
  else
    git worktree add -q --detach "$tree" "$rev"
  fi
  # The baseline's build-site.sh looks for binaryen's wasm-opt in its own end2end/.
  [ -e "$tree/end2end/node_modules" ] || ln -s "$FERRY_ROOT/end2end/node_modules" "$tree/end2end/node_modules"
  (cd "$tree" && unset CARGO_TARGET_DIR && scripts/build-site.sh && cargo build --release -p server --bin ferry)
  base_data="$(mktemp -d)"
  base_port="$(free_port)"
  serve "$tree/target/release/ferry" "$tree/target/site" "$base_data" "$base_port"
  targets+=("$rev=http://127.0.0.1:$base_port")
fi
targets+=("$(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo '+changes')=http://127.0.0.1:$port")
(cd end2end && node bench/first-page.mjs "$FERRY_ROOT/target/bench/first-page.md" "${targets[@]}")
