#!/usr/bin/env bash
# Ferry's whole test suite: formatting, the SAM template's offline checks, the host build with
# its lints and the Rust tests, clippy for the Lambda and browser feature sets, the browser
# bundle, the Lambda artifact and its handlers under qemu, then the browser tests against a
# real `ferry serve` on a free port with a throw-away data directory. Each step's time goes to
# target/figures/test-times.tsv.
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
timed "template checks" scripts/check-infra.sh

# Clippy runs inside the host build that compiles the code for the tests anyway:
# clippy-driver compiles the workspace's own crates (what `cargo clippy` does for a check),
# with -D warnings, so no dependency is compiled twice, once to lint and again to test. The
# shipped artifacts (browser bundle, Lambda) are built by plain rustc (clippy-driver turns MIR
# optimisations off), and their feature sets are linted by `cargo clippy`.
clippy_driver="$(command -v clippy-driver)" || die "clippy-driver is missing (rustup component add clippy)"
host() {
  RUSTC_WORKSPACE_WRAPPER="$clippy_driver" CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__" "$@"
}

say "host build with clippy (every target), then the Rust tests"
timed "host build and clippy" host cargo test --workspace --all-targets --no-run
timed "Rust tests" host cargo test --workspace
say "cargo clippy (the Lambda-only build, the browser side)"
timed "clippy, Lambda" cargo clippy -q -p server --no-default-features --features lambda -- -D warnings
timed "clippy, browser" cargo clippy -q -p app --lib --no-default-features --features hydrate -- -D warnings

timed "browser bundle" scripts/build-site.sh
timed "bundle budget" scripts/check-bundle.sh
# The Lambda artifact (arm64 cross build) from this tree, and its handlers run under qemu
# (reusing the host build above): FERRY_SKIP_LAMBDA_BUILD=1 skips both.
if [ "${FERRY_SKIP_LAMBDA_BUILD:-}" != 1 ]; then
  timed "Lambda build" scripts/build-lambda.sh
  timed "Lambda tests under qemu" host scripts/test-lambda-artifact.sh
fi

# The browser tests run target/debug/ferry, which `cargo test --workspace` built for the
# integration tests (building it again with `-p server` would recompile the app and server:
# the app is then a dependency, not a member, and its crate types differ).
[ -x target/debug/ferry ] || die "target/debug/ferry is missing after cargo test"
# Ferries without sign-in and with FERRY_AUTH=oidc, and the test OpenID Connect
# issuer (end2end/oidc/provider.mjs, npm oidc-provider, installed by bootstrap with the rest).
# A third Ferry takes only a few upload tickets a minute (the fair-use test).
read -r port auth_port oidc_port limited_port < <(free_ports 4)
data_dir="$(mktemp -d -t ferry-e2e.XXXXXX)"
auth_data_dir="$(mktemp -d -t ferry-e2e-auth.XXXXXX)"
limited_data_dir="$(mktemp -d -t ferry-e2e-limited.XXXXXX)"
trap 'rm -rf "$data_dir" "$auth_data_dir" "$limited_data_dir"' EXIT
say "browser tests (Playwright, Chromium) against http://127.0.0.1:$port and, signed in, http://127.0.0.1:$auth_port (issuer http://127.0.0.1:$oidc_port)"
browser_tests() {
  (cd end2end && FERRY_E2E_PORT="$port" FERRY_E2E_DATA_DIR="$data_dir" \
    FERRY_E2E_AUTH_PORT="$auth_port" FERRY_E2E_AUTH_DATA_DIR="$auth_data_dir" \
    FERRY_E2E_OIDC_PORT="$oidc_port" FERRY_E2E_LIMITED_PORT="$limited_port" \
    FERRY_E2E_LIMITED_DATA_DIR="$limited_data_dir" npx playwright test)
}
timed "browser tests" browser_tests
printf 'total\t%s\n' "$((SECONDS - started))" >>"$FERRY_TIMES"
say "test suite passed in $((SECONDS - started)) s (steps: $FERRY_TIMES)"
