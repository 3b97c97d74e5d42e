#!/usr/bin/env bash
# Ferry's whole test suite: formatting and lints, the SAM template's offline checks, Rust tests,
# the Lambda artifact build, then the browser tests against a real `ferry serve` on a free port
# with a throw-away data directory. Each step's time goes to target/figures/test-times.tsv.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$FERRY_ROOT"

mkdir -p target/figures
export FERRY_TIMES=target/figures/test-times.tsv
printf 'commit\t%s\nstarted\t%s\ncold target\t%s\n' "$(git rev-parse --short HEAD 2>/dev/null || echo -)" \
  "$(date -u +%FT%TZ)" "$([ -d target/debug ] && echo no || echo yes)" >"$FERRY_TIMES"
started=$SECONDS

timed bootstrap scripts/bootstrap.sh --browser

say "cargo fmt --check"
timed fmt cargo fmt --all -- --check
say "cargo clippy (server side, the Lambda-only build, then the browser side)"
timed "clippy, server" cargo clippy -q --workspace --all-targets -- -D warnings
timed "clippy, Lambda" cargo clippy -q -p server --no-default-features --features lambda -- -D warnings
timed "clippy, browser" cargo clippy -q -p app --lib --no-default-features --features hydrate -- -D warnings

timed "template checks" scripts/check-infra.sh

say "Rust tests"
timed "Rust tests" cargo test --workspace

timed "browser bundle" scripts/build-site.sh
# The Lambda artifact (arm64 cross build) from this tree, and its handlers run under qemu:
# FERRY_SKIP_LAMBDA_BUILD=1 skips both.
if [ "${FERRY_SKIP_LAMBDA_BUILD:-}" != 1 ]; then
  timed "Lambda build" scripts/build-lambda.sh
  timed "Lambda tests under qemu" scripts/test-lambda-artifact.sh
fi
say "building the server for the browser tests"
timed "server build" cargo build -p server --bin ferry

port="$(free_port)"
data_dir="$(mktemp -d -t ferry-e2e.XXXXXX)"
trap 'rm -rf "$data_dir"' EXIT
say "browser tests (Playwright, Chromium) against http://127.0.0.1:$port"
browser_tests() {
  (cd end2end && FERRY_E2E_PORT="$port" FERRY_E2E_DATA_DIR="$data_dir" npx playwright test)
}
timed "browser tests" browser_tests
printf 'total\t%s\n' "$((SECONDS - started))" >>"$FERRY_TIMES"
say "test suite passed in $((SECONDS - started)) s (steps: $FERRY_TIMES)"
