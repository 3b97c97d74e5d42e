#!/usr/bin/env bash
# Installs what Ferry needs to build, run and test; skips whatever is already there.
#   scripts/bootstrap.sh            toolchain for building and running the app
#   scripts/bootstrap.sh --browser  also Chromium for the browser tests
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$FERRY_ROOT"

with_browser=false
[ "${1:-}" = "--browser" ] && with_browser=true

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# 1. The wasm32 std: rustup's target first (quick, but its server is not always reachable),
#    Debian's rustc-web with std sources as the fallback.
apt_wanted=()
if [ "${FERRY_WASM_ROUTE:-}" != debian ] && [ "$(wasm_route)" != rustup ]; then
  say "adding rustup's wasm32-unknown-unknown target"
  timeout 90 rustup target add wasm32-unknown-unknown >/dev/null 2>&1 ||
    say "rustup could not add the wasm32 target: using Debian's rustc-web instead"
fi
# The size-only std of the browser bundle is built from rustup's std sources (rust-src);
# without them the bundle is built with the prebuilt std (larger, still correct).
if [ "$(wasm_route)" = rustup ] && ! rust_src_present; then
  say "adding rustup's rust-src component"
  timeout 90 rustup component add rust-src >/dev/null 2>&1 ||
    say "rustup could not add rust-src: the browser bundle will use the prebuilt std"
fi
if [ "$(wasm_route)" = debian ]; then
  for p in rustc-web cargo-web rust-web-src lld-19; do installed "$p" || apt_wanted+=("$p"); done
fi
if $with_browser; then
  installed chromium || apt_wanted+=(chromium)
fi
command -v gzip >/dev/null || apt_wanted+=(gzip)
if [ ${#apt_wanted[@]} -gt 0 ]; then
  say "installing Debian packages: ${apt_wanted[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${apt_wanted[@]}" >/dev/null
fi

# 2. wasm-bindgen CLI, exactly the version in Cargo.lock.
want="$(locked_wasm_bindgen_version)"
[ -n "$want" ] || die "no wasm-bindgen in Cargo.lock"
have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
if [ "$have" != "$want" ]; then
  say "installing wasm-bindgen-cli $want (a few minutes, once)"
  # --locked first; its lockfile has named versions the registry has since lost, so fall back.
  cargo install -q wasm-bindgen-cli --version "=$want" --locked 2>/dev/null ||
    cargo install -q wasm-bindgen-cli --version "=$want"
fi

# 3. twiggy, for the browser bundle's size report (scripts/build-site.sh).
if ! command -v twiggy >/dev/null; then
  say "installing twiggy (about two minutes, once)"
  cargo install -q twiggy --version 0.8.0 --locked 2>/dev/null ||
    cargo install -q twiggy --version 0.8.0
fi

# 4. JS tools: Playwright, binaryen's wasm-opt (Debian's binaryen corrupts the module) and
#    oidc-provider (the browser tests' OpenID Connect issuer); reinstalled when the lock changes.
stamp=end2end/node_modules/.ferry-lock.sha256
lock_sum="$(sha256sum end2end/package-lock.json | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
  say "installing end2end/ npm packages"
  (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_sum" >"$stamp"
fi

say "bootstrap done (wasm route: $(wasm_route))"
