# Shared helpers for Ferry's scripts. Source it; do not run it.
# shellcheck shell=bash

FERRY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export FERRY_ROOT

say() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# How the browser bundle is compiled:
#   rustup - rustup's toolchain with its wasm32-unknown-unknown std (the standard route);
#   debian - Debian's rustc-web 1.96 building std from source (when rustup has no wasm std).
# FERRY_WASM_ROUTE=rustup|debian forces one.
wasm_route() {
  if [ -n "${FERRY_WASM_ROUTE:-}" ]; then
    echo "$FERRY_WASM_ROUTE"
  elif command -v rustup >/dev/null 2>&1 &&
    rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    echo rustup
  else
    echo debian
  fi
}

# The exact wasm-bindgen version Cargo.lock pins (the CLI must match it).
locked_wasm_bindgen_version() {
  awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' \
    "$FERRY_ROOT/Cargo.lock"
}

# A free TCP port on the loopback interface.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# N distinct free TCP ports on the loopback interface, on one line.
free_ports() {
  python3 -c 'import socket, sys
ss = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))' "$1"
}

# Runs one named step of a script and records its wall time (seconds) in $FERRY_TIMES, a
# tab-separated file under target/figures/ that scripts/figures.sh reads.
timed() {
  local name="$1" start=$SECONDS
  shift
  "$@"
  [ -n "${FERRY_TIMES:-}" ] && printf '%s\t%s\n' "$name" "$((SECONDS - start))" >>"$FERRY_TIMES"
  return 0
}

# Whether rustup's toolchain has the standard library's sources (the rust-src component),
# which the browser bundle's size-only std is built from.
rust_src_present() {
  [ -f "$(rustc --print sysroot)/lib/rustlib/src/rust/library/Cargo.lock" ]
}
