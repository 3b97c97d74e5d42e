#!/usr/bin/env bash
# Builds the browser side into target/site:
#   pkg/ferry.<hash>.{js,wasm,css} (+ .gz), pkg/manifest.json naming them, and public/ files.
# The wasm is built with the `wasm-release` profile, bound with wasm-bindgen (name section
# removed) and shrunk with binaryen's wasm-opt -Oz.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$FERRY_ROOT"

route="$(wasm_route)"
args=(build -p app --lib --no-default-features --features hydrate
  --target wasm32-unknown-unknown --profile wasm-release)
say "building the browser bundle (route: $route)"
case "$route" in
  rustup)
    target_dir=target/front
    cargo "${args[@]}" --target-dir "$target_dir"
    ;;
  debian)
    target_dir=target/front-debian
    [ -x /usr/bin/cargo ] && command -v wasm-ld-19 >/dev/null ||
      die "Debian's rustc-web/lld-19 are missing: run scripts/bootstrap.sh"
    RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 \
      CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-19 \
      /usr/bin/cargo "${args[@]}" -Zbuild-std=std,panic_abort --target-dir "$target_dir"
    ;;
  *) die "unknown FERRY_WASM_ROUTE '$route' (rustup or debian)" ;;
esac
wasm_in="$target_dir/wasm32-unknown-unknown/wasm-release/app.wasm"

work="$(mktemp -d target/site-build.XXXXXX)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bindgen" "$work/site/pkg"

wasm-bindgen --target web --no-typescript --remove-name-section \
  --out-dir "$work/bindgen" --out-name ferry "$wasm_in"
wasm_opt=end2end/node_modules/.bin/wasm-opt
[ -x "$wasm_opt" ] || die "binaryen's wasm-opt is missing: run scripts/bootstrap.sh"
"$wasm_opt" -Oz "$work/bindgen/ferry_bg.wasm" -o "$work/ferry.wasm"

# Content-hashed names: safe to cache for a year.
hashed() { # file ext -> copies into pkg/ under ferry.<hash>.<ext>, prints the name
  local name
  name="ferry.$(sha256sum "$1" | cut -c1-16).$2"
  cp "$1" "$work/site/pkg/$name"
  gzip -9 -k -n "$work/site/pkg/$name"
  echo "$name"
}
css="$(hashed style/main.css css)"
js="$(hashed "$work/bindgen/ferry.js" js)"
wasm="$(hashed "$work/ferry.wasm" wasm)"
cat >"$work/site/pkg/manifest.json" <<JSON
{"css": "$css", "js": "$js", "wasm": "$wasm", "hashed": true}
JSON
cp -R public/. "$work/site/"

# Swap the new site in whole, so a running server never sees half of it.
rm -rf target/site.old
[ -d target/site ] && mv target/site target/site.old
mv "$work/site" target/site
rm -rf target/site.old

raw=$(stat -c %s "target/site/pkg/$wasm")
gz=$(stat -c %s "target/site/pkg/$wasm.gz")
say "site built in target/site: $wasm ${raw} bytes raw, ${gz} bytes gzip"
