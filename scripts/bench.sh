#!/usr/bin/env bash
# Benchmarks (figures, not pass/fail): `/assets` server-rendering latency against the embedded
# store with 100 and 100,000 assets. Optimised build; results in target/bench/browse.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$FERRY_ROOT"
say "cargo bench -p server --bench browse (optimised build; seeding 100,000 assets takes a while)"
RUST_LOG="${RUST_LOG:-error}" cargo bench -p server --bench browse
