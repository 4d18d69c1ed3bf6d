#!/usr/bin/env bash
# shellcheck shell=bash source-path=SCRIPTDIR
#
# scripts/lib/stack.sh: the whole local stack (postgres -> redis -> data-api
# replicas -> gateway): its settings and a status table. Used by scripts/up,
# scripts/down and scripts/status. Sources common, postgres, redis and services.
# Executing it only prints this help.
#
## Functions:
##   stack_validate             die with one clear line on a malformed setting
##   stack_host                 print the address clients use (from BIND_HOST)
##   data_api_name PORT         print the service name of a replica: data-api-PORT
##   data_api_env PORT          print the replica's VAR=VALUE environment, one a line
##                              (ADMIN_TOKEN_FILE too once stack_ensure_admin_token made it:
##                              the chaos admin API of the demos)
##   stack_ensure_admin_token   generate .run/secrets/admin-token once (mode 600)
##   gateway_env                print the gateway's VAR=VALUE environment, one a line
##   stack_upstream_urls        print http://HOST:P1,http://HOST:P2,... for DATA_API_PORTS
##   stack_bin_path             print the SwiftPM bin directory for BUILD_CONFIGURATION
##                              (BIN_PATH when set; else swift build --show-bin-path)
##   stack_table [GATEWAY_NOTE] print what runs where (no secrets); returns 1 when a
##                              component is not ready. GATEWAY_NOTE is the optional
##                              gateway's state when it does not run (default
##                              "not running"; scripts/up says "not built")
##
## Environment read (defaults in brackets):
##   BIND_HOST [127.0.0.1]   DATA_API_PORTS ["8081 8082"]   GATEWAY_PORT [8080]
##   BUILD_CONFIGURATION [release]   BIN_PATH [from swift build --show-bin-path]
##   plus those of postgres.sh (PG_*), redis.sh (REDIS_*) and services.sh.

set -euo pipefail

# shellcheck source=common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/common.sh"

if [[ -n ${_RS_STACK_LOADED:-} ]]; then
    return 0
fi
_RS_STACK_LOADED=1

BIND_HOST=${BIND_HOST:-127.0.0.1}
DATA_API_PORTS=${DATA_API_PORTS:-8081 8082}
GATEWAY_PORT=${GATEWAY_PORT:-8080}
BUILD_CONFIGURATION=${BUILD_CONFIGURATION:-release}
ADMIN_TOKEN_FILE=$SECRETS_DIR/admin-token

# shellcheck source=postgres.sh
source "$LIB_DIR/postgres.sh"
# shellcheck source=redis.sh
source "$LIB_DIR/redis.sh"
# shellcheck source=services.sh
source "$LIB_DIR/services.sh"

stack_validate() {
    local port seen=" " var
    case $BUILD_CONFIGURATION in
        debug | release) ;;
        *) die "BUILD_CONFIGURATION must be debug or release (got '$BUILD_CONFIGURATION')" ;;
    esac
    [[ $SERVICE_READY_TIMEOUT =~ ^[0-9]+$ ]] ||
        die "SERVICE_READY_TIMEOUT must be whole seconds (got '$SERVICE_READY_TIMEOUT')"
    for var in PG_PORT REDIS_PORT GATEWAY_PORT; do
        valid_port "${!var}" || die "$var must be a TCP port number from 1 to 65535 (got '${!var}')"
    done
    # shellcheck disable=SC2086 # DATA_API_PORTS is a space-separated list
    set -- $DATA_API_PORTS
    (($#)) || die "DATA_API_PORTS is empty" "give at least one port, e.g. DATA_API_PORTS=\"8081 8082\""
    for port in "$@" "$PG_PORT" "$REDIS_PORT" "$GATEWAY_PORT"; do
        valid_port "$port" || die "DATA_API_PORTS must be space-separated TCP port numbers (got '$DATA_API_PORTS')"
        [[ $seen == *" $port "* ]] &&
            die "port $port is used twice among PG_PORT, REDIS_PORT, DATA_API_PORTS and GATEWAY_PORT"
        seen+="$port "
    done
    return 0
}

stack_host() { connect_host "$BIND_HOST"; }

data_api_name() { printf 'data-api-%s\n' "$1"; }

data_api_env() {
    local port=$1
    printf '%s\n' \
        "HTTP_HOST=$BIND_HOST" \
        "HTTP_PORT=$port" \
        "DATABASE_URL=$(pg_url)" \
        "DATABASE_PASSWORD_FILE=$PG_PASSWORD_FILE" \
        "REDIS_URL=$(redis_url)" \
        "REDIS_PASSWORD_FILE=$REDIS_PASSWORD_FILE"
    # The admin API only where a token was made (scripts/up does; the
    # benchmarks don't): data-api refuses to start on an unreadable file.
    if [[ -r $ADMIN_TOKEN_FILE ]]; then
        printf '%s
' "ADMIN_TOKEN_FILE=$ADMIN_TOKEN_FILE"
    fi
}

stack_ensure_admin_token() { ensure_secret "$ADMIN_TOKEN_FILE"; }

stack_upstream_urls() {
    local port urls=()
    for port in $DATA_API_PORTS; do
        urls+=("http://$(stack_host):$port")
    done
    local IFS=,
    printf '%s\n' "${urls[*]}"
}

gateway_env() {
    printf '%s\n' \
        "HTTP_HOST=$BIND_HOST" \
        "HTTP_PORT=$GATEWAY_PORT" \
        "UPSTREAM_URLS=$(stack_upstream_urls)"
}

stack_bin_path() {
    if [[ -n ${BIN_PATH:-} ]]; then
        printf '%s\n' "$BIN_PATH"
        return
    fi
    require_cmd swift "install the Swift toolchain (swift.org) and put it on PATH"
    (cd "$REPO_ROOT" && swift build -c "$BUILD_CONFIGURATION" --show-bin-path)
}

# ---------------------------------------------------------------- table

_stack_row() { printf '%-16s %-14s %-40s %-13s %s\n' "$@"; }

_stack_service_row() {
    local name=$1 url=$2 note=${3:-stopped} state pids log
    log=$(service_logfile "$name")
    if service_running "$name"; then
        pids="$(service_child_pid "$name" || printf -- '-')/$(service_pid "$name")"
        if service_ready "$url/health/ready"; then state=ready; else state="NOT READY"; fi
    else
        pids=-
        state=$note
    fi
    _stack_row "$name" "$state" "$url" "$pids" "$([[ -e $log ]] && rel_path "$log" || printf -- '-')"
    [[ $state == ready || $state == "$note" && $note != stopped ]]
}

stack_table() {
    local gateway_note=${1:-not running} bad=0 state port name listed=" "
    printf '\n'
    _stack_row COMPONENT STATE ADDRESS PID LOG
    if pg_running; then
        if pg_ready; then state=ready; else state="NOT READY"; fi
        _stack_row postgres "$state" "$(pg_url)" "$(pg_pid || printf -- '-')" "$(rel_path "$PG_LOG")"
    else
        _stack_row postgres stopped "$(pg_url)" - "$(rel_path "$PG_LOG")"
        state=stopped
    fi
    [[ $state == ready ]] || bad=1

    if redis_running; then
        if redis_ping; then state=ready; else state="NOT READY"; fi
        _stack_row redis "$state" "$(redis_url)" "$(redis_pid || printf -- '-')" "$(rel_path "$REDIS_LOG")"
    else
        _stack_row redis stopped "$(redis_url)" - "$(rel_path "$REDIS_LOG")"
        state=stopped
    fi
    [[ $state == ready ]] || bad=1

    for port in $DATA_API_PORTS; do
        name=$(data_api_name "$port")
        listed+="$name "
        _stack_service_row "$name" "http://$(stack_host):$port" || bad=1
    done
    # Replicas still running from an earlier run with other DATA_API_PORTS.
    while read -r name; do
        [[ $name == data-api-* && $listed != *" $name "* ]] || continue
        _stack_service_row "$name" "http://$(stack_host):${name#data-api-}" || bad=1
    done < <(service_names)
    # The gateway is optional: only a running-but-unready one counts as a problem.
    _stack_service_row gateway "http://$(stack_host):$GATEWAY_PORT" "$gateway_note" || bad=1
    printf '\nPID is process/supervisor for services. Logs and pids live in %s/.\n' "$(rel_path "$RUN_DIR")"
    printf 'Secrets (not shown): %s, %s, %s (mode 600).\n' "$(rel_path "$PG_PASSWORD_FILE")" "$(rel_path "$REDIS_PASSWORD_FILE")" "$(rel_path "$ADMIN_TOKEN_FILE")"
    return "$bad"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    lib_self_help "${BASH_SOURCE[0]}" "${1:-}"
fi
