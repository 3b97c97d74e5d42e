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
# formatting machinery for messages), no file/line locations kept for panics, and `Debug`
# formatting compiled out (`{:?}` writes nothing: nothing the page shows may rely on it).
size_std=(-Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size)
size_flags="-Zlocation-detail=none -Zfmt-debug=none -Zunstable-options -Cpanic=immediate-abort"
# Relocations kept in the linked module: wasm-split needs them to cut it at the lazy routes.
# And Leptos's `erase_components`, as .cargo/config.toml sets it for every other build (which
# RUSTFLAGS overrides): the server must render what the browser hydrates.
split_flags="-Clink-args=--emit-relocs --cfg=erase_components"
case "$route" in
  rustup)
    target_dir=target/front
    if rust_src_present; then
      say "building the browser bundle (route: rustup, size-only std)"
      RUSTC_BOOTSTRAP=1 RUSTFLAGS="$size_flags $split_flags" \
        cargo "${args[@]}" "${size_std[@]}" --target-dir "$target_dir"
    else
      say "building the browser bundle (route: rustup; no rust-src, so without the size-only std)"
      RUSTFLAGS="$split_flags" cargo "${args[@]}" --target-dir "$target_dir"
    fi
    ;;
  debian)
    target_dir=target/front-debian
    [ -x /usr/bin/cargo ] && command -v wasm-ld-19 >/dev/null ||
      die "Debian's rustc-web/lld-19 are missing: run scripts/bootstrap.sh"
    say "building the browser bundle (route: debian, size-only std)"
    RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 RUSTFLAGS="$size_flags $split_flags" \
      CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-19 \
      /usr/bin/cargo "${args[@]}" "${size_std[@]}" --target-dir "$target_dir"
    ;;
  *) die "unknown FERRY_WASM_ROUTE '$route' (rustup or debian)" ;;
esac
wasm_in="$target_dir/wasm32-unknown-unknown/wasm-release/app.wasm"

work="$(mktemp -d target/site-build.XXXXXX)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bindgen" "$work/site/pkg"

# Split at the lazy routes (tools/wasm-split: the main module, one module per route, the
# chunks they share, their loader and which modules each route needs), then bind the main
# module and shrink every module.
cargo run -q --release -p wasm-split -- "$wasm_in" "$work/split"
wasm-bindgen --target web --no-typescript --remove-name-section --keep-lld-exports \
  --no-demangle --out-dir "$work/bindgen" --out-name ferry "$work/split/ferry.wasm"
wasm_opt=end2end/node_modules/.bin/wasm-opt
[ -x "$wasm_opt" ] || die "binaryen's wasm-opt is missing: run scripts/bootstrap.sh"
opt() { "$wasm_opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int "$1" -o "$2"; }
opt "$work/bindgen/ferry_bg.wasm" "$work/ferry.wasm"
mkdir -p "$work/modules"
for module in "$work"/split/chunk_*.wasm "$work"/split/split_*.wasm; do
  [ -e "$module" ] || continue
  # (wasm-opt does not know the split modules' name subsection; it drops it, as it should.)
  opt "$module" "$work/modules/$(basename "$module")" 2>/dev/null
done
# Content-hashed names with gzip twins, and the manifest (scripts/pack-site.py).
python3 scripts/pack-site.py "$work" "$work/site" style/main.css
cp -R public/. "$work/site/"

# Swap the new site in whole, so a running server never sees half of it.
rm -rf target/site.old
[ -d target/site ] && mv target/site target/site.old
mv "$work/site" target/site
rm -rf target/site.old

# Sizes: every file, and each route's first page (scripts/site-sizes.py).
report=target/site-report
say "site built in target/site:"
python3 scripts/site-sizes.py target/site "$report"

# The size report: the same module with its function names kept, read by twiggy.
if command -v twiggy >/dev/null; then
  named="$(mktemp -d target/site-named.XXXXXX)"
  wasm-bindgen --target web --no-typescript --keep-lld-exports --no-demangle --out-dir "$named" \
    --out-name ferry "$work/split/ferry.wasm"
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
