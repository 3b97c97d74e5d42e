#!/usr/bin/env bash
# Writes FIGURES.md from what the other scripts recorded in this tree: the last
# scripts/test.sh run (target/figures/test-times.tsv), the last browser bundle
# (target/site/pkg), the last Lambda zip (target/lambda/ferry.zip) and the last
# scripts/bench.sh run (target/bench/report.md, every benchmark's latest figures). Measures
# nothing itself; a figure whose source is missing says so.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$FERRY_ROOT"

out=FIGURES.md
kb() { awk -v b="$1" 'BEGIN { printf "%.1f KB", b / 1000 }'; }
size() { stat -c %s "$1"; }

{
  echo "# Figures"
  echo
  echo "Measured on this project's 2-core machine; regenerate with \`scripts/figures.sh\` after"
  echo "running the scripts named below. Written $(date -u +%F) at commit $(git rev-parse --short HEAD)."
  echo
  echo "## Test suite (\`scripts/test.sh\`)"
  echo
  times=target/figures/test-times.tsv
  if [ -f "$times" ]; then
    echo "| step | seconds |"
    echo "|---|---:|"
    awk -F'\t' '{ printf "| %s | %s |\n", $1, $2 }' "$times"
  else
    echo "Not recorded: run \`scripts/test.sh\`."
  fi
  echo
  echo "## Browser bundle (\`scripts/build-site.sh\`)"
  echo
  files=target/site-report/files.tsv sizes=target/site-report/sizes.tsv
  if [ -f "$files" ] && [ -f "$sizes" ]; then
    echo "| file | raw | gzip -9 |"
    echo "|---|---:|---:|"
    awk -F'\t' 'NR > 1 { printf "| `%s` | %.1f KB | %.1f KB |\n", $1, $2 / 1000, $3 / 1000 }' "$files"
    echo
    echo "| first page (everything loaded before it is interactive) | gzip -9 |"
    echo "|---|---:|"
    awk -F'\t' 'NR > 1 { printf "| %s | %.1f KB |\n", ($1 == "all" ? "all files together" : "`" $1 "`"), $2 / 1000 }' "$sizes"
  else
    echo "Not recorded: run \`scripts/build-site.sh\`."
  fi
  echo
  echo "## Lambda artifact (\`scripts/build-lambda.sh\`)"
  echo
  zip=target/lambda/ferry.zip
  if [ -f "$zip" ]; then
    echo "\`target/lambda/ferry.zip\` (both functions): $(kb "$(size "$zip")")."
  else
    echo "Not recorded: run \`scripts/build-lambda.sh\`."
  fi
  echo
  echo "## Benchmarks (\`scripts/bench.sh\`)"
  echo
  if [ -f target/bench/report.md ]; then
    # Its title dropped, its sections one level down.
    sed -e 1d -e 's/^## /### /' target/bench/report.md
  else
    echo "Not recorded: run \`scripts/bench.sh\`."
  fi
} >"$out"
say "wrote $out"
