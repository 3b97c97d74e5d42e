#!/usr/bin/env bash
# Runs Ferry on this machine with the embedded backends: installs what is missing, builds the
# browser bundle and the server, then serves on $FERRY_ADDR (default 127.0.0.1:3000).
# Extra arguments go to `ferry serve` (see `ferry serve --help`).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$FERRY_ROOT"

scripts/bootstrap.sh
scripts/build-site.sh
say "building the server"
cargo build -p server --bin ferry
exec target/debug/ferry serve "$@"
