#!/usr/bin/env bash
# shellcheck shell=bash source-path=SCRIPTDIR
#
# scripts/lib/services.sh: run the project's Swift services in the background,
# each under scripts/lib/supervisor.sh (restart: unless-stopped).
# Source it after (or instead of) common.sh; executing it only prints this help.
#
## A service NAME (e.g. data-api-8081, gateway) has:
##   .run/pids/NAME.pid         the supervisor's pid (stop it with service_stop)
##   .run/pids/NAME.child.pid   the running service process's pid
##   .run/logs/NAME.log         output of the service and of its supervisor
##
## Functions:
##   service_start NAME BINARY [VAR=VALUE...]
##                              start BINARY under a detached supervisor with the
##                              VAR=VALUE pairs in its environment (not its argv);
##                              says so and returns 0 when NAME already runs
##   service_wait_ready NAME URL [SECS]
##                              poll URL (e.g. http://127.0.0.1:8081/health/ready)
##                              until it answers 2xx (default SERVICE_READY_TIMEOUT
##                              or 60 s); on failure print the last 20 log lines
##                              and return 1
##   service_ready URL          true when URL answers 2xx within 2 s
##   service_stop NAME [SECS]   SIGTERM the supervisor (it forwards to the service),
##                              wait SECS (default 15), then SIGKILL the process
##                              group; returns 0 when not running
##   service_running NAME       true when NAME's supervisor is alive
##   service_pid NAME           print the supervisor's pid
##   service_child_pid NAME     print the service process's pid
##   service_names              print the NAMEs that have a pid file, one a line
##   service_pidfile NAME / service_child_pidfile NAME / service_logfile NAME
##                              print those paths

set -euo pipefail

# shellcheck source=common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/common.sh"

if [[ -n ${_RS_SERVICES_LOADED:-} ]]; then
    return 0
fi
_RS_SERVICES_LOADED=1

SERVICE_READY_TIMEOUT=${SERVICE_READY_TIMEOUT:-60}
SUPERVISOR_SCRIPT=$LIB_DIR/supervisor.sh

_service_check_name() {
    [[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || die "invalid service name '$1'"
}

service_pidfile() { printf '%s/%s.pid\n' "$PID_DIR" "$1"; }
service_child_pidfile() { printf '%s/%s.child.pid\n' "$PID_DIR" "$1"; }
service_logfile() { printf '%s/%s.log\n' "$LOG_DIR" "$1"; }

service_pid() {
    local pid
    pid=$(read_pidfile "$(service_pidfile "$1")") || return 1
    pid_alive "$pid" && pid_cmdline_has "$pid" "supervisor.sh --name $1 " || return 1
    printf '%s\n' "$pid"
}

service_child_pid() {
    local pid
    service_pid "$1" >/dev/null || return 1
    pid=$(read_pidfile "$(service_child_pidfile "$1")") || return 1
    pid_alive "$pid" || return 1
    printf '%s\n' "$pid"
}

service_running() { service_pid "$1" >/dev/null; }

service_names() {
    local file name
    [[ -d $PID_DIR ]] || return 0
    for file in "$PID_DIR"/*.pid; do
        [[ -e $file ]] || continue
        name=$(basename -- "$file" .pid)
        case $name in
            *.child | redis) continue ;;
        esac
        printf '%s\n' "$name"
    done
}

service_ready() {
    curl -fsS -o /dev/null --connect-timeout 1 --max-time 2 "$1" >/dev/null 2>&1
}

service_start() {
    local name=$1 binary=$2
    shift 2
    _service_check_name "$name"
    local pidfile logfile pid assignment
    pidfile=$(service_pidfile "$name")
    logfile=$(service_logfile "$name")
    [[ -x $binary ]] || die "$name: binary not found or not executable: $binary" \
        "build it first: swift build -c release (scripts/up does it for you)"
    for assignment in "$@"; do
        [[ $assignment =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] ||
            die "service_start $name: expected VAR=VALUE, got '${assignment%%=*}...'"
    done
    if pid=$(service_pid "$name"); then
        info "$name already running (supervisor pid $pid): left as is"
        return 0
    fi
    ensure_run_layout
    rm -f "$pidfile" "$(service_child_pidfile "$name")"
    printf '%s ===== %s: starting %s =====\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$name" "$binary" >>"$logfile"
    info "starting $name (log: $(rel_path "$logfile"))"
    # env puts the variables in the supervisor's environment (not in any argv
    # that ps shows); setsid detaches it from this terminal and session.
    env "$@" setsid bash "$SUPERVISOR_SCRIPT" --name "$name" --pidfile "$pidfile" \
        --child-pidfile "$(service_child_pidfile "$name")" -- "$binary" \
        </dev/null >>"$logfile" 2>&1 &
    if ! wait_for --timeout 10 --what "$name's supervisor to start" -- service_running "$name"; then
        tail -n 20 "$logfile" >&2 || true
        die "$name: supervisor did not start (last log lines above)" "see $logfile"
    fi
}

service_wait_ready() {
    local name=$1 url=$2 secs=${3:-$SERVICE_READY_TIMEOUT} deadline logfile
    logfile=$(service_logfile "$name")
    deadline=$(_deadline_after "$secs")
    while :; do
        if ! service_running "$name"; then
            error "$name is not running (its supervisor exited)"
            break
        fi
        if service_ready "$url"; then
            return 0
        fi
        if _past "$deadline"; then
            error "$name did not become ready within ${secs}s ($url)"
            break
        fi
        sleep 0.5
    done
    printf -- '----- last 20 lines of %s -----\n' "$logfile" >&2
    tail -n 20 "$logfile" >&2 2>/dev/null || true
    printf -- '-----\n' >&2
    return 1
}

service_stop() {
    local name=$1 secs=${2:-15} pid child=""
    _service_check_name "$name"
    if ! pid=$(service_pid "$name"); then
        rm -f "$(service_pidfile "$name")" "$(service_child_pidfile "$name")"
        info "$name not running"
        return 0
    fi
    child=$(service_child_pid "$name") || child=""
    info "stopping $name (supervisor pid $pid${child:+, process pid $child})"
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_pid_exit "$pid" "$secs"; then
        warn "$name did not stop within ${secs}s; sending SIGKILL"
        # The supervisor leads its own process group (setsid): kill all of it.
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        [[ -n $child ]] && { kill -KILL "$child" 2>/dev/null || true; }
        wait_pid_exit "$pid" 5 || die "$name (pid $pid) survived SIGKILL" "inspect it: ps -o pid,stat,cmd -p $pid"
    fi
    if [[ -n $child ]] && ! wait_pid_exit "$child" 5; then
        kill -KILL "$child" 2>/dev/null || true
    fi
    rm -f "$(service_pidfile "$name")" "$(service_child_pidfile "$name")"
    info "stopped $name"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    lib_self_help "${BASH_SOURCE[0]}" "${1:-}"
fi
