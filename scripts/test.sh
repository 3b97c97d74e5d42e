#!/usr/bin/env bash
# Ferry's whole test suite: the browser bundle, formatting and lints, the SAM template's offline
# checks, Rust tests, the browser tests against a real `ferry serve` on a free port with a
# throw-away data directory, and the Lambda artifact (built in the background meanwhile) under
# qemu. Each step's time goes to target/figures/test-times.tsv.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$FERRY_ROOT"

mkdir -p target/figures
export FERRY_TIMES=target/figures/test-times.tsv
printf 'commit\t%s\nstarted\t%s\ncold target\t%s\n' "$(git rev-parse --short HEAD 2>/dev/null || echo -)" \
  "$(date -u +%FT%TZ)" "$([ -d target/debug ] && echo no || echo yes)" >"$FERRY_TIMES"
started=$SECONDS

timed bootstrap scripts/bootstrap.sh --browser

# The browser bundle first: the Lambda artifact carries it, the browser tests load it.
timed "browser bundle" scripts/build-site.sh
# The Lambda artifact (arm64 cross build, release, its own target dir) builds in the
# background while the host side is linted and tested: the two fill each other's idle core.
# Its handlers then run under qemu. FERRY_SKIP_LAMBDA_BUILD=1 skips both; the build's log is
# shown if it fails.
lambda_build=
if [ "${FERRY_SKIP_LAMBDA_BUILD:-}" != 1 ]; then
  lambda_log=target/figures/lambda-build.log
  say "building the Lambda artifact in the background ($lambda_log)"
  timed "Lambda build (in the background)" scripts/build-lambda.sh >"$lambda_log" 2>&1 &
  lambda_build=$!
fi
trap '[ -n "$lambda_build" ] && kill "$lambda_build" 2>/dev/null; true' EXIT

say "cargo fmt --check"
timed fmt cargo fmt --all -- --check
say "cargo clippy (server side, the Lambda-only build, then the browser side)"
timed "clippy, server" cargo clippy -q --workspace --all-targets -- -D warnings
timed "clippy, Lambda" cargo clippy -q -p server --no-default-features --features lambda -- -D warnings
timed "clippy, browser" cargo clippy -q -p app --lib --no-default-features --features hydrate -- -D warnings

timed "template checks" scripts/check-infra.sh

say "Rust tests"
timed "Rust tests" cargo test --workspace

# The browser tests run target/debug/ferry, which `cargo test --workspace` built for the
# integration tests (building it again with `-p server` would recompile the app and server:
# the app is then a dependency, not a member, and its crate types differ).
[ -x target/debug/ferry ] || die "target/debug/ferry is missing after cargo test"
port="$(free_port)"
data_dir="$(mktemp -d -t ferry-e2e.XXXXXX)"
trap 'rm -rf "$data_dir"; [ -n "$lambda_build" ] && kill "$lambda_build" 2>/dev/null; true' EXIT
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
