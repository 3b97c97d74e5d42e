#!/usr/bin/env bash
# Benchmarks (figures, not pass/fail), optimised builds, each writing target/bench/<name>.md,
# and all of them together in target/bench/report.md:
#   - uploads: uploads/s and server CPU per upload through the REST flow (create, PUT, S3
#     event recorded) at 1,000 and at 100,000 assets, and `ferry serve`'s first answer after
#     start and idle RSS (server/benches/uploads.rs; FERRY_BENCH_UPLOADS=<n> for fewer);
#   - lambda: both Lambda handlers' init (start to the first Runtime API `next`) and cold and
#     warm invocation durations, through an emulated Runtime API (server/benches/lambda.rs);
#   - transfer: the upload page in Chromium against a release `ferry serve` (32 MiB single PUT,
#     256 MiB multipart), hashing and not, beside a bare XHR PUT from the same page, boto3's
#     `upload_file` (the infra tools' virtualenv) and `curl -T` (end2end/bench/page-upload.mjs);
#   - browse: `/assets` server-rendering latency with 100 and 100,000 assets;
#   - reconcile: `ferry reconcile` with 100,000 objects, 1% drifted and then none
#     (server/benches/reconcile.rs; FERRY_BENCH_OBJECTS=<n> for fewer);
#   - lighthouse: Lighthouse's four scores and main metrics for each page, mobile and desktop
#     presets, against a release `ferry serve` with 31 assets (end2end/bench/lighthouse.mjs);
#   - first-page: a cold first visit of each page on an emulated slow link, navigation to
#     hydrated. With FERRY_BENCH_BASELINE=<commit>, that commit is built too (a worktree in
#     $TMPDIR/ferry-bench-baseline: outside this tree, so this tree's .cargo/config.toml does
#     not reach it; its own target dir, slow the first time) and served beside this tree, and
#     the visits of both take turns.
# Usage: scripts/bench.sh [uploads lambda transfer browse reconcile lighthouse first-page]
# (default: all).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$FERRY_ROOT"
mkdir -p target/bench

ALL=(uploads lambda transfer browse reconcile lighthouse first-page)
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=("${ALL[@]}")
for s in "${steps[@]}"; do
  [[ " ${ALL[*]} " == *" $s "* ]] || die "unknown benchmark '$s' (one of: ${ALL[*]})"
done
wants() { [[ " ${steps[*]} " == *" $1 "* ]]; }

pids=()
dirs=()
stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for d in "${dirs[@]}"; do rm -rf "$d"; done
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
# A release Ferry of this tree on a fresh data dir: sets $port and $data.
serve_this_tree() {
  [ -z "${port:-}" ] || return 0
  scripts/build-site.sh
  cargo build --release -p server --bin ferry
  data="$(mktemp -d)"
  dirs+=("$data")
  port="$(free_port)"
  serve target/release/ferry "$FERRY_ROOT/target/site" "$data" "$port"
}

if wants uploads; then
  say "uploads through the REST flow (cargo bench -p server --bench uploads; 100,000 uploads take minutes)"
  RUST_LOG="${RUST_LOG:-error}" cargo bench -p server --bench uploads
fi

if wants lambda; then
  say "Lambda handlers' init and invocation durations (cargo bench -p server --bench lambda)"
  RUST_LOG="${RUST_LOG:-error}" cargo bench -p server --bench lambda
fi

if wants transfer; then
  say "the upload page beside XHR, boto3 and curl (release ferry serve, Chromium)"
  tools="$(scripts/infra-tools.sh)"
  serve_this_tree
  (cd end2end && FERRY_BENCH_DATA_DIR="$data" FERRY_BENCH_PYTHON="$tools/python" \
    node bench/page-upload.mjs "http://127.0.0.1:$port" "$FERRY_ROOT/target/bench/page-upload.md")
fi

if wants browse; then
  say "cargo bench -p server --bench browse (optimised build; seeding 100,000 assets takes a while)"
  RUST_LOG="${RUST_LOG:-error}" cargo bench -p server --bench browse
fi

if wants reconcile; then
  say "cargo bench -p server --bench reconcile (100,000 objects put first: minutes)"
  RUST_LOG="${RUST_LOG:-error}" cargo bench -p server --bench reconcile
fi

if wants lighthouse; then
  say "Lighthouse, mobile and desktop, on each page (release ferry serve, Chromium)"
  # A Ferry of its own: the audit's 31 assets, not the other benchmarks'.
  serve_this_tree
  lh_data="$(mktemp -d)"
  dirs+=("$lh_data")
  lh_port="$(free_port)"
  serve target/release/ferry "$FERRY_ROOT/target/site" "$lh_data" "$lh_port"
  (cd end2end && node bench/lighthouse.mjs "http://127.0.0.1:$lh_port" "$FERRY_ROOT/target/bench/lighthouse.md")
fi

if wants first-page; then
  say "first visit on a slow link (release ferry serve, Chromium with network throttling)"
  serve_this_tree
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
    dirs+=("$base_data")
    base_port="$(free_port)"
    serve "$tree/target/release/ferry" "$tree/target/site" "$base_data" "$base_port"
    targets+=("$rev=http://127.0.0.1:$base_port")
  fi
  targets+=("$(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo '+changes')=http://127.0.0.1:$port")
  (cd end2end && node bench/first-page.mjs "$FERRY_ROOT/target/bench/first-page.md" "${targets[@]}")
fi

# One report: every benchmark's latest figures, each saying when it was measured.
report=target/bench/report.md
{
  echo "# Ferry benchmarks"
  echo
  echo "Written by \`scripts/bench.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'), at" \
    "$(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo ' with changes'), on" \
    "$(nproc) cores; figures, never pass or fail. Ratios compare runs made side by side."
  for name in uploads lambda page-upload browse reconcile lighthouse first-page; do
    file="target/bench/$name.md"
    [ -f "$file" ] || continue
    echo
    sed 's/^# /## /' "$file"
    echo
    echo "_(\`target/bench/$name.md\`, measured $(date -u -r "$file" '+%Y-%m-%d %H:%M UTC'))_"
  done
} >"$report"
say "all figures: $report"
