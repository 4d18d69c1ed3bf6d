#!/usr/bin/env bash
# shellcheck shell=bash source-path=SCRIPTDIR
#
# scripts/lib/stack.sh: the whole local stack (postgres -> redis -> data-api
# replicas -> gateway) as scripts/stack.conf describes it, run by supervisord.
# Used by scripts/up, down, status, bench and the demos. Sources common,
# postgres, redis and supervisord. Executing it only prints this help.
#
## Functions:
##   stack_validate             die with one clear line on a malformed setting
##   stack_host                 print the address clients use (from BIND_HOST)
##   stack_env SERVICE [PORT]   print SERVICE's (data-api or gateway) VAR=VALUE
##                              environment from scripts/stack.conf, one a line
##   stack_upstream_urls        print http://HOST:P1,http://HOST:P2,... for DATA_API_PORTS
##   stack_address NAME         print program NAME's address (no password)
##   stack_ready NAME           true when NAME's readiness probe passes (pg_isready,
##                              Redis PING, GET /health/ready = 2xx)
##   stack_stores_config        print supervisord's sections, PostgreSQL's and Redis's
##   stack_config BIN_PATH      print the supervisord config of the whole stack
##   stack_bin_path             print the SwiftPM bin directory for BUILD_CONFIGURATION
##                              (BIN_PATH when set; else swift build --show-bin-path)
##   stack_table                print supervisorctl status with a READY column and
##                              each address (no secrets); 1 when something is not
##                              running and ready
##
## Environment read (defaults in brackets):
##   the [stack] settings of scripts/stack.conf (BIND_HOST, PG_PORT, REDIS_PORT,
##   PG_PROXY_PORT, REDIS_PROXY_PORT, FAULT_PROXY_PORT, DATA_API_PORTS,
##   GATEWAY_PORT)   STACK_CONF [scripts/stack.conf]
##   BUILD_CONFIGURATION [release]   BIN_PATH [from swift build --show-bin-path]
##   SERVICE_READY_TIMEOUT [60]      plus those of postgres.sh, redis.sh, supervisord.sh.

set -euo pipefail

# shellcheck source=common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/common.sh"

if [[ -n ${_RS_STACK_LOADED:-} ]]; then
    return 0
fi
_RS_STACK_LOADED=1

STACK_CONF=${STACK_CONF:-$REPO_ROOT/scripts/stack.conf}
[[ -r $STACK_CONF ]] || die "the stack's topology $STACK_CONF is missing"

# _stack_section NAME: the VAR=VALUE lines of [NAME] in STACK_CONF.
_stack_section() {
    awk -v want="[$1]" '/^[[:space:]]*(#|$)/ { next } /^\[/ { in_section = ($0 == want); next } in_section' "$STACK_CONF"
}

# [stack] settings, unless the environment sets them.
while IFS= read -r _stack_line; do
    _stack_name=${_stack_line%%=*}
    [[ $_stack_name =~ ^[A-Z_][A-Z0-9_]*$ ]] || die "$STACK_CONF: bad line in [stack]: $_stack_line"
    [[ -n ${!_stack_name:-} ]] || printf -v "$_stack_name" '%s' "${_stack_line#*=}"
done < <(_stack_section stack)
unset _stack_line _stack_name
BUILD_CONFIGURATION=${BUILD_CONFIGURATION:-release}
SERVICE_READY_TIMEOUT=${SERVICE_READY_TIMEOUT:-60}
ADMIN_TOKEN_FILE=$SECRETS_DIR/admin-token

# shellcheck source=postgres.sh
source "$LIB_DIR/postgres.sh"
# shellcheck source=redis.sh
source "$LIB_DIR/redis.sh"
# shellcheck source=supervisord.sh
source "$LIB_DIR/supervisord.sh"

stack_validate() {
    local port seen=" " var
    case $BUILD_CONFIGURATION in
        debug | release) ;;
        *) die "BUILD_CONFIGURATION must be debug or release (got '$BUILD_CONFIGURATION')" ;;
    esac
    [[ $SERVICE_READY_TIMEOUT =~ ^[0-9]+$ ]] ||
        die "SERVICE_READY_TIMEOUT must be whole seconds (got '$SERVICE_READY_TIMEOUT')"
    for var in PG_PORT REDIS_PORT PG_PROXY_PORT REDIS_PROXY_PORT FAULT_PROXY_PORT GATEWAY_PORT; do
        valid_port "${!var}" || die "$var must be a TCP port number from 1 to 65535 (got '${!var}')"
    done
    # shellcheck disable=SC2086 # DATA_API_PORTS is a space-separated list
    set -- $DATA_API_PORTS
    (($#)) || die "DATA_API_PORTS is empty" "give at least one port, e.g. DATA_API_PORTS=\"8081 8082\""
    for port in "$@" "$PG_PORT" "$REDIS_PORT" "$PG_PROXY_PORT" "$REDIS_PROXY_PORT" "$FAULT_PROXY_PORT" "$GATEWAY_PORT"; do
        valid_port "$port" || die "DATA_API_PORTS must be space-separated TCP port numbers (got '$DATA_API_PORTS')"
        [[ $seen == *" $port "* ]] &&
            die "port $port is used twice among the ports of scripts/stack.conf's [stack]"
        seen+="$port "
    done
    return 0
}

stack_host() { connect_host "$BIND_HOST"; }

stack_upstream_urls() {
    local port urls=()
    for port in $DATA_API_PORTS; do
        urls+=("http://$(stack_host):$port")
    done
    local IFS=,
    printf '%s\n' "${urls[*]}"
}

# _stack_expand TEXT: TEXT with each ${NAME} and ${NAME:-default} replaced by
# the shell variable NAME (no eval: nothing else in TEXT is interpreted).
_stack_expand() {
    local text=$1 out="" ref name
    while [[ $text =~ \$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\} ]]; do
        ref=${BASH_REMATCH[0]} name=${BASH_REMATCH[1]}
        [[ -n ${BASH_REMATCH[2]} || -n ${!name:-} ]] || die "$STACK_CONF: \${$name} is not set"
        out+=${text%%"$ref"*}${!name:-${BASH_REMATCH[3]}}
        text=${text#*"$ref"}
    done
    printf '%s\n' "$out$text"
}

stack_env() {
    local service=$1 line
    # Read by _stack_expand, through ${!name}.
    # shellcheck disable=SC2034
    local PORT=${2:-} HOST UPSTREAM_URLS
    # shellcheck disable=SC2034
    HOST=$(stack_host) UPSTREAM_URLS=$(stack_upstream_urls)
    [[ $(grep -c "^\[$service\]\$" "$STACK_CONF") == 1 ]] || die "$STACK_CONF has no [$service] section"
    while IFS= read -r line; do
        [[ $line =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || die "$STACK_CONF: bad line in [$service]: $line"
        printf '%s=%s\n' "${line%%=*}" "$(_stack_expand "${line#*=}")"
    done < <(_stack_section "$service")
}

stack_address() {
    case $1 in
        postgres) pg_url ;;
        redis) redis_url ;;
        faults) printf 'http://%s:%s\n' "$(stack_host)" "$FAULT_PROXY_PORT" ;;
        data-api-*) printf 'http://%s:%s\n' "$(stack_host)" "${1#data-api-}" ;;
        gateway) printf 'http://%s:%s\n' "$(stack_host)" "$GATEWAY_PORT" ;;
        *) return 1 ;;
    esac
}

stack_ready() {
    case $1 in
        postgres) pg_ready ;;
        redis) redis_ping ;;
        faults) curl -fsS -o /dev/null --connect-timeout 1 --max-time 2 "$(stack_address faults)/health" >/dev/null 2>&1 ;;
        *) curl -fsS -o /dev/null --connect-timeout 1 --max-time 2 "$(stack_address "$1")/health/ready" >/dev/null 2>&1 ;;
    esac
}

# stack_stores_config: supervisord's own sections, PostgreSQL (as user postgres,
# restarted only when it crashes: pg_ctl stop exits 0, the demos' outage) and Redis.
stack_stores_config() {
    sv_header
    sv_program postgres 10 "$(sv_command "$PG_BIN/postgres" -D "$PG_DATA")" +user="$PG_OS_USER" \
        +autorestart=unexpected +exitcodes=0 +stopsignal=INT +stopwaitsecs="$PG_START_TIMEOUT"
    sv_program redis 20 "$(sv_command "$(command -v "$REDIS_SERVER_BIN")" "$REDIS_CONF")"
}

# stack_faults_config BIN_PATH: the demos' fault proxy, between data-api and
# PostgreSQL and Redis (see scripts/stack.conf).
stack_faults_config() {
    local host
    host=$(stack_host)
    sv_program faults 25 "$(sv_command "$1/fault-proxy" --admin "$host:$FAULT_PROXY_PORT" \
        --route "postgres=$host:$PG_PROXY_PORT=$host:$PG_PORT" --route "redis=$host:$REDIS_PROXY_PORT=$host:$REDIS_PORT")"
}

stack_config() {
    local bin_path=$1 port envs
    stack_stores_config
    stack_faults_config "$bin_path"
    for port in $DATA_API_PORTS; do
        mapfile -t envs < <(stack_env data-api "$port")
        sv_program "data-api-$port" 30 "$(sv_command "$bin_path/data-api")" "${envs[@]}"
    done
    if [[ -x $bin_path/gateway ]]; then
        mapfile -t envs < <(stack_env gateway)
        sv_program gateway 40 "$(sv_command "$bin_path/gateway")" "${envs[@]}"
    fi
}

stack_bin_path() {
    if [[ -n ${BIN_PATH:-} ]]; then
        printf '%s\n' "$BIN_PATH"
        return
    fi
    require_cmd swift "install the Swift toolchain (swift.org) and put it on PATH"
    (cd "$REPO_ROOT" && swift build -c "$BUILD_CONFIGURATION" --show-bin-path)
}

stack_table() {
    local status name state rest ready address bad=0
    if ! sv_daemon_running; then
        printf '\nNothing runs: no supervisord answers for %s (start the stack: scripts/up).\n' "$(rel_path "$RUN_DIR")"
        return 1
    fi
    status=$(sv_ctl status 2>&1) || true
    # In start order, not supervisorctl's alphabetical one.
    printf '\n%-16s %-9s %-10s %-40s %s\n' PROGRAM STATE READY ADDRESS SUPERVISOR
    while read -r name state rest; do
        [[ -n $name ]] || continue
        ready=-
        if [[ $state == RUNNING || $state == STARTING ]]; then
            if stack_ready "$name"; then ready=ready; else ready="NOT READY"; fi
        fi
        [[ $ready == ready ]] || bad=1
        address=$(stack_address "$name") || address=-
        printf '%-16s %-9s %-10s %-40s %s\n' "$name" "$state" "$ready" "$address" "$rest"
    done < <(awk '{ rank = $1 == "postgres" ? 1 : $1 == "redis" ? 2 : $1 == "faults" ? 3 : $1 ~ /^data-api-/ ? 4 : 5; print rank, $0 }' <<<"$status" |
        sort -s -n -k1,1 | cut -d' ' -f2-)
    printf '\nLogs: %s/NAME.log; follow one: supervisorctl -c %s tail -f NAME\n' "$(rel_path "$LOG_DIR")" "$(rel_path "$SV_CONF")"
    printf 'Secrets (not shown): %s, %s, %s (mode 600).\n' "$(rel_path "$PG_PASSWORD_FILE")" "$(rel_path "$REDIS_PASSWORD_FILE")" "$(rel_path "$ADMIN_TOKEN_FILE")"
    return "$bad"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    lib_self_help "${BASH_SOURCE[0]}" "${1:-}"
fi
