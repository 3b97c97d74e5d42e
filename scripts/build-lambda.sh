#!/usr/bin/env bash
# Builds the Lambda artifact infra/template.yaml deploys: target/lambda/ferry.zip with
#   bootstrap  the `ferry` binary, Lambda-only build (no embedded backends), release,
#              aarch64-unknown-linux-gnu (provided.al2023 on arm64), via cargo-lambda + zig
#   site/      the browser bundle and public files (scripts/build-site.sh), served by `web`
# Both functions use this one zip. Builds the site first when target/site is missing.
# Tools: scripts/infra-tools.sh (cargo-lambda, zig), rustup's aarch64-unknown-linux-gnu target.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$FERRY_ROOT"

PATH="$(scripts/infra-tools.sh):$PATH"
target=aarch64-unknown-linux-gnu
if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx "$target"; then
  say "adding rustup's $target target"
  timeout 120 rustup target add "$target" >/dev/null ||
    die "rustup could not add $target (the Lambda build needs its std)"
fi
if [ ! -f target/site/pkg/manifest.json ]; then
  scripts/bootstrap.sh # the browser bundle's tools (skips what is there)
  scripts/build-site.sh
fi

say "building the Lambda binary (arm64, release, --features lambda)"
start=$(date +%s)
# Its own target dir, so the release cross build and the host's debug builds never invalidate
# each other's artifacts.
CARGO_TARGET_DIR=target/lambda-build cargo lambda build --release --arm64 -p server --bin ferry \
  --no-default-features --features lambda --lambda-dir target/lambda
say "built in $(($(date +%s) - start)) s"

bootstrap=target/lambda/ferry/bootstrap
file_info="$(od -An -tx1 -j18 -N2 "$bootstrap" | tr -d ' ')" # ELF e_machine, little endian
[ "$file_info" = b700 ] || die "$bootstrap is not an aarch64 executable (e_machine $file_info)"
# provided.al2023 has glibc 2.34: the binary must not need a newer one.
if command -v readelf >/dev/null; then
  glibc="$(readelf -V "$bootstrap" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -Vu | tail -1)"
  [ "$(printf '%s\n2.34\n' "$glibc" | sort -V | tail -1)" = 2.34 ] ||
    die "$bootstrap needs glibc $glibc; Amazon Linux 2023 has 2.34"
fi

# A reproducible zip (fixed times, sorted entries): an unchanged build uploads nothing new.
python3 - "$bootstrap" target/site target/lambda/ferry.zip <<'PY'
import os, sys, zipfile
bootstrap, site, out = sys.argv[1:]
entries = [(bootstrap, "bootstrap")]
for root, dirs, files in os.walk(site):
    dirs.sort()
    for name in sorted(files):
        path = os.path.join(root, name)
        entries.append((path, os.path.join("site", os.path.relpath(path, site))))
tmp = out + ".tmp"
with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for path, name in entries:
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = (0o100755 if name == "bootstrap" else 0o100644) << 16
        with open(path, "rb") as f:
            z.writestr(info, f.read(), compresslevel=9)
os.replace(tmp, out)
PY
say "target/lambda/ferry.zip: $(stat -c %s target/lambda/ferry.zip) bytes" \
  "(bootstrap $(stat -c %s "$bootstrap") bytes unpacked, site $(du -sb target/site | cut -f1) bytes)"
