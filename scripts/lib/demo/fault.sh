#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
#
# scripts/lib/demo/fault.sh: the fault hook the resilience-demo driver calls.

set -euo pipefail

usage() {
    cat <<'EOF2'
Usage: scripts/lib/demo/fault.sh inject|remove|restore SCENARIO
       scripts/lib/demo/fault.sh verify-writes FILE

The target-specific side of the resilience demos, called by the driver:
  inject SCENARIO      inject the scenario's fault (a process or container
                       verb; the driver itself sets chaos and network faults)
  remove SCENARIO      remove it (for replica-crash and wedged-process: wait
                       until the process was restarted; prints how)
  restore [SCENARIO]   undo anything a demo may have left (safe at any time)
  processes            print one line per process of the stack: SERVICE IDENTITY
                       (a restarted process has a new identity)
  verify-writes FILE   print how many of the item ids in FILE exist in PostgreSQL
  check                fail unless the target's stack is up

DEMO_TARGET (local or compose) picks scripts/lib/demo/local.sh or compose.sh;
the stack's settings come from the environment (see those files).
EOF2
}

case ${1:-} in
    -h | --help | "") usage; exit 0 ;;
esac
SCRIPT_NAME=fault
case ${DEMO_TARGET:-local} in
    local | compose) ;;
    *) printf 'fault: DEMO_TARGET must be local or compose\n' >&2; exit 2 ;;
esac
if [[ ${DEMO_TARGET:-local} == local ]]; then
    # shellcheck source=local.sh
    source "$(dirname -- "${BASH_SOURCE[0]}")/local.sh"
else
    # shellcheck source=compose.sh
    source "$(dirname -- "${BASH_SOURCE[0]}")/compose.sh"
fi

action=$1
argument=${2:-}
case $action in
    inject) target_inject "$argument" ;;
    remove) target_remove "$argument" ;;
    restore) target_restore ;;
    check) target_check ;;
    processes) target_processes ;;
    verify-writes) target_count_writes "$argument" ;;
    *) usage >&2; exit 2 ;;
esac
