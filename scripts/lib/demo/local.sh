#!/usr/bin/env bash
# shellcheck shell=bash source-path=SCRIPTDIR
#
# scripts/lib/demo/local.sh: the demos' faults on the local stack of scripts/up
# (PostgreSQL, Redis and each service run by the stack's supervisord).
# The affected replica is the first of DATA_API_PORTS.
#
## target_check   target_inject NAME   target_remove NAME   target_restore   target_processes   target_count_writes FILE
## Environment: RUN_DIR, PG_PORT, REDIS_PORT, DATA_API_PORTS (as the stack was started)

set -euo pipefail

# shellcheck source=../stack.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../stack.sh"

DEMO_STATE_DIR=$RUN_DIR/demo
read -r _local_first_port _ <<<"$DATA_API_PORTS"
REPLICA=data-api-$_local_first_port

_replica_pid() {
    sv_pid "$REPLICA" || die "$REPLICA is not running"
}

# Remember the affected process, so that remove and restore find it.
_remember_pid() {
    mkdir -p "$DEMO_STATE_DIR"
    printf '%s\n' "$1" >"$DEMO_STATE_DIR/$2.pid"
}

_recalled_pid() { read_pidfile "$DEMO_STATE_DIR/$1.pid" 2>/dev/null; }

# _wait_for_new_process OLD_PID SECS [PROGRAM]: wait until supervisord runs a
# new process of PROGRAM (default: the affected replica) in place of OLD_PID.
_wait_for_new_process() {
    local old=$1 secs=$2 program=${3:-$REPLICA} deadline pid
    deadline=$(_deadline_after "$secs")
    until pid=$(sv_pid "$program") && [[ $pid != "$old" ]] && pid_alive "$pid"; do
        _past "$deadline" && die "$program was not restarted within ${secs}s"
        sleep 0.1
    done
}

target_check() {
    sv_running gateway || die "no gateway running in $RUN_DIR"
}

# _restart NAME: start a program stopped by a fault; wait until it is ready.
_restart() {
    sv_start_ready "$1" "$SERVICE_READY_TIMEOUT" stack_ready "$1" >&2 || die "$1 did not come back"
}

target_inject() {
    case $1 in
        postgres-outage) pg_stop immediate >&2 ;;
        redis-outage) info "supervisorctl stop redis: $(sv_ctl stop redis 2>&1)" ;;
        # No persistence: Redis comes back empty.
        cold-cache) info "supervisorctl stop redis: $(sv_ctl stop redis 2>&1)"; _restart redis ;;
        replica-crash)
            local pid; pid=$(_replica_pid)
            _remember_pid "$pid" crashed
            kill -KILL "$pid"
            ;;
        replica-hang)
            local pid; pid=$(_replica_pid)
            _remember_pid "$pid" stopped
            kill -STOP "$pid"
            ;;
        gateway-crash)
            local pid; pid=$(sv_pid gateway) || die "the gateway is not running"
            _remember_pid "$pid" gateway-crashed
            kill -KILL "$pid"
            ;;
        # The driver wedges it (data-api's chaos); its pid, to see it replaced.
        wedged-process) _remember_pid "$(_replica_pid)" wedged ;;
        *) die "unknown scenario: $1" ;;
    esac
}

target_remove() {
    case $1 in
        postgres-outage) _restart postgres ;;
        redis-outage) _restart redis ;;
        cold-cache) ;;
        replica-crash)
            _wait_for_new_process "$(_recalled_pid crashed)" 30
            printf 'supervisord started a new process\n'
            ;;
        gateway-crash)
            _wait_for_new_process "$(_recalled_pid gateway-crashed)" 30 gateway
            printf 'supervisord started a new gateway process\n'
            ;;
        replica-hang)
            kill -CONT "$(_recalled_pid stopped)" 2>/dev/null || true
            rm -f "$DEMO_STATE_DIR/stopped.pid"
            ;;
        wedged-process)
            local old started=$SECONDS
            old=$(_recalled_pid wedged)
            wait_pid_exit "$old" 60 || die "the wedged process was not exited by its watchdog within 60s"
            local exited=$((SECONDS - started))
            _wait_for_new_process "$old" 30
            printf 'its watchdog exited it (~%ss after the wait began); supervisord started a new process\n' "$exited"
            ;;
        *) die "unknown scenario: $1" ;;
    esac
}

# Undo whatever a demo may have left: resume a frozen replica, start
# PostgreSQL and Redis when they are down (the driver turns chaos off and
# lifts network faults). Safe to run at any time.
target_restore() {
    local pid
    if pid=$(_recalled_pid stopped); then
        kill -CONT "$pid" 2>/dev/null || true
        rm -f "$DEMO_STATE_DIR/stopped.pid"
    fi
    local name
    for name in postgres redis; do
        sv_running "$name" || (_restart "$name") || warn "could not start $name"
    done
}

# One line per program of the stack's supervisord: SERVICE IDENTITY, the
# identity naming its process (PROGRAM/PID, or PROGRAM/stopped), so that a
# restart shows as a new identity.
target_processes() {
    { sv_ctl status || true; } | awk '{
        service = $1; sub(/-[0-9]+$/, "", service)
        pid = "stopped"
        for (i = 3; i < NF; i++) if ($i == "pid") { pid = $(i + 1); sub(/,$/, "", pid) }
        print service, $1 "/" pid
    }'
}

# Print how many of the ids in FILE (one a line) exist in PostgreSQL.
target_count_writes() {
    local ids
    ids=$(grep -E '^[0-9]+$' "$1" | paste -sd, -)
    [[ -n $ids ]] || { printf '0\n'; return; }
    pg_psql_admin -d "$PG_APP_DB" -tA -c "SELECT count(*) FROM items WHERE id IN ($ids)"
}
