#!/usr/bin/env bash
# Fails when the browser bundle outgrows its budget: every row of scripts/bundle-budget.tsv
# against the same row of target/site-report/sizes.tsv (from scripts/build-site.sh). Sizes
# are deterministic for a given source and toolchain, so this is a fair check.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$FERRY_ROOT"

sizes=target/site-report/sizes.tsv
[ -f "$sizes" ] || die "$sizes is missing: run scripts/build-site.sh"
over=0
while IFS=$'\t' read -r route budget; do
  case "$route" in '#'* | route | '') continue ;; esac
  size="$(awk -F'\t' -v r="$route" '$1 == r { print $2 }' "$sizes")"
  [ -n "$size" ] || die "no size for '$route' in $sizes"
  if [ "$size" -gt "$budget" ]; then
    printf '  %-14s %8d bytes gzip: OVER its budget of %d by %d\n' "$route" "$size" "$budget" \
      "$((size - budget))" >&2
    over=1
  else
    printf '  %-14s %8d bytes gzip (budget %d)\n' "$route" "$size" "$budget" >&2
  fi
done <scripts/bundle-budget.tsv
[ "$over" = 0 ] || die "the browser bundle is over its budget (scripts/bundle-budget.tsv)"
say "the browser bundle is within its budget"
