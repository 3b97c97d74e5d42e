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
# The Lambda artifact (arm64 cross build, release) from this tree, and its handlers run under
# qemu: FERRY_SKIP_LAMBDA_BUILD=1 skips both. The build runs beside the browser tests (it
# needs the site just built; they need none of it), and its log is shown if it fails.
lambda_build=
if [ "${FERRY_SKIP_LAMBDA_BUILD:-}" != 1 ]; then
  lambda_log=target/figures/lambda-build.log
  timed "Lambda build (beside the browser tests)" scripts/build-lambda.sh >"$lambda_log" 2>&1 &
  lambda_build=$!
fi

# The browser tests run target/debug/ferry, which `cargo test --workspace` built for the
# integration tests (building it again with `-p server` would recompile the app and server:
# the app is then a dependency, not a member, and its crate types differ).
[ -x target/debug/ferry ] || die "target/debug/ferry is missing after cargo test"
port="$(free_port)"
data_dir="$(mktemp -d -t ferry-e2e.XXXXXX)"
trap 'rm -rf "$data_dir"; [ -n "$lambda_build" ] && kill "$lambda_build" 2>/dev/null || true' EXIT
say "browser tests (Playwright, Chromium) against http://127.0.0.1:$port"
browser_tests() {
  (cd end2end && FERRY_E2E_PORT="$port" FERRY_E2E_DATA_DIR="$data_dir" npx playwright test)
}
timed "browser tests" browser_tests

if [ -n "$lambda_build" ]; then
  say "waiting for the Lambda build ($lambda_log)"
  wait "$lambda_build" || { cat "$lambda_log"; die "the Lambda build failed"; }
  lambda_build=
  tail -n 3 "$lambda_log"
  timed "Lambda tests under qemu" scripts/test-lambda-artifact.sh
fi
printf 'total\t%s\n' "$((SECONDS - started))" >>"$FERRY_TIMES"
say "test suite passed in $((SECONDS - started)) s (steps: $FERRY_TIMES)"
