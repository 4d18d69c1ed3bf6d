#!/usr/bin/env bash
# shellcheck shell=bash source-path=SCRIPTDIR
#
# scripts/lib/chaos.sh: data-api's fault injection (PUT /admin/chaos) for
# .ci/kube-e2e (the demos set it from their Swift driver). The admin token is read from a file into a mode-600 curl header
# file (curl -H @FILE), so it never appears in an argv, a log or the output.
#
## chaos_put URL JSON      PUT JSON to URL/admin/chaos; fails on a non-2xx
## Environment: DEMO_ADMIN_TOKEN_FILE (required)

set -euo pipefail

chaos_put() {
    local url=$1 json=$2 header status
    [[ -n ${DEMO_ADMIN_TOKEN_FILE:-} && -s $DEMO_ADMIN_TOKEN_FILE ]] ||
        die "no admin token file (DEMO_ADMIN_TOKEN_FILE)" "the chaos scenarios need data-api started with ADMIN_TOKEN_FILE"
    header=$(mktemp) # mode 600
    printf 'Authorization: Bearer %s\n' "$(<"$DEMO_ADMIN_TOKEN_FILE")" >"$header"
    status=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 -X PUT -H @"$header" \
        -H 'Content-Type: application/json' --data "$json" "$url/admin/chaos" 2>/dev/null) || status=000
    rm -f "$header"
    [[ $status == 2* ]] || { error "PUT $url/admin/chaos answered $status"; return 1; }
}
