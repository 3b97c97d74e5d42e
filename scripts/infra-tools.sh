#!/usr/bin/env bash
# Installs the infra tools pinned in infra/requirements.txt (cfn-lint, SAM CLI, cargo-lambda,
# zig) into a virtualenv, once per machine and version set; prints the virtualenv's bin/ dir.
#   PATH="$(scripts/infra-tools.sh):$PATH" cargo lambda --version
# The virtualenv lives in $FERRY_TOOLS_DIR (default ~/.cache/ferry), outside the work tree.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$FERRY_ROOT"

tools_dir="${FERRY_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ferry}"
venv="$tools_dir/infra-venv"
stamp="$venv/.ferry-requirements.sha256"
want="$(sha256sum infra/requirements.txt | cut -d' ' -f1)"

if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    say "installing Debian's python3-venv"
    as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
  fi
  say "installing infra tools into $venv (cfn-lint, SAM CLI, cargo-lambda, zig; about a minute, once)"
  rm -rf "$venv"
  mkdir -p "$tools_dir"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r infra/requirements.txt >&2
  echo "$want" >"$stamp"
fi
echo "$venv/bin"
