#!/usr/bin/env bash
# Checks infra/template.yaml offline: cfn-lint, `sam validate --lint`, and `sam validate`
# (SAM's transform) with dummy credentials. None of them calls AWS.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$FERRY_ROOT"

PATH="$(scripts/infra-tools.sh):$PATH"
export SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 \
  AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_SESSION_TOKEN=testing
unset AWS_PROFILE
template=infra/template.yaml

say "cfn-lint $template"
cfn-lint "$template"
say "sam validate --lint"
sam validate --lint --template-file "$template"
say "sam validate (SAM transform, us-east-1, dummy credentials)"
sam validate --template-file "$template"
