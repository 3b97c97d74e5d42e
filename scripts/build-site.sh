#!/usr/bin/env bash
# Builds the browser side into target/site:
#   pkg/ferry.<hash>.{js,wasm,css} (+ .gz), pkg/manifest.json naming them, and public/ files.
# The wasm is built with the `wasm-release` profile and, when the standard library's sources
# are there, size-only settings (std rebuilt with optimize_for_size, panics that abort at
# once, no panic locations); it is bound with wasm-bindgen (name section removed) and shrunk
# with binaryen's wasm-opt -Oz. Prints each file's raw and gzip size and each route's first
# page, and writes them with a size report (largest functions and crates) to
# target/site-report/ (sizes.tsv, which scripts/check-bundle.sh holds to its budget).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$FERRY_ROOT"

route="$(wasm_route)"
args=(build -p app --lib --no-default-features --features hydrate
  --target wasm32-unknown-unknown --profile wasm-release)
# Size-only settings (unstable flags, hence RUSTC_BOOTSTRAP; RUSTFLAGS reach only the wasm
# crates, not build scripts or macros): std rebuilt for size, panics abort at once (no
# formatting machinery for messages), no file/line locations kept for panics.
size_std=(-Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size)
size_flags="-Zlocation-detail=none -Zunstable-options -Cpanic=immediate-abort"
case "$route" in
  rustup)
    target_dir=target/front
    if rust_src_present; then
      say "building the browser bundle (route: rustup, size-only std)"
      RUSTC_BOOTSTRAP=1 RUSTFLAGS="$size_flags" \
        cargo "${args[@]}" "${size_std[@]}" --target-dir "$target_dir"
    else
      say "building the browser bundle (route: rustup; no rust-src, so without the size-only std)"
      cargo "${args[@]}" --target-dir "$target_dir"
    fi
    ;;
  debian)
    target_dir=target/front-debian
    [ -x /usr/bin/cargo ] && command -v wasm-ld-19 >/dev/null ||
      die "Debian's rustc-web/lld-19 are missing: run scripts/bootstrap.sh"
    say "building the browser bundle (route: debian, size-only std)"
    RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 RUSTFLAGS="$size_flags" \
      CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-19 \
      /usr/bin/cargo "${args[@]}" "${size_std[@]}" --target-dir "$target_dir"
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

# Sizes: every file a page loads, and each route's first page (the whole bundle, for now:
# every route loads it all).
report=target/site-report
mkdir -p "$report"
{
  printf 'kind\tname\traw\tgzip\n'
  for kind in wasm js css; do
    name="$(python3 -c "import json; print(json.load(open('target/site/pkg/manifest.json'))['$kind'])")"
    printf 'file\t%s\t%s\t%s\n' "$name" "$(stat -c %s "target/site/pkg/$name")" \
      "$(stat -c %s "target/site/pkg/$name.gz")"
  done
} >"$report/files.tsv"
all=$(awk -F'\t' '$1 == "file" { s += $4 } END { print s }' "$report/files.tsv")
{
  printf 'route\tgzip\n'
  for r in / /assets '/assets/{id}'; do printf '%s\t%s\n' "$r" "$all"; done
  printf 'all\t%s\n' "$all"
} >"$report/sizes.tsv"
say "site built in target/site:"
awk -F'\t' '$1 == "file" { printf "    %-32s %9d bytes raw %8d gzip\n", $2, $3, $4 }' "$report/files.tsv" >&2
awk -F'\t' 'NR > 1 { printf "    first page %-14s %8d bytes gzip\n", ($1 == "all" ? "(all files)" : $1), $2 }' \
  "$report/sizes.tsv" >&2

# The size report: the same module with its function names kept, read by twiggy.
if command -v twiggy >/dev/null; then
  named="$(mktemp -d target/site-named.XXXXXX)"
  wasm-bindgen --target web --no-typescript --out-dir "$named" --out-name ferry "$wasm_in"
  "$wasm_opt" -Oz -g "$named/ferry_bg.wasm" -o "$named/named.wasm"
  # (Less the name section itself, which the shipped module does not have.)
  twiggy top -n 61 "$named/named.wasm" | grep -v '"function names" subsection' |
    cut -c1-200 >"$report/functions.txt"
  twiggy top -f csv "$named/named.wasm" | python3 scripts/wasm-crates.py >"$report/crates.txt"
  rm -rf "$named"
  say "size report: $report/functions.txt (largest functions), $report/crates.txt (by crate)"
else
  say "no twiggy: size report skipped (scripts/bootstrap.sh installs it)"
fi
