#!/usr/bin/env bash
# Ferry's whole test suite: formatting and lints, the SAM template's offline checks, Rust tests,
# the Lambda artifact build, then the browser tests against a real `ferry serve` on a free port
# with a throw-away data directory.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$FERRY_ROOT"

scripts/bootstrap.sh --browser

say "cargo fmt --check"
cargo fmt --all -- --check
say "cargo clippy (server side, the Lambda-only build, then the browser side)"
cargo clippy -q --workspace --all-targets -- -D warnings
cargo clippy -q -p server --no-default-features --features lambda -- -D warnings
cargo clippy -q -p app --lib --no-default-features --features hydrate -- -D warnings

scripts/check-infra.sh

say "Rust tests"
cargo test --workspace

scripts/build-site.sh
# The Lambda artifact (arm64 cross build) from this tree, and its handlers run under qemu:
# FERRY_SKIP_LAMBDA_BUILD=1 skips both.
if [ "${FERRY_SKIP_LAMBDA_BUILD:-}" != 1 ]; then
  scripts/build-lambda.sh
  scripts/test-lambda-artifact.sh
fi
say "building the server for the browser tests"
cargo build -p server --bin ferry

port="$(free_port)"
data_dir="$(mktemp -d -t ferry-e2e.XXXXXX)"
trap 'rm -rf "$data_dir"' EXIT
say "browser tests (Playwright, Chromium) against http://127.0.0.1:$port"
cd end2end
FERRY_E2E_PORT="$port" FERRY_E2E_DATA_DIR="$data_dir" npx playwright test
