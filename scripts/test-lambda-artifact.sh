#!/usr/bin/env bash
# Runs the integration tests of server/tests/it/lambda_invoke.rs against the built Lambda artifact itself: the arm64
# `bootstrap` of target/lambda/ferry.zip, unpacked with its site/ as Lambda unpacks it into
# /var/task, under qemu-aarch64 user-mode emulation (Debian's qemu-user and arm64 glibc,
# installed when missing).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$FERRY_ROOT"

zip=target/lambda/ferry.zip
[ -f "$zip" ] || die "no $zip: run scripts/build-lambda.sh first"
sysroot=/usr/aarch64-linux-gnu
apt_wanted=()
command -v qemu-aarch64 >/dev/null || apt_wanted+=(qemu-user)
[ -e "$sysroot/lib/ld-linux-aarch64.so.1" ] || apt_wanted+=(libc6-arm64-cross)
if [ ${#apt_wanted[@]} -gt 0 ]; then
  as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
  say "installing Debian packages: ${apt_wanted[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${apt_wanted[@]}" >/dev/null
fi

task_root="$(mktemp -d -t ferry-lambda-task.XXXXXX)"
trap 'rm -rf "$task_root"' EXIT
python3 -m zipfile -e "$zip" "$task_root"
chmod 755 "$task_root/bootstrap" # Python's extractor drops the mode the zip records

say "the arm64 artifact ($zip) through the emulated Lambda Runtime API (qemu-aarch64)"
FERRY_LAMBDA_TASK_ROOT="$task_root" FERRY_LAMBDA_RUNNER="qemu-aarch64 -L $sysroot" \
  cargo test -q --workspace --test integration lambda_invoke::
